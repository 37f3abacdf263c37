import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Grain, Target } from '../config/schema.js';
import { periodBounds } from '../time/periods.js';

export interface SettledValue {
  /** Period key of the metric's grain, e.g. `2026-11-25` or `2026-W48`. */
  readonly period: string;
  /** Start (inclusive) and end (exclusive), epoch milliseconds. */
  readonly start: number;
  readonly end: number;
  readonly value: number | null;
}

export interface TargetProgressInput {
  readonly target: Target;
  /** Settled periods of the metric's grain, oldest first. */
  readonly series: readonly SettledValue[];
  readonly now: number;
  readonly zone: string;
}

export const TargetState = z.enum(['on_track', 'at_risk', 'off_track', 'achieved', 'missed', 'no_data']);
export type TargetState = z.infer<typeof TargetState>;

const Value = z.number().nullable();

/** Where a key result stands; carried by rollups, alerts and the read API. */
export const TargetProgress = z.object({
  /** The first known value of the series. */
  baseline: Value,
  /** The last known value of the series. */
  current: Value,
  /** (current - baseline) / (target - baseline); may be negative or above 1. */
  progress: Value.describe('(current - baseline) / (target - baseline)'),
  /** Change still needed per whole period left until the end of the target day. */
  requiredPerPeriod: Value,
  /** The linear trend of the last known values, at the period that contains the target day. */
  projection: Value,
  state: TargetState,
});
export type TargetProgress = z.infer<typeof TargetProgress>;

/** Known values the trend is fitted to. */
const TREND_VALUES = 8;
/** Share of the needed change a projection must cover to be at risk rather than off track. */
const AT_RISK_SHARE = 0.9;

const PERIOD_FORMATS: readonly (readonly [Grain, RegExp])[] = [
  ['hour', /^\d{4}-\d{2}-\d{2}T\d{2}$/],
  ['day', /^\d{4}-\d{2}-\d{2}$/],
  ['week', /^\d{4}-W\d{2}$/],
  ['month', /^\d{4}-\d{2}$/],
];

function grainOf(period: string): Grain {
  const match = PERIOD_FORMATS.find(([, format]) => format.test(period));
  if (match === undefined) throw new RangeError(`"${period}" is not a period key`);
  return match[0];
}

/**
 * Periods of the grain from `from` to `to` (local period boundaries), as a fraction:
 * calendar days, ISO weeks and months in the zone; hours as elapsed time.
 */
function periodsBetween(from: number, to: number, grain: Grain, zone: string): number {
  const unit = `${grain}s` as const;
  return DateTime.fromMillis(to, { zone }).diff(DateTime.fromMillis(from, { zone }), unit).as(unit);
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Least-squares line through the points, evaluated at x. Needs two distinct x. */
function linearTrendAt(points: readonly Point[], x: number): number {
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.x - meanX) * (point.y - meanY);
    variance += (point.x - meanX) ** 2;
  }
  return meanY + (covariance / variance) * (x - meanX);
}

/** True when `value` is at or past the target in its good direction. */
function meetsTarget(value: number, target: Target): boolean {
  return target.direction === 'increase' ? value >= target.value : value <= target.value;
}

/**
 * Progress of a metric towards its target and whether its pace reaches it. Positions
 * are counted in periods of the series' grain from its last period, so a gap in the
 * series (a missing or null period) keeps the trend's spacing right.
 */
export function targetProgress(input: TargetProgressInput): TargetProgress {
  const { target, series, now, zone } = input;
  const last = series.at(-1);
  const known = series.filter((entry): entry is SettledValue & { value: number } => entry.value !== null);
  const baseline = known[0]?.value ?? null;
  const current = known.at(-1)?.value ?? null;
  if (last === undefined || baseline === null || current === null) {
    return { baseline, current, progress: null, requiredPerPeriod: null, projection: null, state: 'no_data' };
  }

  const grain = grainOf(last.period);
  const targetDayEnd = periodBounds(target.by, 'day', zone).end;
  const untilTargetDayEnd = periodsBetween(last.end, targetDayEnd, grain, zone);
  const remaining = Math.max(0, Math.floor(untilTargetDayEnd + 1e-9));
  const progress = target.value === baseline ? null : (current - baseline) / (target.value - baseline);
  const requiredPerPeriod = remaining === 0 ? null : (target.value - current) / remaining;

  const trend = known.slice(-TREND_VALUES).map((entry) => ({
    x: Math.round(periodsBetween(last.end, entry.end, grain, zone)),
    y: entry.value,
  }));
  // The period that holds the target day's last instant, counted from the last period.
  const targetPeriod = Math.ceil(untilTargetDayEnd - 1e-9) + 0;
  const projection = trend.length < 2 ? null : linearTrendAt(trend, targetPeriod);

  const result = { baseline, current, progress, requiredPerPeriod, projection };
  if (meetsTarget(current, target)) return { ...result, state: 'achieved' };
  if (now >= targetDayEnd) return { ...result, state: 'missed' };
  if (projection === null) return { ...result, state: 'no_data' };
  if (meetsTarget(projection, target)) return { ...result, state: 'on_track' };
  const coveredShare = (projection - current) / (target.value - current);
  return { ...result, state: coveredShare >= AT_RISK_SHARE ? 'at_risk' : 'off_track' };
}
