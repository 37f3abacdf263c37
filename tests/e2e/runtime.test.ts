import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type { Grain } from '../../shared/domain/config/schema.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { hasGrain } from '../../shared/domain/engine/metric-grains.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import { periodBounds } from '../../shared/domain/time/periods.js';
import type { TestEvent } from '../support/entries.js';
import { referenceOf } from '../support/reference.js';

// Without hourly counters the first recompute (a week of periods) stays quick.
const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const compiled = compileConfig(config);
const HOUR = 3_600_000;
const now = Date.now();
const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();

const events: TestEvent[] = [
  { name: 'page_viewed', eventId: 'e1', userId: 'ann', occurredAt: at(30), properties: { path: '/' } },
  { name: 'signed_up', eventId: 'e2', userId: 'ann', occurredAt: at(29), properties: { method: 'email' } },
  {
    name: 'lesson_started',
    eventId: 'e3',
    userId: 'ann',
    occurredAt: at(28),
    properties: { courseId: 'c1', lessonId: 'l1' },
  },
  {
    name: 'course_completed',
    eventId: 'e4',
    userId: 'ann',
    occurredAt: at(3),
    properties: { courseId: 'c1' },
  },
  { name: 'page_viewed', eventId: 'e5', userId: 'bob', occurredAt: at(5), properties: { path: '/pricing' } },
  { name: 'signed_up', eventId: 'e6', userId: 'bob', occurredAt: at(4), properties: { method: 'google' } },
  // A late first step, earlier than bob's known one: moves him to an earlier cohort.
  { name: 'page_viewed', eventId: 'e7', userId: 'bob', occurredAt: at(50), properties: { path: '/' } },
  {
    name: 'payment_succeeded',
    eventId: 'e8',
    userId: 'ann',
    occurredAt: at(2),
    properties: { amount: 19, currency: 'USD', plan: 'monthly' },
  },
];

const single = (event: TestEvent, source = 'app.web'): PutEventsRequestEntry => {
  const { name, ...detail } = event;
  return { Source: source, DetailType: name, Detail: JSON.stringify(detail) };
};

let dataDir: string;
let runtime: Runtime;

async function counters(): Promise<Record<string, Record<string, number>>> {
  const expected = referenceOf(events, compiled);
  const actual: Record<string, Record<string, number>> = {};
  for (const item of Object.keys(expected))
    actual[item] = Object.fromEntries(await runtime.stores.counters.readCounters(item));
  return actual;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'northstar-runtime-'));
  runtime = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0 });
});

