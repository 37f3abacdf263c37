import { describe, expect, test } from 'vitest';
import { compileConfig } from '../../../shared/domain/engine/compiled-config.js';
import type { Rollup } from '../../../shared/domain/rollup.js';
import { periodBounds, periodKey } from '../../../shared/domain/time/periods.js';
import type { AlertVerdict } from '../../../shared/ports/alerts.js';
import { backtestMetric } from '../../../shared/use-cases/backtest/backtest-metric.js';
import { alertOf } from '../../../shared/use-cases/recompute/deviation-alerts.js';
import { memoryStores } from '../../support/memory-stores.js';
import { dailySignups } from '../../support/weekly-signups.js';

const compiled = compileConfig(
  dailySignups({
    timeZone: 'UTC',
    grains: ['day', 'week'],
    calendar: [{ label: 'Summer holiday', date: '2026-07-23' }],
  }),
);
const defId = compiled.defIds['metric:daily_signups']!;
const DAY = 86_400_000;
/** Monday 2026-06-01: twelve weeks of days from here. */
const FIRST = Date.parse('2026-06-01T00:00:00Z');
const WEEKS = 12;
const at = (day: number) => FIRST + day * DAY;
const dayKey = (day: number) => periodKey(at(day), 'day', 'UTC');

/** Planted: a drop of 40% on Thursday 2026-07-09, one of 75% on Thursday 2026-08-06, and a holiday dip on Thursday 2026-07-23. */
const DROP = 38;
const DEEP_DROP = 66;
const HOLIDAY = 52;

/** A steady weekly shape, weekdays 1000 and weekends 600, within about 2%. */
function signupsOn(day: number): number {
  if (day === DROP) return 600;
  if (day === DEEP_DROP) return 250;
  if (day === HOLIDAY) return 400;
  const base = day % 7 >= 5 ? 600 : 1000;
  return base + (((day * 37) % 41) - 20);
}

function rollup(day: number, value: number | null, settled = true): Rollup {
  const period = dayKey(day);
  const { start, end } = periodBounds(period, 'day', 'UTC');
  return {
    metricId: 'daily_signups',
    defId,
    grain: 'day',
    period,
    start,
    end,
    value,
    expected: null,
    lower: null,
    upper: null,
    status: settled ? 'normal' : 'open',
    relativeDeviation: null,
    severity: null,
    settled,
    projection: null,
    updatedAt: end,
  };
}

/** The stored history, and alerts of three periods with the owners' verdicts. */
async function storedHistory(verdicts: Readonly<Record<number, AlertVerdict>> = {}) {
  const stores = memoryStores();
  for (let day = 0; day < WEEKS * 7; day++) await stores.rollups.putRollup(rollup(day, signupsOn(day)));
  for (const [day, verdict] of Object.entries(verdicts)) {
    const alert = alertOf(
      { ...rollup(Number(day), 1), status: 'deviating' },
      new Map(),
      compiled,
      'detected',
    );
    await stores.alerts.openAlert(alert, at(Number(day) + 1));
    await stores.alerts.acknowledgeAlert(alert, alert.alertId, { by: 'Ann', note: 'seen', at: 0, verdict });
  }
  return stores;
}

const whole = { metricId: 'daily_signups', grain: 'day', from: FIRST, to: at(WEEKS * 7) } as const;

