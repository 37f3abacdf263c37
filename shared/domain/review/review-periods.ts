import { DateTime } from 'luxon';
import type { Cadence, Grain } from '../config/schema.js';
import { periodBounds, periodKey } from '../time/periods.js';

/** One review period of a cadence: `2026-12-02`, `2026-W49`, `2026-12`, `2026-Q4`. */
export interface ReviewPeriod {
  readonly cadence: Cadence;
  readonly period: string;
  readonly start: number;
  readonly end: number;
}

const CADENCE_GRAIN: Record<Exclude<Cadence, 'quarterly'>, Grain> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
};

/** The grain a review of this cadence reads a metric at, when the metric is finer. */
export function reviewGrain(cadence: Cadence): Grain {
  return cadence === 'quarterly' ? 'month' : CADENCE_GRAIN[cadence];
}

/** The review period of a cadence that contains a time, in the configured time zone. */
export function reviewPeriodAt(cadence: Cadence, at: number, zone: string): ReviewPeriod {
  if (cadence === 'quarterly') {
    const start = DateTime.fromMillis(at, { zone }).startOf('quarter');
    return {
      cadence,
      period: `${start.year}-Q${start.quarter}`,
      start: start.toMillis(),
      end: start.plus({ months: 3 }).toMillis(),
    };
  }
  const grain = CADENCE_GRAIN[cadence];
  const period = periodKey(at, grain, zone);
  return { cadence, period, ...periodBounds(period, grain, zone) };
}

/**
 * The latest review period that is due at `at`: ended, plus the settle delay, so its last
 * periods are settled. The ISO week's review is due on the Monday after it.
 */
export function latestDueReview(
  cadence: Cadence,
  at: number,
  zone: string,
  settleDelayMs: number,
): ReviewPeriod {
  const current = reviewPeriodAt(cadence, at - settleDelayMs, zone);
  return reviewPeriodAt(cadence, current.start - 1, zone);
}

/** When a review period's digest is due. */
export function dueAt(review: ReviewPeriod, settleDelayMs: number): number {
  return review.end + settleDelayMs;
}
