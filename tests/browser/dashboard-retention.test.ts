import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import type { RetentionTable } from '../../shared/use-cases/read-api/schemas.js';
import { loadWeekOneHistory, WEEK_ONE_NOW, weekOneRetention } from '../support/week-one-retention.js';
import { type Browser, launchChromium } from './chromium.js';

const config = weekOneRetention;

let runtime: Runtime;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [runtime, browser] = await Promise.all([
    startRuntime({ config, port: 0, clock: () => WEEK_ONE_NOW, recomputeEveryMs: 0 }),
    launchChromium(),
  ]);
  await loadWeekOneHistory(runtime);
  page = await browser.context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

describe('dashboard retention in chromium', () => {
  test('It should show the cohorts by offset with the open cells marked, and the retention curve, as the read API does', async () => {
    const table = (await (await fetch(`${runtime.url}/api/metrics/week1/cohorts`)).json()) as RetentionTable;
    await page.goto(`${runtime.url}/#/metrics/week1`);
    const section = page.locator('[data-view=metric] [data-testid=retention]');
    await section.waitFor();

    // W40's cohort: 4 users, 2 back in W41 (50%), 1 in W42 (25%); all complete.
    const w40 = section.locator('tr[data-cohort="2026-W40"]');
    expect(await w40.locator('[data-testid=cohort-size]').textContent()).toBe('4');
    expect(await w40.locator('td[data-offset="1"]').textContent()).toBe('50%');
    expect(await w40.locator('td[data-offset="2"]').textContent()).toBe('25%');
    expect(await w40.locator('td[data-offset="1"]').getAttribute('data-complete')).toBe('true');
    // W43's week-1 cell is W44, still open: marked, and its value too.
    const w43 = section.locator('tr[data-cohort="2026-W43"]');
    expect(await w43.locator('td[data-offset="1"]').getAttribute('data-complete')).toBe('false');
    expect(await w43.locator('td[data-offset="1"]').textContent()).toMatch(/\*$/);
    expect(await w43.locator('[data-testid=cohort-value]').getAttribute('class')).toContain('is-incomplete');
    // Every cell as the read API gives it.
    for (const cohort of table.cohorts.filter((one) => one.size > 0))
      for (const cell of cohort.retained.slice(0, 3))
        expect(
          await section
            .locator(`tr[data-cohort="${cohort.period}"] td[data-offset="${cell.offset}"]`)
            .getAttribute('data-complete'),
          `${cohort.period} +${cell.offset}`,
        ).toBe(String(cell.complete));
    // The curve over complete cells: 6 of 12 at +1 (W40-W42), 2 of 8 at +2 (W40, W41), 0 of 4 at +3 (W40).
    const curve = section.locator('[data-testid=retention-curve]');
    expect(await curve.getAttribute('aria-label')).toContain('offset 1 50%');
    expect(await curve.getAttribute('aria-label')).toContain('offset 2 25%');
    expect(await curve.getAttribute('aria-label')).toContain('offset 3 0%');
    expect(await curve.locator('circle').count()).toBe(3);
  });
});
