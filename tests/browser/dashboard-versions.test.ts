import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import type { AlertList, MetricSeries, MetricTree } from '../../shared/use-cases/read-api/schemas.js';
import {
  formatChange,
  formatCount,
  formatEventRate,
  formatPercent,
  formatTimeLeft,
  formatValue,
} from '../../web/src/format.js';
import { FIRST_MONDAY, smallProductWeek, WEEKS, wednesday } from '../support/small-product.js';
import { type Browser, launchChromium } from './chromium.js';
import { FIXTURE_NOW, fixtureConfig } from './fixture.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/**
 * Each event is sent this many times, as single entries: resends change no number, but
 * give the archive more entries than one backfill batch, so a backfill can be caught mid-way.
 */
const COPIES = 9;
const REDEFINED = 'weekly_signups';

/** Sign-ups now count completed lessons too: a new definition, backfilled; its ratio follows. */
const redefinedConfig = parseConfig({
  ...fixtureConfig,
  metrics: {
    ...fixtureConfig.metrics,
    [REDEFINED]: {
      ...fixtureConfig.metrics[REDEFINED]!,
      definition: 'Sign-ups and completed lessons in the ISO week.',
      events: ['signed_up', 'lesson_completed'],
    },
  },
});

/**
 * Holds the backfill's requests about the users of the last week (user items of another
 * namespace than live) until released: the backfill stops after the weeks before, for as
 * long as the test looks at it. Live ingest and the recompute are not held.
 */
function holdBackfillOfLastWeek() {
  const send = DynamoDBClient.prototype.send;
  const lastWeekUser = new RegExp(`"U#(?!live#)[^"#]+#w${WEEKS - 1}u\\d+"`);
  const waiting: (() => void)[] = [];
  let holding = true;
  function heldSend(this: DynamoDBClient, ...args: Parameters<typeof send>) {
    if (holding && lastWeekUser.test(JSON.stringify(args[0].input)))
      return new Promise<void>((resolve) => waiting.push(resolve)).then(() => send.apply(this, args));
    return send.apply(this, args);
  }
  DynamoDBClient.prototype.send = heldSend as typeof send;
  const release = () => {
    holding = false;
    for (const resolve of waiting.splice(0)) resolve();
  };
  return {
    held: () => waiting.length,
    release,
    restore() {
      release();
      DynamoDBClient.prototype.send = send;
    },
  };
}

/** Five weeks of the small product counted with the first definitions, into a data directory. */
async function countHistory(dataDir: string): Promise<void> {
  let now = FIRST_MONDAY;
  const first = await startRuntime({
    config: fixtureConfig,
    port: 0,
    dataDir,
    clock: () => now,
    recomputeEveryMs: 0,
  });
  const apps = eventBridgeClient(first.url);
  try {
    for (let week = 0; week < WEEKS; week++) {
      now = wednesday(week) + 12 * HOUR;
      const entries: PutEventsRequestEntry[] = [];
      for (let copy = 0; copy < COPIES; copy++)
        for (const { name, ...detail } of smallProductWeek(week))
          entries.push({ Source: 'app.web', DetailType: name, Detail: JSON.stringify(detail) });
      for (let at = 0; at < entries.length; at += 10) {
        const answer = await apps.send(new PutEventsCommand({ Entries: entries.slice(at, at + 10) }));
        if ((answer.FailedEntryCount ?? 0) > 0)
          throw new Error(`PutEvents refused ${answer.FailedEntryCount}`);
      }
      await first.drained();
      now = week === WEEKS - 1 ? FIXTURE_NOW : FIRST_MONDAY + (week + 1) * 7 * DAY + HOUR + MINUTE;
      await first.recomputeNow();
    }
  } finally {
    apps.destroy();
    await first.stop();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let dataDir: string;
let runtime: Runtime;
let browser: Browser;
let page: Page;
let url: string;
let gate: ReturnType<typeof holdBackfillOfLastWeek>;
const pageErrors: string[] = [];

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** The `/api/versions` answer the page reads next: rate and time left move while a backfill runs. */
function nextVersionsAnswer(): Promise<VersionsResponse> {
  return page
    .waitForResponse((response) => new URL(response.url()).pathname === '/api/versions')
    .then((response) => response.json() as Promise<VersionsResponse>);
}

const updatedAt = () => page.evaluate(() => document.querySelector('main')?.dataset.updatedAt ?? null);

/** Waits for a redraw of the page after `action`; the versions answer it read. */
async function redrawn(action: () => Promise<unknown>): Promise<VersionsResponse> {
  const before = await updatedAt();
  const [answer] = await Promise.all([
    nextVersionsAnswer(),
    (async () => {
      await action();
      await page.waitForFunction(
        (last) => document.querySelector('main')?.dataset.updatedAt !== last,
        before,
      );
    })(),
  ]);
  return answer;
}

/** Presses Refresh and waits for the redraw. */
const refresh = () => redrawn(() => page.click('#refresh-now'));

/** Opens a location (refreshes it when it is the one shown) and waits for a new render of its view. */
async function open(hash: string, view: string): Promise<VersionsResponse> {
  const here = page.url() === `${url}/${hash}`;
  const answer = await redrawn(() => (here ? page.click('#refresh-now') : page.goto(`${url}/${hash}`)));
  await page.locator(`[data-view="${view}"]`).waitFor();
  return answer;
}

const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim();

/** What the page must say of a backfill, from the answer it read. */
function progressTexts(backfill: NonNullable<VersionsResponse['backfill']>) {
  return {
    percent: formatPercent(backfill.percent),
    events: `${formatCount(backfill.events)} events counted`,
    periods: `${formatCount(backfill.periods.done)} of ${formatCount(backfill.periods.total)} days of history`,
    rate: formatEventRate(backfill.rate),
    eta: backfill.caughtUp ? 'caught up: shown next' : formatTimeLeft(backfill.etaSeconds),
  };
}

async function shownProgress(container: string) {
  const part = (name: string) => text(`${container} [data-testid=backfill-${name}]`);
  return {
    percent: await part('percent'),
    events: await part('events'),
    periods: await part('periods'),
    rate: await part('rate'),
    eta: await part('eta'),
  };
}

const versionsOf = (versions: VersionsResponse, id: string) =>
  versions.definitions.find((definition) => definition.key === `metric:${id}`)?.versions ?? [];

/** The comparison table's rows, newest first. */
const comparisonRows = () =>
  page.locator('[data-testid=version-table] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      period: (tr as HTMLElement).dataset.period,
      shown: tr.querySelector('[data-testid=version-shown]')?.textContent,
      other: tr.querySelector('[data-testid=version-other]')?.textContent,
      change: tr.querySelector('[data-testid=version-change]')?.textContent,
    })),
  );