describe('backtestMetric', () => {
  test('It should alert on exactly the two planted drops, not on the marked holiday, with alerts a month and precision', async () => {
    const stores = await storedHistory({ [DROP]: 'real', [HOLIDAY]: 'expected', 19: 'noise' });
    const report = await backtestMetric({ compiled, ...stores }, whole);

    expect(report.alerts.map((alert) => [alert.period, alert.kind, alert.observed])).toEqual([
      ['2026-07-09', 'detected', 600],
      ['2026-08-06', 'detected', 250],
    ]);
    expect(report.alerts[0]).toMatchObject({
      periodStart: '2026-07-09T00:00:00.000Z',
      severity: 'critical',
      marks: [],
      verdict: 'real',
    });
    const [first] = report.alerts;
    expect(first!.lower).toBeLessThan(first!.expected);
    expect(first!.upper).toBeGreaterThan(first!.expected);
    expect(first!.expected).toBeGreaterThan(950);
    expect(first!.relativeDeviation).toBeCloseTo((600 - first!.expected) / first!.expected, 10);
    // The holiday dipped as far, but its period is marked: kept quiet, not an alert.
    expect(report.quiet.map((alert) => [alert.period, alert.marks])).toEqual([
      ['2026-07-23', ['Summer holiday']],
    ]);
    // Four weeks learn (a band needs four same weekdays), eight are judged.
    expect([report.periods, report.judged, report.learning]).toEqual([84, 56, 28]);
    expect(report.months).toEqual([
      { month: '2026-06', alerts: 0 },
      { month: '2026-07', alerts: 1 },
      { month: '2026-08', alerts: 1 },
    ]);
    // 2026-06-01 to 2026-08-24: 2 months and 23 of August's 31 days.
    expect(report.monthSpan).toBe(2.7);
    expect(report.alertsPerMonth).toBe(0.7);
    // Only the verdict on an alerted period counts: the holiday's and a quiet day's do not.
    expect(report.precision).toEqual({ judged: 1, real: 1, expected: 0, noise: 0, precision: 1 });
    expect(report).toMatchObject({
      metric: { id: 'daily_signups', title: 'Daily sign-ups', definitionVersion: defId },
      grain: 'day',
      sensitivity: 1,
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-08-24T00:00:00.000Z',
    });
  });

  test('It should alert less at a higher sensitivity: only the deep drop leaves the wider band', async () => {
    const stores = await storedHistory({ [DROP]: 'real' });
    const report = await backtestMetric({ compiled, ...stores }, { ...whole, sensitivity: 5 });
    expect(report.sensitivity).toBe(5);
    expect(report.alerts.map((alert) => alert.period)).toEqual(['2026-08-06']);
    expect(report.alertsPerMonth).toBe(0.4);
    // The verdict was on a period this sensitivity no longer alerts.
    expect(report.precision).toBeNull();
  });

  test('It should judge the lead-in history before the range without reporting it', async () => {
    const stores = await storedHistory();
    const from = at(35);
    const report = await backtestMetric({ compiled, ...stores }, { ...whole, from });
    expect(report.alerts.map((alert) => alert.period)).toEqual(['2026-07-09', '2026-08-06']);
    // Every reported period has its eight weeks of history read before the range.
    expect([report.periods, report.judged, report.learning]).toEqual([49, 49, 0]);
    expect(report.months.map((month) => month.month)).toEqual(['2026-07', '2026-08']);
  });

  test("It should leave out the periods an owner's annotation marks, and periods not settled yet", async () => {
    const stores = await storedHistory();
    await stores.annotations.putAnnotation({
      id: 'outage',
      label: 'Outage',
      from: at(DEEP_DROP) + 3_600_000,
      to: at(DEEP_DROP) + 5 * 3_600_000,
      grains: ['day'],
      at: 0,
    });
    // The day in progress: a partial count, not judged.
    await stores.rollups.putRollup(rollup(WEEKS * 7, 10, false));
    const report = await backtestMetric({ compiled, ...stores }, { ...whole, to: at(WEEKS * 7 + 1) });
    expect(report.alerts.map((alert) => alert.period)).toEqual(['2026-07-09']);
    expect(report.quiet.map((alert) => [alert.period, alert.marks])).toEqual([
      ['2026-07-23', ['Summer holiday']],
      ['2026-08-06', ['Outage']],
    ]);
    expect([report.periods, report.judged, report.learning]).toEqual([85, 56, 28]);
  });

  test('It should answer an empty report for a range without stored values', async () => {
    const stores = memoryStores();
    const report = await backtestMetric({ compiled, ...stores }, { ...whole, grain: 'week' });
    expect(report).toMatchObject({ periods: 12, judged: 0, learning: 0, alerts: [], precision: null });
    expect(report.alertsPerMonth).toBe(0);
  });
});
