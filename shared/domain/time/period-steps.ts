import type { Grain } from '../config/schema.js';
import { periodBounds, periodKey } from './periods.js';

/**
 * Cached steps between periods for the per-event engines: periodBounds parses a key with
 * luxon, far slower than a lookup, and the same few periods come up for every event.
 */
const ends = new Map<string, number>();
const nexts = new Map<string, string>();
const MAX_CACHED_PERIODS = 50_000;

/** End (exclusive) of a period, as epoch milliseconds. */
export function periodEnd(period: string, grain: Grain, zone: string): number {
  const cacheKey = `${zone}|${grain}|${period}`;
  let end = ends.get(cacheKey);
  if (end === undefined) {
    if (ends.size >= MAX_CACHED_PERIODS) ends.clear();
    end = periodBounds(period, grain, zone).end;
    ends.set(cacheKey, end);
  }
  return end;
}

/** The period right after `period`. */
export function nextPeriod(period: string, grain: Grain, zone: string): string {
  const cacheKey = `${zone}|${grain}|${period}`;
  let next = nexts.get(cacheKey);
  if (next === undefined) {
    if (nexts.size >= MAX_CACHED_PERIODS) nexts.clear();
    next = periodKey(periodEnd(period, grain, zone), grain, zone);
    nexts.set(cacheKey, next);
  }
  return next;
}

/** The `count` periods after `period`, nearest first. */
export function periodsAfter(period: string, grain: Grain, zone: string, count: number): string[] {
  const after: string[] = [];
  for (let current = period; after.length < count; ) after.push((current = nextPeriod(current, grain, zone)));
  return after;
}
