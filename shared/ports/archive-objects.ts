/** One object of the archive bucket (or of a backfill's partitions), as a listing gives it. */
export interface ArchiveObject {
  readonly key: string;
  readonly size: number;
}

/**
 * The S3 side of a backfill: the archive's objects (gzip NDJSON, as Amazon Data Firehose
 * writes them) and the partitions a backfill writes back beside them.
 */
export interface ArchiveObjects {
  /** Every object under `prefix`, in key order (what ListObjectsV2 returns). */
  list(prefix: string): Promise<ArchiveObject[]>;
  /** The object's lines, gunzipped when it is gzip; blank lines left out. */
  readLines(key: string): Promise<string[]>;
  /** Writes the lines as one gzip object, replacing any of that key: a retried step writes the same. */
  writeLines(key: string, lines: readonly string[]): Promise<void>;
}
