import { DateTime } from 'luxon';
import type { Cadence } from '../config/schema.js';
import { periodBounds, periodKey } from './periods.js';

/** The review period a cadence names, in the zone: `2026-11-25`, `2026-W48`, `2026-11` or `2026-Q4`. */
export function cadencePeriod(cadence: Cadence, at: number, zone: string): { key: string; start: number } {
  if (cadence === 'quarterly') {
    const local = DateTime.fromMillis(at, { zone }).startOf('quarter');
    return { key: `${local.year}-Q${local.quarter}`, start: local.toMillis() };
  }
  const grain = ({ daily: 'day', weekly: 'week', monthly: 'month' } as const)[cadence];
  const key = periodKey(at, grain, zone);
  return { key, start: periodBounds(key, grain, zone).start };
}
