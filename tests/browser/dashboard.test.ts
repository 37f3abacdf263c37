import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type {
  AlertList,
  FunnelReport,
  JourneyReport,
  MetricSeries,
  MetricTree,
  PipelineStatus,
  QuarantineReport,
} from '../../shared/use-cases/read-api/schemas.js';
import {
  formatChange,
  formatCount,
  formatDuration,
  formatPeriod,
  formatRate,
  formatTime,
  formatValue,
} from '../../web/src/format.js';
import type { Browser } from './chromium.js';
import { FIXTURE_NOW, type FixtureRuntime, startFixtureAndBrowser } from './fixture.js';

let fixture: FixtureRuntime;
let browser: Browser;
let page: Page;
let url: string;
const pageErrors: string[] = [];

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** Opens a location of the dashboard and waits for its view to render. */
async function open(hash: string, view: string): Promise<void> {
  await page.goto(`${url}/${hash}`);
  await page.locator(`[data-view="${view}"]`).waitFor();
}

const texts = (selector: string) => page.locator(selector).allTextContents();
const text = async (selector: string) => (await page.locator(selector).first().textContent())?.trim();

beforeAll(async () => {
  ({ fixture, browser } = await startFixtureAndBrowser());
  url = fixture.runtime.url;
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

describe('dashboard in chromium', () => {
  test('Overview: It should show the north star headline with the numbers of the read API', async () => {
    const tree = await api<MetricTree>('/api/metrics');
    const series = await api<MetricSeries>(`/api/metrics/${tree.northStar}/series`);
    const northStar = tree.metrics.find((metric) => metric.id === tree.northStar)!;
    const settled = series.points.filter((point) => point.settled);
    const [previous, last] = settled.slice(-2);
    await open('#/', 'overview');
    expect(await text('#headline-title')).toBe(`★ ${northStar.title}`);
    expect(await text('[data-testid=headline-settled]')).toBe(formatValue(last?.value, northStar.kind));
    expect(await text('[data-testid=headline-settled]')).toBe('1');
    expect(await text('[data-testid=headline-change]')).toBe(
      formatChange(((last?.value ?? 0) - (previous?.value ?? 0)) / Math.abs(previous?.value ?? 1)),
    );
    // Every period has settled: nothing is in progress.
    expect(series.points.at(-1)?.settled).toBe(true);
    expect(await text('[data-testid=headline-current]')).toBe('–');
    // The trend is a uPlot chart with the value and expected series.
    expect(await page.locator('[data-testid=headline] .uplot canvas').count()).toBeGreaterThan(0);
    expect(await texts('[data-testid=headline] .u-legend .u-label')).toEqual(
      expect.arrayContaining(['Value', 'Expected', 'Deviating']),
    );
    expect(pageErrors).toEqual([]);
  });

  test('Metric tree: It should show every metric with its value, status, owner and cadence, as the read API does', async () => {
    const tree = await api<MetricTree>('/api/metrics');
    await open('#/', 'overview');
    const shown = await page
      .locator('[data-testid=metric-tree] li[data-metric-id]')
      .evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.metricId));
    expect(shown).toEqual(tree.metrics.map((metric) => metric.id));
    for (const metric of tree.metrics) {
      const node = `li[data-metric-id="${metric.id}"] > .node-row`;
      expect(await text(`${node} [data-testid=node-value]`), metric.id).toBe(
        formatValue(metric.latest?.value, metric.kind),
      );
      expect(await text(`${node} [data-testid=node-period]`), metric.id).toBe(formatPeriod(metric.latest));
      expect(await text(`${node} [data-testid=node-owner]`)).toBe(metric.owner.name);
      expect(await text(`${node} [data-testid=node-cadence]`)).toBe(metric.cadence);
      expect(await page.locator(`li[data-metric-id="${metric.id}"]`).getAttribute('data-status')).toBe(
        metric.latest?.status ?? 'no_data',
      );
    }
    const statusOf = (id: string) => page.locator(`li[data-metric-id="${id}"]`).getAttribute('data-status');
    expect(await statusOf('weekly_learners')).toBe('deviating');
    expect(await statusOf('weekly_visits')).toBe('normal');
  });

  test('Metric tree: It should open a data definition from the keyboard', async () => {
    await open('#/', 'overview');
    const toggle = page.locator('li[data-metric-id="weekly_signups"] > .node-row .toggle');
    const definition = page.locator('li[data-metric-id="weekly_signups"] > [data-testid=node-definition]');
    expect(await definition.isVisible()).toBe(false);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await definition.waitFor({ state: 'visible' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await definition.locator('p').textContent()).toBe('Sign-ups in the ISO week.');
  });

  test('Metric detail: It should chart the series with its band and target and list the API points, at any grain', async () => {
    const series = await api<MetricSeries>('/api/metrics/weekly_visits/series');
    await open('#/metrics/weekly_visits', 'metric');
    const rows = async () =>
      page.locator('[data-testid=series-table] tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({
          period: (tr as HTMLElement).dataset.period,
          value: tr.querySelector('[data-testid=point-value]')?.textContent,
          expected: tr.querySelector('[data-testid=point-expected]')?.textContent,
          status: (tr as HTMLElement).dataset.status,
        })),
      );
    const expected = (points: MetricSeries['points']) =>
      [...points].reverse().map((point) => ({
        period: point.period,
        value: formatValue(point.value, 'count'),
        expected: formatValue(point.expected, 'count'),
        status: point.status,
      }));
    expect(await rows()).toEqual(expected(series.points));
    expect(series.points.length).toBe(5);
    expect(await texts('[data-view=metric] .u-legend .u-label')).toEqual(
      expect.arrayContaining(['Value', 'Expected', 'Target']),
    );
    // The grain picker is a URL: the day grain loads the day series.
    await page.selectOption('#grain-picker', 'day');
    await page.waitForFunction(() => location.hash === '#/metrics/weekly_visits?grain=day');
    await page.waitForFunction(() =>
      /^\d{4}-\d{2}-\d{2}$/.test(
        document.querySelector<HTMLElement>('[data-testid=series-table] tbody tr')?.dataset.period ?? '',
      ),
    );
    const days = await api<MetricSeries>('/api/metrics/weekly_visits/series?grain=day');
    expect(await rows()).toEqual(expected(days.points));
    // The range picker too.
    await page.selectOption('#range-picker', '30');
    await page.waitForFunction(() => location.hash === '#/metrics/weekly_visits?grain=day&days=30');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=series-table] tbody tr').length > 12,
    );
    const from = new Date(Date.parse((await api<PipelineStatus>('/api/status')).now) - 30 * 86_400_000);
    const month = await api<MetricSeries>(
      `/api/metrics/weekly_visits/series?grain=day&from=${encodeURIComponent(from.toISOString())}`,
    );
    expect(await rows()).toEqual(expected(month.points));
  });

  test('Funnel: It should show users per step, conversions and the cohort table of the read API', async () => {
    const report = await api<FunnelReport>('/api/funnels/activation');
    await open('#/funnels', 'funnel');
    expect(await texts('[data-testid=step-users]')).toEqual(
      report.steps.map((step) => formatCount(step.users)),
    );
    expect(await texts('[data-testid=step-from-previous]')).toEqual(
      report.steps.map((step) => formatRate(step.fromPrevious)),
    );
    expect(await texts('[data-testid=step-from-first]')).toEqual(
      report.steps.map((step) => formatRate(step.fromFirst)),
    );
    expect(report.steps.map((step) => step.users)).toEqual([19, 9, 9]);
    const cohorts = await page
      .locator('[data-testid=cohort-table] tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          (tr as HTMLElement).dataset.period,
          [...tr.querySelectorAll('td')].slice(0, -1).map((td) => td.textContent),
        ]),
      );
    expect(cohorts).toEqual(
      [...report.cohorts].reverse().map((cohort) => [cohort.period, cohort.users.map(formatCount)]),
    );
  });

  test('Journey: It should show each stage with new users, the current distribution and conversion', async () => {
    const report = await api<JourneyReport>('/api/journey');
    await open('#/journey', 'journey');
    expect(await texts('[data-testid=stage-new]')).toEqual(
      report.stages.map((stage) => formatCount(stage.newUsers)),
    );
    expect(await texts('[data-testid=stage-current]')).toEqual(
      report.stages.map((stage) => formatCount(stage.currentUsers)),
    );
    expect(await texts('[data-testid=stage-beyond]')).toEqual(
      report.stages.map((stage) => formatCount(stage.atOrBeyond)),
    );
    expect(await texts('[data-testid=stage-conversion]')).toEqual(
      report.stages.map((stage) => formatRate(stage.conversionFromPrevious)),
    );
    expect(report.stages.map((stage) => stage.atOrBeyond)).toEqual([19, 9, 9]);
  });

  test('Quarantine: It should count rejected events by reason, show samples, and say when there are none', async () => {
    const report = await api<QuarantineReport>('/api/quarantine');
    await open('#/quarantine', 'quarantine');
    expect(report.total).toBe(2);
    expect(await text('[data-testid=quarantine-total]')).toBe(formatCount(report.total));
    const reasons = await page
      .locator('[data-testid=quarantine-reasons] tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          (tr as HTMLElement).dataset.reason,
          tr.querySelector('[data-testid=reason-count]')?.textContent,
        ]),
      );
    expect(reasons).toEqual(report.reasons.map((reason) => [reason.reason, formatCount(reason.count)]));
    expect(await page.locator('[data-testid=quarantine-samples] tbody tr').count()).toBe(
      report.samples.length,
    );
    // The quarantine of today alone is empty: an empty state, not an empty table.
    await open('#/quarantine?days=1', 'quarantine');
    expect(await text('[data-view=quarantine] [data-state=empty]')).toContain('Nothing quarantined');
    expect(await page.locator('[data-testid=quarantine-reasons]').count()).toBe(0);
  });

  test('Alerts: It should list the alerts with observed vs expected and ranked contributors, and open the metric detail on click', async () => {
    const list = await api<AlertList>('/api/alerts');
    await open('#/alerts', 'alerts');
    const shown = await page
      .locator('[data-testid=alert-list] > li')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.alertId));
    expect(shown).toEqual(list.alerts.map((alert) => alert.alertId));
    expect(list.alerts.map((alert) => [alert.metric.id, alert.period, alert.state])).toEqual([
      ['weekly_learners', '2026-W44', 'open'],
      ['weekly_signups', '2026-W44', 'open'],
    ]);
    for (const alert of list.alerts) {
      const card = `[data-alert-id="${alert.alertId}"]`;
      expect(await text(`${card} [data-testid=alert-state]`)).toBe(alert.state);
      expect(await text(`${card} [data-testid=alert-observed]`)).toBe(formatValue(alert.observed, 'count'));
      expect(await text(`${card} [data-testid=alert-expected]`)).toBe(formatValue(alert.expected, 'count'));
      expect(await text(`${card} [data-testid=alert-deviation]`)).toBe(formatChange(alert.relativeDeviation));
    }
    const learners = list.alerts[0]!;
    const contributors = await page
      .locator(`[data-alert-id="${learners.alertId}"] [data-testid=alert-contributors] tbody tr`)
      .evaluateAll((trs) =>
        trs.map((tr) => [
          (tr as HTMLElement).dataset.metricId,
          tr.querySelector('[data-testid=contributor-share]')?.textContent,
        ]),
      );
    expect(contributors).toEqual(
      learners.contributors.map((contributor) => [contributor.metricId, formatRate(contributor.share)]),
    );
    expect(contributors[0]).toEqual(['weekly_signups', '100%']);

    await page.locator(`[data-alert-id="${learners.alertId}"] [data-testid=alert-link]`).click();
    await page.locator('[data-view=metric][data-metric-id=weekly_learners]').waitFor();
    expect(new URL(page.url()).hash).toBe('#/metrics/weekly_learners?grain=week&period=2026-W44');
    expect(await page.locator('tr.is-highlighted').getAttribute('data-period')).toBe('2026-W44');
    expect(await text('tr.is-highlighted [data-testid=point-status]')).toBe('deviating');
  });

  test('Acknowledge: It should acknowledge an alert with a note and show it acknowledged after a reload', async () => {
    const list = await api<AlertList>('/api/alerts');
    const signups = list.alerts.find((alert) => alert.metric.id === 'weekly_signups')!;
    const card = page.locator(`[data-alert-id="${signups.alertId}"]`);
    await open('#/alerts', 'alerts');
    await card.locator('input[name=by]').fill('Onboarding on call');
    await card.locator('input[name=note]').fill('known: campaign ended');
    await card.locator('select[name=verdict]').selectOption('expected');
    await card.locator('input[name=note]').press('Enter');
    await page.locator(`[data-alert-id="${signups.alertId}"][data-state=acknowledged]`).waitFor();

    await page.reload();
    await page.locator('[data-view=alerts]').waitFor();
    expect(await card.getAttribute('data-state')).toBe('acknowledged');
    expect(await card.locator('[data-testid=alert-state]').textContent()).toBe('acknowledged');
    expect(await card.locator('[data-testid=ack-by]').textContent()).toBe('Onboarding on call');
    expect(await card.locator('[data-testid=ack-note]').textContent()).toBe('known: campaign ended');
    expect(await card.locator('[data-testid=ack-form]').count()).toBe(0);
    expect(await card.locator('[data-testid=ack-verdict]').textContent()).toBe('expected');
    const after = await api<AlertList>('/api/alerts');
    expect(after.alerts.find((alert) => alert.alertId === signups.alertId)).toMatchObject({
      state: 'acknowledged',
      acknowledgement: { by: 'Onboarding on call', note: 'known: campaign ended', verdict: 'expected' },
    });
    // One verdict, not real: the metric's precision is 0 of 1 judged, as the API counts it.
    const judged = after.precision.find((row) => row.metricId === 'weekly_signups')!;
    expect(judged).toMatchObject({ expected: 1, precision: 0 });
    expect(
      await page
        .locator('[data-testid=alert-precision] tr[data-metric=weekly_signups] [data-testid=precision-value]')
        .textContent(),
    ).toBe(`${Math.round(judged.precision! * 100)}%`);
    // The other alert is still open, with its form.
    expect(await page.locator('[data-state=open] [data-testid=ack-form]').count()).toBe(1);
  });

  test('Freshness: It should show on every view the latest event, ingest lag and last recompute, and that the pipeline is stale', async () => {
    const status = await api<PipelineStatus>('/api/status');
    expect(status.stale).toBe(true);
    const views = [
      ['#/', 'overview'],
      ['#/metrics/weekly_learners', 'metric'],
      ['#/funnels/activation', 'funnel'],
      ['#/journey', 'journey'],
      ['#/alerts', 'alerts'],
      ['#/quarantine', 'quarantine'],
    ];
    for (const [hash, view] of views) {
      await open(hash!, view!);
      expect(await text('[data-testid=fresh-occurred]'), view).toBe(
        formatTime(status.latestEvent?.occurredAt),
      );
      expect(await text('[data-testid=fresh-arrived]')).toBe(formatTime(status.latestEvent?.arrivedAt));
      expect(await text('[data-testid=fresh-lag]')).toBe(
        formatDuration(status.latestEvent?.ingestLagSeconds ?? -1),
      );
      expect(await text('[data-testid=fresh-recompute]')).toBe(formatTime(status.lastRecomputeAt));
      expect(await text('[data-testid=fresh-state]')).toBe('Stale');
      expect(
        await page
          .locator('[data-testid=stale-reasons] li')
          .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.code)),
      ).toEqual(status.staleReasons.map((reason) => reason.code));
    }
    expect(pageErrors).toEqual([]);
  });
});

