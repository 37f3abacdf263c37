import type { MixResult } from './ingest-mix.js';

/** AWS list prices, us-east-1, as published on 2026-11-25 (DynamoDB on-demand since November 2024). */
export const PRICES = {
  date: '2026-11-25',
  eventBridgePerMillionEntries: 1.0,
  sqsPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** HTTP API, the first 300 million requests a month; each 512 KB of a request counts as one. */
  apiGatewayHttpPerMillionRequests: 1.0,
  cloudWatchLogsPerGb: 0.5,
} as const;

/** Memory of the deployed ingest function (infra/northstar-pipeline.ts). */
export const LAMBDA_MEMORY_GB = 0.5;

export interface CostPerMillion {
  readonly eventBridge: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly dynamoDb: number;
  readonly total: number;
}

/**
 * Dollars per million events from what the run measured: entries (EventBridge bills each
 * entry per 64 KB; entries here stay under it), SQS requests (EventBridge's send, the
 * poller's receives per 10 messages and 64 KB, the deletes), Lambda requests and GB-seconds
 * from the handler's measured time, and DynamoDB's consumed units.
 */
export function costPerMillion(mix: MixResult): CostPerMillion {
  const perEvent = 1 / mix.events;
  const million = 1_000_000;
  const eventBridge = mix.entries * perEvent * PRICES.eventBridgePerMillionEntries;
  const sqs =
    (mix.sqsSendRequests + mix.sqsReceiveRequests + mix.sqsDeleteRequests) *
    perEvent *
    PRICES.sqsPerMillionRequests;
  const gbSeconds = (mix.invocations * Math.ceil(mix.handlerMs) * LAMBDA_MEMORY_GB) / 1000;
  const lambda =
    mix.invocations * perEvent * PRICES.lambdaPerMillionRequests +
    gbSeconds * perEvent * million * PRICES.lambdaArmPerGbSecond;
  const dynamoDb =
    mix.writeUnitsPerEvent * PRICES.dynamoPerMillionWriteUnits +
    mix.readUnitsPerEvent * PRICES.dynamoPerMillionReadUnits;
  return { eventBridge, sqs, lambda, dynamoDb, total: eventBridge + sqs + lambda + dynamoDb };
}

/** The collector's and the packer's memory: the PipelineFunction default, which infra/collector.ts keeps. */
export const COLLECTOR_MEMORY_GB = 0.5;
/**
 * Assumed, not measured: one SQS SendMessage and one PutEvents round trip from Lambda within
 * the region. Locally both run in process, so the measured times leave them out.
 */
export const SEND_MESSAGE_ROUND_TRIP_MS = 10;
export const PUT_EVENTS_ROUND_TRIP_MS = 25;
/** SQS bills each started 64 KB of a message as one request. */
const SQS_CHUNK_BYTES = 64 * 1024;

/** What a million events through the collector cost before the bus, from requests as the bench made them. */
export interface CollectorTraffic {
  readonly events: number;
  readonly requests: number;
  /** Billed API Gateway requests: each request per started 512 KB of its body. */
  readonly billedRequests: number;
  /** The collector's measured time per request locally, without the queue's round trip. */
  readonly handlingMs: number;
  /** Sizes of the queued messages the requests became. */
  readonly messageBytes: readonly number[];
  /** Packer batches, and its measured time per batch without PutEvents' round trips. */
  readonly packerBatches: number;
  readonly packerMsPerBatch: number;
  /** PutEvents calls the packer made (10 entries or 256 KB each). */
  readonly putEventsCalls: number;
  /** CloudWatch Logs bytes per request: access log, the function's metrics and platform lines. */
  readonly logBytesPerRequest: number;
}

export interface CollectorCostPerMillion {
  readonly apiGateway: number;
  /** The collector function and the packer. */
  readonly lambda: number;
  readonly logs: number;
  /** The collector's queue: sends per 64 KB, the packer's receives and deletes per 10 messages. */
  readonly sqs: number;
  readonly total: number;
}

export function collectorCostPerMillion(traffic: CollectorTraffic): CollectorCostPerMillion {
  const perMillion = 1_000_000 / traffic.events;
  const requests = traffic.requests * perMillion;
  const apiGateway =
    ((traffic.billedRequests * perMillion) / 1_000_000) * PRICES.apiGatewayHttpPerMillionRequests;
  const gbSecond = COLLECTOR_MEMORY_GB * PRICES.lambdaArmPerGbSecond;
  const collectorMs = Math.ceil(traffic.handlingMs + SEND_MESSAGE_ROUND_TRIP_MS);
  const packerMs =
    traffic.packerBatches * traffic.packerMsPerBatch + traffic.putEventsCalls * PUT_EVENTS_ROUND_TRIP_MS;
  const lambda =
    ((requests + traffic.packerBatches * perMillion) / 1_000_000) * PRICES.lambdaPerMillionRequests +
    ((requests * collectorMs) / 1000) * gbSecond +
    ((packerMs * perMillion) / 1000) * gbSecond;
  const logs = ((requests * traffic.logBytesPerRequest) / 1e9) * PRICES.cloudWatchLogsPerGb;
  const sends = traffic.messageBytes.reduce(
    (sum, bytes) => sum + Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES)),
    0,
  );
  const receivesAndDeletes = 2 * Math.ceil(traffic.messageBytes.length / 10);
  const sqs = (((sends + receivesAndDeletes) * perMillion) / 1_000_000) * PRICES.sqsPerMillionRequests;
  return { apiGateway, lambda, logs, sqs, total: apiGateway + lambda + logs + sqs };
}

/** Prices a backfill on AWS adds, us-east-1, checked 2026-12-02 (S3 Standard, Step Functions, KMS). */
export const BACKFILL_PRICES = {
  date: '2026-12-02',
  s3PerThousandGets: 0.0004,
  /** PUT, COPY, POST and LIST requests. */
  s3PerThousandPutsOrLists: 0.005,
  stepFunctionsStandardPerThousandTransitions: 0.025,
  stepFunctionsExpressPerMillionRequests: 1.0,
  /** Express duration, per GB-second (billed in 64 MB steps, at least 100 ms). */
  stepFunctionsExpressPerGbSecond: 0.00001667,
  kmsPerTenThousandRequests: 0.03,
} as const;
