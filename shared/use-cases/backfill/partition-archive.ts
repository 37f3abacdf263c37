import { shortHash } from '../../domain/events/hash.js';
import type { ArchiveObjects } from '../../ports/archive-objects.js';
import type { BackfillRuns } from '../../ports/backfill-runs.js';
import { type PartitionRecord, partitionLine, partitionOf, recordsOfArchiveLine } from './archive-records.js';

/** Where a run's partitions are written: expired by the bucket's lifecycle rule for this prefix. */
export const BACKFILL_PREFIX = 'backfill/';
/**
 * Where history imports are kept (`history/<import id>/<part>.ndjson.gz`), in the archive's
 * line format, each event arriving when it happened; a backfill reads the finished ones.
 */
export const HISTORY_PREFIX = 'history/';
export const partitionPrefix = (run: string, partition: number) =>
  `${BACKFILL_PREFIX}${run}/p=${String(partition).padStart(3, '0')}/`;

const ms = (at: number) => String(at).padStart(13, '0');

/**
 * A partition file's key names the arrival range it holds, so that a worker merges its files
 * in arrival order and, resuming, skips those it counted: `<first>-<last>-<batch>-<n>.ndjson.gz`.
 */
export function partitionFileKey(
  run: string,
  partition: number,
  records: readonly PartitionRecord[],
  batch: string,
) {
  const first = records[0]!.arrivedAt;
  const last = records[records.length - 1]!.arrivedAt;
  return `${partitionPrefix(run, partition)}${ms(first)}-${ms(last)}-${batch}.ndjson.gz`;
}

export function parsePartitionFileKey(key: string): { first: number; last: number } | undefined {
  const match = /\/(\d{13})-(\d{13})-[^/]+\.ndjson\.gz$/.exec(key);
  return match ? { first: Number(match[1]), last: Number(match[2]) } : undefined;
}

/** The start of an archive object's arrival hour (`events/arrived=YYYY-MM-DD/hour=HH/`), if its key has one. */
export function arrivalHourOf(key: string): number | undefined {
  const match = /arrived=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(key);
  return match ? Date.parse(`${match[1]}T${match[2]}:00:00Z`) : undefined;
}

const HOUR_MS = 3_600_000;

export interface PartitionArchiveInput {
  readonly generation: number;
  readonly run: string;
  readonly cut: number;
  readonly partitions: number;
  /** Archive objects of one batch of the distributed map, in key order. */
  readonly keys: readonly string[];
  /** The finished history imports the run reads; other objects under `history/` are left alone. */
  readonly imports?: readonly string[];
}

export interface PartitionArchiveDeps {
  readonly objects: ArchiveObjects;
  readonly runs: Pick<BackfillRuns, 'addPartitioned'>;
  /** Buffered bytes of records that make the step write its partitions out. @default 64 MiB */
  readonly flushBytes?: number;
}

export interface PartitionArchiveSummary {
  readonly objects: number;
  readonly entries: number;
  readonly files: number;
}

/**
 * The partition step: splits each archive object's product events by (Source, userId) into
 * the run's partitions, each file sorted by arrival. Records that arrived after the cut are
 * left to live ingest. The same input writes the same files, so a retried step is harmless.
 */
export async function partitionArchive(
  input: PartitionArchiveInput,
  deps: PartitionArchiveDeps,
): Promise<PartitionArchiveSummary> {
  const flushBytes = deps.flushBytes ?? 64 * 1024 * 1024;
  const batch = shortHash(input.keys[0] ?? '', 6);
  const buffers = new Map<number, PartitionRecord[]>();
  let buffered = 0;
  let flushes = 0;
  let files = 0;
  let entries = 0;
  let objects = 0;
  const flush = async () => {
    const writes = [...buffers].map(([partition, records]) => {
      const sorted = records.sort((a, b) => a.arrivedAt - b.arrivedAt);
      return deps.objects.writeLines(
        partitionFileKey(input.run, partition, sorted, `${batch}-${flushes}`),
        sorted.map(partitionLine),
      );
    });
    await Promise.all(writes);
    files += writes.length;
    flushes++;
    buffers.clear();
    buffered = 0;
  };
  const imports = new Set(input.imports ?? []);
  for (const key of input.keys) {
    if (key.startsWith(HISTORY_PREFIX) && !imports.has(key.slice(HISTORY_PREFIX.length).split('/')[0]!))
      continue;
    // An object of an hour after the cut's holds only later arrivals (Firehose stamps objects after the bus).
    const hour = arrivalHourOf(key);
    if (hour !== undefined && hour > input.cut + HOUR_MS) continue;
    objects++;
    const lines = await deps.objects.readLines(key);
    for (const [index, line] of lines.entries()) {
      for (const record of recordsOfArchiveLine(line, `${key}#${index}`)) {
        if (record.arrivedAt > input.cut) continue;
        const partition = partitionOf(record.source, record.userId, input.partitions);
        const records = buffers.get(partition) ?? [];
        records.push(record);
        buffers.set(partition, records);
        buffered += record.body.length;
        entries++;
      }
    }
    if (buffered >= flushBytes) await flush();
  }
  if (buffers.size > 0) await flush();
  if (entries > 0) await deps.runs.addPartitioned(input.generation, entries);
  return { objects, entries, files };
}