/** Both versions' series as the read API answers them, by period of either, newest first. */
function expectedRows(shown: MetricSeries, other: MetricSeries) {
  const periods = new Map<string, number>();
  for (const point of [...shown.points, ...other.points]) periods.set(point.period, Date.parse(point.start));
  const periodValue = (series: MetricSeries, period: string) =>
    series.points.find((point) => point.period === period)?.value ?? null;
  return [...periods]
    .sort(([, a], [, b]) => b - a)
    .map(([period]) => {
      const a = periodValue(shown, period);
      const b = periodValue(other, period);
      return {
        period,
        shown: formatValue(a, 'count'),
        other: formatValue(b, 'count'),
        change: formatChange(a === null || b === null || a === 0 ? null : (b - a) / Math.abs(a)),
      };
    });
}

/**
 * What the comparison chart draws: the cursor is put over each period in turn and the
 * legend read, so the values come from the chart's own data, not from the table.
 */
async function chartValues(periodStarts: readonly number[]): Promise<[string, string][]> {
  const over = page.locator('[data-testid=version-chart] .u-over');
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  const first = periodStarts[0]!;
  const span = periodStarts.at(-1)! - first;
  const drawn: [string, string][] = [];
  for (const start of periodStarts) {
    const share = span === 0 ? 0.5 : (start - first) / span;
    const x = box.x + Math.min(Math.max(share * box.width, 1), box.width - 1);
    await page.mouse.move(x, box.y + box.height / 2);
    const legend = page.locator('[data-testid=version-chart] .u-legend .u-series .u-value');
    const label = new Date(start).toISOString().slice(0, 10);
    await expect.poll(async () => (await legend.first().textContent())?.trim()).toBe(label);
    const [, shown, other] = await legend.allTextContents();
    drawn.push([shown!.trim(), other!.trim()]);
  }
  return drawn;
}

/** The chart and the table both show the two series the read API answers, for the same periods. */
async function expectComparison(shown: MetricSeries, other: MetricSeries): Promise<void> {
  const rows = expectedRows(shown, other);
  expect(await comparisonRows()).toEqual(rows);
  const starts = [
    ...new Set([...shown.points, ...other.points].map((point) => Date.parse(point.start))),
  ].sort((a, b) => a - b);
  const oldestFirst = [...rows].reverse().map((row) => [row.shown, row.other]);
  expect(await chartValues(starts)).toEqual(oldestFirst);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'northstar-dashboard-versions-'));
  await countHistory(dataDir);
  gate = holdBackfillOfLastWeek();
  const [started, launched] = await Promise.allSettled([
    startRuntime({
      config: redefinedConfig,
      port: 0,
      dataDir,
      clock: () => FIXTURE_NOW,
      recomputeEveryMs: 0,
    }),
    launchChromium(),
  ]);
  if (started.status === 'fulfilled') runtime = started.value;
  if (launched.status === 'fulfilled') browser = launched.value;
  if (started.status === 'rejected') throw started.reason;
  if (launched.status === 'rejected') throw launched.reason;
  url = runtime.url;
  // The backfill has counted the weeks before the last and waits at the last one.
  await until('the backfill to stop at the last week', async () => {
    const { backfill } = await api<VersionsResponse>('/api/versions');
    return gate.held() > 0 && backfill && backfill.events > 0 && backfill.reached ? backfill : undefined;
  });
  // Rollups of the new version as far as it has counted, for the comparison.
  await runtime.recomputeNow({ since: FIRST_MONDAY });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await open('#/', 'overview');
  // Live off: the page changes only when a test refreshes it, so it reads one answer at a time.
  await page.uncheck('#live');
}, 150_000);

