import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../../../config/demo.config.js';
import type { NorthstarConfigInput } from '../../../../shared/domain/config/schema.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { type CompiledConfig, compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson, mergeDeltas } from '../../../../shared/domain/engine/deltas.js';
import {
  acceptanceHorizon,
  applyUserEvents,
  emptyUserState,
  type UserState,
} from '../../../../shared/domain/engine/user-state.js';
import type { ProductEvent } from '../../../../shared/domain/events/envelope.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const compiled = compileConfig(parseConfig(structuredClone(demo)));

function defIdOf(compiledConfig: CompiledConfig, id: string): string {
  const defId = compiledConfig.defIds[id];
  if (defId === undefined) throw new Error(`the configuration has no definition "${id}"`);
  return defId;
}

const WEEKLY_SIGNUPS = defIdOf(compiled, 'metric:weekly_signups');
const DAILY_SIGNUPS = defIdOf(compiled, 'metric:daily_signups');
const WEEKLY_LEARNERS = defIdOf(compiled, 'metric:weekly_learners');
const WEEKLY_VISITORS = defIdOf(compiled, 'metric:weekly_visitors');
const PAYING_LEARNERS = defIdOf(compiled, 'metric:paying_learners');
const REVENUE = defIdOf(compiled, 'metric:revenue');
const ANNUAL_PLAN_PAYMENTS = defIdOf(compiled, 'metric:annual_plan_payments');
const ACTIVATION = defIdOf(compiled, 'funnel:activation');
const JOURNEY = defIdOf(compiled, 'journey');

const USER = 'learner-1';
let sequence = 0;

/** A validated product event as parseEntry would hand it over; arrived a minute after it happened. */
function productEvent(
  name: string,
  occurredAt: string,
  properties: Record<string, unknown> = {},
): ProductEvent {
  const eventId = `evt-${++sequence}`;
  const time = Date.parse(occurredAt);
  return {
    source: 'app.web',
    name,
    eventId,
    userId: USER,
    occurredAt: time,
    properties,
    key: `app.web#${eventId}`,
    payloadHash: `payload-${eventId}`,
    arrivedAt: time + MINUTE,
  };
}

const pageViewed = (at: string) => productEvent('page_viewed', at, { path: '/courses', channel: 'organic' });
const signedUp = (at: string) => productEvent('signed_up', at, { method: 'email' });
const lessonStarted = (at: string) =>
  productEvent('lesson_started', at, { courseId: 'ts-101', lessonId: 'l1' });
const lessonCompleted = (at: string) =>
  productEvent('lesson_completed', at, { courseId: 'ts-101', lessonId: 'l1', durationSeconds: 600 });
const courseCompleted = (at: string) => productEvent('course_completed', at, { courseId: 'ts-101' });
const paymentSucceeded = (at: string, amount: number, plan: 'monthly' | 'annual' = 'monthly') =>
  productEvent('payment_succeeded', at, { amount, currency: 'USD', plan });

/** The events as they reach the pipeline at `epochMs`: late ones arrive long after they happened. */
function arrivingAt(epochMs: number, ...events: readonly ProductEvent[]): ProductEvent[] {
  return events.map((event) => ({ ...event, arrivedAt: epochMs }));
}

/** The deltas of one definition, by counter item, with the `<defId>.` prefix taken off the field names. */
function fieldsOf(deltas: Deltas, defId: string): Record<string, Record<string, number>> {
  const prefix = `${defId}.`;
  const found: Record<string, Record<string, number>> = {};
  for (const [item, fields] of deltas) {
    for (const [field, amount] of fields) {
      if (field.startsWith(prefix)) (found[item] ??= {})[field.slice(prefix.length)] = amount;
    }
  }
  return found;
}

