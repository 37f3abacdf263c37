import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import { eventIdsOf, startPutEventsProxy } from '../client/put-events-proxy.js';
import type { TestEvent } from '../support/entries.js';
import { referenceOf } from '../support/reference.js';
import { runBin, runCli } from './cli-runner.js';

const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const compiled = compileConfig(config);
const HOUR = 3_600_000;
const now = Date.now();
const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();

let runtime: Runtime;
let dir: string;

// Starting DynamoDB Local can take a while on a busy machine.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-cli-replay-'));
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
}, 120_000);

afterAll(async () => {
  await runtime.stop();
  await rm(dir, { recursive: true, force: true });
});

type Counters = Record<string, Record<string, number>>;

/** Counter items the events touch, read from the pipeline's store. */
async function countersOf(items: readonly string[]): Promise<Counters> {
  await runtime.drained();
  const counters: Counters = {};
  for (const item of items)
    counters[item] = Object.fromEntries(await runtime.stores.counters.readCounters(item));
  return counters;
}

/** What the events added to the counters: after minus before, zeros left out. */
function added(before: Counters, after: Counters): Counters {
  const delta: Counters = {};
  for (const [item, fields] of Object.entries(after)) {
    for (const [field, value] of Object.entries(fields)) {
      const change = value - (before[item]?.[field] ?? 0);
      if (change !== 0) (delta[item] ??= {})[field] = change;
    }
  }
  return delta;
}

const lines = (records: readonly unknown[]) =>
  `${records.map((record) => (typeof record === 'string' ? record : JSON.stringify(record))).join('\n')}\n`;

