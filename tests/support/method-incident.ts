import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type { TestEvent } from './entries.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };

/** Daily sign-ups split by method and platform. */
export const methodIncidentConfig = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    trackingPlan: {
      events: {
        signed_up: { properties: { method: { type: 'enum', values: ['email', 'google', 'apple'] } } },
      },
    },
    breakdowns: {
      method: { title: 'Sign-up method', property: 'method' },
      platform: { title: 'Platform', context: 'platform', values: ['web', 'ios'] },
    },
    metrics: {
      signups: {
        kind: 'count',
        title: 'Daily sign-ups',
        definition: 'Sign-ups in the day.',
        events: ['signed_up'],
        breakdowns: ['method', 'platform'],
        grain: 'day',
        cadence: 'daily',
        owner,
      },
    },
    northStar: 'signups',
  }),
);

const DAY = 86_400_000;
/** Five Mondays: four steady ones, then one on which sign-ups with Apple fall by 90%. */
export const MONDAYS = [0, 1, 2, 3, 4].map((week) => Date.parse('2026-10-19T00:00:00Z') + week * 7 * DAY);
export const LAST_MONDAY = MONDAYS.at(-1)!;
/** Tuesday 02:00 after the last Monday: it has settled. */
export const INCIDENT_NOW = LAST_MONDAY + DAY + 2 * 3_600_000;

/** One Monday's sign-ups from 09:00, a minute apart per method; every method's users alike on both platforms. */
export function mondaySignups(week: number): TestEvent[] {
  const monday = MONDAYS[week]!;
  const counts = { email: 200 + week, google: 50, apple: monday === LAST_MONDAY ? 10 : 100 - week };
  return Object.entries(counts).flatMap(([method, count]) =>
    Array.from({ length: count }, (_, n) => ({
      name: 'signed_up',
      eventId: `${week}-${method}-${n}`,
      userId: `u-${week}-${method}-${n}`,
      occurredAt: new Date(monday + 9 * 3_600_000 + n * 60_000).toISOString(),
      properties: { method },
      context: { platform: n % 2 === 0 ? 'web' : 'ios' },
    })),
  );
}
