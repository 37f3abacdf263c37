import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { measureCapacity } from '../../bench/capacity.js';
import { type BusEvent, startLocalEventBus } from '../../local/event-bus.js';
import { EventBridgeAlertBus } from '../../shared/adapters/eventbridge/alert-bus.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { recompute } from '../../shared/use-cases/recompute/recompute.js';
import {
  config,
  DAY,
  dayEvents,
  entriesOf,
  FIRST_DAY,
  INCIDENT,
  settledAfter,
} from '../support/daily-activity.js';
import { freshTable, localClient } from '../support/dynamo.js';
import type { TestEvent } from '../support/entries.js';
import { ingestPipeline } from '../support/pipeline.js';

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
    ...storesFor(compiled.config, client, tableName),
    compiled,
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
      (event.detail as { metric?: { id: string } }).metric?.id === metricId &&
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
    // Review digests arrive on their days; no alert does.
    expect(
      received.filter((event) => event['detail-type'] !== 'Metric Review Digest'),
      'a wobble within 5% raises nothing',
    ).toEqual([]);

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
        ...storesFor(config, measured, tableName),
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
