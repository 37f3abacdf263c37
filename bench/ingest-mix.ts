import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent } from 'aws-lambda';
import { createIngestHandler } from '../functions/ingest/handler.js';
import { deliverToHandler } from '../local/local-queue.js';
import { ensureTable } from '../shared/adapters/dynamodb/table.js';
import { dynamoClient } from '../shared/compose/clients.js';
import { composePipeline } from '../shared/compose/pipeline.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import type { IngestSummary, ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { measureCapacity } from './capacity.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface MixResult {
  readonly label: string;
  readonly events: number;
  readonly entries: number;
  readonly batchSize: number;
  readonly eventsPerSecond: number;
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  readonly lowerBoundPerEvent: number;
  /** Items written per event: single-item write calls plus items of batch writes. */
  readonly writeCallsPerEvent: number;
  /** Write units per event by item type (U user, C counters, R rounds, DIRTY, Q quarantine). */
  readonly byItemType: Record<string, number>;
  readonly invocations: number;
  /** Mean time inside the handler per invocation, in ms. */
  readonly handlerMs: number;
  /** SQS ReceiveMessage requests as billed: per call of up to 10 messages, per 64 KB of it. */
  readonly sqsReceiveRequests: number;
  /** DeleteMessageBatch calls: one per 10 messages. */
  readonly sqsDeleteRequests: number;
  /** SendMessage requests EventBridge makes: one per entry and 64 KB. */
  readonly sqsSendRequests: number;
}

export interface MixSetup {
  readonly config: NorthstarConfig;
  readonly compiled: CompiledConfig;
  readonly endpoint: string;
  readonly tableName: string;
}

const chunks64k = (bytes: number) => Math.max(1, Math.ceil(bytes / 65_536));

/**
 * The real ingest handler on a stream of queue records, 4 invocations at once, the clock at
 * the end of each day sent. Units come from DynamoDB's own `ConsumedCapacity`.
 */
export async function ingestMix(
  setup: MixSetup,
  label: string,
  records: readonly ReceivedRecord[],
  events: number,
  batchSize: number,
): Promise<MixResult> {
  const client = dynamoClient(setup.endpoint);
  const capacity = measureCapacity(client);
  await ensureTable(client, setup.tableName);
  let now = 0;
  // As the deployed handler, which records freshness once per batch: its write counts too.
  const deps = composePipeline({
    config: setup.config,
    client,
    tableName: setup.tableName,
    clock: () => now,
  }).ingest;
  let accepted = 0;
  const inner = createIngestHandler(() => deps, {
    logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }),
    metrics: new Metrics({ namespace: 'Northstar', serviceName: 'bench' }),
    onSummary: (summary: IngestSummary) => {
      accepted += summary.accepted;
    },
  });
  let invocations = 0;
  let handlerMs = 0;
  let sqsReceiveRequests = 0;
  let sqsDeleteRequests = 0;
  const handler = async (event: SQSEvent, context: Context) => {
    for (let start = 0; start < event.Records.length; start += 10) {
      const call = event.Records.slice(start, start + 10);
      sqsReceiveRequests += chunks64k(call.reduce((sum, record) => sum + Buffer.byteLength(record.body), 0));
      sqsDeleteRequests++;
    }
    const started = performance.now();
    const response = await inner(event, context);
    handlerMs += performance.now() - started;
    invocations++;
    return response;
  };
  const byDay = new Map<number, ReceivedRecord[]>();
  for (const record of records) {
    const day = Math.floor(record.arrivedAt / DAY);
    const list = byDay.get(day) ?? [];
    list.push(record);
    byDay.set(day, list);
  }
  const started = performance.now();
  for (const [day, dayRecords] of [...byDay].sort(([a], [b]) => a - b)) {
    now = (day + 1) * DAY + HOUR;
    const givenUp = await deliverToHandler(handler, dayRecords, { batchSize, workers: 4 });
    if (givenUp.length > 0) throw new Error(`${label}: ${givenUp.length} messages failed`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (accepted !== events) throw new Error(`${label}: accepted ${accepted} of ${events} events`);
  client.destroy();
  const mustWrite = (capacity.writesByItemType.U ?? 0) + (capacity.writesByItemType.C ?? 0);
  return {
    label,
    events,
    entries: records.length,
    batchSize,
    eventsPerSecond: events / seconds,
    writeUnitsPerEvent: capacity.writeUnits / events,
    readUnitsPerEvent: capacity.readUnits / events,
    lowerBoundPerEvent: mustWrite / events,
    writeCallsPerEvent: capacity.writeCalls / events,
    byItemType: Object.fromEntries(
      Object.entries(capacity.writesByItemType).map(([type, units]) => [type, units / events]),
    ),
    invocations,
    handlerMs: handlerMs / invocations,
    sqsReceiveRequests,
    sqsDeleteRequests,
    sqsSendRequests: records.reduce((sum, record) => sum + chunks64k(Buffer.byteLength(record.body)), 0),
  };
}
