/**
 * `npm run screenshot`: starts the local runtime with six weeks of deterministic demo
 * traffic (a smaller crowd than `npm start`, same shape, fixed clock), and saves the
 * dashboard's overview as docs/dashboard.png, and the growth team's review page as
 * docs/review.png, at 1440x900 with Debian's chromium.
 */
import { fileURLToPath } from 'node:url';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { packBatchEntries, packCalls } from '../client/pack-entries.js';
import demo from '../config/demo.config.js';
import { buildDashboardIfStale } from '../local/dashboard-build.js';
import { type DemoEvent, demoTraffic, malformedDemoEntries } from '../local/demo-traffic.js';
import { startRuntime } from '../local/runtime.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import { parseConfig } from '../shared/domain/config/validate.js';
import { launchChromium } from '../tests/browser/chromium.js';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.removeAllListeners('warning');

const DAY = 86_400_000;
/** A Wednesday afternoon: the week in progress shows with its projection. */
const NOW = Date.parse('2026-11-25T15:00:00Z');
const HISTORY_DAYS = 42;
const SEED = 7;
const OUTPUT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const REVIEW_OUTPUT = fileURLToPath(new URL('../docs/review.png', import.meta.url));

// Without hourly counters the recompute of six weeks stays quick.
const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const traffic = demoTraffic({
  seed: SEED,
  dailyVisitors: 120,
  incident: { day: new Date(NOW - 10 * DAY).toISOString().slice(0, 10), signupDrop: 0.8 },
});

/** `Northstar Event Batch` entries per app, filled to 64 KB as the typed client packs them. */
function batchEntries(events: readonly DemoEvent[]) {
  const bySource = new Map<string, DemoEvent[]>();
  for (const event of events) bySource.set(event.source, [...(bySource.get(event.source) ?? []), event]);
  return [...bySource].flatMap(
    ([source, list]) =>
      packBatchEntries(
        source,
        list.map(({ source: _source, ...event }) => event),
      ).entries,
  );
}

await buildDashboardIfStale();
let now = NOW - HISTORY_DAYS * DAY;
const runtime = await startRuntime({ config, port: 0, clock: () => now, recomputeEveryMs: 0 });
const apps = eventBridgeClient(runtime.url);
try {
  const send = async (entries: readonly { Source: string; DetailType: string; Detail: string }[]) => {
    for (const call of packCalls(entries)) {
      const answer = await apps.send(new PutEventsCommand({ Entries: call }));
      if ((answer.FailedEntryCount ?? 0) > 0)
        throw new Error(`PutEvents refused ${answer.FailedEntryCount} entries`);
    }
  };
  const from = NOW - HISTORY_DAYS * DAY;
  for (let day = from; day < NOW; day += DAY) {
    const until = Math.min(day + DAY, NOW);
    now = until + 5_000;
    await send(batchEntries(traffic.between(day, until)));
    await runtime.drained();
    process.stdout.write(`\rsent ${Math.round((until - from) / DAY)} of ${HISTORY_DAYS} days`);
  }
  now = NOW;
  await send(
    malformedDemoEntries(SEED, NOW).map((entry) => ({
      Source: entry.source,
      DetailType: entry.detailType,
      Detail: JSON.stringify(entry.detail),
    })),
  );
  await runtime.recomputeNow({ since: from });
  process.stdout.write('\nrecomputed; taking the screenshot\n');

  const browser = await launchChromium({ width: 1440, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${runtime.url}/#/`);
    await page.locator('[data-view=overview] .uplot canvas').first().waitFor();
    // uPlot draws on the next frame after sizing to its container.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    await page.screenshot({ path: OUTPUT });
    await page.goto(`${runtime.url}/#/review/growth`);
    await page.locator('[data-view=review] [data-testid=digest-list]').waitFor();
    await page.screenshot({ path: REVIEW_OUTPUT });
  } finally {
    await browser.close();
  }
  console.log(`saved ${OUTPUT} and ${REVIEW_OUTPUT}`);
} finally {
  apps.destroy();
  await runtime.stop();
}
