import { describe, expect, test } from 'vitest';
import type { DeviationAlert } from '../../../../shared/domain/alerts/deviation-alert.js';
import type { NorthstarConfig } from '../../../../shared/domain/config/schema.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import {
  config,
  DAY,
  dayEvents,
  entriesOf,
  FIRST_DAY,
  INCIDENT,
  settledAfter,
} from '../../../support/daily-activity.js';
import type { TestEvent } from '../../../support/entries.js';
import { memoryStores } from '../../../support/memory-stores.js';

const MINUTE = 60_000;

/** The real ingest and recompute use cases on in-memory stores, with a clock and a bus the test holds. */
function setup(withConfig: NorthstarConfig = config) {
  const compiled = compileConfig(withConfig);
  const stores = memoryStores();
  const published: DeviationAlert[] = [];
  const bus = {
    down: false,
    async publish(alerts: readonly DeviationAlert[]) {
      if (bus.down) throw new Error('the bus is unreachable');
      published.push(...alerts);
    },
    async publishDigests() {
      if (bus.down) throw new Error('the bus is unreachable');
    },
  };
  let now = FIRST_DAY;
  const clock = () => now;
  /** The arrival of the oldest entry still waiting for ingest; undefined: none. */
  let waiting: number | undefined;
  const ingestDeps = { ...stores, compiled, schemas: trackingPlanSchemas(withConfig), clock };
  const run = () => recompute({ ...stores, compiled, bus, clock, oldestWaiting: async () => waiting });
  /** Ingests a day's events at `at` (its arrival), by default once the day has settled. */
  const runDay = async (day: number, events: TestEvent[], at = settledAfter(day)) => {
    now = at;
    const summary = await ingestRecords(entriesOf(events, now, `d${day}`), ingestDeps);
    expect(summary.failedMessageIds).toEqual([]);
  };
  const history = async (days: number) => {
    for (let day = 0; day < days; day++) {
      await runDay(day, dayEvents(day));
      await run();
    }
  };
  const events = (kind: DeviationAlert['kind'], metricId?: string) =>
    published.filter((alert) => alert.kind === kind && (!metricId || alert.metric.id === metricId));
  return {
    compiled,
    stores,
    bus,
    run,
    runDay,
    history,
    events,
    setClock: (at: number) => void (now = at),
    setWaiting: (since: number | undefined) => void (waiting = since),
    now: () => now,
  };
}

