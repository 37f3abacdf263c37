import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Runtime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const DAY = 86_400_000;

/**
 * A product whose north star is week-1 retention (sign-ups of the week with a lesson in the
 * week after), beside a plain weekly count; weeks of events may arrive together, late.
 */
export const weekOneRetentionInput = defineConfig({
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
});

export const weekOneRetention = parseConfig(weekOneRetentionInput);

/** Monday of 2026-W40; the history's now is Wednesday of W44, so the cells of W43 and W44 are still open. */
export const FIRST_MONDAY = Date.parse('2026-09-28T00:00:00Z');
export const WEEK_ONE_NOW = FIRST_MONDAY + 4 * 7 * DAY + 2 * DAY + 12 * 3_600_000;

/** Four sign-ups a week; of each week's, users 0 and 1 come back the week after, user 0 also two weeks after. */
export function weekOneHistory(): { name: string; userId: string; at: number }[] {
  const events: { name: string; userId: string; at: number }[] = [];
  for (let week = 0; week < 4; week++) {
    const monday = FIRST_MONDAY + week * 7 * DAY;
    for (let user = 0; user < 4; user++) {
      const userId = `w${week}u${user}`;
      events.push({ name: 'signed_up', userId, at: monday + DAY + user * 60_000 });
      if (user < 2) events.push({ name: 'lesson', userId, at: monday + 8 * DAY });
      if (user === 0) events.push({ name: 'lesson', userId, at: monday + 15 * DAY });
    }
  }
  return events.filter((event) => event.at < WEEK_ONE_NOW);
}

/** Sends the history to a runtime whose clock is `WEEK_ONE_NOW`, then recomputes from the first week. */
export async function loadWeekOneHistory(runtime: Runtime): Promise<void> {
  const apps = eventBridgeClient(runtime.url);
  const entries = weekOneHistory().map((event, index) => ({
    Source: 'app.web',
    DetailType: event.name,
    Detail: JSON.stringify({
      eventId: `e${index}`,
      userId: event.userId,
      occurredAt: new Date(event.at).toISOString(),
    }),
  }));
  for (let at = 0; at < entries.length; at += 10)
    await apps.send(new PutEventsCommand({ Entries: entries.slice(at, at + 10) }));
  apps.destroy();
  await runtime.drained();
  await runtime.recomputeNow({ since: FIRST_MONDAY });
}
