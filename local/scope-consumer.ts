import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DynamoStores } from '../shared/adapters/dynamodb/stores.js';
import { readTextIfExists } from '../shared/adapters/file/read-if-exists.js';
import { matchesPattern, productEventsPattern } from '../shared/domain/bus/rule-patterns.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import type { BackfillProgress } from '../shared/domain/engine/versions.js';
import type { TrackingPlanSchemas } from '../shared/domain/events/tracking-plan.js';
import type { Clock } from '../shared/ports/clock.js';
import { backfillRecords } from '../shared/use-cases/ingest/backfill-records.js';
import { recoverStaleRounds } from '../shared/use-cases/ingest/rounds.js';
import { type ArchivedLine, type EventArchive, readArchiveLine } from './event-archive.js';
import type { BusEvent } from './event-bus.js';
import { createIngestPump, type QueuedRecord } from './ingest-pump.js';
import { coalescedPosition, saveLogPosition } from './log-position.js';
import { type MergedFeeder, startMergedFeeder } from './merged-feeder.js';

/** The queue message of an archived product event, as the rule's SQS target would get it; undefined for others. */
export function logRecord(line: ArchivedLine): QueuedRecord | undefined {
  const archived = readArchiveLine(line.text);
  if (!archived) {
    console.error(`the archive line at byte ${line.at} cannot be read; it is skipped`);
    return undefined;
  }
  const event = archived.event as BusEvent;
  if (!matchesPattern(productEventsPattern, event)) return undefined;
  return { messageId: event.id, body: archived.eventJson, arrivedAt: archived.arrivedAt, logAt: line.at };
}

export interface ScopeConsumer {
  readonly scope: string;
  appended(lines: number): void;
  progress(): BackfillProgress;
  /** Confirmed archive offset: every archived entry before it is counted in this namespace. */
  confirmed(): number;
  stop(): Promise<void>;
}

export interface ScopeConsumerOptions {
  readonly scope: string;
  readonly archive: EventArchive;
  /** Imported history, in arrival order, read merged with the archive; closed when the consumer stops. */
  readonly history?: EventArchive;
  readonly dataDir: string;
  /** The namespace's stores: users of the namespace, every other item shared. */
  readonly stores: DynamoStores;
  /** What the namespace counts now; read per batch, so a switch of generations applies at once. */
  readonly compiled: () => CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly clock: Clock;
  /**
   * Entries per ingest invocation. History holds the same users batch after batch, so one
   * large invocation at a time counts fastest (live ingest's 4 x 50 would meet on them).
   * @default 250
   */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

/** A namespace's position file in the data directory: an offset in the history, then in the archive. */
export const scopePositionFile = (dataDir: string, scope: string) =>
  join(dataDir, `backfill-${scope}.position`);

async function readCursor(path: string): Promise<[number, number]> {
  const text = await readTextIfExists(path);
  if (text === undefined) return [0, 0];
  const [history, archive] = text.trim().split(',').map(Number);
  if (!Number.isSafeInteger(history) || !Number.isSafeInteger(archive))
    throw new Error(`${path} does not hold a backfill position (found "${text.slice(0, 40)}")`);
  return [history!, archive!];
}

/**
 * Counts the archive into one ingest namespace: a backfill of new definition versions. It
 * reads imported history and the archive from their start (or from where it stopped), in
 * arrival order, with the same ingest code as live ingest, each batch judged at its
 * entries' arrival, then follows the archive as it grows, so live traffic keeps reaching
 * the new versions. Quarantine, freshness and conflicts are live ingest's.
 */
export async function startScopeConsumer(options: ScopeConsumerOptions): Promise<ScopeConsumer> {
  const { scope, archive, stores, clock } = options;
  const history = options.history;
  const onError = options.onError ?? ((error: unknown) => console.error(`backfill ${scope}:`, error));
  const path = scopePositionFile(options.dataDir, scope);
  const saved = await readCursor(path);
  const from: [number, number] = [
    Math.min(saved[0], history?.size() ?? 0),
    Math.min(saved[1], archive.size()),
  ];
  const total = (cursor: readonly number[]) => cursor[0]! + cursor[1]!;
  await saveLogPosition(path, from.join(','));
  const position = coalescedPosition<readonly number[]>(
    path,
    from,
    total,
    (cursor) => cursor.join(','),
    onError,
  );
  let confirmed: readonly number[] = from;
  let events = 0;
  let reachedArrivedAt: number | null = null;
  const startedWall = Date.now();
  const arrivals = new Map<number, number>();
  // Rounds a stopped runtime left open in this namespace are finished before it goes on.
  await recoverStaleRounds({ ...stores, compiled: options.compiled(), clock }, 7 * 86_400_000, 0);

  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records = event.Records.map((record) => ({
      messageId: record.messageId,
      body: record.body,
      arrivedAt: Number(record.attributes.SentTimestamp),
    }));
    const summary = await backfillRecords(records, {
      ...stores,
      compiled: options.compiled(),
      schemas: options.schemas,
      clock,
    });
    for (const error of summary.errors) onError(error);
    events += records.length - summary.failedMessageIds.length;
    return { batchItemFailures: summary.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  };
  let feeder: MergedFeeder | undefined;
  const pump = createIngestPump({
    handler,
    deadLetters: stores.deadLetters,
    clock,
    batchSize: options.batchSize ?? 250,
    batchingWindowMs: 0,
    workers: 1,
    maxReceives: 5,
    lastError: () => `backfill ${scope} could not count the entry`,
    onError,
    onConfirmed: (at) => {
      feeder?.confirmed(at);
      for (const [sequence, arrivedAt] of arrivals) {
        if (sequence >= at) continue;
        reachedArrivedAt = Math.max(reachedArrivedAt ?? arrivedAt, arrivedAt);
        arrivals.delete(sequence);
      }
    },
  });
  feeder = startMergedFeeder({
    logs: history ? [history, archive] : [emptyLog, archive],
    from,
    pump,
    toRecord: (line) => logRecord(line),
    onRecord: (sequence, record) => arrivals.set(sequence, record.arrivedAt),
    onConfirmed: (cursor) => {
      confirmed = cursor;
      position.advance(cursor);
    },
    onError,
  });
  const sizes = () => (history?.size() ?? 0) + archive.size();
  return {
    scope,
    appended: () => feeder?.appended(),
    confirmed: () => (confirmed[0]! >= (history?.size() ?? 0) ? confirmed[1]! : -1),
    progress() {
      const seconds = Math.max((Date.now() - startedWall) / 1000, 0.001);
      const size = sizes();
      return {
        scope,
        events,
        position: total(confirmed),
        size,
        reachedArrivedAt,
        rate: events / seconds,
        bytesRate: (total(confirmed) - total(from)) / seconds,
        caughtUp: total(confirmed) >= size,
      };
    },
    async stop() {
      await Promise.all([feeder?.stop(), pump.stop()]);
      await position.flush();
      await history?.close();
    },
  };
}

/** No imported history: a log that stays empty. */
const emptyLog: EventArchive = {
  size: () => 0,
  read: async (from: number) => ({ lines: [], next: from }),
  append: async () => 0,
  close: async () => {},
};
