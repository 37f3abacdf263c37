import { describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import type { Quarantine } from '../../shared/ports/quarantine.js';
import { recoverStaleRounds } from '../../shared/use-cases/ingest/rounds.js';
import { DEMO_NOW } from '../support/demo-events.js';
import { allCounters, freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, type TestEvent } from '../support/entries.js';
import { crashAfterWrites } from '../support/faults.js';
import { ingestPipeline } from '../support/pipeline.js';
import { referenceCounters, referenceOf } from '../support/reference.js';

const config = parseConfig(demo);
const compiled = compileConfig(config);
const DAY = new Date(DEMO_NOW).toISOString().slice(0, 10);
const at = (hoursAgo: number) => new Date(DEMO_NOW - hoursAgo * 3_600_000).toISOString();
const good: TestEvent = {
  name: 'signed_up',
  eventId: 'good-1',
  userId: 'ann',
  occurredAt: at(2),
  properties: { method: 'email' },
};

const entry = (messageId: string, body: string, arrivedAt = DEMO_NOW): QueuedEntry => ({
  messageId,
  body,
  arrivedAt,
});

async function setup(clock = () => DEMO_NOW) {
  const client = localClient();
  const tableName = await freshTable(client);
  return {
    client,
    tableName,
    pipeline: ingestPipeline(config, client, tableName, clock),
    quarantine: storesFor(config, client, tableName).quarantine,
  };
}

async function quarantineReasons(quarantine: Quarantine) {
  const items = await quarantine.listQuarantine(DAY);
  return items.map((item) => ({ reason: item.reason, message: item.message, raw: item.raw }));
}

describe('quarantine', () => {
  test('It should quarantine one event per rejection reason with its raw payload and count none of them', async () => {
    // Prepare: one bad entry per reason, beside a good one.
    const { client, tableName, pipeline, quarantine } = await setup();
    const corpus: Record<string, string> = {
      malformed_entry: '{"not": "an EventBridge event"',
      malformed_batch: JSON.stringify({
        source: 'app.web',
        'detail-type': 'Northstar Event Batch',
        detail: { events: 'nope' },
      }),
      reserved_source: singleEntry(good, 'northstar.fake'),
      unknown_event: singleEntry({ ...good, name: 'teleported', eventId: 'x1' }),
      missing_field: singleEntry({
        name: 'signed_up',
        eventId: 'x2',
        occurredAt: at(1),
        properties: { method: 'email' },
      } as unknown as TestEvent),
      malformed_field: singleEntry({ ...good, eventId: 'x3', occurredAt: '2026-11-25 10:00' }),
      invalid_property: singleEntry({ ...good, eventId: 'x4', properties: { method: 'fax' } }),
      too_large: singleEntry({
        ...good,
        eventId: 'x5',
        properties: { method: 'email', blob: 'x'.repeat(20_000) },
      }),
      future_event: singleEntry({
        ...good,
        eventId: 'x6',
        occurredAt: new Date(DEMO_NOW + 3_600_000).toISOString(),
      }),
      too_late: singleEntry({ ...good, eventId: 'x7', occurredAt: at(24 * 8) }),
    };
    const entries = [
      entry('ok', batchEntry([good])),
      ...Object.entries(corpus).map(([reason, body]) => entry(reason, body)),
    ];

    // Act
    const failed = await pipeline.deliver(entries, 10);
    await pipeline.deliver(entries.slice(1), 10);

    // Assess: each reason once (redelivery stores nothing twice), nothing counted but the good event.
    expect(failed).toEqual([]);
    const quarantined = await quarantineReasons(quarantine);
    expect(quarantined.map((q) => q.reason).sort()).toEqual(Object.keys(corpus).sort());
    for (const q of quarantined) expect(q.raw.length).toBeGreaterThan(10);
    expect(quarantined.find((q) => q.reason === 'invalid_property')?.message).toContain('properties.method');
    expect(quarantined.find((q) => q.reason === 'missing_field')?.message).toContain('userId');
    expect(await allCounters(client, tableName)).toEqual(
      referenceCounters(
        [
          {
            name: 'signed_up',
            userId: 'ann',
            occurredAt: Date.parse(good.occurredAt),
            properties: { method: 'email' },
          },
        ],
        compiled,
      ),
    );
  });

  test('It should accept a corrected event sent again with the same eventId after it was quarantined', async () => {
    const { client, tableName, pipeline, quarantine } = await setup();
    await pipeline.deliver([entry('bad', singleEntry({ ...good, properties: { method: 'fax' } }))]);
    await pipeline.deliver([entry('fixed', singleEntry(good))]);
    expect((await quarantineReasons(quarantine)).map((q) => q.reason)).toEqual(['invalid_property']);
    const signups = compiled.defIds['metric:weekly_signups'];
    expect((await allCounters(client, tableName))['week#2026-W48']?.[`${signups}.n`]).toBe(1);
  });

  test('It should keep the first payload of a (Source, eventId) and count the conflict once', async () => {
    const { client, tableName, pipeline } = await setup();
    const conflicting = { ...good, properties: { method: 'google' } };
    await pipeline.deliver([entry('first', singleEntry(good))]);
    await pipeline.deliver([
      entry('second', singleEntry(conflicting)),
      entry('third', singleEntry(conflicting)),
    ]);
    const counters = await allCounters(client, tableName);
    expect(counters[`day#${good.occurredAt.slice(0, 10)}`]?.conflicts).toBe(1);
    const signups = compiled.defIds['metric:weekly_signups'];
    expect(counters['week#2026-W48']?.[`${signups}.n`]).toBe(1);
  });

  test('It should treat the same eventId from another source as another event', async () => {
    const { client, tableName, pipeline } = await setup();
    await pipeline.deliver([
      entry('web', singleEntry(good, 'app.web')),
      entry('ios', singleEntry(good, 'app.ios')),
    ]);
    const signups = compiled.defIds['metric:weekly_signups'];
    expect((await allCounters(client, tableName))['week#2026-W48']?.[`${signups}.n`]).toBe(2);
  });

  test('It should quarantine an event that waited in the queue longer than the maximum queue age', async () => {
    const { client, tableName, pipeline, quarantine } = await setup();
    const arrivedAt = DEMO_NOW - 3 * 86_400_000;
    await pipeline.deliver([
      entry(
        'old',
        singleEntry({ ...good, occurredAt: new Date(arrivedAt - 60_000).toISOString() }),
        arrivedAt,
      ),
    ]);
    const items = await quarantine.listQuarantine(new Date(arrivedAt).toISOString().slice(0, 10));
    expect(items.map((item) => item.reason)).toEqual(['queue_expired']);
    expect(await allCounters(client, tableName)).toEqual({});
  });

  test('It should finish a round left open by a crash even if its users never send again', async () => {
    // Prepare: a worker dies after committing users, before its counters.
    const client = localClient();
    const tableName = await freshTable(client);
    const crashing = localClient();
    crashAfterWrites(crashing, 3); // the round record and both users: then the counters would follow
    const events = [good, { ...good, eventId: 'good-2', userId: 'bob' }];
    await ingestPipeline(config, crashing, tableName, () => DEMO_NOW)
      .deliver([entry('m', batchEntry(events))])
      .catch(() => undefined);
    expect(await allCounters(client, tableName)).toEqual({});

    // Act: the scheduler's sweep, once the round limit has passed.
    const later = DEMO_NOW + compiled.maxRoundMs + 1;
    const deps = { ...storesFor(config, client, tableName), compiled, clock: () => later };
    const early = await recoverStaleRounds({ ...deps, clock: () => DEMO_NOW + 1000 }, 86_400_000);
    const recovered = await recoverStaleRounds(deps, 86_400_000);

    // Assess
    expect(early).toBe(0);
    expect(recovered).toBe(1);
    const reference = referenceOf(events, compiled);

    expect(await allCounters(client, tableName)).toEqual(reference);
    expect(await recoverStaleRounds(deps, 86_400_000)).toBe(0);
  });
});