/** The same fields on the hour, day, week and month items of one instant in UTC. */
function onEveryGrain(
  hour: string,
  week: string,
  fields: Record<string, number>,
): Record<string, Record<string, number>> {
  return {
    [`hour#${hour}`]: fields,
    [`day#${hour.slice(0, 10)}`]: fields,
    [`week#${week}`]: fields,
    [`month#${hour.slice(0, 7)}`]: fields,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('applyUserEvents: count, sum and distinct users', () => {
  test('It should add one to a count metric on the hour, day, week and month of the event', () => {
    // Prepare
    const event = signedUp('2026-11-25T10:15:00Z');

    // Act
    const { deltas, accepted } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(accepted).toEqual([event]);
    expect(fieldsOf(deltas, WEEKLY_SIGNUPS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { n: 1 }));
    expect(fieldsOf(deltas, DAILY_SIGNUPS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { n: 1 }));
  });

  test('It should count every event of the same user in a count metric', () => {
    // Prepare
    const events = [signedUp('2026-11-25T10:15:00Z'), signedUp('2026-11-25T10:45:00Z')];

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), events, compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, WEEKLY_SIGNUPS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { n: 2 }));
  });

  test('It should add the summed property in millionths to a sum metric', () => {
    // Prepare
    const event = paymentSucceeded('2026-11-25T10:15:00Z', 19.99);

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, REVENUE)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { s6: 19_990_000 }));
  });

  test('It should keep a sum exact where floating-point addition is not (0.1 + 0.2)', () => {
    // Prepare
    const events = [
      paymentSucceeded('2026-11-25T10:15:00Z', 0.1),
      paymentSucceeded('2026-11-25T10:16:00Z', 0.2),
    ];

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), events, compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, REVENUE)['month#2026-11']).toEqual({ s6: 300_000 });
  });

  test('It should count only events whose properties match the metric filter', () => {
    // Prepare
    const monthly = paymentSucceeded('2026-11-25T10:15:00Z', 20, 'monthly');
    const annual = paymentSucceeded('2026-11-25T10:20:00Z', 200, 'annual');

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [monthly, annual], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, ANNUAL_PLAN_PAYMENTS)).toEqual(
      onEveryGrain('2026-11-25T10', '2026-W48', { n: 1 }),
    );
    expect(fieldsOf(deltas, REVENUE)['month#2026-11']).toEqual({ s6: 220_000_000 });
  });

  test('It should add one distinct user on every period of the first matching event', () => {
    // Prepare
    const event = courseCompleted('2026-11-25T10:15:00Z');

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, WEEKLY_LEARNERS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { u: 1 }));
  });

  test('It should add no distinct user for a second event of the same user in the same period, in the same call', () => {
    // Prepare
    const events = [courseCompleted('2026-11-25T10:15:00Z'), courseCompleted('2026-11-25T10:50:00Z')];

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), events, compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, WEEKLY_LEARNERS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { u: 1 }));
  });

  test('It should add a distinct user only for the periods the user is not yet counted in, across calls', () => {
    // Prepare: counted on Wednesday 25 November already.
    const first = applyUserEvents(emptyUserState(), [courseCompleted('2026-11-25T10:15:00Z')], compiled, NOW);
    const sameWeekOtherDay = courseCompleted('2026-11-27T09:30:00Z');

    // Act
    const { deltas } = applyUserEvents(
      first.state,
      [sameWeekOtherDay],
      compiled,
      Date.parse('2026-11-27T12:00:00Z'),
    );

    // Assess: new hour and day, but the week and the month already count this user.
    expect(fieldsOf(deltas, WEEKLY_LEARNERS)).toEqual({
      'hour#2026-11-27T09': { u: 1 },
      'day#2026-11-27': { u: 1 },
    });
  });

  test('It should add a sum and a distinct user from the same event', () => {
    // Prepare
    const event = paymentSucceeded('2026-11-25T10:15:00Z', 12.5);

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, PAYING_LEARNERS)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { u: 1 }));
    expect(fieldsOf(deltas, REVENUE)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { s6: 12_500_000 }));
  });

  test('It should add nothing to a sum for a matching event without the summed property', () => {
    // Prepare: the demo plus a sum of the optional lesson_completed.durationSeconds.
    const draft: NorthstarConfigInput = structuredClone(demo);
    draft.metrics.learning_seconds = {
      kind: 'sum',
      title: 'Learning time',
      definition: 'Sum of durationSeconds of lesson_completed events in the week.',
      events: ['lesson_completed'],
      property: 'durationSeconds',
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: { name: 'Product: Courses', contact: 'courses@example.com' },
    };
    const withSum = compileConfig(parseConfig(draft));
    const learningSeconds = defIdOf(withSum, 'metric:learning_seconds');
    const withoutDuration = productEvent('lesson_completed', '2026-11-25T10:15:00Z', {
      courseId: 'ts-101',
      lessonId: 'l1',
    });

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [withoutDuration], withSum, NOW);

    // Assess: no NaN may reach a counter; the event adds 0, so no field at all.
    expect(fieldsOf(deltas, learningSeconds)).toEqual({});
    for (const fields of deltas.values())
      for (const amount of fields.values()) expect(Number.isFinite(amount)).toBe(true);
  });
});

