import { describe, expect, test } from 'vitest';
import type { DeviationAlert } from '../../../../shared/domain/alerts/deviation-alert.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import type { ReviewDigest } from '../../../../shared/domain/review/review-digest.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import { memoryStores } from '../../../support/memory-stores.js';
import {
  DAY,
  DAYS,
  FIRST_DAY,
  LAST_WEEK_START,
  reviewConfig,
  reviewDayEvents,
  reviewEntries,
} from '../../../support/review-product.js';

const MINUTE = 60_000;
/** Monday 2 November, 00:00 UTC: the end of 2026-W44, the last week of traffic. */
const WEEK_END = FIRST_DAY + DAYS * DAY;

/** The real ingest and recompute on in-memory stores; the bus records what reaches it. */
function setup() {
  const compiled = compileConfig(reviewConfig);
  const stores = memoryStores();
  const alerts: DeviationAlert[] = [];
  const digests: ReviewDigest[] = [];
  const bus = {
    down: false,
    async publish(published: readonly DeviationAlert[]) {
      alerts.push(...published);
    },
    async publishDigests(published: readonly ReviewDigest[]) {
      if (bus.down) throw new Error('the bus is unreachable');
      digests.push(...published);
    },
  };
  let now = FIRST_DAY;
  const clock = () => now;
  const ingestDeps = { ...stores, compiled, schemas: trackingPlanSchemas(reviewConfig), clock };
  const run = () => recompute({ ...stores, compiled, bus, clock });
  const ingestDay = async (day: number, at: number) => {
    now = at;
    const events = reviewDayEvents(day);
    // Two sign-ups of the last week with a method the plan does not know: quarantined.
    if (day === LAST_WEEK_START + 2)
      events.push(
        ...[1, 2].map((i) => ({
          name: 'signed_up',
          eventId: `fax-${i}`,
          userId: `fax-${i}`,
          occurredAt: new Date(FIRST_DAY + day * DAY + 7_200_000).toISOString(),
          properties: { method: 'fax' },
        })),
      );
    const summary = await ingestRecords(reviewEntries(events, now, `d${day}`), ingestDeps);
    expect(summary.failedMessageIds).toEqual([]);
  };
  /** Every day up to `last`, each ingested and recomputed once it has settled (61 minutes after). */
  const runDays = async (last: number, onDay?: (day: number) => Promise<void>) => {
    for (let day = 0; day <= last; day++) {
      await ingestDay(day, FIRST_DAY + (day + 1) * DAY + 61 * MINUTE);
      await run();
      await onDay?.(day);
    }
  };
  const setNow = (at: number) => {
    now = at;
  };
  return { compiled, stores, bus, alerts, digests, run, runDays, ingestDay, setNow };
}

