import { defineConfig } from '../../shared/domain/config/define.js';
import type { TestEvent } from './entries.js';

const growth = { name: 'Growth', contact: 'growth@example.com' };

/** A small product: visits, sign-ups and lessons; weekly learners is the north star. */
export const smallProductConfig = defineConfig({
  grains: ['day', 'week'],
  // Counts of a handful of users: judge them without counting noise.
  recompute: { countNoise: 0 },
  trackingPlan: { events: { visited: {}, signed_up: {}, lesson_completed: {} } },
  funnels: {
    activation: {
      title: 'Visit to first lesson',
      steps: [{ event: 'visited' }, { event: 'signed_up' }, { event: 'lesson_completed' }],
      window: 'P7D',
    },
  },
  journey: {
    stages: [
      { id: 'aware', title: 'Aware', events: ['visited'] },
      { id: 'registered', title: 'Registered', events: ['signed_up'] },
      { id: 'activated', title: 'Activated', events: ['lesson_completed'] },
    ],
  },
  metrics: {
    weekly_learners: {
      kind: 'distinct_users',
      title: 'Weekly learners',
      definition: 'Distinct users who completed a lesson in the ISO week.',
      events: ['lesson_completed'],
      grain: 'week',
      cadence: 'weekly',
      owner: growth,
    },
    weekly_visits: {
      kind: 'count',
      title: 'Weekly visits',
      definition: 'Visits in the ISO week.',
      events: ['visited'],
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      target: { value: 4, by: '2026-12-31', direction: 'increase' },
      owner: growth,
    },
    weekly_signups: {
      kind: 'count',
      title: 'Weekly sign-ups',
      definition: 'Sign-ups in the ISO week.',
      events: ['signed_up'],
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: { name: 'Onboarding', contact: 'onboarding@example.com' },
    },
    learner_rate: {
      kind: 'ratio',
      title: 'Learners per sign-up',
      definition: 'Weekly learners over weekly sign-ups.',
      numerator: 'weekly_learners',
      denominator: 'weekly_signups',
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: growth,
    },
  },
  northStar: 'weekly_learners',
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday of 2026-W40, the small product's first week. */
export const FIRST_MONDAY = Date.parse('2026-09-28T00:00:00Z');
/** W40..W44. */
export const WEEKS = 5;
export const wednesday = (week: number) => FIRST_MONDAY + week * 7 * DAY + 2 * DAY;
export const iso = (epochMs: number) => new Date(epochMs).toISOString();

/**
 * Each Wednesday: visitors u0..u3 (three in W40) visit at 09:00; u0 and u1 sign up at
 * 09:30 and complete a lesson at 10:00, except in the last week, where only u0 does:
 * weekly learners and sign-ups fall by half. With `lessonBeforeVisit`, u2 of W40 also
 * completes a lesson at 08:00, before visiting, and never signs up.
 */
export function smallProductWeek(week: number, options: { lessonBeforeVisit?: boolean } = {}): TestEvent[] {
  const day = wednesday(week);
  const event = (name: string, user: number, at: number): TestEvent => ({
    name,
    eventId: `${name}-${week}-${user}`,
    userId: `w${week}u${user}`,
    occurredAt: iso(day + at + user * MINUTE),
  });
  const events: TestEvent[] = [];
  for (let user = 0; user < (week === 0 ? 3 : 4); user++) events.push(event('visited', user, 9 * HOUR));
  for (let user = 0; user < (week === WEEKS - 1 ? 1 : 2); user++)
    events.push(event('signed_up', user, 9.5 * HOUR), event('lesson_completed', user, 10 * HOUR));
  if (week === 0 && options.lessonBeforeVisit) events.push(event('lesson_completed', 2, 8 * HOUR));
  return events;
}
