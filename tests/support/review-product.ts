import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { batchEntry, type QueuedEntry, type TestEvent } from './entries.js';

/**
 * A product whose owners review it: growth reviews weekly sign-ups (split by method, with a
 * target) and its daily child each week; revenue reviews monthly sign-ups each month. Five
 * weeks of 40 sign-ups a day by each of two methods; in the last week Google sign-ups stop.
 */
export const reviewConfig = parseConfig(
  defineConfig({
    grains: ['day', 'week', 'month'],
    trackingPlan: {
      events: {
        signed_up: { properties: { method: { type: 'enum', values: ['email', 'google'], required: true } } },
      },
    },
    metrics: {
      weekly_signups: {
        kind: 'count',
        title: 'Weekly sign-ups',
        definition: 'Number of signed_up events in the ISO week, one per account created.',
        events: ['signed_up'],
        grain: 'week',
        cadence: 'weekly',
        breakdowns: ['method'],
        target: { value: 1000, by: '2027-03-31', direction: 'increase' },
        owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      },
      daily_signups: {
        kind: 'count',
        title: 'Daily sign-ups',
        definition: 'Number of signed_up events in the day, one per account created.',
        events: ['signed_up'],
        grain: 'day',
        cadence: 'weekly',
        parent: 'weekly_signups',
        owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      },
      monthly_signups: {
        kind: 'count',
        title: 'Monthly sign-ups',
        definition: 'Number of signed_up events in the calendar month, one per account created.',
        events: ['signed_up'],
        grain: 'month',
        cadence: 'monthly',
        guardrail: true,
        owner: { name: 'Revenue', contact: 'revenue@example.com', team: 'revenue' },
      },
    },
    breakdowns: { method: { title: 'Sign-up method', property: 'method' } },
    northStar: 'weekly_signups',
  }),
);

export const DAY = 86_400_000;
/** A Monday: day 28 starts the fifth ISO week, 2026-W44, whose review is due on Monday 2 November. */
export const FIRST_DAY = Date.parse('2026-09-28T00:00:00Z');
export const DAYS = 35;
export const LAST_WEEK_START = 28;

/** 40 email and 40 Google sign-ups a day; no Google ones from the last week on. */
export function reviewDayEvents(day: number): TestEvent[] {
  const events: TestEvent[] = [];
  const at = (i: number) => new Date(FIRST_DAY + day * DAY + 3_600_000 + i * 30_000).toISOString();
  for (const method of ['email', 'google'])
    for (let i = 0; i < 40; i++) {
      if (method === 'google' && day >= LAST_WEEK_START) continue;
      events.push({
        name: 'signed_up',
        eventId: `${method}-${day}-${i}`,
        userId: `${method}-${day}-${i}`,
        occurredAt: at(i),
        properties: { method },
      });
    }
  return events;
}

export function reviewEntries(events: TestEvent[], arrivedAt: number, prefix: string): QueuedEntry[] {
  const entries: QueuedEntry[] = [];
  for (let i = 0; i < events.length; i += 20)
    entries.push({ messageId: `${prefix}-${i}`, body: batchEntry(events.slice(i, i + 20)), arrivedAt });
  return entries;
}
