import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTracker } from '../../client/index.js';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import type { QuarantinePage } from '../../shared/api/schemas.js';
import { parseConfig } from '../../shared/config/validate.js';
import { runCli } from './cli-runner.js';

// The app already sends GBP payments and a new event; the first plan knows neither.
const fixed = parseConfig({
  ...demo,
  grains: ['day', 'week', 'month'],
  trackingPlan: {
    events: {
      ...demo.trackingPlan.events,
      payment_succeeded: {
        ...demo.trackingPlan.events.payment_succeeded,
        properties: {
          ...demo.trackingPlan.events.payment_succeeded.properties,
          currency: { type: 'enum', values: ['USD', 'EUR', 'GBP'], required: true },
        },
      },
      lesson_rated: {
        description: 'A learner rated a lesson.',
        properties: { stars: { type: 'number', required: true } },
      },
    },
  },
});
const outdated = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });

let dataDir: string;
let runtime: Runtime;
let api: string[];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'northstar-cli-quarantine-'));
  const first = await startRuntime({ config: outdated, port: 0, dataDir, recomputeEveryMs: 0 });
  const tracker = createTracker({
    source: 'app.web',
    endpoint: first.url,
    onError: (error) => {
      throw error;
    },
  });
  for (let i = 0; i < 5; i++)
    tracker.track(
      'payment_succeeded',
      { amount: 10 + i, currency: 'GBP', plan: 'monthly' },
      { userId: `q-${i}`, eventId: `gbp-${i}` },
    );
  tracker.track(
    'payment_succeeded',
    { amount: 7, currency: 'EUR', plan: 'monthly' },
    { userId: 'q-ok', eventId: 'eur-1' },
  );
  tracker.track('lesson_rated', { stars: 5 }, { userId: 'q-1', eventId: 'rated-1' });
  await tracker.shutdown();
  await first.drained();
  expect(first.totals).toMatchObject({ accepted: 1, quarantined: 6 });
  await first.stop();
  // The plan is fixed and deployed: the same data, the new configuration.
  runtime = await startRuntime({ config: fixed, port: 0, dataDir, recomputeEveryMs: 0 });
  api = ['--api-url', runtime.url, '--endpoint', runtime.url];
});

afterAll(async () => {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('northstar quarantine', () => {
  test('It should page through the full quarantined events of a day', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `day=${day}&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (
        await fetch(`${runtime.url}/api/quarantine/events?${query}`)
      ).json()) as QuarantinePage;
      ids.push(...page.items.map((item) => item.eventId ?? ''));
      for (const item of page.items) expect(JSON.parse(item.raw)).toBeTypeOf('object');
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(ids.sort()).toEqual(['gbp-0', 'gbp-1', 'gbp-2', 'gbp-3', 'gbp-4', 'rated-1']);
    const bad = await fetch(`${runtime.url}/api/quarantine/events?day=yesterday`);
    expect(bad.status).toBe(400);
  });

  test('It should list quarantined events with their reasons, filtered by reason', async () => {
    const table = await runCli(['quarantine', 'list', ...api]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('6 quarantined events');
    expect(table.stdout).toMatch(/invalid_property\s+app\.web\s+payment_succeeded\s+gbp-0/);
    expect(table.stdout).toMatch(/unknown_event\s+app\.web\s+lesson_rated\s+rated-1/);
    const json = await runCli(['quarantine', 'list', '--reason', 'unknown_event', '--json', ...api]);
    const listed = JSON.parse(json.stdout) as { items: { eventId: string; raw: string }[] };
    expect(listed.items.map((item) => item.eventId)).toEqual(['rated-1']);
  });

  test('It should replay quarantined events once the plan is fixed, and the pipeline counts them', async () => {
    const dry = await runCli(['quarantine', 'replay', '--dry-run', '--json', ...api]);
    expect(JSON.parse(dry.stdout)).toEqual({ found: 6, replayable: 6, entries: 1, unreplayable: 0 });
    expect(runtime.totals.accepted).toBe(0);

    const result = await runCli(['quarantine', 'replay', '--json', ...api]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      found: 6,
      replayable: 6,
      accepted: 6,
      rejected: 0,
      unreplayable: 0,
    });
    await runtime.drained();
    expect(runtime.totals).toMatchObject({ accepted: 6, quarantined: 0 });
    const revenue = runtime.compiled.defIds['metric:revenue']!;
    const month = `month#${new Date().toISOString().slice(0, 7)}`;
    // 10 + 11 + 12 + 13 + 14 in GBP, and the EUR payment of the first run.
    expect((await runtime.store.readCounters(month)).get(`${revenue}.s6`)).toBe((60 + 7) * 1e6);
  });
});
