import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { z } from 'zod';
import type { Runtime } from '../../local/runtime.js';
import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type { AnnotationList } from '../../shared/use-cases/read-api/routes-annotations.js';
import type { AlertList, MetricSeries } from '../../shared/use-cases/read-api/schemas.js';
import { WEEKS, wednesday } from '../support/small-product.js';
import { type Browser, launchChromium } from './chromium.js';
import { FIXTURE_NOW, type FixtureRuntime, fixtureConfig, startFixtureRuntime } from './fixture.js';

type Annotations = z.infer<typeof AnnotationList>;
/** Each test drives the page through several views and writes. */
const TIMEOUT = 120_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const HOLIDAY = 'Founders day';
/** The Wednesday of the last week: inside the daily chart's default range (its last 12 days). */
const HOLIDAY_DAY = new Date(wednesday(WEEKS - 1)).toISOString().slice(0, 10);

/** The grains a mark takes by default: hour and day, of those kept (the small product keeps day and week). */
const MARK_GRAINS = fixtureConfig.grains.filter((grain) => grain === 'hour' || grain === 'day');

/** The fixture's product, with a holiday every year on the Wednesday of its last week. */
const config = parseConfig({
  ...fixtureConfig,
  calendar: [{ label: HOLIDAY, date: HOLIDAY_DAY.slice(5) }],
});

let fixture: FixtureRuntime | undefined;
let runtime: Runtime;
let browser: Browser;
let page: Page;
let url: string;
const pageErrors: string[] = [];

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${url}${path}`, init);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** The annotations over a metric's default daily chart, as the page asks for them. */
async function annotationsOfChart(metricId: string): Promise<Annotations['annotations']> {
  const series = await api<MetricSeries>(`/api/metrics/${metricId}/series?grain=day`);
  const query = new URLSearchParams({ from: series.from, to: series.to });
  return (await api<Annotations>(`/api/annotations?${query}`)).annotations;
}

/** Opens a location of the dashboard with Live off (no redraw under the form), and waits for its view. */
async function open(hash: string, view: string): Promise<void> {
  await page.goto(`${url}/${hash}`);
  await page.locator(`[data-view="${view}"]`).waitFor();
  await page.locator('#live').uncheck();
}

/** A day alert of daily_visits, as the recompute records one. */
function dayAlert(day: string, fields: Partial<DeviationAlert>): DeviationAlert {
  const version = runtime.compiled.defIds['metric:daily_visits']!;
  const start = Date.parse(`${day}T00:00:00Z`);
  return {
    alertId: `${version}:day:${day}`,
    kind: 'detected',
    metric: {
      id: 'daily_visits',
      title: 'Daily visits',
      definitionVersion: version,
      definition: 'Visits in the day.',
    },
    grain: 'day',
    period: day,
    periodStart: new Date(start).toISOString(),
    periodEnd: new Date(start + DAY).toISOString(),
    observed: 40,
    expected: 20,
    band: { lower: 14, upper: 26 },
    relativeDeviation: 1,
    severity: 'warning',
    owner: { name: 'Learning', contact: 'learning@example.com', team: 'learning' },
    contributors: [],
    link: `${url}/#/metrics/daily_visits?grain=day&period=${day}`,
    ...fields,
  };
}