describe('dashboard live refresh', () => {
  // Last: the new event changes the freshness the tests above read.
  test('Live: It should show a new event and a fresh pipeline on refresh, without reloading the page', async () => {
    await open('#/', 'overview');
    expect(await text('[data-testid=fresh-state]')).toBe('Stale');
    const apps = eventBridgeClient(url);
    const occurredAt = new Date(FIXTURE_NOW - 60_000).toISOString();
    await apps.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'app.web',
            DetailType: 'visited',
            Detail: JSON.stringify({ eventId: 'live-1', userId: 'live', occurredAt }),
          },
        ],
      }),
    );
    apps.destroy();
    await fixture.runtime.drained();
    await page.locator('main').focus();
    await page.keyboard.press('r');
    await page.waitForFunction(
      (expected) => document.querySelector('[data-testid=fresh-occurred]')?.textContent === expected,
      formatTime(occurredAt),
    );
    const status = await api<PipelineStatus>('/api/status');
    expect(status).toMatchObject({ stale: false, staleReasons: [] });
    expect(await text('[data-testid=fresh-state]')).toBe('Fresh');
    expect(await page.locator('[data-testid=stale-reasons]').count()).toBe(0);
  });
});

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function rawGet(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    httpRequest({ host: target.hostname, port: target.port, path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('dashboard files and JSON bodies on the local runtime', () => {
  test('Serving: It should serve the build with content types, fall back to index.html for app paths, and never leave the build', async () => {
    const index = await rawGet('/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(script).toBeDefined();
    expect(await rawGet(`/${script}`)).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    const style = /href="\.\/(assets\/[^"]+\.css)"/.exec(index.body)?.[1];
    expect(await rawGet(`/${style}`)).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await rawGet('/alerts')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect((await rawGet('/assets/missing.js')).status).toBe(404);
    for (const path of [
      '/../package.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/a%00.js',
    ])
      expect((await rawGet(path)).status, path).toBe(404);
  });

  test('JSON bodies: It should answer 400 naming the body for malformed JSON and 413 for a body over the limit', async () => {
    const post = (body: string) =>
      fetch(`${url}/api/alerts/x/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const malformed = await post('{"by": "ann", ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: { code: 'invalid_parameter', parameter: 'body', message: 'body: is not valid JSON' },
    });
    const large = await post(JSON.stringify({ by: 'ann', note: 'x'.repeat(20_000) }));
    expect(large.status).toBe(413);
    const unknown = await post(JSON.stringify({ by: 'ann', note: 'known' }));
    expect(unknown.status).toBe(404);
  });
});

/** A page on another origin (another port of 127.0.0.1) that tries the writes a browser lets any page send. */
async function crossSitePage(
  target: string,
  alertId: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const script = `
    const target = ${JSON.stringify(target)};
    const ack = target + '/api/alerts/' + encodeURIComponent(${JSON.stringify(alertId)}) + '/ack';
    const body = JSON.stringify({ by: 'someone else', note: 'acknowledged from another site' });
    Promise.allSettled([
      fetch(ack, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }),
      fetch(ack, { method: 'POST', mode: 'no-cors', body }),
      fetch(ack, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      fetch(target + '/api/recompute', { method: 'POST', mode: 'no-cors', body: '{}' }),
    ]).then(() => { document.title = 'done'; });`;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><title>waiting</title><script>${script}</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The browser keeps its connection open: close() alone would wait for it.
        server.closeAllConnections();
      }),
  };
}

describe('cross-site requests in chromium', () => {
  test('Cross-site: It should not let a page on another origin acknowledge an alert or start a recompute', async () => {
    // Prepare
    const [alert] = (await api<AlertList>('/api/alerts')).alerts;
    expect(alert).toBeDefined();
    // Every recompute run ends by moving its last-run time: count those writes meanwhile.
    let recomputeRuns = 0;
    fixture.runtime.stores.client.middlewareStack.add(
      (next) => (args) => {
        if (JSON.stringify(args.input).includes('"RECOMPUTE"')) recomputeRuns++;
        return next(args);
      },
      { step: 'initialize', name: 'countRecomputeRuns' },
    );
    const other = await crossSitePage(url, alert!.alertId);
    const attacker = await browser.context.newPage();
    try {
      // Act
      await attacker.goto(other.url);
      await attacker.waitForFunction(() => document.title === 'done', undefined, { polling: 100 });
    } finally {
      await attacker.close();
      await other.close();
      fixture.runtime.stores.client.middlewareStack.remove('countRecomputeRuns');
    }

    // Assess: the alert is as it was, and no recompute ran.
    const after = (await api<AlertList>('/api/alerts')).alerts.find(
      (each) => each.alertId === alert!.alertId,
    );
    expect(after).toEqual(alert);
    expect(recomputeRuns).toBe(0);
  });
});