describe('applyUserEvents: duplicates, conflicts and queue age', () => {
  test('It should change nothing for a duplicate with the same key and payload', () => {
    // Prepare
    const event = signedUp('2026-11-25T10:15:00Z');
    const first = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Act
    const again = applyUserEvents(first.state, [{ ...event }], compiled, NOW);

    // Assess
    expect(again.deltas.size).toBe(0);
    expect(again.accepted).toEqual([]);
    expect(again.duplicates).toEqual([event]);
    expect(again.conflicts).toEqual([]);
    expect(again.state).toEqual(first.state);
  });

  test('It should count a duplicate inside the same call once', () => {
    // Prepare
    const event = signedUp('2026-11-25T10:15:00Z');

    // Act
    const { deltas, accepted, duplicates } = applyUserEvents(
      emptyUserState(),
      [event, { ...event }],
      compiled,
      NOW,
    );

    // Assess
    expect(accepted).toHaveLength(1);
    expect(duplicates).toHaveLength(1);
    expect(fieldsOf(deltas, WEEKLY_SIGNUPS)['week#2026-W48']).toEqual({ n: 1 });
  });

  test('It should count a conflicting duplicate once, on the day item of the first event, and keep the first one', () => {
    // Prepare: the resend claims another time and another method.
    const event = signedUp('2026-11-25T10:15:00Z');
    const first = applyUserEvents(emptyUserState(), [event], compiled, NOW);
    const conflicting: ProductEvent = {
      ...event,
      occurredAt: Date.parse('2026-11-27T08:00:00Z'),
      properties: { method: 'google' },
      payloadHash: 'payload-other',
    };

    // Act
    const { deltas, accepted, duplicates, conflicts } = applyUserEvents(
      first.state,
      [conflicting],
      compiled,
      NOW,
    );

    // Assess
    expect(deltasToJson(deltas)).toEqual({ 'day#2026-11-25': { conflicts: 1 } });
    expect(accepted).toEqual([]);
    expect(duplicates).toEqual([conflicting]);
    expect(conflicts).toEqual([conflicting]);
  });

  test('It should never count a second conflict for the same key', () => {
    // Prepare
    const event = signedUp('2026-11-25T10:15:00Z');
    const first = applyUserEvents(emptyUserState(), [event], compiled, NOW);
    const second = applyUserEvents(first.state, [{ ...event, payloadHash: 'payload-other' }], compiled, NOW);

    // Act
    const third = applyUserEvents(
      second.state,
      [
        { ...event, payloadHash: 'payload-third' },
        { ...event, payloadHash: 'payload-other' },
      ],
      compiled,
      NOW,
    );

    // Assess
    expect(third.deltas.size).toBe(0);
    expect(third.conflicts).toEqual([]);
    expect(third.duplicates).toHaveLength(2);
  });

  test('It should count a conflict inside the same call once', () => {
    // Prepare
    const event = signedUp('2026-11-25T10:15:00Z');
    const events = [
      event,
      { ...event, payloadHash: 'payload-other' },
      { ...event, payloadHash: 'payload-third' },
    ];

    // Act
    const { deltas, conflicts } = applyUserEvents(emptyUserState(), events, compiled, NOW);

    // Assess
    expect(conflicts).toHaveLength(1);
    expect(deltasToJson(deltas)['day#2026-11-25']).toMatchObject({ conflicts: 1 });
  });

  test('It should hand back an event that waited longer than the queue age as expired, without counting it', () => {
    // Prepare
    const event = { ...signedUp('2026-11-23T10:00:00Z'), arrivedAt: NOW - compiled.maxQueueAgeMs - 1 };

    // Act
    const { deltas, accepted, expired, state } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(expired).toEqual([event]);
    expect(accepted).toEqual([]);
    expect(deltas.size).toBe(0);
    expect(state.seen).toEqual({});
  });

  test('It should accept an event that waited exactly the queue age', () => {
    // Prepare
    const event = { ...signedUp('2026-11-23T10:00:00Z'), arrivedAt: NOW - compiled.maxQueueAgeMs };

    // Act
    const { accepted, expired } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(accepted).toEqual([event]);
    expect(expired).toEqual([]);
  });

  test('It should accept a resend of an expired event: the expired one did not claim its key', () => {
    // Prepare
    const stale = { ...signedUp('2026-11-23T10:00:00Z'), arrivedAt: NOW - compiled.maxQueueAgeMs - 1 };
    const first = applyUserEvents(emptyUserState(), [stale], compiled, NOW);

    // Act
    const resent = applyUserEvents(first.state, [{ ...stale, arrivedAt: NOW }], compiled, NOW);

    // Assess
    expect(resent.accepted).toHaveLength(1);
    expect(fieldsOf(resent.deltas, WEEKLY_SIGNUPS)['week#2026-W48']).toEqual({ n: 1 });
  });
});