describe('northstar replay', () => {
  test('It should send an NDJSON file with duplicates and bad lines, report them by line and count every event once', async () => {
    // Prepare: the three input forms, duplicates, bad lines, a pipeline event and a blank line.
    const e1: TestEvent = {
      name: 'page_viewed',
      eventId: 'r-e1',
      userId: 'ann',
      occurredAt: at(30),
      properties: { path: '/' },
    };
    const e2: TestEvent = {
      name: 'signed_up',
      eventId: 'r-e2',
      userId: 'ann',
      occurredAt: at(29),
      properties: { method: 'email' },
    };
    const e3: TestEvent = {
      name: 'lesson_started',
      eventId: 'r-e3',
      userId: 'bob',
      occurredAt: at(28),
      properties: { courseId: 'c1', lessonId: 'l1' },
    };
    const e4: TestEvent = {
      name: 'course_completed',
      eventId: 'r-e4',
      userId: 'ann',
      occurredAt: at(3),
      properties: { courseId: 'c1' },
    };
    const e6: TestEvent = {
      name: 'payment_succeeded',
      eventId: 'r-e6',
      userId: 'ann',
      occurredAt: at(2),
      properties: { amount: 19, currency: 'USD', plan: 'monthly' },
    };
    // The same eventId from another app is another event.
    const e3web: TestEvent = {
      name: 'page_viewed',
      eventId: 'r-e3',
      userId: 'cy',
      occurredAt: at(5),
      properties: { path: '/pricing' },
    };
    const { name: _e3Name, ...e3Detail } = e3;
    const { name: _e6Name, ...e6Detail } = e6;
    const file = join(dir, 'events.ndjson');
    await writeFile(
      file,
      lines([
        e1,
        e2,
        '{"name": "page_viewed", "eventId": ',
        e1,
        { name: 'page_viewed', eventId: 'r-e9', occurredAt: at(4), properties: { path: '/' } },
        {
          version: '0',
          id: 'a1',
          'detail-type': 'lesson_started',
          source: 'app.ios',
          time: at(28),
          detail: e3Detail,
        },
        {
          version: '0',
          id: 'a2',
          'detail-type': BATCH_DETAIL_TYPE,
          source: 'app.web',
          detail: { events: [e4, e2, { ...e1, eventId: 'r-e5', occurredAt: 'yesterday' }] },
        },
        {
          version: '0',
          id: 'a3',
          'detail-type': 'Metric Deviation Detected',
          source: 'northstar',
          detail: { alertId: 'x' },
        },
        { Source: 'app.web', DetailType: 'payment_succeeded', Detail: JSON.stringify(e6Detail) },
        '',
        { ...e3web, source: 'app.web' },
      ]),
    );
    const accepted = [e1, e2, e3, e4, e6, e3web];
    const expected = referenceOf(accepted, compiled);
    const before = await countersOf(Object.keys(expected));

    // Act: as its own process, as a user runs it.
    const result = await runBin(['replay', file, '--source', 'app.web', '--endpoint', runtime.url, '--json']);

    // Assess
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      state: 'done',
      lines: 11,
      events: 6,
      invalid: 3,
      duplicates: 2,
      skipped: 1,
      accepted: 6,
      rejected: 0,
    });
    expect(result.stderr).toContain('events.ndjson:3: not JSON');
    expect(result.stderr).toContain('events.ndjson:5: userId: is required');
    expect(result.stderr).toContain(
      'events.ndjson:7: events[2] occurredAt: must be an RFC 3339 timestamp with offset',
    );
    expect(added(before, await countersOf(Object.keys(expected)))).toEqual(expected);

    // A second run finds the checkpoint done and sends nothing.
    const again = await runCli(['replay', file, '--source', 'app.web', '--endpoint', runtime.url]);
    expect(again.stdout).toContain('already replayed');
    expect(again.stdout).toMatch(/accepted\s+6/);
    expect(added(before, await countersOf(Object.keys(expected)))).toEqual(expected);
  });

  test('It should resume an interrupted replay from its checkpoint without resending confirmed calls or double counting', async () => {
    // Prepare: 30 events, 5 per call, one call at a time; interrupt once the third call is through.
    const events: TestEvent[] = Array.from({ length: 30 }, (_, i) => ({
      name: i % 3 === 0 ? 'signed_up' : 'page_viewed',
      eventId: `resume-${i}`,
      userId: `resume-user-${i % 7}`,
      occurredAt: at(40 + i),
      properties: i % 3 === 0 ? { method: 'google' } : { path: `/p${i}` },
    }));
    const file = join(dir, 'history.ndjson');
    await writeFile(file, lines(events));
    const expected = referenceOf(events, compiled);
    const before = await countersOf(Object.keys(expected));
    const interrupt = new AbortController();
    const proxy = await startPutEventsProxy(runtime.url, (call) => {
      if (call === 3) interrupt.abort();
      return { kind: 'forward' };
    });
    const args = [
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      proxy.url,
      '--events-per-call',
      '5',
      '--concurrency',
      '1',
      '--json',
    ];

    // Act
    const first = await runCli(args, { signal: interrupt.signal });
    const checkpoint = JSON.parse(await readFile(`${file}.checkpoint.json`, 'utf8')) as {
      confirmed: unknown;
      done: boolean;
    };
    const sentBeforeResume = eventIdsOf(proxy.forwarded);
    const second = await runCli(args);

    // Assess
    expect(first.code).toBe(130);
    expect(JSON.parse(first.stdout)).toMatchObject({ state: 'interrupted', accepted: 15, calls: 3 });
    expect(checkpoint).toMatchObject({ done: false, confirmed: [{ file: 0, from: 1, to: 15 }] });
    expect(sentBeforeResume).toEqual(events.slice(0, 15).map((event) => event.eventId));
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      state: 'done',
      lines: 30,
      events: 30,
      accepted: 30,
      calls: 6,
    });
    // Each event went through exactly once over both runs.
    expect(eventIdsOf(proxy.forwarded)).toEqual(events.map((event) => event.eventId));
    expect(added(before, await countersOf(Object.keys(expected)))).toEqual(expected);
    await proxy.close();
  });

  test('It should check events against a tracking plan first when given one', async () => {
    const file = join(dir, 'planned.ndjson');
    await writeFile(
      file,
      lines([
        {
          name: 'signed_up',
          eventId: 'plan-1',
          userId: 'eve',
          occurredAt: at(1),
          properties: { method: 'email' },
        },
        {
          name: 'signed_up',
          eventId: 'plan-2',
          userId: 'eve',
          occurredAt: at(1),
          properties: { method: 'fax' },
        },
        { name: 'lesson_rated', eventId: 'plan-3', userId: 'eve', occurredAt: at(1), properties: {} },
      ]),
    );
    const result = await runCli([
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      runtime.url,
      '--config',
      'config/demo.config.ts',
      '--json',
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ events: 1, invalid: 2, accepted: 1 });
    expect(result.stderr).toContain('planned.ndjson:2: signed_up: properties.method:');
    expect(result.stderr).toContain('planned.ndjson:3: event "lesson_rated" is not in the tracking plan');
  });

  test('It should refuse a checkpoint of another input and keep a failed replay resumable', async () => {
    const file = join(dir, 'small.ndjson');
    const event: TestEvent = {
      name: 'page_viewed',
      eventId: 'small-1',
      userId: 'dee',
      occurredAt: at(1),
      properties: { path: '/' },
    };
    await writeFile(file, lines([event]));
    // Nothing listens here: every attempt fails, the line stays unconfirmed.
    const down = await runCli([
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      'http://127.0.0.1:1',
      '--max-attempts',
      '2',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('PutEvents kept failing after 2 attempts');
    expect(down.stdout).toContain('Run the same command again to resume');
    await writeFile(file, lines([event, { ...event, eventId: 'small-2' }]));
    const changed = await runCli(['replay', file, '--source', 'app.web', '--endpoint', runtime.url]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('belongs to another input');
    const restarted = await runCli([
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      runtime.url,
      '--restart',
      '--json',
    ]);
    expect(restarted.code).toBe(0);
    expect(JSON.parse(restarted.stdout)).toMatchObject({ accepted: 2 });
  });
});
