import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import type { ReviewDigest } from '../../shared/domain/review/review-digest.js';
import type { DigestList } from '../../shared/use-cases/read-api/routes-digests.js';
import type { AlertList, MetricTree } from '../../shared/use-cases/read-api/schemas.js';
import { formatChange, formatRate, formatTime, formatValue } from '../../web/src/format.js';
import type { TestEvent } from '../support/entries.js';
import {
  DAY,
  DAYS,
  FIRST_DAY,
  LAST_WEEK_START,
  reviewConfig,
  reviewDayEvents,
} from '../support/review-product.js';
import { type Browser, launchChromium } from './chromium.js';

/**
 * The review product with a third team, support, that reviews a metric each quarter; counting
 * noise of 1, so a small product's halving leaves its band.
 */
const config = parseConfig({
  ...reviewConfig,
  recompute: { ...reviewConfig.recompute, countNoise: 1 },
  metrics: {
    ...reviewConfig.metrics,
    quarterly_signups: {
      kind: 'count',
      title: 'Quarterly sign-ups',
      definition: 'Number of signed_up events in the calendar month, reviewed each quarter.',
      events: ['signed_up'],
      grain: 'month',
      cadence: 'quarterly',
      owner: { name: 'Support', contact: 'support@example.com', team: 'support' },
    },
  },
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WEEK = 7 * DAY;
/**
 * The review product a week later, from Monday 5 October: the third quarter has no traffic,
 * so support has nothing to review before 2026-Q4 ends. Its last week is 2026-W45.
 */
const dayStart = (day: number) => FIRST_DAY + WEEK + day * DAY;

let runtime: Runtime;
let browser: Browser;
let page: Page;
let now = FIRST_DAY;
const pageErrors: string[] = [];

const api = async <T>(path: string, init?: RequestInit) => {
  const response = await fetch(`${runtime.url}${path}`, init);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
};

/**
 * A day of the review product a week later, an eighth of its sign-ups (5 a day by each
 * method, no Google ones in the last week); on the third day of the last week two more with a
 * method the plan does not know.
 */
function dayEvents(day: number): TestEvent[] {
  const events = reviewDayEvents(day)
    .filter((_, index) => index % 8 === 0)
    .map((event) => ({ ...event, occurredAt: new Date(Date.parse(event.occurredAt) + WEEK).toISOString() }));
  if (day === LAST_WEEK_START + 2)
    for (const i of [1, 2])
      events.push({
        name: 'signed_up',
        eventId: `fax-${i}`,
        userId: `fax-${i}`,
        occurredAt: new Date(dayStart(day) + 2 * HOUR).toISOString(),
        properties: { method: 'fax' },
      });
  return events;
}

/** Days `from` to `to` (exclusive) sent by the apps in one call now, one batch a day, then ingested. */
async function send(apps: ReturnType<typeof eventBridgeClient>, from: number, to: number): Promise<void> {
  const Entries = [];
  for (let day = from; day < to; day++)
    Entries.push({
      Source: 'app.web',
      DetailType: BATCH_DETAIL_TYPE,
      Detail: JSON.stringify({ events: dayEvents(day) }),
    });
  const answer = await apps.send(new PutEventsCommand({ Entries }));
  expect(answer.FailedEntryCount ?? 0).toBe(0);
  await runtime.drained();
}

const onBus: ReviewDigest[] = [];

beforeAll(async () => {
  [runtime, browser] = await Promise.all([
    startRuntime({
      config,
      port: 0,
      clock: () => now,
      recomputeEveryMs: 0,
      onDigest: (event) => onBus.push(event.detail as ReviewDigest),
    }),
    launchChromium(),
  ]);
  const apps = eventBridgeClient(runtime.url);
  // Four weeks, each sent on its Sunday evening, then recomputed on the Monday after the last:
  // 2026-W44 and October are reviewed.
  for (let week = 0; week < 4; week++) {
    now = dayStart(week * 7 + 6) + 23 * HOUR;
    await send(apps, week * 7, week * 7 + 7);
  }
  now = dayStart(LAST_WEEK_START) + 61 * MINUTE;
  await runtime.recomputeNow({ since: dayStart(0) });
  // The Monday of the drop, recomputed once settled; its owner acknowledges the alert.
  now = dayStart(LAST_WEEK_START) + 20 * HOUR;
  await send(apps, LAST_WEEK_START, LAST_WEEK_START + 1);
  now = dayStart(LAST_WEEK_START + 1) + 61 * MINUTE;
  await runtime.recomputeNow();
  const { alerts } = await api<AlertList>('/api/alerts');
  const first = alerts.find((alert) => alert.metric.id === 'daily_signups' && alert.period === '2026-11-02');
  expect(first).toBeDefined();
  await api(`/api/alerts/${encodeURIComponent(first!.alertId)}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      by: 'ana@example.com',
      note: 'Google sign-in broke with the release',
      verdict: 'real',
    }),
  });
  // The rest of the week, then the Monday after: 2026-W45 is reviewed.
  now = dayStart(DAYS - 1) + 23 * HOUR;
  await send(apps, LAST_WEEK_START + 1, DAYS);
  now = dayStart(DAYS) + 61 * MINUTE;
  await runtime.recomputeNow();
  apps.destroy();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // A content security policy violation (an inline style or script) is logged as an error.
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

async function open(hash: string): Promise<void> {
  await page.goto(`${runtime.url}/${hash}`);
  await page.locator('[data-view=review]').waitFor();
}

describe('dashboard review page in chromium', () => {
  test("Review: It should show a team's latest digests, the newest open, with the numbers of the read API", async () => {
    const { digests, next } = await api<DigestList>('/api/digests?team=growth');
    // 2026-W44 reviewed on the first run, 2026-W45 on the Monday after it.
    expect(digests.map(({ digest }) => digest.period)).toEqual(['2026-W45', '2026-W44']);
    // Each listed digest also reached the runtime's bus, once: where email and chat take it on AWS.
    const listed = (await api<DigestList>('/api/digests')).digests.map(({ digest }) => digest.digestId);
    expect(onBus.map((digest) => digest.digestId).sort()).toEqual([...listed].sort());
    await open('#/review/growth');

    const cards = page.locator('[data-testid=digest-list] > details.digest');
    expect(
      await cards.evaluateAll((all) => all.map((card) => (card as HTMLDetailsElement).dataset.period)),
    ).toEqual(['2026-W45', '2026-W44']);
    expect(await cards.evaluateAll((all) => all.map((card) => (card as HTMLDetailsElement).open))).toEqual([
      true,
      false,
    ]);
    const { digest } = digests[0]!;
    const card = page.locator('[data-digest-id="growth:weekly:2026-W45"]');
    expect(await card.locator('summary').textContent()).toBe(
      'Weekly review 2026-W45 2026-11-02 to 2026-11-08 (UTC)',
    );
    expect(await card.locator('[data-testid=digest-meta]').textContent()).toBe(
      `Generated ${formatTime(digest.generatedAt)} for Growth. Latest event ${formatTime(digest.freshness.latestEventAt)}, periods settled through ${formatTime(digest.freshness.settledThrough)}.`,
    );
    expect(await card.locator('[data-testid=digest-quarantined]').textContent()).toBe(
      "Quarantined in the period: 2 events, 2 of them of these metrics' events.",
    );

    // Weekly sign-ups halved, Google all of the drop, off its target's pace.
    const signups = digest.metrics.find((metric) => metric.id === 'weekly_signups')!;
    expect(signups).toMatchObject({ value: 35, previous: { value: 70 }, change: -0.5, status: 'deviating' });
    const section = card.locator('[data-metric-id=weekly_signups]');
    expect(await section.locator('[data-testid=digest-metric-link]').getAttribute('href')).toBe(
      '#/metrics/weekly_signups?grain=week&period=2026-W45',
    );
    expect(await section.locator('[data-testid=digest-value]').textContent()).toBe('35');
    expect(await section.locator('[data-testid=digest-change]').textContent()).toBe(
      `${formatChange(-0.5)} vs 70 in 2026-W44`,
    );
    expect(await section.locator('[data-testid=digest-status]').textContent()).toBe('deviating');
    expect(await section.locator('[data-testid=digest-band]').textContent()).toContain(
      `expected ${formatValue(signups.expected, 'count')}`,
    );
    expect(await section.locator('[data-testid=digest-target]').textContent()).toContain(
      `1,000 by 2027-03-31: ${formatRate(signups.target!.progress)} of the way`,
    );
    expect(await section.locator('[data-testid=digest-pace]').getAttribute('class')).toContain(
      `pace-${signups.target!.state}`,
    );
    expect(await section.locator('[data-testid=digest-children]').textContent()).toBe(
      `Child metrics: Daily sign-ups 100% of the change (${formatChange(-0.5)})`,
    );
    expect(
      await section
        .locator('[data-testid=digest-drivers] tr[data-value=google] [data-testid=driver-share]')
        .textContent(),
    ).toBe('100%');
    expect(await section.locator('[data-testid=digest-alerts] li').count()).toBe(signups.alerts.length);
    expect(await section.locator('[data-testid=digest-metric-quarantined]').textContent()).toBe(
      '2 of its events quarantined in the period.',
    );

    // The daily child's alert of Monday, with the owner's acknowledgement and verdict.
    const daily = card.locator('[data-metric-id=daily_signups]');
    const alert = daily.locator('.digest-alert[data-state=acknowledged]');
    expect(await alert.count()).toBe(1);
    expect(await alert.locator('[data-testid=digest-alert-ack]').textContent()).toBe(
      ' · acknowledged by ana@example.com as real: Google sign-in broke with the release',
    );
    expect(await alert.locator('a').getAttribute('href')).toBe(
      '#/metrics/daily_signups?grain=day&period=2026-11-02',
    );

    // The reader opens the older week and folds the newer: a refresh keeps both as they were.
    await page.locator('[data-digest-id="growth:weekly:2026-W44"] > summary').click();
    await card.locator('summary').click();
    const before = await page.locator('main').getAttribute('data-updated-at');
    await page.locator('#refresh-now').click();
    await page.waitForFunction(
      (stamp) => document.querySelector('main')?.dataset.updatedAt !== stamp,
      before,
    );
    expect(await cards.evaluateAll((all) => all.map((one) => (one as HTMLDetailsElement).open))).toEqual([
      false,
      true,
    ]);

    // When the next one is due.
    expect(next).toEqual([expect.objectContaining({ cadence: 'weekly', period: '2026-W46' })]);
    expect(await page.locator('[data-testid=next-review]').textContent()).toBe(
      'Next: weekly review 2026-W46, due 2026-11-16 01:00:00 UTC.',
    );
    expect(pageErrors).toEqual([]);
  });

  test('Review: It should switch teams with the picker, and say when the first digest of a team without one is due', async () => {
    await open('#/review/growth');
    await page.locator('#team-picker').selectOption('support');
    await page.locator('[data-view=review][data-team=support]').waitFor();
    expect(new URL(page.url()).hash).toBe('#/review/support');
    expect(await page.locator('[data-testid=digest-list]').count()).toBe(0);
    expect(await page.locator('[data-view=review] .notice-empty').textContent()).toBe(
      'No digest yet: the first quarterly review arrives on the first day of the next quarter, once the data has settled (2026-Q4, due 2027-01-01 01:00:00 UTC).',
    );

    await page.locator('#team-picker').selectOption('revenue');
    await page.locator('[data-view=review][data-team=revenue]').waitFor();
    const october = page.locator('[data-digest-id="revenue:monthly:2026-10"]');
    const { digests } = await api<DigestList>('/api/digests?team=revenue');
    const monthly = digests[0]!.digest.metrics[0]!;
    expect(
      await october.locator('[data-metric-id=monthly_signups] [data-testid=digest-value]').textContent(),
    ).toBe(formatValue(monthly.value, 'count'));
    expect(pageErrors).toEqual([]);
  });

  test('Review: It should be reached from the owner in the metric tree and from a metric page, which mark a guardrail', async () => {
    const tree = await api<MetricTree>('/api/metrics');
    expect(tree.metrics.filter((metric) => metric.guardrail).map((metric) => metric.id)).toEqual([
      'monthly_signups',
    ]);
    await page.goto(`${runtime.url}/#/`);
    await page.locator('[data-view=overview] [data-testid=metric-tree]').waitFor();
    const revenue = page.locator('[data-metric-id=monthly_signups] > .node-row');
    expect(await revenue.locator('[data-testid=guardrail-badge]').textContent()).toBe('guardrail');
    expect(
      await page.locator('[data-metric-id=weekly_signups] > .node-row [data-testid=guardrail-badge]').count(),
    ).toBe(0);
    await revenue.locator('[data-testid=node-owner]').click();
    await page.locator('[data-view=review][data-team=revenue]').waitFor();

    await page.goto(`${runtime.url}/#/metrics/monthly_signups`);
    await page.locator('[data-view=metric]').waitFor();
    expect(await page.locator('[data-view=metric] h1 [data-testid=guardrail-badge]').count()).toBe(1);
    expect(await page.locator('[data-testid=review-link]').getAttribute('href')).toBe('#/review/revenue');
    expect(pageErrors).toEqual([]);
  });
});
