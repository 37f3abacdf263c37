import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DynamoStores } from '../shared/adapters/dynamodb/stores.js';
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
import { type LogFeeder, startLogFeeder } from './log-feeder.js';
import { logPosition, readLogPosition, saveLogPosition } from './log-position.js';

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
  /** Confirmed position: everything before it is counted in this namespace. */
  confirmed(): number;
  /** Waits until every line appended before the call is counted here. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export interface ScopeConsumerOptions {
  readonly scope: string;
  readonly archive: EventArchive;
  readonly dataDir: string;
  /** The namespace's stores: users of the namespace, every other item shared. */
  readonly stores: DynamoStores;
  /** What the namespace counts now; read per batch, so a switch of generations applies at once. */
  readonly compiled: () => CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly onError?: (error: unknown) => void;
}

/** A namespace's position file in the data directory. */
export const scopePositionFile = (dataDir: string, scope: string) =>
  join(dataDir, `backfill-${scope}.position`);

/**
 * Counts the archive into one ingest namespace: a backfill of new definition versions. It
 * reads the archive from its start (or from where it stopped) with the same ingest code as
 * live ingest, each batch judged at its entries' arrival, then follows the archive as it
 * grows, so live traffic keeps reaching the new versions. Quarantine, freshness and
 * conflicts are live ingest's: what it rejects here was rejected there already.
 */
export async function startScopeConsumer(options: ScopeConsumerOptions): Promise<ScopeConsumer> {
  const { scope, archive, stores, clock } = options;
  const onError = options.onError ?? ((error: unknown) => console.error(`backfill ${scope}:`, error));
  const path = scopePositionFile(options.dataDir, scope);
  const from = Math.min((await readLogPosition(path)) ?? 0, archive.size());
  await saveLogPosition(path, from);
  const position = logPosition(path, from, onError);
  let confirmed = from;
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
  const pump = createIngestPump({
    handler,
    deadLetters: stores.deadLetters,
    clock,
    batchSize: options.batchSize,
    batchingWindowMs: 0,
    maxReceives: 5,
    lastError: () => `backfill ${scope} could not count the entry`,
    onError,
    onConfirmed: (at) => {
      confirmed = at;
      position.advance(at);
      for (const [logAt, arrivedAt] of arrivals) {
        if (logAt >= at) continue;
        reachedArrivedAt = Math.max(reachedArrivedAt ?? arrivedAt, arrivedAt);
        arrivals.delete(logAt);
      }
    },
  });
  const feeder: LogFeeder = startLogFeeder({
    archive,
    from,
    pump,
    toRecord: (line) => {
      const record = logRecord(line);
      if (record?.logAt !== undefined) arrivals.set(record.logAt, record.arrivedAt);
      return record;
    },
    onError,
  });
  return {
    scope,
    appended: (lines) => feeder.appended(lines),
    confirmed: () => confirmed,
    progress() {
      const seconds = Math.max((Date.now() - startedWall) / 1000, 0.001);
      const size = archive.size();
      return {
        scope,
        events,
        position: confirmed,
        size,
        reachedArrivedAt,
        rate: events / seconds,
        bytesRate: (confirmed - from) / seconds,
        caughtUp: confirmed >= size,
      };
    },
    async drained() {
      for (;;) {
        await feeder.readUp();
        await pump.drained();
        if (feeder.unread().entries === 0 && pump.backlog().entries === 0) return;
      }
    },
    async stop() {
      await Promise.all([feeder.stop(), pump.stop()]);
      await position.flush();
    },
  };
}
