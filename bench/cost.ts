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
