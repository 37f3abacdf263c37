import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../../config/demo.config.js';
import type { NorthstarConfig } from '../../../shared/domain/config/schema.js';
import { parseConfig } from '../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../shared/domain/engine/compiled-config.js';
import {
  backfilledIds,
  compileGeneration,
  LIVE_SCOPE,
  planVersions,
  scopesToCount,
  showNext,
  type VersionRegistry,
} from '../../../shared/domain/engine/versions.js';
import { trackingPlanSchemas } from '../../../shared/domain/events/tracking-plan.js';
import { backfillRecords } from '../../../shared/use-cases/ingest/backfill-records.js';
import { ingestRecords, type ReceivedRecord } from '../../../shared/use-cases/ingest/ingest-records.js';
import { DEMO_NOW, demoEventSet } from '../../support/demo-events.js';
import { batchEntry, singleEntry, type TestEvent } from '../../support/entries.js';
import { type MemoryStores, memoryStores } from '../../support/memory-stores.js';

const before = parseConfig(demo);
/** The same configuration with one filter changed, a funnel's window changed and a metric added. */
const after: NorthstarConfig = parseConfig({
  ...demo,
  funnels: { activation: { ...demo.funnels.activation, window: 'P3D' } },
  metrics: {
    ...demo.metrics,
    weekly_visitors: { ...demo.metrics.weekly_visitors, where: { channel: ['paid', 'email'] } },
    certified_learners: {
      ...demo.metrics.weekly_learners,
      title: 'Certified learners',
      where: { certificate: true },
      parent: 'weekly_learners',
      target: undefined,
    },
  },
});
const schemas = trackingPlanSchemas(after);
const MINUTE = 60_000;

/** Queue records of events in arrival order, packed `packing` events to an entry that arrives with its last. */
function recordsOf(
  timed: readonly { event: TestEvent; at: number }[],
  packing: readonly number[],
): ReceivedRecord[] {
  const records: ReceivedRecord[] = [];
  for (let start = 0, i = 0; start < timed.length; i++) {
    const size = packing[i % packing.length]!;
    const chunk = timed.slice(start, start + size);
    records.push({
      messageId: `m${i}`,
      body: chunk.length === 1 ? singleEntry(chunk[0]!.event) : batchEntry(chunk.map(({ event }) => event)),
      arrivedAt: chunk[chunk.length - 1]!.at,
    });
    start += size;
  }
  return records;
}

/** Batches of `size`, `concurrency` of them at a time, as the queue's workers take them. */
async function deliver(
  records: readonly ReceivedRecord[],
  size: number,
  concurrency: number,
  ingest: (batch: ReceivedRecord[]) => Promise<{ failedMessageIds: string[] }>,
): Promise<void> {
  const batches: ReceivedRecord[][] = [];
  for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
  // As SQS does: a message a batch reports failed (workers racing on a user) is received again.
  const untilTaken = async (batch: ReceivedRecord[]) => {
    for (let receive = 1; batch.length > 0; receive++) {
      const { failedMessageIds } = await ingest(batch);
      if (receive === 5) expect(failedMessageIds, 'failed at every receive').toEqual([]);
      batch = batch.filter((record) => failedMessageIds.includes(record.messageId));
    }
  };
  for (let i = 0; i < batches.length; i += concurrency)
    await Promise.all(batches.slice(i, i + concurrency).map(untilTaken));
}

/** A pipeline defined with `config` from the start, ingesting every record at its arrival. */
async function reference(config: NorthstarConfig, records: readonly ReceivedRecord[]) {
  const stores = memoryStores();
  const compiled = compileConfig(config);
  await deliver(records, 1, 1, (batch) => {
    const at = Math.max(...batch.map((record) => record.arrivedAt));
    return ingestRecords(batch, { ...stores, compiled, schemas, clock: () => at });
  });
  return stores;
}

/** The counters of one version id: its fields, by counter item. */
function countersOf(stores: MemoryStores, id: string): Record<string, Record<string, number>> {
  const found: Record<string, Record<string, number>> = {};
  for (const [item, fields] of stores.data.counters)
    for (const [field, value] of fields)
      if (field.startsWith(`${id}.`) || (id === 'conflicts' && field === id))
        (found[item] ??= {})[field] = value;
  return found;
}

