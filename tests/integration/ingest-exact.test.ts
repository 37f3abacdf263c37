import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { DEMO_NOW, demoEventSet } from '../support/demo-events.js';
import { allCounters, freshStore } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, type TestEvent } from '../support/entries.js';
import { ingestPipeline } from '../support/pipeline.js';
import { referenceOf } from '../support/reference.js';

const config = parseConfig(demo);
const compiled = compileConfig(config);

const reference = (events: readonly TestEvent[]) => referenceOf(events, compiled);

describe('ingest on DynamoDB Local', () => {
  test('It should count a small set of events exactly as the reference does', async () => {
    // Prepare
    const { client, tableName } = await freshStore(config);
    const pipeline = ingestPipeline(config, client, tableName, () => DEMO_NOW);
    const events: TestEvent[] = [
      {
        name: 'page_viewed',
        eventId: 'a1',
        userId: 'ann',
        occurredAt: '2026-11-20T09:00:00Z',
        properties: { path: '/' },
      },
      {
        name: 'signed_up',
        eventId: 'a2',
        userId: 'ann',
        occurredAt: '2026-11-20T09:05:00Z',
        properties: { method: 'email' },
      },
      {
        name: 'lesson_started',
        eventId: 'a3',
        userId: 'ann',
        occurredAt: '2026-11-21T10:00:00Z',
        properties: { courseId: 'c1', lessonId: 'l1' },
      },
      {
        name: 'course_completed',
        eventId: 'a4',
        userId: 'ann',
        occurredAt: '2026-11-24T10:00:00Z',
        properties: { courseId: 'c1' },
      },
      {
        name: 'payment_succeeded',
        eventId: 'a5',
        userId: 'ann',
        occurredAt: '2026-11-24T11:00:00Z',
        properties: { amount: 19.99, currency: 'USD', plan: 'annual' },
      },
      {
        name: 'page_viewed',
        eventId: 'b1',
        userId: 'bob',
        occurredAt: '2026-11-24T08:00:00Z',
        properties: { path: '/pricing' },
      },
    ];
    const entries: QueuedEntry[] = [
      { messageId: 'm1', body: batchEntry(events.slice(0, 3)), arrivedAt: DEMO_NOW },
      { messageId: 'm2', body: singleEntry(events[3]!), arrivedAt: DEMO_NOW },
      { messageId: 'm3', body: batchEntry(events.slice(4)), arrivedAt: DEMO_NOW },
    ];

    // Act
    const failed = await pipeline.deliver(entries);

    // Assess
    expect(failed).toEqual([]);
    const counters = await allCounters(client, tableName);
    expect(counters).toEqual(reference(events));
    const learners = compiled.defIds['metric:weekly_learners'];
    expect(counters['week#2026-W48']?.[`${learners}.u`]).toBe(1);
    const activation = compiled.defIds['funnel:activation'];
    expect(counters['week#2026-W47']?.[`${activation}.4`]).toBe(1);
  });

  test('It should give the same counters for any order, duplication and batching of the same events', async () => {
    await fc.assert(
      fc.asyncProperty(
        demoEventSet().chain((events) =>
          fc.record({
            events: fc.constant(events),
            deliveries: fc.shuffledSubarray([...events, ...events.filter((_, i) => i % 3 === 0)], {
              minLength: events.length + Math.ceil(events.length / 3),
              maxLength: events.length + Math.ceil(events.length / 3),
            }),
            packing: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 60, maxLength: 60 }),
            batchSize: fc.integer({ min: 1, max: 10 }),
          }),
        ),
        async ({ events, deliveries, packing, batchSize }) => {
          const { client, tableName } = await freshStore(config);
          const pipeline = ingestPipeline(config, client, tableName, () => DEMO_NOW);
          const entries: QueuedEntry[] = [];
          for (let start = 0, i = 0; start < deliveries.length; i++) {
            const size = packing[i % packing.length]!;
            const chunk = deliveries.slice(start, start + size);
            entries.push({
              messageId: `m${i}`,
              body: chunk.length === 1 ? singleEntry(chunk[0]!) : batchEntry(chunk),
              arrivedAt: DEMO_NOW,
            });
            start += size;
          }
          expect(await pipeline.deliver(entries, batchSize)).toEqual([]);
          expect(await allCounters(client, tableName)).toEqual(reference(events));
        },
      ),
      { numRuns: 12 },
    );
  });
});
