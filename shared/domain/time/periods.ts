import { DateTime, Duration } from 'luxon';
import type { Grain } from '../config/schema.js';

/**
 * Period keys name a bucket in the configured time zone:
 * hour `2026-11-25T13`, day `2026-11-25`, ISO week `2026-W48` (Monday start), month `2026-11`.
 */
export function periodKey(epochMs: number, grain: Grain, zone: string): string {
  const local = DateTime.fromMillis(epochMs, { zone });
  switch (grain) {
    case 'hour':
      return local.toFormat("yyyy-MM-dd'T'HH");
    case 'day':
      return local.toFormat('yyyy-MM-dd');
    case 'week':
      return local.toFormat("kkkk-'W'WW");
    case 'month':
      return local.toFormat('yyyy-MM');
  }
}

function parsePeriod(key: string, grain: Grain, zone: string): DateTime {
  const opts = { zone };
  const parsed =
    grain === 'hour'
      ? DateTime.fromFormat(key, "yyyy-MM-dd'T'HH", opts)
      : grain === 'day'
        ? DateTime.fromFormat(key, 'yyyy-MM-dd', opts)
        : grain === 'week'
          ? DateTime.fromFormat(key, "kkkk-'W'WW", opts)
          : DateTime.fromFormat(key, 'yyyy-MM', opts);
  if (!parsed.isValid) throw new RangeError(`"${key}" is not a ${grain} period`);
  return parsed;
}

const HOUR_MS = 3_600_000;

/** The first instant of a period. Where a clock goes back, the repeated hour's first pass counts. */
function periodStart(key: string, grain: Grain, zone: string): number {
  let start = parsePeriod(key, grain, zone)
    .startOf(grain === 'week' ? 'week' : grain)
    .toMillis();
  while (periodKey(start - HOUR_MS, grain, zone) === key) start -= HOUR_MS;
  return start;
}

/** Start (inclusive) and end (exclusive) of a period, as epoch milliseconds. */
export function periodBounds(key: string, grain: Grain, zone: string): { start: number; end: number } {
  let naiveNext = parsePeriod(key, grain, zone)
    .startOf(grain === 'week' ? 'week' : grain)
    .plus({ [`${grain}s`]: 1 })
    .toMillis();
  // From the first pass of a repeated hour, one hour on is its second pass: the same key.
  while (periodKey(naiveNext, grain, zone) === key) naiveNext += HOUR_MS;
  return {
    start: periodStart(key, grain, zone),
    end: periodStart(periodKey(naiveNext, grain, zone), grain, zone),
  };
}

export function durationMs(iso: string): number {
  const duration = Duration.fromISO(iso);
  if (!duration.isValid) throw new RangeError(`"${iso}" is not an ISO 8601 duration`);
  return duration.toMillis();
}

/** `start + duration` in the time zone, so `P1D` across a DST change is one calendar day. */
export function addDuration(epochMs: number, iso: string, zone: string): number {
  return DateTime.fromMillis(epochMs, { zone }).plus(Duration.fromISO(iso)).toMillis();
}
