import { describe, expect, test } from 'vitest';
import type { BusEvent } from '../../local/event-bus.js';
import { startRuntime } from '../../local/runtime.js';
import type { TestEvent } from '../support/entries.js';
import { sendBatches } from '../support/sampled-events.js';
import { dailySignups } from '../support/weekly-signups.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** A Monday; five weeks of history, then the day whose events trickle in after it ended. */
const FIRST = Date.parse('2026-10-05T00:00:00Z');
const INCIDENT = 35;

const config = dailySignups({ grains: ['day'], maxLateness: 'P60D' });

const signups = (day: number, count: number, from = 0): TestEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    name: 'signed_up',
    eventId: `d${day}-${from + i}`,
    userId: `u${day}-${from + i}`,
    occurredAt: new Date(FIRST + day * DAY + 8 * HOUR + (from + i) * 60_000).toISOString(),
  }));

describe('the local runtime with a backlog after a day ended', () => {
  test('It should judge no day while entries that arrived before it settled still wait, then raise exactly one alert with the whole count', async () => {
    // Arrange: five weeks of about 100 sign-ups a day; the schedule runs every 100 ms while
    // ingest holds each batch for 4 s (a slow trickle).
    let now = FIRST + INCIDENT * DAY - 22 * HOUR;
    const alerts: BusEvent[] = [];
    const runtime = await startRuntime({
      config,
      port: 0,
      recomputeEveryMs: 100,
      clock: () => now,
      batchSize: 10_000,
      batchingWindowMs: 4000,
      onAlert: (event) => alerts.push(event),
    });
    /** Waits for a scheduled run at the clock's time (the runtime's clock stands still between steps). */
    const scheduledRun = async () => {
      while (((await runtime.stores.runs.lastRunAt()) ?? 0) < now)
        await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const day = new Date(FIRST + INCIDENT * DAY).toISOString().slice(0, 10);
    const rollup = async () => {
      const defId = runtime.compiled.defIds['metric:daily_signups']!;
      return (await runtime.stores.rollups.latestRollups(defId, 'day', 3)).find((one) => one.period === day);
    };
    try {
      const history = Array.from({ length: INCIDENT }, (_, d) => signups(d, 100 + (d % 3))).flat();
      await sendBatches(runtime.url, history);
      await runtime.drained();
      await runtime.recomputeNow({ since: FIRST });
      expect(alerts, 'a steady history raises nothing').toEqual([]);

      // Act: the day has 40 sign-ups. Ten are ingested; thirty reach the queue ten minutes
      // after the day ended and still wait when its settle time (an hour) has passed.
      const end = FIRST + (INCIDENT + 1) * DAY;
      now = end + 5 * 60_000;
      await sendBatches(runtime.url, signups(INCIDENT, 10));
      await runtime.drained();
      now = end + 10 * 60_000;
      await sendBatches(runtime.url, signups(INCIDENT, 30, 10));
      now = end + 2 * HOUR;
      await scheduledRun();
      const status = (await (await fetch(`${runtime.url}/api/status`)).json()) as {
        backlog: { entries: number };
      };
      const waiting = status.backlog.entries;
      const held = await rollup();
      const alertsWhileHeld = alerts.length;
      await runtime.drained();
      now += 5 * 60_000;
      await scheduledRun();
      now += 5 * 60_000;
      await scheduledRun();

      // Assert: held back while the backlog waited; then one alert, with all 40 counted, and no resolution.
      expect(waiting, 'the trickle still waited during that run').toBeGreaterThan(0);
      expect(held).toMatchObject({ value: 10, settled: false, status: 'open' });
      expect(alertsWhileHeld).toBe(0);
      expect(
        alerts.map((event) => [event['detail-type'], (event.detail as { observed: number }).observed]),
      ).toEqual([['Metric Deviation Detected', 40]]);
      expect(await rollup()).toMatchObject({ value: 40, settled: true, status: 'deviating' });
    } finally {
      await runtime.stop();
    }
  }, 120_000);
});