describe('review digests', () => {
  test('It should send the weekly digest on the Monday after the ISO week, once its periods settled', async () => {
    const { digests, run, runDays, ingestDay, setNow, stores } = setup();
    await runDays(DAYS - 2, async (day) => {
      // The owner acknowledges the first day the drop shows.
      if (day !== LAST_WEEK_START) return;
      const [first] = (await stores.alerts.listAlerts('2026-10-26', '2026-10-26')).filter(
        (stored) => stored.alert.metric.id === 'daily_signups',
      );
      expect(first).toBeDefined();
      await stores.alerts.acknowledgeAlert(first!.alert, first!.alert.alertId, {
        by: 'ana@example.com',
        note: 'Google sign-in broke with the release',
        at: FIRST_DAY + (day + 1) * DAY + 2 * 3_600_000,
        verdict: 'real',
      });
    });
    const weekly = () => digests.filter((digest) => digest.cadence === 'weekly');
    // Four weeks reviewed so far; the fifth ends at midnight.
    expect(weekly().map((digest) => digest.period)).toEqual(['2026-W40', '2026-W41', '2026-W42', '2026-W43']);
    // Monday 00:30: the week has ended, its Sunday has not settled.
    await ingestDay(DAYS - 1, WEEK_END + 30 * MINUTE);
    await run();
    expect(weekly()).toHaveLength(4);
    setNow(WEEK_END + 61 * MINUTE);
    await run();
    expect(weekly().map((digest) => [digest.team, digest.period])).toEqual([
      ['growth', '2026-W40'],
      ['growth', '2026-W41'],
      ['growth', '2026-W42'],
      ['growth', '2026-W43'],
      ['growth', '2026-W44'],
    ]);
    // Revenue reviews monthly: September on 1 October, October on 1 November.
    expect(
      digests.filter((digest) => digest.cadence === 'monthly').map((digest) => [digest.team, digest.period]),
    ).toEqual([
      ['revenue', '2026-09'],
      ['revenue', '2026-10'],
    ]);
    const digest = weekly().at(-1)!;
    const [signups, daily] = digest.metrics;
    expect(digest.metrics.map((metric) => metric.id)).toEqual(['weekly_signups', 'daily_signups']);
    // Weekly sign-ups halved: 280 against 560 the week before, Google all of the drop.
    expect(signups).toMatchObject({
      grain: 'week',
      period: '2026-W44',
      value: 280,
      previous: { period: '2026-W43', value: 560 },
      change: -0.5,
    });
    expect(signups!.status).toBe('deviating');
    expect(signups!.drivers?.headline).toMatch(/google/);
    expect(signups!.drivers?.breakdowns[0]?.values[0]).toMatchObject({
      value: 'google',
      observed: 0,
      expected: 280,
      share: 1,
    });
    // Values with no event in either period explain nothing and are left out.
    expect(signups!.drivers?.breakdowns[0]?.values.map((one) => one.value)).toEqual(['google', 'email']);
    expect(signups!.children).toEqual([
      { metricId: 'daily_signups', title: 'Daily sign-ups', change: -0.5, share: 1 },
    ]);
    expect(signups!.target).toMatchObject({ value: 1000, by: '2027-03-31', baseline: 560, current: 280 });
    // The daily child is read at the review's grain: its week.
    expect(daily).toMatchObject({ grain: 'week', period: '2026-W44', value: 280, change: -0.5 });
    expect(daily!.alerts[0]).toMatchObject({
      grain: 'day',
      period: '2026-10-26',
      acknowledgement: {
        by: 'ana@example.com',
        note: 'Google sign-in broke with the release',
        verdict: 'real',
      },
    });
    expect(signups!.quarantined).toBe(2);
    expect(digest.quarantined).toEqual({ all: 2, behindMetrics: 2 });
    expect(digest.freshness.settledThrough).toBe(new Date(WEEK_END + 61 * MINUTE).toISOString());

    // The email body, line by line.
    const lines = digest.text.split('\n');
    const band = (metric: typeof signups) =>
      `expected ${Math.round(metric!.expected!)}, band ${Math.round(metric!.band.lower!)} to ${Math.round(metric!.band.upper!)}`;
    expect(lines.slice(0, 4)).toEqual([
      'Northstar weekly review, growth: 2026-W44',
      'Period: 2026-W44 (2026-10-26 to 2026-11-01, UTC)',
      'Owners: Growth',
      '',
    ]);
    expect(lines.slice(4, 15)).toEqual([
      '* Weekly sign-ups (week 2026-W44)',
      '  Value: 280, previous week 560 (-50.0%)',
      `  Band: ${band(signups)}: outside its band (${(signups!.relativeDeviation! * 100).toFixed(1)}%)`,
      `  Target: 1,000 by 2027-03-31 (increase): ${Math.round(signups!.target!.progress! * 100)}% of the way, ${signups!.target!.state.replace(/_/g, ' ')}`,
      '  Children: Daily sign-ups 100% of the change (-50.0%)',
      `  Values behind the change: ${signups!.drivers!.headline}`,
      '  - Alert: target off track 2026-W44, open, not acknowledged',
      '  - Alert: detected week 2026-W44, critical, open, not acknowledged',
      '  Quarantined events: 2',
      '  Chart: http://127.0.0.1:4000/#/metrics/weekly_signups?grain=week&period=2026-W44',
      '',
    ]);
    const dailyLines = lines.slice(lines.indexOf('* Daily sign-ups (week 2026-W44)'));
    expect(dailyLines[1]).toBe('  Value: 280, previous week 560 (-50.0%)');
    expect(dailyLines).toContain(
      '  - Alert: detected day 2026-10-26, warning, open, acknowledged by ana@example.com as real: Google sign-in broke with the release',
    );
    expect(lines.slice(-3)).toEqual([
      `Freshness: latest event ${digest.freshness.latestEventAt}, periods settled through ${digest.freshness.settledThrough}`,
      "Quarantined events in the period: 2 in all, 2 of these metrics' events",
      'Review page: http://127.0.0.1:4000/#/review/growth',
    ]);
    expect(digest.text).not.toMatch(/[{}"]/);

    // A later run sends nothing again.
    setNow(WEEK_END + 3 * 3_600_000);
    expect((await run()).digests).toBe(0);
    expect(weekly()).toHaveLength(5);
  });

  test('It should record and send one digest per team and period when two recomputes run at once', async () => {
    const { digests, run, runDays, ingestDay, stores } = setup();
    await runDays(DAYS - 2);
    await ingestDay(DAYS - 1, WEEK_END + 61 * MINUTE);
    // The last day settles; two schedulers fire together.
    const [first, second] = await Promise.all([run(), run()]);
    const reviewed = digests.filter((digest) => digest.period === '2026-W44');
    expect(reviewed.map((digest) => digest.team)).toEqual(['growth']);
    expect(first.digests + second.digests).toBe(1);
    expect([...stores.data.digests.values()].filter((stored) => stored.digest.period === '2026-W44')).toEqual(
      [expect.objectContaining({ sent: true })],
    );
  });

  test('It should send a digest again after its send was interrupted, once, after a grace period', async () => {
    const { bus, digests, run, runDays, ingestDay, setNow, stores } = setup();
    await runDays(DAYS - 2);
    await ingestDay(DAYS - 1, WEEK_END + 61 * MINUTE);
    bus.down = true;
    await expect(run()).rejects.toThrow('the bus is unreachable');
    const stored = () => [...stores.data.digests.values()].filter((one) => one.digest.period === '2026-W44');
    expect(stored()).toEqual([expect.objectContaining({ sent: false })]);
    bus.down = false;
    // Within the grace a concurrent run may still be sending it: left alone.
    setNow(WEEK_END + 66 * MINUTE);
    await run();
    expect(digests.filter((digest) => digest.period === '2026-W44')).toEqual([]);
    setNow(WEEK_END + 75 * MINUTE);
    expect((await run()).resent).toBe(1);
    expect(digests.filter((digest) => digest.period === '2026-W44').map((digest) => digest.digestId)).toEqual(
      ['growth:weekly:2026-W44'],
    );
    expect(stored()).toEqual([expect.objectContaining({ sent: true })]);
    setNow(WEEK_END + 90 * MINUTE);
    await run();
    expect(digests.filter((digest) => digest.period === '2026-W44')).toHaveLength(1);
  });
});