describe('applyUserEvents: funnel', () => {
  test('It should count a user once per reached step in the cohort of their entry', () => {
    // Prepare
    const now = Date.parse('2026-11-28T00:00:00Z');
    const events = arrivingAt(
      now,
      pageViewed('2026-11-25T10:15:00Z'),
      signedUp('2026-11-25T11:00:00Z'),
      lessonStarted('2026-11-26T09:00:00Z'),
      courseCompleted('2026-11-27T18:00:00Z'),
    );

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), events, compiled, now);

    // Assess
    expect(fieldsOf(deltas, ACTIVATION)).toEqual(
      onEveryGrain('2026-11-25T10', '2026-W48', { 1: 1, 2: 1, 3: 1, 4: 1 }),
    );
  });

  test('It should add only the newly reached step to the entry cohort', () => {
    // Prepare
    const first = applyUserEvents(
      emptyUserState(),
      [pageViewed('2026-11-25T10:15:00Z'), signedUp('2026-11-25T11:00:00Z')],
      compiled,
      NOW,
    );

    // Act
    const { deltas } = applyUserEvents(
      first.state,
      [lessonStarted('2026-11-26T09:00:00Z')],
      compiled,
      Date.parse('2026-11-26T12:00:00Z'),
    );

    // Assess
    expect(fieldsOf(deltas, ACTIVATION)).toEqual(onEveryGrain('2026-11-25T10', '2026-W48', { 3: 1 }));
  });

  test('It should move a user to an earlier cohort and re-evaluate their steps when a late, earlier first step arrives', () => {
    // Prepare: entry on Monday 30 November (W49); sign-up and lesson happened the day before, so they do not count yet.
    const now = Date.parse('2026-11-30T12:00:00Z');
    const first = applyUserEvents(
      emptyUserState(),
      [
        pageViewed('2026-11-30T10:00:00Z'),
        signedUp('2026-11-29T09:00:00Z'),
        lessonStarted('2026-11-29T10:00:00Z'),
      ],
      compiled,
      now,
    );
    const latePageView = arrivingAt(now, pageViewed('2026-11-29T08:00:00Z'));

    // Act
    const { deltas } = applyUserEvents(first.state, latePageView, compiled, now);

    // Assess: the old cohort (W49) loses the user; the new one (W48) gains them at steps 1-3.
    expect(fieldsOf(first.deltas, ACTIVATION)).toEqual(onEveryGrain('2026-11-30T10', '2026-W49', { 1: 1 }));
    expect(fieldsOf(deltas, ACTIVATION)).toEqual({
      'hour#2026-11-30T10': { 1: -1 },
      'day#2026-11-30': { 1: -1 },
      'week#2026-W49': { 1: -1 },
      'hour#2026-11-29T08': { 1: 1, 2: 1, 3: 1 },
      'day#2026-11-29': { 1: 1, 2: 1, 3: 1 },
      'week#2026-W48': { 1: 1, 2: 1, 3: 1 },
      'month#2026-11': { 2: 1, 3: 1 },
    });
  });

  test('It should reach a step exactly at the end of the 14-day window of the demo funnel, and not one second later', () => {
    // Prepare: entry on Tuesday 10 November (W46); each sign-up arrives on its own two weeks later.
    const entered = applyUserEvents(
      emptyUserState(),
      [pageViewed('2026-11-10T10:00:00Z')],
      compiled,
      Date.parse('2026-11-10T12:00:00Z'),
    );
    const later = Date.parse('2026-11-24T12:00:00Z');

    // Act
    const atLimit = applyUserEvents(entered.state, [signedUp('2026-11-24T10:00:00Z')], compiled, later);
    const pastLimit = applyUserEvents(entered.state, [signedUp('2026-11-24T10:00:01Z')], compiled, later);

    // Assess
    expect(fieldsOf(atLimit.deltas, ACTIVATION)).toEqual(onEveryGrain('2026-11-10T10', '2026-W46', { 2: 1 }));
    expect(fieldsOf(pastLimit.deltas, ACTIVATION)).toEqual({});
  });
});

