import { describe, expect, test } from 'vitest';
import demo from '../../../config/demo.config.js';
import { type DemoEvent, demoTraffic, malformedDemoEntries } from '../../../local/demo-traffic.js';
import { parseConfig } from '../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../shared/domain/engine/compiled-config.js';
import { parseEntry, trackingPlanSchemas } from '../../../shared/domain/events/tracking-plan.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** A Monday. */
const MONDAY = Date.parse('2026-10-05T00:00:00Z');
const config = parseConfig(structuredClone(demo));
const schemas = trackingPlanSchemas(config);

/** Eight weeks of the default demo (seed 42), generated once for the tests that only read it. */
let history: DemoEvent[] | undefined;
function eightWeeks(): DemoEvent[] {
  history ??= demoTraffic({ seed: 42 }).between(MONDAY - 3 * WEEK, MONDAY + 5 * WEEK);
  return history;
}

const at = (event: DemoEvent) => Date.parse(event.occurredAt);
const dayOf = (event: DemoEvent) => event.occurredAt.slice(0, 10);

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Distinct users with a page_viewed event, per UTC day. */
function visitorsPerDay(events: readonly DemoEvent[]): Map<string, number> {
  const users = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.name !== 'page_viewed') continue;
    const day = users.get(dayOf(event)) ?? new Set<string>();
    users.set(dayOf(event), day.add(event.userId));
  }
  return new Map([...users].map(([day, set]) => [day, set.size]));
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('demoTraffic', () => {
  test('It should give the same events for the same seed and different events for another seed', () => {
    // Prepare
    const from = MONDAY + 2 * DAY + 6 * HOUR;
    const to = from + 12 * HOUR;
    const inRange = (event: DemoEvent) => at(event) >= from && at(event) < to;

    // Act
    const again = demoTraffic({ seed: 42 }).between(from, to);
    const other = demoTraffic({ seed: 43 }).between(from, to);

    // Assess
    expect(again.length).toBeGreaterThan(500);
    expect(again).toEqual(eightWeeks().filter(inRange));
    expect(other).not.toEqual(again);
    const ids = new Set(again.map((event) => event.eventId));
    expect(other.some((event) => ids.has(event.eventId))).toBe(false);
  });

  test('It should return consecutive ranges that add up exactly, wherever they are cut', () => {
    // Prepare: cuts through days, hours and milliseconds; the whole ranges come from a separate instance.
    const live = demoTraffic({ seed: 42 });
    const cuts = [
      [MONDAY + 3 * HOUR + 17_000, MONDAY + DAY + 11 * HOUR + 1, MONDAY + 3 * DAY + 5 * HOUR + 42_123],
      [MONDAY - 2 * DAY, MONDAY, MONDAY + 2 * DAY],
      [MONDAY + 19 * HOUR + 59 * 60_000, MONDAY + 20 * HOUR, MONDAY + 20 * HOUR + 1],
      [MONDAY + DAY + 1, MONDAY + DAY + 1, MONDAY + DAY + 2],
    ] as const;

    for (const [a, b, c] of cuts) {
      // Act
      const split = [...live.between(a, b), ...live.between(b, c)];
      const whole = eightWeeks().filter((event) => at(event) >= a && at(event) < c);

      // Assess
      expect(split).toEqual(whole);
    }
    expect(live.between(MONDAY + DAY, MONDAY)).toEqual([]);
  });

  test('It should return events sorted by occurredAt with unique eventIds', () => {
    // Act
    const events = eightWeeks();

    // Assess
    const times = events.map(at);
    expect(times.every((time, index) => index === 0 || time >= times[index - 1]!)).toBe(true);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
  });

  test('It should only send events that the demo tracking plan accepts', () => {
    // Prepare
    const events = eightWeeks().filter((event) => at(event) >= MONDAY && at(event) < MONDAY + WEEK);
    const sources = new Set(['app.web', 'app.ios', 'app.android']);

    // Act
    const invalid = events.flatMap(({ name, eventId, userId, occurredAt, properties, source }) => {
      const parsed = schemas.get(name)?.safeParse({ eventId, userId, occurredAt, properties });
      if (!parsed?.success) return [`${name} ${eventId}: ${parsed?.error.message ?? 'not in the plan'}`];
      if (!occurredAt.endsWith('Z')) return [`${eventId}: occurredAt ${occurredAt} is not in UTC`];
      return sources.has(source) ? [] : [`${eventId}: unexpected source ${source}`];
    });

    // Assess
    expect(invalid).toEqual([]);
    const names = new Set(events.map((event) => event.name));
    expect([...names].sort()).toEqual(Object.keys(config.trackingPlan.events).sort());
  });

  test('It should keep each user in a plausible order: visit, sign-up, lessons, completion', () => {
    // Prepare: users whose whole life is in the eight weeks (a life lasts at most 22 days).
    const byUser = new Map<string, DemoEvent[]>();
    for (const event of eightWeeks()) {
      const events = byUser.get(event.userId) ?? [];
      if (events.length === 0) byUser.set(event.userId, events);
      events.push(event);
    }
    const complete = [...byUser].filter(([, events]) => at(events[0]!) >= MONDAY - 3 * WEEK + 22 * DAY);

    // Act
    const implausible = complete.flatMap(([userId, events]) => {
      const first = (name: string) => events.findIndex((event) => event.name === name);
      const signedUp = first('signed_up');
      const problems: string[] = [];
      if (events[0]?.name !== 'page_viewed') problems.push(`${userId} starts with ${events[0]?.name}`);
      if (new Set(events.map((event) => event.source)).size !== 1) problems.push(`${userId} changes source`);
      for (const name of ['lesson_started', 'payment_succeeded'])
        if (first(name) >= 0 && !(signedUp >= 0 && first(name) > signedUp))
          problems.push(`${userId} has ${name} before signing up`);
      const started = new Set<unknown>();
      for (const event of events) {
        if (event.name === 'lesson_started') started.add(event.properties.courseId);
        if (
          (event.name === 'lesson_completed' || event.name === 'course_completed') &&
          !started.has(event.properties.courseId)
        )
          problems.push(
            `${userId} has ${event.name} ${event.eventId} before starting a lesson of the course`,
          );
      }
      return problems;
    });

    // Assess
    expect(implausible).toEqual([]);
    const returning = complete.filter(([, events]) => new Set(events.map(dayOf)).size > 1);
    expect(returning.length).toBeGreaterThan(complete.length * 0.1);
  });

  test('It should have fewer visitors on weekend days than on weekdays', () => {
    // Prepare: distinct visitors per day, and new visitors (first page view of their life) per day.
    const weeks = eightWeeks();
    const seen = new Set(weeks.filter((event) => at(event) < MONDAY).map((event) => event.userId));
    const inFourWeeks = weeks.filter((event) => at(event) >= MONDAY && at(event) < MONDAY + 4 * WEEK);
    const firstVisits = inFourWeeks.filter((event) => !seen.has(event.userId) && seen.add(event.userId));
    const isWeekend = ([day]: [string, number]) => [0, 6].includes(new Date(day).getUTCDay());
    const weekendRatio = (perDay: Map<string, number>) => {
      const weekend = [...perDay].filter(isWeekend);
      const weekdays = [...perDay].filter((entry) => !isWeekend(entry));
      expect([weekend.length, weekdays.length]).toEqual([8, 20]);
      return mean(weekend.map(([, count]) => count)) / mean(weekdays.map(([, count]) => count));
    };

    // Act
    const visitors = weekendRatio(visitorsPerDay(inFourWeeks));
    const newVisitors = weekendRatio(countBy(firstVisits, dayOf));

    // Assess: learners keep studying at weekends, so all visitors drop less than new ones.
    expect(newVisitors).toBeGreaterThan(0.5);
    expect(newVisitors).toBeLessThan(0.7);
    expect(visitors).toBeGreaterThan(newVisitors);
    expect(visitors).toBeLessThan(0.9);
  });

  test('It should keep the default volume to a few thousand events a day', () => {
    // Act
    const perDay = countBy(
      eightWeeks().filter((event) => at(event) >= MONDAY),
      dayOf,
    );

    // Assess
    expect(perDay.size).toBe(35);
    for (const count of perDay.values()) {
      expect(count).toBeGreaterThan(1000);
      expect(count).toBeLessThan(4000);
    }
  });

  test('It should convert about 8-15% of first-time visitors to a completed course within 14 days', () => {
    // Prepare: users first seen in three weeks, with their course completions over the following 14 days.
    const from = MONDAY;
    const to = MONDAY + 3 * WEEK;
    const firstVisit = new Map<string, number>();
    const completions = new Map<string, number[]>();
    for (const event of eightWeeks()) {
      if (event.name === 'page_viewed' && !firstVisit.has(event.userId))
        firstVisit.set(event.userId, at(event));
      if (event.name === 'course_completed')
        completions.set(event.userId, [...(completions.get(event.userId) ?? []), at(event)]);
    }

    // Act
    const cohort = [...firstVisit].filter(([, visit]) => visit >= from && visit < to);
    const activated = cohort.filter(([userId, visit]) =>
      (completions.get(userId) ?? []).some((time) => time >= visit && time <= visit + 14 * DAY),
    );
    const signups = eightWeeks().filter(
      (event) => event.name === 'signed_up' && at(event) >= from && at(event) < to,
    ).length;

    // Assess
    expect(cohort.length).toBeGreaterThan(7000);
    expect(signups / cohort.length).toBeGreaterThan(0.09);
    expect(signups / cohort.length).toBeLessThan(0.15);
    expect(activated.length / cohort.length).toBeGreaterThan(0.08);
    expect(activated.length / cohort.length).toBeLessThan(0.15);
  });

  test('It should lose sign-ups on the incident day and leave the days before untouched', () => {
    // Prepare: an incident on the Wednesday of the fourth week.
    const incidentDay = MONDAY + 3 * WEEK + 2 * DAY;
    const traffic = demoTraffic({ seed: 42, incident: { day: isoDay(incidentDay), signupDrop: 0.5 } });
    const signupsOn = (events: readonly DemoEvent[], dayStart: number) =>
      events.filter(
        (event) => event.name === 'signed_up' && at(event) >= dayStart && at(event) < dayStart + DAY,
      ).length;

    // Act
    const events = traffic.between(incidentDay - DAY, incidentDay + DAY);
    const onIncident = signupsOn(events, incidentDay);
    const usual = signupsOn(eightWeeks(), incidentDay);
    const sameWeekdayBefore = [1, 2, 3].map((weeks) => signupsOn(eightWeeks(), incidentDay - weeks * WEEK));

    // Assess
    expect(onIncident).toBeLessThan(0.7 * mean(sameWeekdayBefore));
    expect(onIncident).toBeLessThan(0.7 * usual);
    expect(usual).toBeGreaterThan(0.8 * mean(sameWeekdayBefore));
    const dayBefore = (event: DemoEvent) => at(event) < incidentDay;
    expect(events.filter(dayBefore)).toEqual(
      eightWeeks().filter((e) => dayBefore(e) && at(e) >= incidentDay - DAY),
    );
  });
});

