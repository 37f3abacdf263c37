import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type { RetentionTable } from '../../shared/use-cases/read-api/schemas.js';
import { weekOneRetention } from '../support/week-one-retention.js';
import { type Browser, launchChromium } from './chromium.js';

const DAY = 86_400_000;
/** Monday of 2026-W40; now is Wednesday of W44, so the cells of W43 and W44 are still open. */
const FIRST_MONDAY = Date.parse('2026-09-28T00:00:00Z');
const NOW = FIRST_MONDAY + 4 * 7 * DAY + 2 * DAY + 12 * 3_600_000;
const config = weekOneRetention;

/** Four sign-ups a week; of each week's, users 0 and 1 come back the week after, user 0 also two weeks after. */
function history(): { name: string; userId: string; at: number }[] {
  const events: { name: string; userId: string; at: number }[] = [];
  for (let week = 0; week < 4; week++) {
    const monday = FIRST_MONDAY + week * 7 * DAY;
    for (let user = 0; user < 4; user++) {
      const userId = `w${week}u${user}`;
      events.push({ name: 'signed_up', userId, at: monday + DAY + user * 60_000 });
      if (user < 2) events.push({ name: 'lesson', userId, at: monday + 8 * DAY });
      if (user === 0) events.push({ name: 'lesson', userId, at: monday + 15 * DAY });
    }
  }
  return events.filter((event) => event.at < NOW);
}

let runtime: Runtime;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [runtime, browser] = await Promise.all([
    startRuntime({ config, port: 0, clock: () => NOW, recomputeEveryMs: 0 }),
    launchChromium(),
  ]);
  const apps = eventBridgeClient(runtime.url);
  const entries = history().map((event, index) => ({
    Source: 'app.web',
    DetailType: event.name,
    Detail: JSON.stringify({
      eventId: `e${index}`,
      userId: event.userId,
      occurredAt: new Date(event.at).toISOString(),
    }),
  }));
  for (let at = 0; at < entries.length; at += 10)
    await apps.send(new PutEventsCommand({ Entries: entries.slice(at, at + 10) }));
  apps.destroy();
  await runtime.drained();
  await runtime.recomputeNow({ since: FIRST_MONDAY });
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
