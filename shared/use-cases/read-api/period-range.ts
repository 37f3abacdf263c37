import type { Grain } from '../../domain/config/schema.js';
import { periodBounds, periodKey } from '../../domain/time/periods.js';
import { invalidParameter } from './api-error.js';

/** A time range of a request: `from` inclusive, `to` exclusive, epoch milliseconds. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

export interface RangePeriod {
  readonly period: string;
  readonly start: number;
  readonly end: number;
}

export interface RangeRequest {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly now: number;
}

/** `from` must come before `to`; the message says where `to` came from when it was not given. */
function checkOrder(request: RangeRequest, to: number): void {
  if (request.from !== undefined && request.from >= to)
    throw invalidParameter(
      'from',
      request.to === undefined ? 'must be earlier than now (to defaults to now)' : 'must be earlier than to',
    );
}

/** Start of the `count`th period back, counting the period that holds the last instant before `to`. */
export function startOfLastPeriods(to: number, grain: Grain, zone: string, count: number): number {
  let start = periodBounds(periodKey(to - 1, grain, zone), grain, zone).start;
  for (let back = 1; back < count; back++)
    start = periodBounds(periodKey(start - 1, grain, zone), grain, zone).start;
  return start;
}

/**
 * The range a request asks for. `to` defaults to now; `from` to the start of the last
 * `count` periods of the grain before `to` (the period in progress counts as one).
 */
export function periodRange(request: RangeRequest, grain: Grain, zone: string, count: number): TimeRange {
  const to = request.to ?? request.now;
  checkOrder(request, to);
  return { from: request.from ?? startOfLastPeriods(to, grain, zone, count), to };
}

/** The range a request asks for, with `from` defaulting to `span` milliseconds before `to`. */
export function instantRange(request: RangeRequest, span: number): TimeRange {
  const to = request.to ?? request.now;
  checkOrder(request, to);
  return { from: request.from ?? to - span, to };
}

const HOUR_MS = 3_600_000;
/** Typical lengths of the grains' periods, for a quick bound on a range before its periods are listed. */
const NOMINAL_MS: Readonly<Record<Grain, number>> = {
  hour: HOUR_MS,
  day: 24 * HOUR_MS,
  week: 7 * 24 * HOUR_MS,
  month: 30.44 * 24 * HOUR_MS,
};

const tooLong = (grain: Grain, limit: number) =>
  invalidParameter('from', `the range holds more than ${limit} ${grain} periods; ask for a shorter one`);

/**
 * Answers 400 on `from` when the range holds clearly more than `limit` periods, without
 * listing them (listing costs about a millisecond a period).
 */
export function checkRangeLength(range: TimeRange, grain: Grain, limit: number): void {
  if (range.to - range.from > (limit + 1) * NOMINAL_MS[grain]) throw tooLong(grain, limit);
}

/** The first and last keys of the periods that start in the range, or undefined when none does. */
export function periodKeysStartingIn(
  range: TimeRange,
  grain: Grain,
  zone: string,
): { first: string; last: string } | undefined {
  let first = periodKey(range.from, grain, zone);
  const { start, end } = periodBounds(first, grain, zone);
  if (start < range.from) first = periodKey(end, grain, zone);
  const last = periodKey(range.to - 1, grain, zone);
  return periodBounds(first, grain, zone).start < range.to ? { first, last } : undefined;
}

/**
 * The periods of a grain that start in the range, oldest first. A range of more than
 * `limit` periods answers 400 on `from`: each period costs a read.
 */
export function periodsStartingIn(
  range: TimeRange,
  grain: Grain,
  zone: string,
  limit: number,
): RangePeriod[] {
  checkRangeLength(range, grain, limit);
  const periods: RangePeriod[] = [];
  let period = periodKey(range.from, grain, zone);
  let bounds = periodBounds(period, grain, zone);
  if (bounds.start < range.from) {
    period = periodKey(bounds.end, grain, zone);
    bounds = periodBounds(period, grain, zone);
  }
  while (bounds.start < range.to) {
    if (periods.length === limit) throw tooLong(grain, limit);
    periods.push({ period, ...bounds });
    period = periodKey(bounds.end, grain, zone);
    bounds = periodBounds(period, grain, zone);
  }
  return periods;
}

export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();
