/** Which counter items (`<grain>#<period>`) changed: the recompute's work list. */
export interface DirtyPeriods {
  /** Records the items a round (or a range recompute) touched, under the minute `at`. */
  markDirty(roundId: string, at: number, entries: readonly string[]): Promise<void>;
  /** Items marked dirty under minutes between two times. */
  listDirty(from: number, to: number): Promise<Set<string>>;
}