describe('backfill of new definition versions', () => {
  test('It should start a next generation for changed and new definitions only, and keep the rest', () => {
    const first = planVersions(undefined, before, DEMO_NOW, false).registry;
    const { registry, changed } = planVersions(first, after, DEMO_NOW + 1, true);
    expect(changed).toBe(true);
    const next = registry.next!;
    const moved = Object.keys(next.versions).filter(
      (key) => next.versions[key]!.id !== first.shown.versions[key]?.id,
    );
    // A split follows its metric: activation's by channel, weekly visitors' by platform, and so the sign-up rate's.
    expect(moved.sort()).toEqual([
      'breakdown:activation_rate:channel',
      'breakdown:signup_rate:platform',
      'breakdown:weekly_visitors:platform',
      'funnel:activation',
      'metric:activation_rate',
      'metric:certified_learners',
      'metric:signup_rate',
      'metric:weekly_visitors',
    ]);
    for (const key of moved) expect(next.versions[key]!.scope).toBe(`g${next.number}`);
    expect(next.versions['metric:weekly_signups']).toEqual(first.shown.versions['metric:weekly_signups']);
    // Editing only what does not define a number keeps every version and starts no backfill.
    const retitled = parseConfig({
      ...demo,
      metrics: {
        ...demo.metrics,
        weekly_signups: { ...demo.metrics.weekly_signups, title: 'Sign-ups a week' },
      },
    });
    const same = planVersions(first, retitled, DEMO_NOW + 2, true).registry;
    expect(same.next).toBeUndefined();
    expect(same.shown.config.metrics.weekly_signups?.title).toBe('Sign-ups a week');
  });

  test('It should keep a rebuild from imported history across a restart, and build later changes on it', () => {
    const first = planVersions(undefined, before, 1, false).registry;
    const rebuilt = planVersions(first, before, 2, true, {
      rebuild: true,
      history: 'history-1.ndjson',
    }).registry;
    const ids = (of: VersionRegistry['shown'] | undefined) =>
      Object.values(of?.versions ?? {}).map((e) => e.id);
    expect(ids(rebuilt.next).some((id) => ids(first.shown).includes(id))).toBe(false);
    // The same configuration again (a restart) keeps the rebuild going.
    expect(planVersions(rebuilt, before, 3, true).registry.next).toEqual({ ...rebuilt.next, config: before });
    // A change during the rebuild builds on it, reading the same history.
    const changed = planVersions(rebuilt, after, 4, true).registry;
    expect(changed.next?.versions['metric:weekly_signups']).toEqual(
      rebuilt.next?.versions['metric:weekly_signups'],
    );
    expect(changed.histories?.[`g${changed.next!.number}`]).toBe('history-1.ndjson');
    // And once shown, a later change reads it as well.
    const later = planVersions(showNext(rebuilt, 5), after, 6, true).registry;
    expect(later.histories?.[`g${later.next!.number}`]).toBe('history-1.ndjson');
  });

  test('It should give a definition defined again after it was replaced a new version id', () => {
    const first = planVersions(undefined, before, 1, false).registry;
    const shown = showNext(planVersions(first, after, 2, true).registry, 3);
    const back = planVersions(shown, before, 4, true).registry;
    const oldId = first.shown.versions['metric:weekly_visitors']!.id;
    const againId = back.next!.versions['metric:weekly_visitors']!.id;
    expect(againId).not.toBe(oldId);
    expect(back.retired.map((version) => version.id)).toContain(oldId);
  });

  test('It should fill a new version with exactly the numbers of a pipeline that had it from the start, while live traffic keeps arriving', async () => {
    await fc.assert(
      fc.asyncProperty(
        demoEventSet({ maxEvents: 40 }).chain((events) =>
          fc.record({
            events: fc.constant(events),
            // Resends of some events, a few with another payload (a conflicting resend).
            resends: fc
              .subarray(events)
              .chain((again) =>
                fc.tuple(
                  fc.constant(again),
                  fc.array(fc.boolean(), { minLength: again.length, maxLength: again.length }),
                ),
              ),
            // Minutes from an event to its arrival: up to a day and a half late, so out of order.
            delays: fc.array(fc.integer({ min: 0, max: 36 * 60 }), { minLength: 60, maxLength: 60 }),
            split: fc.double({ min: 0, max: 1, noNaN: true }),
            packing: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 20, maxLength: 20 }),
            batchSize: fc.integer({ min: 1, max: 6 }),
            // A backfill batch can span days of history, more than the queue's age limit.
            backfillBatch: fc.integer({ min: 1, max: 25 }),
            concurrency: fc.integer({ min: 1, max: 3 }),
          }),
        ),
        async ({
          events,
          resends: [again, conflicting],
          delays,
          split,
          packing,
          batchSize,
          backfillBatch,
          concurrency,
        }) => {
          // Arrange: every delivery in arrival order; the change comes at a random moment.
          const resent = again.map((event, i) =>
            conflicting[i] ? { ...event, properties: { ...event.properties, resent: true } } : event,
          );
          const arrival = (event: TestEvent, i: number, scale: number) =>
            Date.parse(event.occurredAt) + delays[i % delays.length]! * MINUTE * scale;
          const timed = [
            ...events.map((event, i) => ({ event, at: arrival(event, i, 1) })),
            ...resent.map((event, i) => ({ event, at: arrival(event, i + 7, 2) })),
          ].sort((a, b) => a.at - b.at);
          const records = recordsOf(timed, packing);
          const cut = Math.floor(split * records.length);
          const stores = memoryStores();
          let registry: VersionRegistry = planVersions(undefined, before, DEMO_NOW, false).registry;
          const liveOf = (of: VersionRegistry) => scopesToCount(of).get(LIVE_SCOPE)!;
          // Live ingest takes each batch soon after its first entry arrived: none waited too long.
          // One live batch at a time: each runs on its own clock, days from the next one's, and
          // a worker would take a concurrent batch's round, minutes old by the real clock, for
          // one stale for days. Concurrent workers on one clock: tests/integration/ingest-failures.test.ts.
          const live = (of: VersionRegistry) => (batch: ReceivedRecord[]) =>
            ingestRecords(batch, {
              ...stores,
              compiled: liveOf(of),
              schemas,
              clock: () => Math.min(...batch.map((record) => record.arrivedAt)),
            });

          // Act: live ingest of the history, the change, then live traffic and the backfill at once.
          await deliver(records.slice(0, cut), batchSize, 1, live(registry));
          registry = planVersions(registry, after, DEMO_NOW, cut > 0).registry;
          const scopes = scopesToCount(registry);
          const backfills = [...scopes.keys()].filter((scope) => scope !== LIVE_SCOPE);
          await Promise.all([
            deliver(records.slice(cut), batchSize, 1, live(registry)),
            ...backfills.map((scope) =>
              deliver(records, backfillBatch, concurrency, (batch) =>
                backfillRecords(batch, {
                  ...stores.inScope(scope),
                  compiled: scopes.get(scope)!,
                  schemas,
                  clock: () => DEMO_NOW,
                }),
              ),
            ),
          ]);
          const filled = backfilledIds(registry);
          registry = showNext(registry, DEMO_NOW);

          // Assert: every version of the shown generation, and every version it replaced,
          // has the numbers of a pipeline defined with it from the start.
          const [withAfter, withBefore] = await Promise.all([
            reference(after, records),
            reference(before, records),
          ]);
          const shown = compileGeneration(registry.shown);
          expect(Object.values(shown.defIds)).toEqual(Object.values(compileConfig(after).defIds));
          for (const id of Object.values(shown.defIds))
            expect(countersOf(stores, id), `shown version ${id}`).toEqual(countersOf(withAfter, id));
          // Without history the change is shown at once, and the versions it replaces stop before counting anything.
          for (const { id } of registry.retired)
            expect(countersOf(stores, id), `replaced version ${id}`).toEqual(
              cut > 0 ? countersOf(withBefore, id) : {},
            );
          expect(countersOf(stores, 'conflicts')).toEqual(countersOf(withAfter, 'conflicts'));
          if (cut > 0) expect(filled.size).toBeGreaterThan(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
