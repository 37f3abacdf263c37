import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { matchesPattern, productEventsPattern } from '../../shared/domain/bus/rule-patterns.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { BATCH_DETAIL_TYPE, RejectionReason } from '../../shared/domain/events/envelope.js';
import { demoProperties } from '../support/demo-events.js';
import { refuseWritesOf } from '../support/faults.js';
import { putEventsRaw, type RawEntry } from '../support/put-events.js';
import { referenceOf } from '../support/reference.js';

// Without hourly counters the reads stay small; the ingest path is the same.
const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const compiled = compileConfig(config);
const MAX_RECEIVES = 3;
const HOUR = 3_600_000;

let runtime: Runtime;
let failedMessages = 0;

beforeAll(async () => {
  runtime = await startRuntime({
    config,
    port: 0,
    recomputeEveryMs: 0,
    maxReceives: MAX_RECEIVES,
    onSummary: (summary) => {
      failedMessages += summary.failedMessageIds.length;
    },
  });
});

afterAll(async () => {
  await runtime?.stop();
});

const outcomes = () => runtime.totals.accepted + runtime.totals.duplicates + runtime.totals.quarantined;

describe('poison messages', () => {
  test('It should move a message that fails every receive to the dead-letter store with its error, and count its neighbours', async () => {
    // Prepare: DynamoDB refuses every write of one user's item.
    const refusal = refuseWritesOf(
      runtime.stores.client,
      'U#live#poison-user',
      'Item size has exceeded the maximum allowed size',
    );
    const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR).toISOString();
    const good = [
      { name: 'signed_up', eventId: 'g1', userId: 'ann', occurredAt: at(3), properties: { method: 'email' } },
      { name: 'page_viewed', eventId: 'g2', userId: 'bob', occurredAt: at(2), properties: { path: '/' } },
    ];
    const poison = { eventId: 'p1', userId: 'poison-user', occurredAt: at(1), properties: { path: '/' } };
    const before = { deadLettered: runtime.totals.deadLettered, accepted: runtime.totals.accepted };

    // Act: the poison entry and its neighbours in one call, so they share an ingest batch.
    const answer = await putEventsRaw(runtime.url, [
      { Source: 'app.web', DetailType: 'page_viewed', Detail: JSON.stringify(poison) },
      ...good.map(({ name, ...detail }) => ({
        Source: 'app.web',
        DetailType: name,
        Detail: JSON.stringify(detail),
      })),
    ]);
    await runtime.drained();

    // Assess
    expect(answer.body.FailedEntryCount).toBe(0);
    expect(refusal.refused).toBe(MAX_RECEIVES);
    expect(runtime.totals.deadLettered - before.deadLettered).toBe(1);
    expect(runtime.totals.accepted - before.accepted).toBe(good.length);
    const [dead] = await runtime.stores.deadLetters.listDeadLetters();
    expect(dead?.receives).toBe(MAX_RECEIVES);
    expect(dead?.error).toContain('Item size has exceeded the maximum allowed size');
    expect(JSON.parse(dead?.body ?? '{}').detail).toEqual(poison);
    const expected = referenceOf(good, compiled);
    for (const [item, fields] of Object.entries(expected))
      expect(Object.fromEntries(await runtime.stores.counters.readCounters(item)), item).toEqual(fields);
  });
});

/** Deep nesting as JSON text: depth n of arrays. */
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

const awkwardText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    '',
    '\u0000',
    '\u202e',
    '😀👩‍👩‍👧',
    'é'.normalize('NFD'),
  ),
);
const awkwardTime = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()),
  fc.integer({ min: -10 * 24, max: 24 }).map((hours) => new Date(Date.now() - hours * HOUR).toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.000Z',
    '2026-13-45T99:99:99Z',
    '2026-11-25T10:00:00',
    'yesterday',
  ),
  fc.integer(),
  fc.constant(null),
);
/** Keys that a careless parser turns into prototype changes. */
const prototypeKeys = fc
  .array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.jsonValue({ maxDepth: 2 })), {
    maxLength: 3,
  })
  .map((pairs) => Object.fromEntries(pairs));
const awkwardValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), awkwardText, prototypeKeys);
const eventName = fc.oneof(fc.constantFrom(...Object.keys(demoProperties)), awkwardText);

/** An event's fields, each valid, wrong or missing. */
const fuzzEvent = fc
  .record({
    name: eventName,
    eventId: fc.oneof(fc.uuid(), awkwardValue),
    userId: fc.oneof(fc.constantFrom('ann', 'bob', 'cy'), awkwardValue),
    occurredAt: awkwardTime,
    properties: fc.oneof(
      fc.constantFrom(...Object.keys(demoProperties)).chain((name) => demoProperties[name]!),
      awkwardValue,
      prototypeKeys,
    ),
    context: fc.option(awkwardValue),
    extra: prototypeKeys,
    drop: fc.subarray(['name', 'eventId', 'userId', 'occurredAt', 'properties']),
  })
  .map(({ extra, drop, context, ...fields }) => {
    const event: Record<string, unknown> = { ...fields, ...(context === null ? {} : { context }) };
    for (const key of drop) delete event[key];
    // Own keys named __proto__ survive only when set as data properties.
    for (const [key, value] of Object.entries(extra))
      Object.defineProperty(event, key, { value, enumerable: true });
    return event;
  });

