import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { batchEntry, type QueuedEntry, type TestEvent } from './entries.js';

/**
 * A product with a daily activity north star and two children (sign-ups, lesson starts),
 * and days of steady traffic: the history the recompute's tests learn bands from.
 */
const owner = { name: 'Growth', contact: 'growth@example.com' };
export const config = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    trackingPlan: { events: { signed_up: {}, lesson_started: {} } },
    metrics: {
      daily_activity: {
        kind: 'count',
        title: 'Daily activity',
        definition: 'Sign-ups and lesson starts in the day.',
        events: ['signed_up', 'lesson_started'],
        grain: 'day',
        cadence: 'daily',
        owner,
      },
      daily_signups: {
        kind: 'count',
        title: 'Daily sign-ups',
        definition: 'Sign-ups in the day.',
        events: ['signed_up'],
        grain: 'day',
        cadence: 'daily',
        parent: 'daily_activity',
        owner,
      },
      daily_lessons: {
        kind: 'count',
        title: 'Daily lesson starts',
        definition: 'Lesson starts in the day.',
        events: ['lesson_started'],
        grain: 'day',
        cadence: 'daily',
        parent: 'daily_activity',
        owner: { name: 'Courses', contact: 'courses@example.com' },
      },
    },
    northStar: 'daily_activity',
  }),
);
export const DAY = 86_400_000;
export const FIRST_DAY = Date.parse('2026-09-28T00:00:00Z'); // a Monday
export const DAYS = 36;
export const INCIDENT = DAYS - 1;
export const settledAfter = (day: number) => FIRST_DAY + (day + 1) * DAY + 61 * 60_000;

/** 20 sign-ups and 20 lesson starts a day, each wobbling within 5%; none on the incident day. */
export function dayEvents(day: number, scale = 1, signups = true): TestEvent[] {
  const wobble = [0, 1, -1, 1, 0, -1, 1][day % 7]!;
  const events: TestEvent[] = [];
  const at = (i: number) => new Date(FIRST_DAY + day * DAY + 3_600_000 + i * 60_000).toISOString();
  for (let i = 0; i < (20 + wobble) * scale; i++) {
    if (signups)
      events.push({
        name: 'signed_up',
        eventId: `s-${day}-${i}`,
        userId: `u-${day}-${i}`,
        occurredAt: at(i),
      });
    events.push({
      name: 'lesson_started',
      eventId: `l-${day}-${i}`,
      userId: `u-${day}-${i}`,
      occurredAt: at(i),
    });
  }
  return events;
}

export function entriesOf(events: TestEvent[], arrivedAt: number, prefix: string): QueuedEntry[] {
  const entries: QueuedEntry[] = [];
  for (let i = 0; i < events.length; i += 20)
    entries.push({ messageId: `${prefix}-${i}`, body: batchEntry(events.slice(i, i + 20)), arrivedAt });
  return entries;
}
