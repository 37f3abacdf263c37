import type { Grain } from '../domain/config/schema.js';
import type { Rollup } from '../domain/rollup.js';

/** What the recompute writes per metric version, grain and period, and what dashboards read. */
export interface Rollups {
  putRollup(rollup: Rollup): Promise<void>;
  /** Rollups of named periods of one metric version and grain, by period. */
  getRollups(defId: string, grain: Grain, periods: readonly string[]): Promise<Map<string, Rollup>>;
  /** A metric version's rollups for periods in [from, to] by key order, oldest first. */
  rollupRange(defId: string, grain: Grain, from: string, to: string): Promise<Rollup[]>;
  /** The first `count` rollups of a metric version and grain, oldest first. */
  earliestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]>;
  /** The latest `count` rollups of a metric version and grain, oldest first. */
  latestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]>;
}
