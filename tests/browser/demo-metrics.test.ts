import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packCalls } from '../../client/pack-entries.js';
import demo from '../../config/demo.config.js';
import { type DemoEvent, demoTraffic } from '../../local/demo-traffic.js';
import { batchEntries } from '../../local/entries.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type {
  FunnelReport,
  MetricBreakdown,
  MetricSeries,
  MetricTree,
  RetentionTable,
} from '../../shared/use-cases/read-api/schemas.js';
import { formatCount, formatValue } from '../../web/src/format.js';
import { runCli } from '../cli/cli-runner.js';
import { type Browser, launchChromium } from './chromium.js';

// The demo's tree as `npm start` runs it, on November's traffic at a sixteenth of its volume:
// the 30 days that end on 30 November, the month, and ISO weeks 45 to 48. Without the hour
// grain, which no playbook metric uses: its 720 periods would be most of the recompute.
const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
/** Days sent per PutEvents round: within the demo's lateness of 7 days. */
const DAYS_PER_ROUND = 3;
const DAY = 86_400_000;
/** Tuesday 02:00 UTC: November, ISO week 48 and Monday 30 November have settled. */
const NOW = Date.parse('2026-12-01T02:00:00Z');
const FROM = Date.parse('2026-11-01T00:00:00Z');
const LAST_DAY = Date.parse('2026-11-30T00:00:00Z');
const W47 = Date.parse('2026-11-16T00:00:00Z');
const W48 = Date.parse('2026-11-23T00:00:00Z');
const NOVEMBER = [Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z')] as const;

let runtime: Runtime;
let browser: Browser;
let page: Page;
let events: DemoEvent[];
let api: string[];

beforeAll(async () => {
  let now = FROM;
  [runtime, browser] = await Promise.all([
    startRuntime({ config, port: 0, clock: () => now, recomputeEveryMs: 0 }),
    launchChromium(),
  ]);
  api = ['--api-url', runtime.url];
  const traffic = demoTraffic({ seed: 11, dailyVisitors: 25 });
  const apps = eventBridgeClient(runtime.url);
  events = [];
  // A few days at a time, as an app that sends late would.
  for (let day = FROM; day < NOW; day += DAYS_PER_ROUND * DAY) {
    const until = Math.min(day + DAYS_PER_ROUND * DAY, NOW);
    const sent = traffic.between(day, until);
    events.push(...sent);
    now = until + 5_000;
    for (const call of packCalls(batchEntries(sent))) {
      const result = await apps.send(
        new PutEventsCommand({
          Entries: call.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
        }),
      );
      expect(result.FailedEntryCount ?? 0).toBe(0);
    }
    await runtime.drained();
  }
  apps.destroy();
  now = NOW;
  await runtime.recomputeNow({ since: FROM });
  page = await browser.context.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

/** A plain computation over the events sent, independent of the engines. */
const between = (name: string, from: number, to: number) =>
  events.filter((event) => event.name === name && within(event, from, to));
const within = (event: DemoEvent, from: number, to: number) => {
  const at = Date.parse(event.occurredAt);
  return at >= from && at < to;
};
const users = (list: readonly DemoEvent[]) => new Set(list.map((event) => event.userId));

function firstSeen(): Map<string, number> {
  const first = new Map<string, number>();
  for (const event of events) {
    const at = Date.parse(event.occurredAt);
    if (at < (first.get(event.userId) ?? Number.POSITIVE_INFINITY)) first.set(event.userId, at);
  }
  return first;
}

function expectedValues(): Record<string, number> {
  const active = (days: number) =>
    users(between('lesson_started', LAST_DAY - (days - 1) * DAY, LAST_DAY + DAY)).size;
  const first = firstSeen();
  const newOrders = between('payment_succeeded', W48, W48 + 7 * DAY).filter((event) => {
    const at = first.get(event.userId)!;
    return at >= W48 && at < W48 + 7 * DAY;
  }).length;
  const payments = between('payment_succeeded', ...NOVEMBER);
  const perUser = new Map<string, number>();
  for (const event of payments) perUser.set(event.userId, (perUser.get(event.userId) ?? 0) + 1);
  const repeat = [...perUser.values()].filter((count) => count >= 2).length;
  const earliestSignUp = new Map<string, number>();
  for (const event of events.filter((one) => one.name === 'signed_up')) {
    const at = Date.parse(event.occurredAt);
    if (at < (earliestSignUp.get(event.userId) ?? Number.POSITIVE_INFINITY))
      earliestSignUp.set(event.userId, at);
  }
  const cohort = [...earliestSignUp].filter(([, at]) => at >= W47 && at < W47 + 7 * DAY).map(([id]) => id);
  const returned = users(between('lesson_started', W48, W48 + 7 * DAY));
  return {
    learners_7d: active(7),
    learners_30d: active(30),
    learner_stickiness: active(7) / active(30),
    new_learner_orders: newOrders,
    repeat_payers: repeat,
    repeat_purchase_rate: repeat / perUser.size,
    week1_retention: cohort.filter((id) => returned.has(id)).length / cohort.length,
  };
}

const PERIODS: Record<string, string> = {
  learners_7d: '2026-11-30',
  learners_30d: '2026-11-30',
  learner_stickiness: '2026-11-30',
  new_learner_orders: '2026-W48',
  repeat_payers: '2026-11',
  repeat_purchase_rate: '2026-11',
  week1_retention: '2026-W47',
};

describe('the demo tree’s playbook metrics', () => {
  test('It should give each of them in northstar query the value a plain computation over the events gives', async () => {
    const expected = expectedValues();
    // Enough traffic that none of them is trivially zero.
    expect(expected.repeat_payers).toBeGreaterThan(0);
    expect(expected.new_learner_orders).toBeGreaterThan(0);
    expect(expected.week1_retention).toBeGreaterThan(0);
    for (const [id, period] of Object.entries(PERIODS)) {
      const result = await runCli(['query', 'metric', id, '--from', '2026-11-01', '--json', ...api]);
      expect(result.code, result.stderr).toBe(0);
      const point = (JSON.parse(result.stdout) as MetricSeries).points.find((one) => one.period === period);
      expect(point, `${id} ${period}`).toMatchObject({ settled: true });
      expect(point!.value, id).toBeCloseTo(expected[id]!, 12);
    }
    // The retention metric's cohorts, as a table: W47's value, its week-1 cell complete.
    const cohorts = await runCli(['query', 'cohorts', 'week1_retention', '--from', '2026-11-16', ...api]);
    expect(cohorts.code, cohorts.stderr).toBe(0);
    const share = `${(expected.week1_retention! * 100).toFixed(1)}%`;
    expect(cohorts.stdout).toMatch(
      new RegExp(`^2026-W47\\s+\\d+\\s+${share.replace('.', '\\.')}\\s+${share.replace('.', '\\.')}\\s`, 'm'),
    );
    // W48's week-1 cell is this week: not complete, marked.
    expect(cohorts.stdout).toMatch(/^2026-W48\s+\d+\s+\S+\*\s+\S+\*/m);
    const json = JSON.parse(
      (await runCli(['query', 'cohorts', 'week1_retention', '--from', '2026-11-16', '--json', ...api]))
        .stdout,
    ) as RetentionTable;
    expect(json.cohorts.map((cohort) => [cohort.period, cohort.retained[0]!.complete])).toEqual([
      ['2026-W47', true],
      ['2026-W48', false],
      ['2026-W49', false],
    ]);
  });

  test('It should split the demo’s sign-ups by platform and by method in northstar query, each value as a plain count gives it', async () => {
    const day = LAST_DAY;
    const signups = between('signed_up', day, day + DAY);
    for (const [by, of] of [
      ['platform', (event: DemoEvent) => event.context.platform],
      ['method', (event: DemoEvent) => String(event.properties.method)],
    ] as const) {
      const result = await runCli([
        'query',
        'metric',
        'daily_signups',
        '--by',
        by,
        '--from',
        '2026-11-30',
        '--json',
        ...api,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const split = JSON.parse(result.stdout) as MetricBreakdown;
      const values = Object.fromEntries(
        split.values.map((one) => [
          one.value,
          one.points.find((point) => point.period === '2026-11-30')?.value,
        ]),
      );
      const expected: Record<string, number> = Object.fromEntries(split.values.map((one) => [one.value, 0]));
      for (const event of signups) expected[of(event)] = (expected[of(event)] ?? 0) + 1;
      expect(values, by).toEqual(expected);
    }
    const table = await runCli([
      'query',
      'metric',
      'daily_signups',
      '--by',
      'platform',
      '--from',
      '2026-11-29',
      ...api,
    ]);
    expect(table.stdout).toMatch(/^period\s+web\s+ios\s+android\s+\(other\)\s+\(none\)$/m);
    expect(table.stdout).toMatch(/^2026-11-30\s+\d+/m);
  });

  test('It should split the activation funnel by the channel of each user’s first visit, in northstar query and on the funnel page', async () => {
    const result = await runCli([
      'query',
      'funnel',
      'activation',
      '--grain',
      'week',
      '--from',
      '2026-11-16',
      '--to',
      '2026-11-23',
      '--by',
      'channel',
      '--json',
      ...api,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as FunnelReport;
    // The plain computation: W47's entrants by the channel of their first visit, and who signed up within 14 days.
    const first = new Map<string, DemoEvent>();
    for (const event of events.filter((one) => one.name === 'page_viewed'))
      if (
        !first.has(event.userId) ||
        Date.parse(event.occurredAt) < Date.parse(first.get(event.userId)!.occurredAt)
      )
        first.set(event.userId, event);
    const expected = new Map<string, [number, number]>();
    for (const [userId, visit] of first) {
      const at = Date.parse(visit.occurredAt);
      if (at < W47 || at >= W48) continue;
      const channel = String(visit.properties.channel ?? '(none)');
      const signedUp = events.some(
        (one) =>
          one.userId === userId &&
          one.name === 'signed_up' &&
          Date.parse(one.occurredAt) >= at &&
          Date.parse(one.occurredAt) <= at + 14 * DAY,
      );
      const [entered, converted] = expected.get(channel) ?? [0, 0];
      expected.set(channel, [entered + 1, converted + (signedUp ? 1 : 0)]);
    }
    const got = Object.fromEntries(
      report
        .split!.values.filter((one) => one.steps[0]!.users > 0)
        .map((one) => [one.value, [one.steps[0]!.users, one.steps[1]!.users]]),
    );
    expect(got).toEqual(Object.fromEntries(expected));
    // Every user of the funnel is under exactly one value.
    expect(report.split!.values.reduce((sum, one) => sum + one.steps[0]!.users, 0)).toBe(
      report.steps[0]!.users,
    );

    await page.goto(`${runtime.url}/#/funnels/activation?grain=week&by=channel`);
    const table = page.locator('[data-view=funnel] [data-testid=funnel-split][data-by=channel]');
    await table.waitFor();
    const shown = await runCli([
      'query',
      'funnel',
      'activation',
      '--grain',
      'week',
      '--by',
      'channel',
      '--json',
      ...api,
    ]);
    for (const one of (JSON.parse(shown.stdout) as FunnelReport).split!.values)
      expect(
        await table.locator(`tr[data-value="${one.value}"] td[data-step="1"]`).textContent(),
        one.value,
      ).toBe(formatCount(one.steps[0]!.users));
  });

  test('It should show each of them in the dashboard: the latest value in the tree, the period’s value on its page', async () => {
    const expected = expectedValues();
    const tree = (await (await fetch(`${runtime.url}/api/metrics`)).json()) as MetricTree;
    await page.goto(`${runtime.url}/#/`);
    await page.locator('[data-testid=metric-tree]').waitFor();
    for (const [id, period] of Object.entries(PERIODS)) {
      const metric = tree.metrics.find((one) => one.id === id)!;
      expect(
        await page.locator(`li[data-metric-id="${id}"] > .node-row [data-testid=node-value]`).textContent(),
        id,
      ).toBe(formatValue(metric.latest?.value, metric.kind));
      await page.goto(`${runtime.url}/#/metrics/${id}`);
      const row = page.locator(`[data-view=metric] [data-testid=series-table] tr[data-period="${period}"]`);
      expect(await row.locator('[data-testid=point-value]').textContent(), id).toBe(
        formatValue(expected[id], metric.kind),
      );
      await page.goto(`${runtime.url}/#/`);
      await page.locator('[data-testid=metric-tree]').waitFor();
    }
  });
});
