import type { AcceptedEventTimes, IngestFreshness } from '../domain/freshness.js';

/** The latest accepted event, moved forward once per ingest batch: the dashboard's freshness. */
export interface Freshness {
  recordAccepted(accepted: readonly AcceptedEventTimes[], committedAt: number): Promise<void>;
  /** Undefined before ingest accepted any event. */
  readLatest(): Promise<IngestFreshness | undefined>;
}