describe('applyUserEvents: journey', () => {
  test('It should record the first reach of a stage on its periods and the user in the current distribution', () => {
    // Prepare
    const event = pageViewed('2026-11-25T10:15:00Z');

    // Act
    const { deltas } = applyUserEvents(emptyUserState(), [event], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, JOURNEY)).toEqual({
      ...onEveryGrain('2026-11-25T10', '2026-W48', { aware: 1 }),
      all: { 'current.aware': 1 },
    });
  });

  test('It should move the user in the current distribution when a higher stage is reached', () => {
    // Prepare
    const first = applyUserEvents(emptyUserState(), [pageViewed('2026-11-25T10:15:00Z')], compiled, NOW);

    // Act
    const { deltas } = applyUserEvents(
      first.state,
      [signedUp('2026-11-26T09:00:00Z')],
      compiled,
      Date.parse('2026-11-26T12:00:00Z'),
    );

    // Assess
    expect(fieldsOf(deltas, JOURNEY)).toEqual({
      ...onEveryGrain('2026-11-26T09', '2026-W48', { registered: 1 }),
      all: { 'current.aware': -1, 'current.registered': 1 },
    });
  });

  test('It should reach stages out of order and keep the highest stage reached in the distribution', () => {
    // Prepare: a payment before any sign-up.
    const first = applyUserEvents(
      emptyUserState(),
      [paymentSucceeded('2026-11-25T10:15:00Z', 10)],
      compiled,
      NOW,
    );

    // Act: the sign-up arrives later; the user stays at "paying".
    const { deltas } = applyUserEvents(first.state, [signedUp('2026-11-25T11:00:00Z')], compiled, NOW);

    // Assess
    expect(fieldsOf(first.deltas, JOURNEY).all).toEqual({ 'current.paying': 1 });
    expect(fieldsOf(deltas, JOURNEY)).toEqual(onEveryGrain('2026-11-25T11', '2026-W48', { registered: 1 }));
  });

  test('It should move the first reach of a stage to the period of a late, earlier event', () => {
    // Prepare
    const now = Date.parse('2026-11-26T12:00:00Z');
    const first = applyUserEvents(emptyUserState(), [pageViewed('2026-11-26T09:00:00Z')], compiled, now);
    const latePageView = arrivingAt(now, pageViewed('2026-11-20T09:00:00Z'));

    // Act
    const { deltas } = applyUserEvents(first.state, latePageView, compiled, now);

    // Assess: same month, same stage: nothing moves there nor in the distribution.
    expect(fieldsOf(deltas, JOURNEY)).toEqual({
      'hour#2026-11-26T09': { aware: -1 },
      'day#2026-11-26': { aware: -1 },
      'week#2026-W48': { aware: -1 },
      'hour#2026-11-20T09': { aware: 1 },
      'day#2026-11-20': { aware: 1 },
      'week#2026-W47': { aware: 1 },
    });
  });

  test('It should change nothing in the journey for a later event of a stage already reached', () => {
    // Prepare
    const first = applyUserEvents(emptyUserState(), [lessonCompleted('2026-11-25T10:15:00Z')], compiled, NOW);

    // Act
    const { deltas } = applyUserEvents(first.state, [lessonCompleted('2026-11-25T11:15:00Z')], compiled, NOW);

    // Assess
    expect(fieldsOf(deltas, JOURNEY)).toEqual({});
  });
});