afterAll(async () => {
  gate?.restore();
  await browser?.close();
  await runtime?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('definition versions in the dashboard', () => {
  test('Backfilling: It should mark the redefined metrics in the tree and show the progress the read API reports', async () => {
    const versions = await refresh();
    const tree = await api<MetricTree>('/api/metrics');
    const backfill = versions.backfill!;
    expect(backfill).not.toBeNull();
    expect(backfill.percent).toBeGreaterThan(0);
    expect(backfill.percent).toBeLessThan(100);
    const backfilling = tree.metrics.filter((metric) => metric.backfilling).map((metric) => metric.id);
    expect(backfilling).toContain(REDEFINED);
    expect(backfilling).toEqual(
      tree.metrics
        .filter((metric) =>
          versionsOf(versions, metric.id).some((version) => version.state === 'backfilling'),
        )
        .map((metric) => metric.id),
    );
    for (const metric of tree.metrics) {
      const badge = page.locator(
        `li[data-metric-id="${metric.id}"] > .node-row [data-testid=backfill-badge]`,
      );
      if (!metric.backfilling) {
        expect(await badge.count(), metric.id).toBe(0);
        continue;
      }
      expect(await badge.textContent()).toBe(`backfilling ${formatPercent(backfill.percent)}`);
      expect(await badge.getAttribute('data-version')).toBe(metric.backfilling.definitionVersion);
      expect(await badge.getAttribute('title')).toContain(progressTexts(backfill).events);
    }
    // The status line under the freshness line: the same numbers, and what is being backfilled.
    expect(await shownProgress('[data-testid=backfill-status]')).toEqual(progressTexts(backfill));
    expect(await text('[data-testid=backfill-status] strong')).toBe(
      `Backfilling generation ${backfill.generation}`,
    );
    expect(await text('[data-testid=backfill-definitions]')).toContain(REDEFINED);
    expect(await page.locator('[data-testid=backfill-status] progress').getAttribute('value')).toBe(
      String(backfill.percent),
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);

  test('Backfilling: It should show the progress on the metric page and draw the shown version against the backfilling one', async () => {
    const versions = await open(`#/metrics/${REDEFINED}`, 'metric');
    const backfill = versions.backfill!;
    const [shownVersion, nextVersion] = [
      versionsOf(versions, REDEFINED).find((version) => version.state === 'shown')!,
      versionsOf(versions, REDEFINED).find((version) => version.state === 'backfilling')!,
    ];
    expect(nextVersion).toBeDefined();
    expect(await text('[data-testid=backfill-progress] [data-testid=backfill-badge]')).toBe(
      `backfilling ${formatPercent(backfill.percent)}`,
    );
    expect(await shownProgress('[data-testid=backfill-progress]')).toEqual(progressTexts(backfill));
    expect(await text('[data-testid=backfill-progress] p')).toContain(shownVersion.id);

    // The picker offers the other version, chosen by default.
    const options = await page
      .locator('#version-picker option')
      .evaluateAll((items) =>
        items.map((item) => [(item as HTMLOptionElement).value, (item as HTMLOptionElement).selected]),
      );
    expect(options).toEqual([[nextVersion.id, true]]);
    const [shown, other] = await Promise.all([
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series`),
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series?version=${nextVersion.id}`),
    ]);
    expect(other.metric.definitionVersion).toBe(nextVersion.id);
    expect(other.points.some((point) => point.value !== null)).toBe(true);
    expect(await page.locator('[data-testid=version-chart] .u-legend .u-label').allTextContents()).toEqual([
      'Period start',
      `Shown · ${shownVersion.id}`,
      `Backfilling · ${nextVersion.id}`,
    ]);
    await expectComparison(shown, other);
    expect(await text('[data-testid=version-partial]')).toContain(nextVersion.id);

    // A metric the new configuration left as it was has one version: no badge, no comparison.
    await open('#/metrics/weekly_visits', 'metric');
    expect(await page.locator('[data-testid=backfill-progress]').count()).toBe(0);
    expect(await page.locator('[data-testid=version-comparison]').count()).toBe(0);
    expect(await page.locator('#version-picker').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  test('Backfilled: It should drop the badge once the new version is shown and compare it with the one it replaced', async () => {
    const before = await api<VersionsResponse>('/api/versions');
    const oldId = versionsOf(before, REDEFINED).find((version) => version.state === 'shown')!.id;
    const newId = versionsOf(before, REDEFINED).find((version) => version.state === 'backfilling')!.id;
    await open(`#/metrics/${REDEFINED}`, 'metric');
    gate.release();
    await runtime.backfilled();
    // The switch recomputes the backfilled history (runs never overlap: this one follows or
    // does the same); its past deviations come back as history.
    await runtime.recomputeNow({ since: FIRST_MONDAY });
    await until('the historical alerts of the new version', async () => {
      const { alerts } = await api<AlertList>('/api/alerts');
      return (
        alerts.some((alert) => alert.historical && alert.metric.definitionVersion === newId) || undefined
      );
    });

    const versions = await refresh();
    expect(versions.backfill).toBeNull();
    expect(versionsOf(versions, REDEFINED).map(({ id, state }) => ({ id, state }))).toEqual([
      { id: newId, state: 'shown' },
      { id: oldId, state: 'replaced' },
    ]);
    expect(await page.locator('[data-testid=backfill-status]').count()).toBe(0);
    expect(await page.locator('[data-testid=backfill-progress]').count()).toBe(0);
    expect(await page.locator('[data-testid=backfill-badge]').count()).toBe(0);
    const options = await page
      .locator('#version-picker option')
      .evaluateAll((items) => items.map((item) => (item as HTMLOptionElement).value));
    expect(options).toEqual([oldId]);
    const [shown, old] = await Promise.all([
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series`),
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series?version=${oldId}`),
    ]);
    expect(shown.metric.definitionVersion).toBe(newId);
    expect(shown.points.map((point) => point.value)).not.toEqual(old.points.map((point) => point.value));
    expect(await page.locator('[data-testid=version-chart] .u-legend .u-label').allTextContents()).toEqual([
      'Period start',
      `Shown · ${newId}`,
      `Replaced · ${oldId}`,
    ]);
    await expectComparison(shown, old);

    // At another grain the comparison follows: the picker keeps the version, the series the grain.
    await page.selectOption('#grain-picker', 'day');
    await page.waitForFunction(() => location.hash.includes('grain=day'));
    await page.waitForFunction(() =>
      /^\d{4}-\d{2}-\d{2}$/.test(
        document.querySelector<HTMLElement>('[data-testid=version-table] tbody tr')?.dataset.period ?? '',
      ),
    );
    const [shownDays, oldDays] = await Promise.all([
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series?grain=day`),
      api<MetricSeries>(`/api/metrics/${REDEFINED}/series?grain=day&version=${oldId}`),
    ]);
    expect(await comparisonRows()).toEqual(expectedRows(shownDays, oldDays));

    // The overview has no badge and no status line either: nothing runs.
    await open('#/', 'overview');
    expect(await page.locator('[data-testid=backfill-badge]').count()).toBe(0);
    expect(await page.locator('[data-testid=backfill-status]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  test('Historical alerts: It should tag the alerts a backfill found in the past as historical, and no other', async () => {
    const list = await api<AlertList>('/api/alerts');
    await open('#/alerts', 'alerts');
    const historical = list.alerts.filter((alert) => alert.historical);
    expect(historical.length).toBeGreaterThan(0);
    expect(list.alerts.length).toBeGreaterThan(historical.length);
    const shown = await page
      .locator('[data-testid=alert-list] > li')
      .evaluateAll((items) =>
        items.map((item) => [
          (item as HTMLElement).dataset.alertId,
          (item as HTMLElement).dataset.historical,
          item.querySelector('[data-testid=alert-historical]')?.textContent ?? null,
        ]),
      );
    expect(shown).toEqual(
      list.alerts.map((alert) => [
        alert.alertId,
        String(alert.historical),
        alert.historical ? 'historical' : null,
      ]),
    );
    expect(await text('[data-testid=alert-counts]')).toContain(`${historical.length} of them historical`);
    // The replaced version's alert says which version it is about.
    const tree = await api<MetricTree>('/api/metrics');
    const shownVersion = new Map(tree.metrics.map((metric) => [metric.id, metric.definitionVersion]));
    for (const alert of list.alerts) {
      const note = page.locator(`[data-alert-id="${alert.alertId}"] [data-testid=alert-version]`);
      if (alert.metric.definitionVersion === shownVersion.get(alert.metric.id))
        expect(await note.count(), alert.alertId).toBe(0);
      else expect(await note.textContent()).toContain(alert.metric.definitionVersion);
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
