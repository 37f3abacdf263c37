/** When the recompute last ran: where the next run's work list starts. */
export interface RecomputeRuns {
  lastRunAt(): Promise<number | undefined>;
  /** Only moves forward: a slow run that finishes after a later one does not undo its progress. */
  setLastRunAt(at: number): Promise<void>;
}
