/** Entries acknowledged by PutEvents and not yet ingested: the local runtime's queue. */
export interface IngestBacklog {
  readonly entries: number;
  /** Their size, as queued message bodies. */
  readonly bytes: number;
  /** When the oldest of them arrived; undefined when there are none. */
  readonly oldestArrivedAt: number | undefined;
}
