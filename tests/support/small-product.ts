import { defineConfig } from '../../shared/config/define.js';

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
