import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { backfillScopes, scopesToCount, type VersionRegistry } from '../../domain/engine/versions.js';
import { NorthstarError } from '../../domain/errors.js';
import type { TrackingPlanSchemas } from '../../domain/events/tracking-plan.js';
import type { ArchiveObjects } from '../../ports/archive-objects.js';
import type { BackfillRuns } from '../../ports/backfill-runs.js';
import type { Clock } from '../../ports/clock.js';
import type { Stores } from '../../ports/stores.js';
import { backfillRecords } from '../ingest/backfill-records.js';
import type { ReceivedRecord } from '../ingest/ingest-records.js';
import { readPartitionLine } from './archive-records.js';
import { parsePartitionFileKey, partitionPrefix } from './partition-archive.js';

/** The last record counted, in the merged order (arrival, file, line), and what was counted up to it. */
export interface PartitionCursor {
  readonly arrivedAt: number;
  readonly file: string;
  readonly line: number;
  readonly events: number;
  readonly firstArrivedAt: number | null;
}

export interface CountPartitionInput {
  readonly generation: number;
  readonly run: string;
  readonly partition: number;
  readonly cursor?: PartitionCursor | null;
}

export interface CountPartitionResult extends CountPartitionInput {
  readonly cursor: PartitionCursor | null;
  /** Every file is counted, or the generation is no longer the next one (nothing left to do). */
  readonly done: boolean;
}

export interface CountPartitionDeps {
  readonly objects: Pick<ArchiveObjects, 'list' | 'readLines'>;
  readonly runs: Pick<BackfillRuns, 'recordProgress'>;
  readonly readRegistry: () => Promise<VersionRegistry | undefined>;
  /** A namespace's stores: its users, every other item shared. */
  readonly storesOf: (scope: string) => Stores;
  readonly schemas: (compiled: CompiledConfig) => TrackingPlanSchemas;
  readonly clock: Clock;
  /** Time left in this invocation: the step returns its cursor before it runs out. */
  readonly remainingMs: () => number;
  /** @default 60 s: one batch must fit in it */
  readonly reserveMs?: number;
  /** Entries per ingest round, as the local backfill takes them. @default 250 */
  readonly batchSize?: number;
}

export class BackfillStepError extends NorthstarError {
  override readonly name = 'BackfillStepError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('backfill_step_failed', message, options);
  }
}

interface OpenFile {
  readonly key: string;
  readonly records: ReceivedRecord[];
  next: number;
}

const before = (a: { arrivedAt: number; file: string; line: number }, b: PartitionCursor) =>
  a.arrivedAt !== b.arrivedAt
    ? a.arrivedAt < b.arrivedAt
    : a.file !== b.file
      ? a.file < b.file
      : a.line <= b.line;

/**
 * Reads a partition's files as one stream in arrival order: each file is sorted, and a file
 * is opened once the stream reaches the first arrival its name gives, so only files whose
 * ranges overlap are held at once. Records up to `cursor` are skipped.
 */
async function* mergedRecords(
  objects: CountPartitionDeps['objects'],
  prefix: string,
  cursor: PartitionCursor | null,
): AsyncGenerator<{ record: ReceivedRecord; file: string; line: number }> {
  const files = (await objects.list(prefix))
    .map((object) => ({ key: object.key, range: parsePartitionFileKey(object.key) }))
    .filter((file) => file.range !== undefined && (!cursor || file.range.last >= cursor.arrivedAt))
    .sort((a, b) => a.range!.first - b.range!.first || (a.key < b.key ? -1 : 1));
  const open: OpenFile[] = [];
  let unopened = 0;
  const head = (file: OpenFile) => file.records[file.next]!;
  const earliest = () =>
    open.reduce<OpenFile | undefined>((low, file) => {
      if (!low) return file;
      const [a, b] = [head(file), head(low)];
      return a.arrivedAt < b.arrivedAt || (a.arrivedAt === b.arrivedAt && file.key < low.key) ? file : low;
    }, undefined);
  for (;;) {
    let low = earliest();
    while (unopened < files.length && (!low || files[unopened]!.range!.first <= head(low).arrivedAt)) {
      const { key } = files[unopened++]!;
      const records = (await objects.readLines(key)).map(readPartitionLine);
      if (records.length > 0) open.push({ key, records, next: 0 });
      low = earliest();
    }
    if (!low) return;
    const line = low.next++;
    const record = low.records[line]!;
    if (low.next >= low.records.length) open.splice(open.indexOf(low), 1);
    if (cursor && before({ arrivedAt: record.arrivedAt, file: low.key, line }, cursor)) continue;
    yield { record, file: low.key, line };
  }
}

/**
 * One worker step of a backfill: counts a partition's records, in arrival order, into every
 * namespace the next generation fills, with the same ingest as live (judged as of each
 * batch's arrival), until the files end or the invocation's time runs short; then it records
 * its progress (one write) and returns its cursor, from which the next step goes on.
 */
export async function countPartition(
  input: CountPartitionInput,
  deps: CountPartitionDeps,
): Promise<CountPartitionResult> {
  const registry = await deps.readRegistry();
  // A later configuration replaced this generation: its backfill has nothing left to fill.
  if (registry?.next?.number !== input.generation)
    return { ...input, cursor: input.cursor ?? null, done: true };
  const counting = scopesToCount(registry);
  const scopes = [...backfillScopes(registry)].map((scope) => ({
    stores: deps.storesOf(scope),
    compiled: counting.get(scope)!,
  }));
  const batchSize = deps.batchSize ?? 250;
  const reserveMs = deps.reserveMs ?? 60_000;
  let cursor = input.cursor ?? null;
  let done = true;
  let batch: { record: ReceivedRecord; file: string; line: number }[] = [];
  const countBatch = async () => {
    const records = batch.map((entry) => entry.record);
    for (const { stores, compiled } of scopes) {
      const summary = await backfillRecords(records, {
        ...stores,
        compiled,
        schemas: deps.schemas(compiled),
        clock: deps.clock,
      });
      if (summary.failedMessageIds.length > 0)
        throw new BackfillStepError(
          `${summary.failedMessageIds.length} of ${records.length} entries could not be counted; the step is retried from its cursor`,
          { cause: summary.errors[0] },
        );
    }
    const last = batch[batch.length - 1]!;
    cursor = {
      arrivedAt: last.record.arrivedAt,
      file: last.file,
      line: last.line,
      events: (cursor?.events ?? 0) + records.length,
      firstArrivedAt: cursor?.firstArrivedAt ?? batch[0]!.record.arrivedAt,
    };
    batch = [];
  };
  for await (const entry of mergedRecords(
    deps.objects,
    partitionPrefix(input.run, input.partition),
    cursor,
  )) {
    batch.push(entry);
    if (batch.length < batchSize) continue;
    await countBatch();
    if (deps.remainingMs() < reserveMs) {
      done = false;
      break;
    }
  }
  if (done && batch.length > 0) await countBatch();
  const at: PartitionCursor | null = cursor;
  await deps.runs.recordProgress(input.generation, input.partition, {
    events: at?.events ?? 0,
    firstArrivedAt: at?.firstArrivedAt ?? null,
    reachedArrivedAt: at?.arrivedAt ?? null,
    done,
  });
  return { ...input, cursor: at, done };
}
