import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packBatchEntries } from '../../client/pack-entries.js';
import demo from '../../config/demo.config.js';
import { eventBridgeBody } from '../../local/entries.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { parseEntry, trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import type { QuarantinePage } from '../../shared/use-cases/read-api/schemas.js';
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

let runtime: Runtime;
let api: string[];

/**
 * What ingest quarantined under the outdated plan: the app's batch entry as the rule
 * delivers it, validated by ingest's own parser, rejections stored by the real store.
 */
async function quarantineUnderOutdatedPlan(): Promise<void> {
  const events = [
    ...Array.from({ length: 5 }, (_, i) => ({
      name: 'payment_succeeded',
      eventId: `gbp-${i}`,
      userId: `q-${i}`,
      occurredAt: new Date().toISOString(),
      properties: { amount: 10 + i, currency: 'GBP', plan: 'monthly' },
    })),
    {
      name: 'lesson_rated',
      eventId: 'rated-1',
      userId: 'q-1',
      occurredAt: new Date().toISOString(),
      properties: { stars: 5 },
    },
  ];
  const [entry] = packBatchEntries('app.web', events).entries;
  const arrivedAt = Date.now();
  const body = eventBridgeBody(entry!.Source, entry!.DetailType, JSON.parse(entry!.Detail), arrivedAt);
  const parsed = parseEntry(body, {
    compiled: compileConfig(outdated),
    schemas: trackingPlanSchemas(outdated),
    arrivedAt,
  });
  expect(parsed.rejections.map((rejection) => rejection.reason).sort()).toEqual([
    'invalid_property',
    'invalid_property',
    'invalid_property',
    'invalid_property',
    'invalid_property',
    'unknown_event',
  ]);
  await runtime.stores.quarantine.putQuarantine(parsed.rejections);
}

beforeAll(async () => {
  // The plan is fixed and deployed; what the old one quarantined is still in the table.
  runtime = await startRuntime({ config: fixed, port: 0, recomputeEveryMs: 0 });
  api = ['--api-url', runtime.url, '--endpoint', runtime.url];
  await quarantineUnderOutdatedPlan();
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
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
    // 10 + 11 + 12 + 13 + 14, in GBP.
    expect((await runtime.stores.counters.readCounters(month)).get(`${revenue}.s6`)).toBe(60 * 1e6);
  });
});