beforeAll(async () => {
  const [started, launched] = await Promise.allSettled([
    startFixtureRuntime({ config, badEntries: false }),
    launchChromium(),
  ]);
  if (started.status === 'rejected' || launched.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    if (launched.status === 'fulfilled') await launched.value.close();
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  fixture = started.value;
  runtime = fixture.runtime;
  browser = launched.value;
  url = runtime.url;
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

const spans = (selector = '[data-view=metric] [data-testid=chart-annotations]') =>
  page
    .locator(`${selector} rect[data-annotation]`)
    .evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-annotation')));

describe('dashboard annotations in chromium', () => {
  test(
    'Calendar: It should shade the holiday with its label on the day chart of every metric, and not at the week grain',
    async () => {
      const [holiday] = (await annotationsOfChart('daily_visits')).filter((item) => item.label === HOLIDAY);
      expect(holiday).toMatchObject({
        source: 'calendar',
        metrics: null,
        grains: MARK_GRAINS,
        from: `${HOLIDAY_DAY}T00:00:00.000Z`,
      });
      await open('#/metrics/daily_visits?grain=day', 'metric');
      const chart = page.locator('[data-view=metric] [data-testid=chart-annotations]');
      const rect = chart.locator(`rect[data-annotation="${holiday!.id}"]`);
      await rect.waitFor({ state: 'attached' });
      expect(await chart.locator(`text[data-annotation="${holiday!.id}"]`).textContent()).toBe(HOLIDAY);
      expect(await chart.locator('.chart-annotation title').first().textContent()).toContain(HOLIDAY);
      // One day of the chart's twelve: a column of about a twelfth of its width, inside it.
      const box = (await rect.boundingBox())!;
      const plot = (await page.locator('[data-view=metric] .u-over').boundingBox())!;
      expect(box.width).toBeGreaterThan(plot.width / 20);
      expect(box.width).toBeLessThan(plot.width / 6);
      expect(box.x).toBeGreaterThanOrEqual(plot.x);
      expect(box.x + box.width).toBeLessThanOrEqual(plot.x + plot.width + 0.5);
      expect(await page.locator('[data-view=metric] .chart').getAttribute('aria-label')).toContain(HOLIDAY);
      // Listed under the chart, from the configuration: nothing to remove.
      const item = page.locator(`[data-testid=annotation-list] li[data-annotation-id="${holiday!.id}"]`);
      expect(await item.locator('[data-testid=annotation-label]').textContent()).toBe(HOLIDAY);
      expect(await item.getAttribute('data-source')).toBe('calendar');
      expect(await item.locator('[data-testid=annotation-remove]').count()).toBe(0);
      // What tuning needs: the detector replayed over the metric's history, alerts a month.
      const rate = await page.locator('[data-view=metric] [data-testid=alert-rate]').textContent();
      const report = (await (await fetch(`${url}/api/metrics/daily_visits/backtest?grain=day`)).json()) as {
        alertsPerMonth: number;
      };
      expect(rate).toContain(`Alerts at sensitivity 1: ${report.alertsPerMonth} a month at day grain`);

      // A holiday marks hours and days, not the week around it.
      await open('#/metrics/weekly_visits', 'metric');
      expect(await page.locator('[data-view=metric] .uplot canvas').count()).toBeGreaterThan(0);
      expect(await spans()).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    'Annotate: It should show the API refusal next to the form, draw an added annotation on the chart and in the list, and remove it',
    async () => {
      await open('#/metrics/daily_visits?grain=day', 'metric');
      const form = page.locator('[data-testid=annotate-form]');
      const error = form.locator('.form-error');
      // The end before the start: the API's 400 is shown next to the form.
      await form.locator('#annotate-label').fill('Campaign launch');
      await form.locator('#annotate-from').fill('2026-10-31T00:00');
      await form.locator('#annotate-to').fill('2026-10-30T00:00');
      await form.locator('button[type=submit]').click();
      await expect.poll(() => error.textContent()).toContain('must be earlier than to');
      expect(await error.getAttribute('role')).toBe('alert');

      await form.locator('#annotate-from').fill('2026-10-30T00:00');
      await form.locator('#annotate-to').fill('2026-10-31T00:00');
      await form.locator('#annotate-only').check();
      await form.locator('button[type=submit]').click();
      const added = page.locator('[data-testid=annotation-list] li[data-source=annotation]');
      await added.waitFor();
      const id = (await added.getAttribute('data-annotation-id'))!;
      expect(await added.locator('[data-testid=annotation-label]').textContent()).toBe('Campaign launch');
      expect(await spans()).toEqual(expect.arrayContaining([id]));
      expect(
        await page.locator(`[data-testid=chart-annotations] text[data-annotation="${id}"]`).textContent(),
      ).toBe('Campaign launch');
      expect(await error.textContent()).toBe('');
      // As the API keeps it: for this metric only, at the default grains.
      const kept = (await annotationsOfChart('daily_visits')).find((item) => item.id === id);
      expect(kept).toMatchObject({
        label: 'Campaign launch',
        from: '2026-10-30T00:00:00.000Z',
        to: '2026-10-31T00:00:00.000Z',
        metrics: ['daily_visits'],
        grains: MARK_GRAINS,
        source: 'annotation',
      });
      // Another metric's day chart has the holiday, not this metric's annotation.
      await open('#/metrics/weekly_visits?grain=day', 'metric');
      await page
        .locator('[data-testid=chart-annotations] rect[data-annotation]')
        .first()
        .waitFor({ state: 'attached' });
      expect(await spans()).not.toContain(id);
      expect(await page.locator(`li[data-annotation-id="${id}"]`).count()).toBe(0);

      // Removed from its own page: gone from the list, the chart and the API.
      await open('#/metrics/daily_visits?grain=day', 'metric');
      await page.locator(`li[data-annotation-id="${id}"] [data-testid=annotation-remove]`).click();
      await page.locator(`li[data-annotation-id="${id}"]`).waitFor({ state: 'detached' });
      expect(await spans()).not.toContain(id);
      expect(await spans()).toHaveLength(1);
      expect((await annotationsOfChart('daily_visits')).map((item) => item.id)).not.toContain(id);
      expect(pageErrors).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    'Alerts: It should label a level shift, tag the marks of a period and say a quiet alert was not paged',
    async () => {
      const shiftDay = '2026-10-30';
      expect(
        await runtime.stores.alerts.openAlert(dayAlert(shiftDay, { kind: 'level_shift' }), FIXTURE_NOW),
      ).toBe(true);
      // The holiday's deviation, kept but not sent (unless the recompute recorded one already).
      await runtime.stores.alerts.openAlert(
        dayAlert(HOLIDAY_DAY, { marks: [HOLIDAY], quiet: true, observed: 2, relativeDeviation: -0.9 }),
        FIXTURE_NOW,
      );
      const list = await api<AlertList>('/api/alerts');
      const shift = list.alerts.find((alert) => alert.kind === 'level_shift')!;
      const marked = list.alerts.find(
        (alert) => alert.metric.id === 'daily_visits' && alert.period === HOLIDAY_DAY,
      )!;
      expect(shift).toMatchObject({ period: shiftDay, marks: [], quiet: false });
      expect(marked.marks).toEqual([HOLIDAY]);

      await open('#/alerts', 'alerts');
      const shiftCard = page.locator(`[data-alert-id="${shift.alertId}"]`);
      expect(await shiftCard.getAttribute('data-kind')).toBe('level_shift');
      expect(await shiftCard.locator('[data-testid=alert-kind]').textContent()).toBe('Level shift');
      expect(await shiftCard.locator('[data-testid=alert-mark]').count()).toBe(0);
      expect(await shiftCard.locator('[data-testid=alert-quiet]').count()).toBe(0);
      const markedCard = page.locator(`[data-alert-id="${marked.alertId}"]`);
      expect(await markedCard.locator('[data-testid=alert-mark]').allTextContents()).toEqual([HOLIDAY]);
      expect(await markedCard.locator('[data-testid=alert-quiet]').count()).toBe(marked.quiet ? 1 : 0);
      if (marked.quiet)
        expect(await markedCard.locator('[data-testid=alert-quiet]').textContent()).toBe(
          'not paged (marked period)',
        );
      // Other alerts carry neither.
      expect(await page.locator('[data-testid=alert-kind]').count()).toBe(
        list.alerts.filter((alert) => alert.kind === 'level_shift').length,
      );
      expect(pageErrors).toEqual([]);
    },
    TIMEOUT,
  );
});
