import type { MetricNode, PeriodValue } from '../api.js';

/** The last settled period of a series, and the one before it. */
export function settledPoints(points: readonly PeriodValue[]): {
  last?: PeriodValue;
  previous?: PeriodValue;
} {
  const settled = points.filter((point) => point.settled);
  return { last: settled.at(-1), previous: settled.at(-2) };
}

/**
 * A metric's colour: the status of its latest judged period. The period in progress is
 * not judged yet, so the last settled one speaks for it.
 */
export function metricStatus(metric: MetricNode, points: readonly PeriodValue[]): string {
  const latest = metric.latest;
  if (!latest) return 'no_data';
  if (latest.status !== 'open') return latest.status;
  return settledPoints(points).last?.status ?? 'learning';
}

/** Relative change between two values; null when it cannot be computed. */
export function relativeChange(
  current: number | null | undefined,
  before: number | null | undefined,
): number | null {
  if (current === null || current === undefined || before === null || before === undefined || before === 0)
    return null;
  return (current - before) / Math.abs(before);
}
