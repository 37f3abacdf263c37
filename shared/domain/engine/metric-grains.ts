import type { Grain, Metric, NorthstarConfig } from '../config/schema.js';

/** Days in a distinct-users metric's rolling window (`P7D` is 7); undefined without one. */
export function windowDays(metric: Metric): number | undefined {
  if (metric.kind !== 'distinct_users' || metric.window === undefined) return undefined;
  return Number(metric.window.slice(1, -1));
}

/**
 * Whether a metric has values at a grain: every kept grain, except that a rolling window
 * (and a ratio over one) is a day-grain series only, and a retention metric has values at
 * its own grain only, whatever other grains are kept.
 */
export function hasGrain(
  config: NorthstarConfig,
  metricId: string,
  grain: Grain,
  trail: string[] = [],
): boolean {
  const metric = config.metrics[metricId];
  if (!metric || trail.includes(metricId)) return true;
  if (windowDays(metric) !== undefined) return grain === 'day';
  // Cohorts are counted at the metric's own grain only.
  if (metric.kind === 'retention') return grain === metric.grain;
  if (metric.kind !== 'ratio') return true;
  const next = [...trail, metricId];
  return hasGrain(config, metric.numerator, grain, next) && hasGrain(config, metric.denominator, grain, next);
}