describe('recompute on in-memory stores', () => {
  test('It should raise one alert per deviating metric and period however often it recomputes', async () => {
    // Prepare
    const pipeline = setup();
    await pipeline.history(INCIDENT);
    expect(pipeline.events('detected'), 'a wobble within 5% raises nothing').toEqual([]);

    // Act: the incident day has no sign-ups; three runs follow.
    await pipeline.runDay(INCIDENT, dayEvents(INCIDENT, 1, false));
    const first = await pipeline.run();
    pipeline.setClock(pipeline.now() + MINUTE);
    const second = await pipeline.run();
    const third = await pipeline.run();

    // Assess
    expect(first.detected).toBe(2);
    expect([second.detected, third.detected]).toEqual([0, 0]);
    const [activity] = pipeline.events('detected', 'daily_activity');
    expect(pipeline.events('detected', 'daily_activity')).toHaveLength(1);
    expect(pipeline.events('detected', 'daily_signups')).toHaveLength(1);
    expect(pipeline.events('detected', 'daily_lessons')).toEqual([]);
    expect(activity).toMatchObject({
      alertId: `${activity!.metric.definitionVersion}:day:${new Date(FIRST_DAY + INCIDENT * DAY).toISOString().slice(0, 10)}`,
      observed: 20,
      expected: 40,
      owner: { team: 'growth' },
    });
    expect(activity!.relativeDeviation).toBeCloseTo(-0.5);
    expect(activity!.contributors[0]).toMatchObject({ metricId: 'daily_signups' });
    expect(activity!.contributors[0]!.share).toBeGreaterThan(0.9);
  });

  test('It should judge no period while entries that arrived before it settled still wait, and judge it once ingest caught up', async () => {
    // Prepare: the incident day has no sign-ups, and a backlog from before it settled waits.
    const pipeline = setup();
    await pipeline.history(INCIDENT);
    // Ingested before the day settled; the run comes after, with older entries still waiting.
    await pipeline.runDay(INCIDENT, dayEvents(INCIDENT, 1, false), settledAfter(INCIDENT) - 45 * MINUTE);
    pipeline.setClock(settledAfter(INCIDENT));
    pipeline.setWaiting(settledAfter(INCIDENT) - 30 * MINUTE);

    // Act: one run while the backlog waits; then it drains (with nothing of that day) and one more.
    const held = await pipeline.run();
    const day = new Date(FIRST_DAY + INCIDENT * DAY).toISOString().slice(0, 10);
    const [heldRollup] = await pipeline.stores.rollups.latestRollups(
      pipeline.compiled.defIds['metric:daily_activity']!,
      'day',
      1,
    );
    pipeline.setWaiting(undefined);
    // Half an hour on: its dirty marks are behind the run's window, its settle time before the last run.
    pipeline.setClock(pipeline.now() + 30 * MINUTE);
    const judged = await pipeline.run();

    // Assess: held back, the day was shown unsettled and raised nothing; then both alerts, once.
    expect(held.detected).toBe(0);
    expect(heldRollup).toMatchObject({ period: day, settled: false });
    expect(judged.detected).toBe(2);
    expect(pipeline.events('detected', 'daily_activity')).toHaveLength(1);
    expect(pipeline.events('detected', 'daily_signups')).toHaveLength(1);
  });

  test('It should resolve an alert once, when late events bring its period back inside the band', async () => {
    // Prepare
    const pipeline = setup();
    await pipeline.history(INCIDENT);
    await pipeline.runDay(INCIDENT, dayEvents(INCIDENT, 1, false));
    await pipeline.run();

    // Act: the sign-ups arrive late; two runs follow.
    await pipeline.runDay(
      INCIDENT,
      dayEvents(INCIDENT).filter((event) => event.name === 'signed_up'),
    );
    pipeline.setClock(pipeline.now() + 2 * MINUTE);
    const first = await pipeline.run();
    const second = await pipeline.run();

    // Assess
    expect([first.resolved, second.resolved]).toEqual([2, 0]);
    expect(pipeline.events('resolved', 'daily_activity')).toHaveLength(1);
    expect(pipeline.events('resolved', 'daily_signups')).toHaveLength(1);
    expect(pipeline.events('resolved', 'daily_activity')[0]).toMatchObject({ observed: 40 });
    const [stored] = await pipeline.stores.alerts.listAlerts('2026-01-01', '2027-01-01');
    expect(stored).toMatchObject({ state: 'resolved', sent: { detected: true, resolved: true } });
  });

  test('It should send an alert whose sending failed again only once it is 10 minutes old, and then once', async () => {
    // Prepare: the bus is down when the incident is found.
    const pipeline = setup();
    await pipeline.history(INCIDENT);
    await pipeline.runDay(INCIDENT, dayEvents(INCIDENT, 1, false));
    pipeline.bus.down = true;
    await expect(pipeline.run()).rejects.toThrow('the bus is unreachable');
    const raisedAt = pipeline.now();
    pipeline.bus.down = false;

    // Act and assess: within the grace a run leaves it to the run that recorded it.
    pipeline.setClock(raisedAt + 9 * MINUTE);
    const early = await pipeline.run();
    expect(early.resent).toBe(0);
    expect(pipeline.events('detected', 'daily_activity')).toEqual([]);

    // Act and assess: past 10 minutes it is sent, once.
    pipeline.setClock(raisedAt + 10 * MINUTE + 1);
    const late = await pipeline.run();
    const after = await pipeline.run();
    expect(late.resent).toBeGreaterThanOrEqual(1);
    expect(after.resent).toBe(0);
    expect(pipeline.events('detected', 'daily_activity')).toHaveLength(1);
  });

  test('It should alert the owner of a target off track once per review period', async () => {
    // Prepare: a key result far above the pace of a flat metric, reviewed weekly.
    const withTarget = structuredClone(config);
    withTarget.metrics.daily_activity = {
      ...withTarget.metrics.daily_activity!,
      cadence: 'weekly',
      target: { value: 1000, by: '2026-12-31', direction: 'increase' },
    };
    const pipeline = setup(parseConfig(withTarget));

    // Act: ten days across two ISO weeks, recomputed daily and once more on the last.
    await pipeline.history(10);
    await pipeline.run();

    // Assess
    const offTrack = pipeline.events('target_off_track');
    expect(offTrack.map((alert) => alert.period)).toEqual(['2026-W40', '2026-W41']);
    expect(offTrack[0]).toMatchObject({
      metric: { id: 'daily_activity' },
      grain: 'target-weekly',
      target: { state: 'off_track', value: 1000 },
    });
  });

  test('It should return each metric’s latest value, for the operations dashboard', async () => {
    const pipeline = setup();
    await pipeline.history(3);
    const { latestValues } = await pipeline.run();
    expect(Object.fromEntries(latestValues.map(({ metricId, value }) => [metricId, value]))).toEqual({
      daily_activity: 2 * (20 + [0, 1, -1][2]!),
      daily_signups: 20 + [0, 1, -1][2]!,
      daily_lessons: 20 + [0, 1, -1][2]!,
    });
  });

  test('It should raise one level shift on the third day in a row below the band, then expect the new level', async () => {
    // Prepare: five weeks of about 40 a day, then activity at 30% of that level for six days
    // (a drop to half of 40 is within the counting noise of a count of 40).
    const pipeline = setup();
    await pipeline.history(INCIDENT);

    // Act
    for (let day = INCIDENT; day < INCIDENT + 6; day++) {
      await pipeline.runDay(day, dayEvents(day, 0.3));
      await pipeline.run();
    }

    // Assess: two deviation alerts, then one level shift on the third day, then nothing.
    const dayOf = (day: number) => new Date(FIRST_DAY + day * DAY).toISOString().slice(0, 10);
    expect(pipeline.events('detected', 'daily_activity').map((alert) => alert.period)).toEqual([
      dayOf(INCIDENT),
      dayOf(INCIDENT + 1),
    ]);
    const shifts = pipeline.events('level_shift', 'daily_activity');
    expect(shifts.map((alert) => alert.period)).toEqual([dayOf(INCIDENT + 2)]);
    expect(shifts[0]!.relativeDeviation).toBeLessThan(-0.4);
    const [latest] = await pipeline.stores.rollups.latestRollups(
      pipeline.compiled.defIds['metric:daily_activity']!,
      'day',
      1,
    );
    expect(latest).toMatchObject({ period: dayOf(INCIDENT + 5), status: 'normal' });
    // The new level: 12 to 14 a day.
    expect(latest!.expected).toBeGreaterThanOrEqual(12);
    expect(latest!.expected).toBeLessThanOrEqual(14);
  });

  test("It should keep a holiday's deviation with its label and send it only for a metric that pages marked days", async () => {
    // Prepare: the incident day is a holiday; sign-ups page for marked days, activity does not.
    const marked = structuredClone(config);
    const holiday = new Date(FIRST_DAY + INCIDENT * DAY).toISOString().slice(5, 10);
    marked.calendar = [{ label: 'Founders day', date: holiday, days: 1 }];
    marked.metrics.daily_signups = { ...marked.metrics.daily_signups!, pageMarked: true };
    const pipeline = setup(parseConfig(marked));
    await pipeline.history(INCIDENT);

    // Act
    await pipeline.runDay(INCIDENT, dayEvents(INCIDENT, 1, false));
    const summary = await pipeline.run();

    // Assess: both recorded with the label; only the sign-ups alert went out.
    expect(summary.detected).toBe(2);
    expect(pipeline.events('detected').map((alert) => [alert.metric.id, alert.marks])).toEqual([
      ['daily_signups', ['Founders day']],
    ]);
    const stored = await pipeline.stores.alerts.listAlerts('2026-01-01', '2027-01-01');
    const activity = stored.find((record) => record.alert.metric.id === 'daily_activity');
    expect(activity?.alert).toMatchObject({ marks: ['Founders day'], quiet: true });
  });

  test('It should leave an annotated day out of later history, and show the annotation with its deviation', async () => {
    // Prepare: a campaign four weeks before the incident tripled activity for a day.
    const pipeline = setup();
    const campaign = INCIDENT - 7;
    for (let day = 0; day < INCIDENT; day++) {
      await pipeline.runDay(day, dayEvents(day, day === campaign ? 3 : 1));
      if (day === campaign - 1)
        await pipeline.stores.annotations.putAnnotation({
          id: 'a1',
          label: 'Campaign launch',
          from: FIRST_DAY + campaign * DAY,
          to: FIRST_DAY + (campaign + 1) * DAY,
          grains: ['day'],
          at: pipeline.now(),
        });
      await pipeline.run();
    }

    // Assess: the campaign day is shown with its label, not sent; its weekday a week later expects the usual.
    expect(pipeline.events('detected')).toEqual([]);
    const defId = pipeline.compiled.defIds['metric:daily_activity']!;
    const rollups = await pipeline.stores.rollups.latestRollups(defId, 'day', 8);
    const byDay = new Map(rollups.map((rollup) => [rollup.period, rollup]));
    const dayOf = (day: number) => new Date(FIRST_DAY + day * DAY).toISOString().slice(0, 10);
    expect(byDay.get(dayOf(campaign))).toMatchObject({ status: 'deviating', marks: ['Campaign launch'] });
    expect(byDay.get(dayOf(campaign + 7))?.marks).toBeUndefined();
    expect(byDay.get(dayOf(INCIDENT - 1))).toMatchObject({ status: 'normal' });
    const stored = await pipeline.stores.alerts.listAlerts('2026-01-01', '2027-01-01');
    expect(
      stored.map((record) => [record.alert.metric.id, record.alert.quiet, record.alert.marks]),
    ).toContainEqual(['daily_activity', true, ['Campaign launch']]);
  });
});
