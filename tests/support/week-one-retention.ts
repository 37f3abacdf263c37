import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };

/**
 * A product whose north star is week-1 retention (sign-ups of the week with a lesson in the
 * week after), beside a plain weekly count; weeks of events may arrive together, late.
 */
export const weekOneRetention = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    maxLateness: 'P60D',
    trackingPlan: { events: { signed_up: {}, lesson: {} } },
    metrics: {
      week1: {
        kind: 'retention',
        title: 'Week-1 retention',
        definition: 'Of the week’s sign-ups, the share with a lesson in the week after.',
        start: { event: 'signed_up' },
        return: { event: 'lesson' },
        offset: 1,
        grain: 'week',
        cadence: 'weekly',
        owner,
      },
      signups: {
        kind: 'count',
        title: 'Sign-ups',
        definition: 'Sign-ups in the week.',
        events: ['signed_up'],
        grain: 'week',
        cadence: 'weekly',
        owner,
      },
    },
    northStar: 'week1',
  }),
);
