import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type { AlertList, MetricBreakdown } from '../../shared/use-cases/read-api/schemas.js';
import { formatRate, formatValue } from '../../web/src/format.js';
import {
  INCIDENT_NOW,
  LAST_MONDAY,
  MONDAYS,
  methodIncidentConfig,
  mondaySignups,
} from '../support/method-incident.js';
import { type Browser, launchChromium } from './chromium.js';

const LAST = new Date(LAST_MONDAY).toISOString().slice(0, 10);

let runtime: Runtime;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  let now = MONDAYS[0]!;
  [runtime, browser] = await Promise.all([
    startRuntime({ config: methodIncidentConfig, port: 0, clock: () => now, recomputeEveryMs: 0 }),
    launchChromium(),
  ]);
  const apps = eventBridgeClient(runtime.url);
  // Each Monday's sign-ups sent that evening, as the apps would have.
  for (const [week, monday] of MONDAYS.entries()) {
    now = monday + 18 * 3_600_000;
    const entries = mondaySignups(week).map(({ name, ...detail }) => ({
      Source: 'app.web',
      DetailType: name,
      Detail: JSON.stringify(detail),
    }));
    for (let at = 0; at < entries.length; at += 10)
      await apps.send(new PutEventsCommand({ Entries: entries.slice(at, at + 10) }));
    await runtime.drained();
  }
  apps.destroy();
  now = INCIDENT_NOW;
  await runtime.recomputeNow({ since: MONDAYS[0]! });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const api = async <T>(path: string) => (await (await fetch(`${runtime.url}${path}`)).json()) as T;

describe('dashboard breakdowns in chromium', () => {
  test('Alerts: It should show the likely cause in one line and the values of the most concentrated breakdown on the alert card', async () => {
    const { alerts } = await api<AlertList>('/api/alerts');
    const alert = alerts.find((one) => one.period === LAST)!;
    expect(alert.cause).toMatch(/^\d+% of the drop: method = apple$/);
    await page.goto(`${runtime.url}/#/alerts`);
    const card = page.locator(`[data-alert-id="${alert.alertId}"]`);
    await card.waitFor();
    expect(await card.locator('[data-testid=alert-cause]').textContent()).toBe(
      `Likely cause: ${alert.cause}`,
    );
    const table = card.locator('[data-testid=alert-breakdown]');
    expect(await table.getAttribute('data-by')).toBe('method');
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          (tr as HTMLElement).dataset.value,
          tr.querySelector('[data-testid=value-share]')?.textContent,
        ]),
      );
    expect(rows).toEqual(
      alert.explanation!.breakdowns[0]!.values.map((one) => [one.value, formatRate(one.share)]),
    );
    expect(rows[0]![0]).toBe('apple');
    expect(pageErrors).toEqual([]);
  });

  test('Metric page: It should chart each value with its band, table the values of the period, and switch the breakdown', async () => {
    const split = await api<MetricBreakdown>(
      `/api/metrics/signups/breakdown?by=method&from=${new Date(MONDAYS[0]!).toISOString()}`,
    );
    await page.goto(`${runtime.url}/#/metrics/signups?days=90&period=${LAST}`);
    const section = page.locator('[data-view=metric] [data-testid=breakdown]');
    await section.waitFor();
    expect(await section.getAttribute('data-by')).toBe('method');
    // A chart per value with events in the range; (other) and (none) had none.
    const charts = await section
      .locator('[data-testid=breakdown-chart]')
      .evaluateAll((figures) => figures.map((figure) => (figure as HTMLElement).dataset.value));
    expect(charts).toEqual(['email', 'google', 'apple']);
    expect(await section.locator('[data-testid=breakdown-chart] canvas').count()).toBe(3);
    // The period's values as the read API gives them, the one that moved marked deviating.
    const table = section.locator(`[data-testid=breakdown-table][data-period="${LAST}"]`);
    for (const one of split.values) {
      const point = one.points.find((candidate) => candidate.period === LAST);
      const row = table.locator(`tr[data-value="${one.value}"]`);
      expect(await row.locator('[data-testid=breakdown-value]').textContent(), one.value).toBe(
        formatValue(point?.value, 'count'),
      );
    }
    expect(await table.locator('tr[data-value="apple"]').getAttribute('data-status')).toBe('deviating');
    expect(await table.locator('tr[data-value="email"]').getAttribute('data-status')).toBe('normal');

    await section.locator('#breakdown-picker').selectOption('platform');
    await page.locator('[data-view=metric] [data-testid=breakdown][data-by=platform]').waitFor();
    expect(new URL(page.url()).hash).toContain('by=platform');
    expect(
      await page
        .locator('[data-testid=breakdown][data-by=platform] [data-testid=breakdown-chart]')
        .evaluateAll((figures) => figures.map((figure) => (figure as HTMLElement).dataset.value)),
    ).toEqual(['web', 'ios']);
    expect(pageErrors).toEqual([]);
  });
});
