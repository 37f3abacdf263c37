import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packCalls } from '../client/pack-entries.js';
import type { PutEntry } from '../local/entries.js';
import { eventBridgeBody } from '../local/entries.js';
import { startRuntime } from '../local/runtime.js';
import { folderArchiveObjects } from '../shared/adapters/file/archive-objects.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { partitionArchive } from '../shared/use-cases/backfill/partition-archive.js';
import { BACKFILL_PRICES, PRICES } from './cost.js';
import { sendCalls } from './local-runtime.js';

export interface BackfillResult {
  readonly events: number;
  /** Live ingest: from the first PutEvents call until every event is counted. */
  readonly liveSeconds: number;
  /** The backfill of the changed definitions: from the restarted runtime's start until they are shown. */
  readonly backfillSeconds: number;
}

/**
 * Live ingest of `entries` through PutEvents, then a restart with `redefined` and its
 * backfill from the archive, on the same data directory and in the same run: the rate a
 * new definition catches up at against the rate its events came in.
 */
export async function backfillRate(
  config: NorthstarConfig,
  redefined: NorthstarConfig,
  entries: readonly PutEntry[],
  events: number,
  at: number,
): Promise<BackfillResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'northstar-bench-backfill-'));
  try {
    const live = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0, clock: () => at });
    const client = eventBridgeClient(live.url);
    const liveStarted = performance.now();
    await sendCalls(client, packCalls(entries));
    await live.drained();
    const liveSeconds = (performance.now() - liveStarted) / 1000;
    client.destroy();
    await live.stop();
    const again = await startRuntime({
      config: redefined,
      port: 0,
      dataDir,
      recomputeEveryMs: 0,
      clock: () => at,
    });
    // From the runtime's start on: DynamoDB Local's own start is not the backfill's.
    const backfillStarted = performance.now();
    await again.backfilled();
    const backfillSeconds = (performance.now() - backfillStarted) / 1000;
    await again.stop();
    return { events, liveSeconds, backfillSeconds };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** What the AWS cost model of a backfill takes from the run and the deployed settings. */
export interface BackfillCostInputs {
  /** Events per archived entry, and the archived bytes (uncompressed) per event. */
  readonly eventsPerEntry: number;
  readonly bytesPerEvent: number;
  /** Measured: partition step and worker milliseconds per event (DynamoDB Local: an upper bound for the worker). */
  readonly partitionMsPerEvent: number;
  readonly workerMsPerEvent: number;
  /** Measured live ingest milliseconds per event in the same run, for the live cost beside it. */
  readonly liveMsPerEvent: number;
}

/** Deployed settings (infra/backfill.ts, infra/event-archive.ts) and assumptions, stated with the figures. */
export const BACKFILL_MODEL = {
  partitions: 16,
  objectsPerBatch: 10,
  /** Firehose flushes at 64 MB or 5 minutes: a busy archive's objects are full. */
  objectBytes: 64 * 1024 * 1024,
  partitionMemoryGb: 1769 / 1024,
  workerMemoryGb: 1,
  /** A worker step runs up to its 5-minute timeout less the minute it keeps in reserve. */
  workerStepSeconds: 240,
  /** Transitions of one worker step in the inline map: the task and the choice. */
  transitionsPerWorkerStep: 2,
  /** Assumed from the ingest section's SQS-batches-of-100 rows: rounds of many entries, as a backfill's 250. */
  writeUnitsPerEvent: 0.44,
  readUnitsPerEvent: 0.2,
  /** Express children wait on the partition Lambda at the smallest memory step. */
  expressMemoryGb: 0.0625,
  /** Bucket keys: S3 asks KMS about once per hundred requests. */
  s3RequestsPerKmsRequest: 100,
  ingestMemoryGb: 0.5,
  ingestBatchSize: 10,
} as const;

export interface BackfillCost {
  readonly s3: number;
  readonly stepFunctions: number;
  readonly lambda: number;
  readonly dynamoDb: number;
  readonly kms: number;
  readonly total: number;
  /** Live ingest of the same events, as bench/cost.ts prices it (EventBridge, SQS, Lambda, DynamoDB). */
  readonly live: number;
  readonly objects: number;
  readonly childExecutions: number;
  readonly workerSteps: number;
}

