import type { Grain } from './config/schema.js';
import type { LevelShift } from './engine/detector.js';
import type { TargetProgress } from './engine/target-pace.js';

/** What the recompute writes for one metric version, grain and period; dashboards read these. */
export interface Rollup {
  readonly metricId: string;
  readonly defId: string;
  readonly grain: Grain;
  readonly period: string;
  readonly start: number;
  readonly end: number;
  readonly value: number | null;
  readonly expected: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  /** `open` until the period is settled; then learning, normal, deviating or no_data. */
  readonly status: 'open' | 'learning' | 'normal' | 'deviating' | 'no_data';
  readonly relativeDeviation: number | null;
  readonly severity: 'warning' | 'critical' | null;
  readonly settled: boolean;
  /** For the open period: the value at the same pace until its end. */
  readonly projection: number | null;
  /** At the metric's own grain, for metrics with a target. */
  readonly target?: TargetProgress;
  /** Labels of the holidays and annotations that cover the period: left out of later history. */
  readonly marks?: readonly string[];
  /** Level shifts in effect for the periods that follow (SEMANTICS.md section 12). */
  readonly level?: readonly LevelShift[];
  /** This period completed a run of deviations on one side: a level shift. */
  readonly shift?: boolean;
  /** One value's series of a breakdown of the metric (SEMANTICS.md section 11). */
  readonly series?: { readonly by: string; readonly value: string };
  readonly updatedAt: number;
}
