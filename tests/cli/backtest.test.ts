import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import type { Rollup } from '../../shared/domain/rollup.js';
import { periodBounds, periodKey } from '../../shared/domain/time/periods.js';
import type { BacktestReport } from '../../shared/use-cases/read-api/routes-backtest.js';
import { alertOf } from '../../shared/use-cases/recompute/deviation-alerts.js';
import { dailySignups } from '../support/weekly-signups.js';
import { runCli } from './cli-runner.js';

const config = dailySignups({
  timeZone: 'UTC',
  grains: ['day'],
  calendar: [{ label: 'Summer holiday', date: '2026-07-23' }],
});
const DAY = 86_400_000;
/** Monday 2026-06-01: twelve weeks of stored days from here, long settled. */
const FIRST = Date.parse('2026-06-01T00:00:00Z');
const DAYS = 84;
/** A drop of 40% (2026-07-09), a holiday dip (2026-07-23) and a drop of 75% (2026-08-06), all Thursdays. */
const PLANTED: Readonly<Record<number, number>> = { 38: 600, 52: 400, 66: 250 };
const signupsOn = (day: number) => PLANTED[day] ?? (day % 7 >= 5 ? 600 : 1000) + (((day * 37) % 41) - 20);
const range = ['--from', '2026-06-01', '--to', '2026-08-24'];

let runtime: Runtime;
let api: string[];

function rollup(defId: string, day: number): Rollup {
  const period = periodKey(FIRST + day * DAY, 'day', 'UTC');
  const { start, end } = periodBounds(period, 'day', 'UTC');
  return {
    metricId: 'daily_signups',
    defId,
    grain: 'day',
    period,
    start,
    end,
    value: signupsOn(day),
    expected: null,
    lower: null,
    upper: null,
    status: 'normal',
    relativeDeviation: null,
    severity: null,
    settled: true,
    projection: null,
    updatedAt: end,
  };
}

// Starting DynamoDB Local can take a while on a busy machine.
beforeAll(async () => {
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
  api = ['--api-url', runtime.url];
  const defId = runtime.compiled.defIds['metric:daily_signups']!;
  for (let day = 0; day < DAYS; day++) await runtime.stores.rollups.putRollup(rollup(defId, day));
  // The live pipeline alerted on the first drop, and its owner called it real.
  const alert = alertOf(
    { ...rollup(defId, 38), status: 'deviating' },
    new Map(),
    runtime.compiled,
    'detected',
  );
  await runtime.stores.alerts.openAlert(alert, FIRST + 39 * DAY);
  await runtime.stores.alerts.acknowledgeAlert(alert, alert.alertId, {
    by: 'Ann',
    note: 'checkout broke',
    at: FIRST + 39 * DAY,
    verdict: 'real',
  });
}, 120_000);

afterAll(async () => {
  await runtime.stop();
});

describe('northstar backtest against the read API', () => {
  test('It should print the alerts the detector would have raised, alerts a month and precision', async () => {
    const result = await runCli(['backtest', 'daily_signups', ...range, ...api]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      'Daily sign-ups (daily_signups), day, 2026-06-01T00:00:00.000Z to 2026-08-24T00:00:00.000Z: 84 periods, 56 judged, 28 learning',
    );
    expect(lines[1]).toMatch(/^period\s+kind\s+observed\s+expected\s+band\s+labels\s+verdict$/);
    const rows = lines.filter((line) => /^2026-\d\d-\d\d /.test(line));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^2026-07-09\s+detected\s+600\s+[\d.]+\s+[\d.]+ to [\d.]+\s+-\s+real$/);
    expect(rows[1]).toMatch(/^2026-08-06\s+detected\s+250\s+[\d.]+\s+[\d.]+ to [\d.]+\s+-\s+-$/);
    expect(result.stdout).toContain('2 alerts in 2.7 months: 0.7 a month at sensitivity 1\n');
    expect(result.stdout).toContain(
      '1 deviation in marked periods kept quiet, not counted: 2026-07-23 (Summer holiday)\n',
    );
    expect(result.stdout).toContain(
      'Precision 100.0%: 1 real, 0 expected, 0 noise of 1 alert with a verdict\n',
    );
  });

  test('It should answer JSON that parses, at the sensitivity asked for', async () => {
    const result = await runCli([
      'backtest',
      'daily_signups',
      '--grain',
      'day',
      '--sensitivity',
      '5',
      ...range,
      '--json',
      ...api,
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as BacktestReport;
    expect(report.sensitivity).toBe(5);
    expect(report.alerts.map((alert) => [alert.period, alert.kind, alert.observed])).toEqual([
      ['2026-08-06', 'detected', 250],
    ]);
    expect(report.months).toEqual([
      { month: '2026-06', alerts: 0 },
      { month: '2026-07', alerts: 0 },
      { month: '2026-08', alerts: 1 },
    ]);
    expect(report.alertsPerMonth).toBe(0.4);
    expect(report.precision).toBeNull();
  });

  test('It should refuse a bad metric, a range of more than 400 periods and a bad sensitivity', async () => {
    const unknown = await runCli(['backtest', 'nope', ...api]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404');
    const long = await runCli([
      'backtest',
      'daily_signups',
      '--from',
      '2025-01-01',
      ...range.slice(2),
      ...api,
    ]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('400 invalid_parameter: from: the range holds more than 400 day periods');
    const usage = await runCli(['backtest', 'daily_signups', '--sensitivity', '0', ...api]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--sensitivity must be a number above 0');
  });

  test('It should annotate a span, list it beside the calendar, leave its drop unpaged in the backtest, and remove it', async () => {
    // Act: annotate the day of the first drop, then list, backtest and remove.
    const added = await runCli([
      'annotate',
      'Payment outage',
      '--from',
      '2026-07-09',
      '--to',
      '2026-07-10',
      '--metric',
      'daily_signups',
      '--json',
      ...api,
    ]);
    const item = JSON.parse(added.stdout) as { id: string; label: string; grains: string[] };
    const listed = await runCli(['annotate', '--list', '--from', '2026-07-01', '--to', '2026-08-01', ...api]);
    const report = JSON.parse(
      (await runCli(['backtest', 'daily_signups', ...range, '--json', ...api])).stdout,
    ) as BacktestReport;
    const removed = await runCli(['annotate', '--remove', item.id, ...api]);
    const again = await runCli(['annotate', '--remove', item.id, ...api]);
    const badMetric = await runCli([
      'annotate',
      'x',
      '--from',
      '2026-07-09',
      '--to',
      '2026-07-10',
      '--metric',
      'nope',
      ...api,
    ]);

    // Assert
    expect(added.code, added.stderr).toBe(0);
    expect(item).toMatchObject({ label: 'Payment outage', grains: ['day'] });
    expect(listed.stdout).toContain('Payment outage');
    expect(listed.stdout).toContain('Summer holiday');
    expect(report.alerts.map((alert) => alert.period)).not.toContain('2026-07-09');
    expect(report.quiet.map((alert) => [alert.period, alert.marks])).toContainEqual([
      '2026-07-09',
      ['Payment outage'],
    ]);
    expect(removed.stdout).toContain(`Removed annotation ${item.id}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('404');
    expect(badMetric.code).toBe(1);
    expect(badMetric.stderr).toContain('"nope" is not a metric');
  });
});
