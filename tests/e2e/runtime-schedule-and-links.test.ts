import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import type { BusEvent } from '../../local/event-bus.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { periodBounds, periodKey } from '../../shared/domain/time/periods.js';
import { PipelineStatus } from '../../shared/use-cases/read-api/schemas.js';

// One daily metric at one grain, the dashboard URL left at its default.
const config = parseConfig({
  ...demo,
  grains: ['day'],
  metrics: { daily_signups: { ...demo.metrics.daily_signups, parent: undefined } },
  northStar: 'daily_signups',
});
const DAY = 86_400_000;

let runtime: Runtime;
const alerts: BusEvent[] = [];

// Starting DynamoDB Local can take a while on a busy machine.
beforeAll(async () => {
  // As npm start runs it: the runtime's schedule off, the caller recomputing every 10 s.
  runtime = await startRuntime({
    config,
    port: 0,
    recomputeEveryMs: 0,
    callerRecomputeEveryMs: 10_000,
    onAlert: (event) => alerts.push(event),
  });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
});

async function status(): Promise<PipelineStatus> {
  const response = await fetch(`${runtime.url}/api/status`);
  expect(response.status).toBe(200);
  return PipelineStatus.parse(await response.json());
}

describe('local runtime: the schedule it reports and the links it sends', () => {
  test('It should report the schedule it recomputes on in GET /api/status, not the configured one', async () => {
    // The configuration says every 5 minutes (300 s); npm start recomputes every 10 s.
    expect(config.recompute.every).toBe('PT5M');
    expect((await status()).recomputeEverySeconds).toBe(10);
  });

  test('It should link deviation alerts to the dashboard it serves on the port it was given', async () => {
    // Prepare: four steady weeks of 20 sign-ups on the weekday of the day before yesterday,
    // then that day with one sign-up. Not yesterday: it settles only an hour after midnight.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const day = today - 2 * DAY;
    const defId = runtime.compiled.defIds['metric:daily_signups']!;
    for (const weeksAgo of [1, 2, 3, 4]) {
      const period = periodKey(day - weeksAgo * 7 * DAY, 'day', 'UTC');
      const { start, end } = periodBounds(period, 'day', 'UTC');
      await runtime.stores.rollups.putRollup({
        metricId: 'daily_signups',
        defId,
        grain: 'day',
        period,
        start,
        end,
        value: 20,
        expected: null,
        lower: null,
        upper: null,
        status: 'learning',
        relativeDeviation: null,
        severity: null,
        settled: true,
        projection: null,
        updatedAt: end,
      });
    }
    const apps = eventBridgeClient(runtime.url);
    const sent = await apps.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'app.web',
            DetailType: 'signed_up',
            Detail: JSON.stringify({
              eventId: 'link-1',
              userId: 'link-user',
              occurredAt: new Date(day + 3_600_000).toISOString(),
              properties: { method: 'email' },
            }),
          },
        ],
      }),
    );
    apps.destroy();
    expect(sent.FailedEntryCount ?? 0).toBe(0);

    // Act
    await runtime.recomputeNow({ since: day });

    // Assess: the alert's link is this runtime's URL (a free port), not port 4000.
    const detected = alerts
      .filter((event) => event['detail-type'] === 'Metric Deviation Detected')
      .map((event) => event.detail as DeviationAlert);
    expect(detected.map((alert) => alert.metric.id)).toEqual(['daily_signups']);
    expect(runtime.url).not.toBe('http://127.0.0.1:4000');
    expect(detected[0]!.link).toBe(
      `${runtime.url}/#/metrics/daily_signups?grain=day&period=${periodKey(day, 'day', 'UTC')}`,
    );
  });
});
