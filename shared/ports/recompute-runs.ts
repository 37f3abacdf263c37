/** When the recompute last ran, and how far it judged: where the next run's work list starts. */
export interface RecomputeRuns {
  lastRunAt(): Promise<number | undefined>;
  /** Only moves forward: a slow run that finishes after a later one does not undo its progress. */
  setLastRunAt(at: number): Promise<void>;
  /**
   * The moment up to which the last run judged periods settled: its time, or earlier when
   * ingest had not caught up. Undefined before the first run that recorded it.
   */
  settledThrough(): Promise<number | undefined>;
  /** Only moves forward, as `setLastRunAt`. */
  setSettledThrough(at: number): Promise<void>;
}