describe('malformedDemoEntries', () => {
  test('It should give entries that the pipeline quarantines, each for its own reason', () => {
    // Prepare
    const arrivedAt = Date.parse('2026-11-02T10:00:00Z');
    const context = { compiled: compileConfig(config), schemas, arrivedAt };

    // Act
    const entries = malformedDemoEntries(42, arrivedAt);
    const results = entries.map(({ source, detailType, detail }) =>
      parseEntry(JSON.stringify({ source, 'detail-type': detailType, detail }), context),
    );

    // Assess
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.length).toBeLessThanOrEqual(6);
    for (const result of results) {
      expect(result.events).toEqual([]);
      expect(result.rejections).toHaveLength(1);
    }
    const rejections = results.map((result) => result.rejections[0]!);
    expect(new Set(rejections.map((rejection) => rejection.message)).size).toBe(entries.length);
    expect(rejections.map((rejection) => rejection.reason)).toEqual([
      'unknown_event',
      'invalid_property',
      'invalid_property',
      'missing_field',
      'future_event',
      'malformed_field',
    ]);
    expect(rejections[1]?.message).toMatch(/^properties\.amount/);
    expect(rejections[2]?.message).toMatch(/^properties\.method/);
    expect(malformedDemoEntries(42, arrivedAt)).toEqual(entries);
  });
});