/** Detail text: an event, a batch of events, arbitrary JSON, huge or deep payloads, or not JSON at all. */
const fuzzDetail = fc.oneof(
  { weight: 4, arbitrary: fuzzEvent.map((event) => JSON.stringify(event)) },
  {
    weight: 3,
    arbitrary: fc
      .array(fuzzEvent, { minLength: 0, maxLength: 12 })
      .map((events) => JSON.stringify({ events })),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1_000, max: 60_000 })
      .map((n) => JSON.stringify({ eventId: 'big', userId: 'ann', blob: 'x'.repeat(n) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 4_000 })
      .map((n) => `{"eventId":"deep","userId":"ann","properties":{"p":${deep(n)}}}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 200_000, max: 300_000 }).map((n) => JSON.stringify({ blob: 'y'.repeat(n) })),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constantFrom('{', 'null', '[]', '"text"', '1e999')) },
);

const fuzzEntry: fc.Arbitrary<RawEntry> = fc.record({
  Source: fc.oneof(fc.constantFrom('app.web', 'app.ios', 'northstar.fake'), awkwardText, awkwardValue),
  DetailType: fc.oneof(eventName, fc.constant(BATCH_DETAIL_TYPE), awkwardValue),
  Detail: fc.oneof({ weight: 9, arbitrary: fuzzDetail }, { weight: 1, arbitrary: awkwardValue }),
});

/** How many ingest outcomes (accepted, duplicate or quarantined) an entry PutEvents took must give. */
function expectedOutcomes(entry: RawEntry): number {
  if (!matchesPattern(productEventsPattern, { source: entry.Source, 'detail-type': entry.DetailType }))
    return 0;
  if (entry.DetailType !== BATCH_DETAIL_TYPE) return 1;
  const detail = JSON.parse(entry.Detail as string) as { events?: unknown };
  return Array.isArray(detail.events) && detail.events.length >= 1 && detail.events.length <= 10_000
    ? detail.events.length
    : 1;
}

describe('fuzzed input through PutEvents', () => {
  test('It should accept, quarantine with a reason, or reject at PutEvents every entry, and never fail a message', async () => {
    const deadBefore = runtime.totals.deadLettered;
    const failedBefore = failedMessages;
    let rejectedByPutEvents = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzEntry, { minLength: 1, maxLength: 10 }), async (entries) => {
        const before = outcomes();
        const bytes = Buffer.byteLength(JSON.stringify({ Entries: entries }));
        const answer = await putEventsRaw(runtime.url, entries);
        await runtime.drained();
        // A request over 256 KB is refused whole, as AWS does; otherwise each entry has an id or an error code.
        if (answer.status !== 200) {
          expect(bytes).toBeGreaterThan(256 * 1024);
          expect(answer.status).toBe(400);
          expect(answer.body.__type).toBe('ValidationException');
          rejectedByPutEvents += entries.length;
          expect(outcomes()).toBe(before);
          return;
        }
        const results = answer.body.Entries ?? [];
        expect(results).toHaveLength(entries.length);
        let expected = 0;
        results.forEach((result, index) => {
          if (result.ErrorCode) {
            expect(['InvalidArgument', 'MalformedDetail']).toContain(result.ErrorCode);
            rejectedByPutEvents++;
          } else {
            expect(result.EventId).toBeTruthy();
            expected += expectedOutcomes(entries[index]!);
          }
        });
        expect(outcomes() - before).toBe(expected);
        expect(failedMessages).toBe(failedBefore);
      }),
      { numRuns: 100, seed: 20261125, endOnFailure: true },
    );
    // Assess: still serving, nothing dead-lettered, every quarantined event carries a known reason.
    // The seed fixes the input, so the figure is exact: a change in what PutEvents refuses shows here.
    expect(rejectedByPutEvents).toBe(339);
    expect(runtime.totals.deadLettered).toBe(deadBefore);
    const api = await fetch(`${runtime.url}/api/quarantine?days=1`);
    expect(api.status).toBe(200);
    const report = (await api.json()) as { total: number; reasons: { reason: string }[] };
    // Every event quarantined in this file, today, is in the report: none dropped on the way.
    expect(report.total).toBe(runtime.totals.quarantined);
    expect(report.total).toBe(148);
    for (const { reason } of report.reasons) expect(RejectionReason.options).toContain(reason);
    const samples = (report as unknown as { samples: { message: string }[] }).samples;
    for (const sample of samples) expect(sample.message.length).toBeGreaterThan(0);
  }, 120_000);
});