afterAll(async () => {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local runtime', () => {
  test('It should count events sent with the real EventBridge client exactly, with duplicates, shuffled late events and bad ones', async () => {
    // Prepare: every event once as single entries, then all again in one batch entry, in reverse order.
    const apps = eventBridgeClient(runtime.url);
    const bad: PutEventsRequestEntry[] = [
      {
        Source: 'app.web',
        DetailType: 'teleported',
        Detail: JSON.stringify({ eventId: 'x1', userId: 'ann', occurredAt: at(1) }),
      },
      single({
        name: 'signed_up',
        eventId: 'x2',
        userId: 'cy',
        occurredAt: at(1),
        properties: { method: 'fax' },
      }),
    ];

    // Act
    const first = await apps.send(
      new PutEventsCommand({
        Entries: [
          ...events
            .slice(0, 8)
            .reverse()
            .map((event) => single(event)),
        ],
      }),
    );
    const second = await apps.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'app.web',
            DetailType: BATCH_DETAIL_TYPE,
            Detail: JSON.stringify({ events: [...events].reverse() }),
          },
          ...bad,
        ],
      }),
    );
    const summary = await runtime.recomputeNow();

    // Assess
    expect(first.FailedEntryCount).toBe(0);
    expect(second.FailedEntryCount).toBe(0);
    expect(await counters()).toEqual(referenceOf(events, compiled));
    expect(runtime.totals).toMatchObject({
      accepted: events.length,
      duplicates: events.length,
      quarantined: 2,
      deadLettered: 0,
    });
    // Every metric, and every value of its breakdowns, gets a rollup in every period the run
    // recomputed at the grains it has values at, among them every period the events touched
    // that has begun (a rolling window counts users on days still to come).
    const metricIds = Object.keys(config.metrics);
    const series = compiled.breakdowns.reduce((sum, split) => sum + split.labels.length, 0);
    expect(summary.rollups).toBeGreaterThan(0);
    expect(summary.rollups).toBeLessThanOrEqual(summary.periods * (metricIds.length + series));
    const touched = Object.keys(referenceOf(events, compiled)).filter(
      (item) =>
        item !== 'all' &&
        periodBounds(item.split('#')[1]!, item.split('#')[0] as Grain, 'UTC').start <= Date.now(),
    );
    expect(touched.length).toBeGreaterThan(0);
    for (const item of touched) {
      const [grain, period] = item.split('#') as [Grain, string];
      for (const id of metricIds.filter((metricId) => hasGrain(config, metricId, grain))) {
        const found = await runtime.stores.rollups.getRollups(compiled.defIds[`metric:${id}`]!, grain, [
          period,
        ]);
        expect(found.get(period)?.updatedAt, `${id} ${item}`).toBeDefined();
      }
    }
    const learners = await runtime.stores.rollups.latestRollups(
      compiled.defIds['metric:weekly_learners']!,
      'week',
      1,
    );
    expect(learners[0]?.value).toBe(1);
    // The same numbers through the read API on the same origin.
    const tree = (await (await fetch(`${runtime.url}/api/metrics`)).json()) as {
      metrics: { id: string; latest: { value: number } | null }[];
    };
    expect(tree.metrics.find((metric) => metric.id === 'weekly_learners')?.latest?.value).toBe(1);
    const badSeries = await fetch(`${runtime.url}/api/metrics/weekly_learners/series?grain=fortnight`);
    expect(badSeries.status).toBe(400);
    expect(((await badSeries.json()) as { error: { parameter: string } }).error.parameter).toBe('grain');
    // Every entry on the bus is archived: the apps' 11 and the pipeline's own alerts and review digests.
    const archived = (await readFile(join(dataDir, 'archive.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { arrivedAt: string; event: { source: string; 'detail-type': string } },
      );
    expect(archived.every(({ arrivedAt }) => Number.isFinite(Date.parse(arrivedAt)))).toBe(true);
    const sources = archived.map(({ event }) => event.source);
    expect(sources.filter((source) => source !== 'northstar')).toHaveLength(8 + 3);
    const own = archived.filter(({ event }) => event.source === 'northstar');
    expect(own.filter(({ event }) => event['detail-type'] !== 'Metric Review Digest')).toHaveLength(
      runtime.totals.alerts,
    );
    apps.destroy();
  });

  test('It should answer malformed PutEvents calls as EventBridge does', async () => {
    const apps = eventBridgeClient(runtime.url);
    const eleven = Array.from({ length: 11 }, (_, i) => single({ ...events[0]!, eventId: `t${i}` }));
    await expect(apps.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const answer = await apps.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'app.web', DetailType: 'signed_up' },
          { Source: 'app.web', DetailType: 'signed_up', Detail: '[1, 2]' },
          single({ ...events[1]!, eventId: 'ok-1' }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'MalformedDetail',
      'ok',
    ]);
    const oversized = single({ ...events[0]!, eventId: 'big', properties: { path: 'x'.repeat(300_000) } });
    await expect(apps.send(new PutEventsCommand({ Entries: [oversized] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    // Far over the limit, the answer is the same, not a reset connection.
    const huge = single({ ...events[0]!, eventId: 'huge', properties: { path: 'x'.repeat(3_000_000) } });
    await expect(apps.send(new PutEventsCommand({ Entries: [huge] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const notJson = await fetch(runtime.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: '{"Entries": [',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ __type: 'SerializationException' });
    apps.destroy();
  });

  test('It should keep everything across a restart on the same data directory', async () => {
    await runtime.drained();
    const before = await counters();
    await runtime.stop();
    runtime = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0 });
    expect(await counters()).toEqual(before);
    // The de-duplication memory survived too: the same events again change nothing.
    const apps = eventBridgeClient(runtime.url);
    await apps.send(new PutEventsCommand({ Entries: events.slice(0, 8).map((event) => single(event)) }));
    await runtime.drained();
    expect(await counters()).toEqual(before);
    apps.destroy();
  });
});