/** Dollars to backfill a million archived events on AWS, at list prices, from the measured times. */
export function backfillCostPerMillion(inputs: BackfillCostInputs): BackfillCost {
  const m = BACKFILL_MODEL;
  const events = 1_000_000;
  const entries = events / inputs.eventsPerEntry;
  const objects = Math.max(1, Math.ceil((events * inputs.bytesPerEvent) / m.objectBytes));
  const childExecutions = Math.ceil(objects / m.objectsPerBatch);
  // One file per partition and batch (the step flushes at 64 MB buffered, about once per batch of full objects).
  const files =
    childExecutions * m.partitions * Math.ceil((m.objectsPerBatch * m.objectBytes) / (64 * 1024 * 1024));
  const workerSeconds = (events * inputs.workerMsPerEvent) / 1000;
  const workerSteps = Math.max(m.partitions, Math.ceil(workerSeconds / m.workerStepSeconds));
  const partitionSeconds = (events * inputs.partitionMsPerEvent) / 1000;
  const p = BACKFILL_PRICES;
  const gets = objects + files;
  const putsAndLists =
    files + Math.ceil(objects / 1000) + workerSteps * Math.ceil(files / m.partitions / 1000) + 2;
  const s3 = (gets / 1000) * p.s3PerThousandGets + (putsAndLists / 1000) * p.s3PerThousandPutsOrLists;
  const transitions = 8 + childExecutions + m.partitions * 2 + workerSteps * m.transitionsPerWorkerStep;
  const stepFunctions =
    (transitions / 1000) * p.stepFunctionsStandardPerThousandTransitions +
    (childExecutions / 1_000_000) * p.stepFunctionsExpressPerMillionRequests +
    (partitionSeconds + childExecutions * 0.1) * m.expressMemoryGb * p.stepFunctionsExpressPerGbSecond;
  const lambda =
    ((childExecutions + workerSteps + 1) / 1_000_000) * PRICES.lambdaPerMillionRequests +
    (partitionSeconds * m.partitionMemoryGb + workerSeconds * m.workerMemoryGb) * PRICES.lambdaArmPerGbSecond;
  const dynamoDb =
    m.writeUnitsPerEvent * PRICES.dynamoPerMillionWriteUnits +
    m.readUnitsPerEvent * PRICES.dynamoPerMillionReadUnits;
  const kms = ((gets + putsAndLists) / m.s3RequestsPerKmsRequest / 10_000) * p.kmsPerTenThousandRequests;
  const invocations = entries / m.ingestBatchSize;
  const live =
    (entries / 1_000_000) * PRICES.eventBridgePerMillionEntries +
    ((entries * (1 + 2 / m.ingestBatchSize)) / 1_000_000) * PRICES.sqsPerMillionRequests +
    (invocations / 1_000_000) * PRICES.lambdaPerMillionRequests +
    ((events * inputs.liveMsPerEvent) / 1000) * m.ingestMemoryGb * PRICES.lambdaArmPerGbSecond +
    dynamoDb;
  return {
    s3,
    stepFunctions,
    lambda,
    dynamoDb,
    kms,
    total: s3 + stepFunctions + lambda + dynamoDb + kms,
    live,
    objects,
    childExecutions,
    workerSteps,
  };
}

/**
 * The partition step's time per event, measured: the entries as Firehose archives them (gzip
 * NDJSON objects in a folder standing in for S3), split into 16 partitions.
 */
export async function partitionMsPerEvent(
  entries: readonly PutEntry[],
  events: number,
  at: number,
): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'northstar-bench-archive-'));
  try {
    const objects = folderArchiveObjects(root);
    const lines = entries.map(
      (entry) =>
        `{"arrivedAt":"${new Date(at).toISOString()}","event":${eventBridgeBody(entry.Source, entry.DetailType, JSON.parse(entry.Detail), at)}}`,
    );
    await objects.writeLines('events/arrived=2026-11-09/hour=00/bench.gz', lines);
    const started = performance.now();
    await partitionArchive(
      {
        generation: 1,
        run: 'bench',
        cut: at + 1,
        partitions: BACKFILL_MODEL.partitions,
        keys: ['events/arrived=2026-11-09/hour=00/bench.gz'],
      },
      { objects, runs: { addPartitioned: async () => {} } },
    );
    return (performance.now() - started) / events;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const dollars = (value: number) => `$${value.toFixed(3)}`;

/** The section's lines: the backfill on AWS per million archived events, beside live ingest of the same. */
export function backfillCostLines(cost: BackfillCost, inputs: BackfillCostInputs): string[] {
  const m = BACKFILL_MODEL;
  return [
    '',
    `### A backfill of a million archived events on AWS`,
    '',
    `List prices, us-east-1, as of ${BACKFILL_PRICES.date} (S3 GET $0.0004 and PUT/LIST $0.005 per 1,000; Step Functions $0.025 per 1,000 standard transitions, express $1.00 per million and $0.00001667 per GB-second; KMS $0.03 per 10,000) and those of the cost section. From this run: ${inputs.eventsPerEntry.toFixed(1)} events per archived entry, ${inputs.bytesPerEvent.toFixed(0)} archived bytes per event, the partition step ${inputs.partitionMsPerEvent.toFixed(3)} ms and the worker ${inputs.workerMsPerEvent.toFixed(2)} ms per event (the worker's on DynamoDB Local: an upper bound), live ingest ${inputs.liveMsPerEvent.toFixed(2)} ms per event. Assumed: ${m.partitions} partitions, ${m.objectsPerBatch} objects a batch, full 64 MB archive objects (${cost.objects} objects, ${cost.childExecutions} child executions), ${m.writeUnitsPerEvent} write and ${m.readUnitsPerEvent} read units per event (the ingest section's rows with large rounds), ${cost.workerSteps} worker steps of up to ${m.workerStepSeconds} s.`,
    '',
    '| S3 | Step Functions | Lambda | DynamoDB | KMS | backfill per million events | live ingest of the same, per million |',
    '|---|---|---|---|---|---|---|',
    `| ${dollars(cost.s3)} | ${dollars(cost.stepFunctions)} | ${dollars(cost.lambda)} | ${dollars(cost.dynamoDb)} | ${dollars(cost.kms)} | **${dollars(cost.total)}** | ${dollars(cost.live)} |`,
  ];
}