describe('applyUserEvents: state pruning', () => {
  test('It should put the acceptance horizon at queue age plus lateness plus one hour of clock slack before now', () => {
    // Prepare: the demo allows 2 days in the queue and 7 days of lateness.
    const now = NOW;

    // Act
    const horizon = acceptanceHorizon(compiled, now);

    // Assess
    expect(now - horizon).toBe(2 * DAY + 7 * DAY + HOUR);
  });

  test('It should drop seen keys of events older than the acceptance horizon and keep the others', () => {
    // Prepare
    const horizon = acceptanceHorizon(compiled, NOW);
    const previous: UserState = {
      ...emptyUserState(),
      seen: {
        'app.web#old': ['payload-old', horizon - 1, 0],
        'app.web#edge': ['payload-edge', horizon, 0],
        'app.web#recent': ['payload-recent', NOW - HOUR, 1],
      },
    };

    // Act
    const { state } = applyUserEvents(previous, [], compiled, NOW);

    // Assess
    expect(state.seen).toEqual({
      'app.web#edge': ['payload-edge', horizon, 0],
      'app.web#recent': ['payload-recent', NOW - HOUR, 1],
    });
  });

  test('It should drop distinct-user marks of periods that ended before the acceptance horizon', () => {
    // Prepare: the horizon is 2026-11-16T11:00Z; week 46 and 15 November ended at midnight before it.
    const previous: UserState = {
      ...emptyUserState(),
      marks: {
        [WEEKLY_LEARNERS]: { week: ['2026-W47', '2026-W46'], day: ['2026-11-15', '2026-11-16'] },
        [WEEKLY_VISITORS]: { week: ['2026-W45'] },
      },
    };

    // Act
    const { state } = applyUserEvents(previous, [], compiled, NOW);

    // Assess
    expect(state.marks).toEqual({ [WEEKLY_LEARNERS]: { week: ['2026-W47'], day: ['2026-11-16'] } });
  });

  test('It should keep only the entry time of the funnel first step', () => {
    // Prepare
    const events = arrivingAt(
      NOW,
      pageViewed('2026-11-20T10:00:00Z'),
      pageViewed('2026-11-21T10:00:00Z'),
      pageViewed('2026-11-24T10:00:00Z'),
    );

    // Act
    const { state } = applyUserEvents(emptyUserState(), events, compiled, NOW);

    // Assess
    expect(state.funnels[ACTIVATION]?.[0]).toEqual([Date.parse('2026-11-20T10:00:00Z')]);
  });

  test('It should not change the state it was given', () => {
    // Prepare
    const first = applyUserEvents(
      emptyUserState(),
      [pageViewed('2026-11-25T10:15:00Z'), courseCompleted('2026-11-25T10:30:00Z')],
      compiled,
      NOW,
    );
    const previous = deepFreeze(structuredClone(first.state));
    const snapshot = structuredClone(previous);

    // Act
    applyUserEvents(
      previous,
      arrivingAt(NOW, signedUp('2026-11-25T11:00:00Z'), pageViewed('2026-11-19T10:00:00Z')),
      compiled,
      NOW,
    );

    // Assess
    expect(previous).toEqual(snapshot);
  });
});

describe('applyUserEvents: order independence', () => {
  const PROPERTY_NOW = Date.parse('2026-12-02T12:00:00Z');
  const builders = [
    pageViewed,
    signedUp,
    lessonStarted,
    lessonCompleted,
    courseCompleted,
    (at: string) => paymentSucceeded(at, 9.99),
  ];
  /** Events of one user in the six days before PROPERTY_NOW, on a half-hour grid so that times collide. */
  const anEvent = fc
    .tuple(fc.integer({ min: 0, max: builders.length - 1 }), fc.integer({ min: 1, max: 6 * 48 }))
    .map(([kind, halfHoursBack]) => ({
      ...builders[kind]!(new Date(PROPERTY_NOW - halfHoursBack * 30 * MINUTE).toISOString()),
      arrivedAt: PROPERTY_NOW,
    }));

  /** Applies the batches one after another, carrying the state, and adds up their deltas. */
  function deliver(batches: readonly (readonly ProductEvent[])[]): Deltas {
    let state = emptyUserState();
    const total: Deltas = new Map();
    for (const batch of batches) {
      const applied = applyUserEvents(state, batch, compiled, PROPERTY_NOW);
      state = applied.state;
      mergeDeltas(total, applied.deltas);
    }
    return total;
  }

  test('It should give the same deltas in any order, with any duplicates and in any batches as once sorted by occurredAt', () => {
    fc.assert(
      fc.property(
        fc.array(anEvent, { minLength: 1, maxLength: 12 }).chain((events) =>
          fc.tuple(
            fc.constant(events),
            // A delivery: every event at least once, some again, in any order, cut into batches.
            fc
              .shuffledSubarray(events.concat(events), { minLength: 0 })
              .chain((extra) =>
                fc.shuffledSubarray([...events, ...extra], { minLength: events.length + extra.length }),
              ),
            fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }),
          ),
        ),
        ([events, delivery, batchSizes]) => {
          // Prepare
          const once = [...events].sort((a, b) => a.occurredAt - b.occurredAt);
          const batches: ProductEvent[][] = [];
          let index = 0;
          for (let cut = 0; index < delivery.length; cut++) {
            const size = batchSizes[cut % batchSizes.length]!;
            batches.push(delivery.slice(index, index + size));
            index += size;
          }

          // Act
          const delivered = deliver(batches);
          const reference = deliver([once]);

          // Assess
          expect(deltasToJson(delivered)).toEqual(deltasToJson(reference));
        },
      ),
      { numRuns: 300 },
    );
  });
});
