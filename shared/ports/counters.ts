import type { Deltas } from '../domain/engine/deltas.js';

/** The period counters: summed round deltas per counter item (`<grain>#<period>`, `all`). */
export interface Counters {
  /** Adds a round's deltas to the counter items, at most once per round and item. */
  applyCounters(roundId: string, deltas: Deltas, now: number): Promise<void>;
  /** A counter item's fields, summed over its shards (fields at zero left out). */
  readCounters(item: string): Promise<Map<string, number>>;
}
