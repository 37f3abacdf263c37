import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { measureCapacity } from '../../bench/capacity.js';
import { type BusEvent, startLocalEventBus } from '../../local/event-bus.js';
import { RollupStore } from '../../shared/adapters/dynamodb/rollup-store.js';
import { EventBridgeAlertBus } from '../../shared/adapters/eventbridge/alert-bus.js';
import { eventBridgeClient, storeFor } from '../../shared/compose/settings.js';
import { defineConfig } from '../../shared/domain/config/define.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { recompute } from '../../shared/use-cases/recompute/recompute.js';
import { freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, type TestEvent } from '../support/entries.js';
import { ingestPipeline } from '../support/pipeline.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const config = parseConfig(
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
const DAY = 86_400_000;
const FIRST_DAY = Date.parse('2026-09-28T00:00:00Z'); // a Monday
const DAYS = 36;
const INCIDENT = DAYS - 1;
const settledAfter = (day: number) => FIRST_DAY + (day + 1) * DAY + 61 * 60_000;

/** 20 sign-ups and 20 lesson starts a day, each wobbling within 5%; none on the incident day. */
function dayEvents(day: number, scale = 1, signups = true): TestEvent[] {
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

function entriesOf(events: TestEvent[], arrivedAt: number, prefix: string): QueuedEntry[] {
  const entries: QueuedEntry[] = [];
  for (let i = 0; i < events.length; i += 20)
    entries.push({ messageId: `${prefix}-${i}`, body: batchEntry(events.slice(i, i + 20)), arrivedAt });
  return entries;
}

let bus: Awaited<ReturnType<typeof startLocalEventBus>>;
const received: BusEvent[] = [];

beforeAll(async () => {
  bus = await startLocalEventBus({ onEvents: (events) => void received.push(...events) });
});
afterAll(() => bus.close());

async function setup(compiled = compileConfig(config)) {
  const client = localClient();
  const tableName = await freshTable(client);
  let now = FIRST_DAY;
  const clock = () => now;
  const pipeline = ingestPipeline(compiled.config, client, tableName, clock);
  const deps = () => ({
    compiled,
    rollups: new RollupStore(client, tableName),
    ingest: storeFor(compiled.config, client, tableName),
    bus: new EventBridgeAlertBus(eventBridgeClient(bus.endpoint), 'northstar'),
    clock,
  });
  const runDay = async (day: number, events: TestEvent[]) => {
    now = settledAfter(day);
    expect(await pipeline.deliver(entriesOf(events, FIRST_DAY + (day + 1) * DAY, `d${day}`))).toEqual([]);
  };
  return { client, tableName, deps, runDay, setClock: (at: number) => void (now = at) };
}

const alertsOf = (metricId: string, kind?: string) =>
  received.filter(
    (event) =>
      (event.detail as { metric: { id: string } }).metric.id === metricId &&
      (!kind || event['detail-type'] === kind),
  );

describe('recompute on DynamoDB Local', () => {
  test('It should raise one alert for a day 50% below its history, name the child that caused it, and resolve it when late events arrive', async () => {
    // Prepare: five weeks of steady history, recomputed daily as the schedule would.
    const { deps, runDay, setClock } = await setup();
    received.length = 0;
    for (let day = 0; day < INCIDENT; day++) {
      await runDay(day, dayEvents(day));
      await recompute(deps());
    }
    expect(received, 'a wobble within 5% raises nothing').toEqual([]);

    // Act: the incident day has no sign-ups; two recomputes run at once, then one again.
    await runDay(INCIDENT, dayEvents(INCIDENT, 1, false));
    await Promise.all([recompute(deps()), recompute(deps())]);
    setClock(settledAfter(INCIDENT) + 60_000);
    const again = await recompute(deps());

    // Assess
    const detected = alertsOf('daily_activity', 'Metric Deviation Detected');
    expect(detected).toHaveLength(1);
    const alert = detected[0]!.detail as {
      period: string;
      observed: number;
      expected: number;
      relativeDeviation: number;
      owner: { team: string };
      contributors: { metricId: string; share: number }[];
    };
    expect(alert.period).toBe(new Date(FIRST_DAY + INCIDENT * DAY).toISOString().slice(0, 10));
    expect(alert.observed).toBe(20);
    expect(alert.expected).toBe(40);
    expect(alert.relativeDeviation).toBeCloseTo(-0.5);
    expect(alert.owner.team).toBe('growth');
    expect(alert.contributors[0]).toMatchObject({ metricId: 'daily_signups' });
    expect(alert.contributors[0]!.share).toBeGreaterThan(0.9);
    expect(alertsOf('daily_signups', 'Metric Deviation Detected')).toHaveLength(1);
    expect(alertsOf('daily_lessons')).toEqual([]);
    expect(again.detected).toBe(0);
    expect(received.filter((event) => event['detail-type'] === 'Metric Deviation Detected')).toHaveLength(2);

    // Act: the sign-ups arrive late and the period is back inside its band.
    const late = dayEvents(INCIDENT).filter((event) => event.name === 'signed_up');
    await runDay(INCIDENT, late);
    setClock(settledAfter(INCIDENT) + 120_000);
    await recompute(deps());
    await recompute(deps());

    // Assess
    expect(alertsOf('daily_activity', 'Metric Deviation Resolved')).toHaveLength(1);
    expect(alertsOf('daily_signups', 'Metric Deviation Resolved')).toHaveLength(1);
  }, 180_000);

  test('It should do the same work for ten times the events in the same dirty periods', async () => {
    const cost = async (scale: number) => {
      const { tableName, deps, runDay } = await setup();
      for (let day = 0; day < 3; day++) await runDay(day, dayEvents(day, scale));
      const measured = localClient();
      const capacity = measureCapacity(measured);
      let calls = 0;
      measured.middlewareStack.add(
        (next) => (args) => {
          calls++;
          return next(args);
        },
        {
          step: 'initialize',
          name: 'countCalls',
        },
      );
      const summary = await recompute({
        ...deps(),
        rollups: new RollupStore(measured, tableName),
        ingest: storeFor(config, measured, tableName),
      });
      return {
        calls,
        writeUnits: capacity.writeUnits,
        readUnits: capacity.readUnits,
        periods: summary.periods,
      };
    };
    const small = await cost(1);
    const large = await cost(10);
    expect(large.periods).toBe(small.periods);
    expect(large.calls).toBe(small.calls);
    expect(large.writeUnits).toBe(small.writeUnits);
    expect(large.readUnits).toBeLessThanOrEqual(small.readUnits * 1.1);
  }, 120_000);

  test('It should alert the owner once per review period while a target is off track', async () => {
    // Prepare: a key result far above the pace of a flat metric, reviewed weekly.
    const withTarget = structuredClone(config);
    withTarget.metrics.daily_activity = {
      ...withTarget.metrics.daily_activity!,
      cadence: 'weekly',
      target: { value: 1000, by: '2026-12-31', direction: 'increase' },
    };
    const { deps, runDay } = await setup(compileConfig(parseConfig(withTarget)));
    received.length = 0;

    // Act: ten days across two ISO weeks, recomputed daily and once more on the last.
    for (let day = 0; day < 10; day++) {
      await runDay(day, dayEvents(day));
      await recompute(deps());
    }
    await recompute(deps());

    // Assess
    const offTrack = received.filter((event) => event['detail-type'] === 'Metric Target Off Track');
    expect(offTrack.map((event) => (event.detail as { period: string }).period)).toEqual([
      '2026-W40',
      '2026-W41',
    ]);
    const detail = offTrack[0]!.detail as {
      metric: { id: string };
      target: { state: string; value: number };
    };
    expect(detail.metric.id).toBe('daily_activity');
    expect(detail.target).toMatchObject({ state: 'off_track', value: 1000 });
  }, 120_000);
});
