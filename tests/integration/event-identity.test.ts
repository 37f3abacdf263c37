import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { DEMO_NOW } from '../support/demo-events.js';
import { allCounters, freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, type TestEvent } from '../support/entries.js';
import { ingestPipeline } from '../support/pipeline.js';

// docs/semantics.md, Identity: (Source, userId, eventId) identifies an event.
const config = parseConfig(demo);
const compiled = compileConfig(config);
const SIGNUPS = `${compiled.defIds['metric:daily_signups']}.n`;
const DAY = `day#${new Date(DEMO_NOW).toISOString().slice(0, 10)}`;
const signup = (userId: string, eventId: string): TestEvent => ({
  name: 'signed_up',
  eventId,
  userId,
  occurredAt: new Date(DEMO_NOW - 2 * 3_600_000).toISOString(),
  properties: { method: 'email' },
});
const entry = (messageId: string, body: string): QueuedEntry => ({ messageId, body, arrivedAt: DEMO_NOW });

async function countersAfter(entries: readonly QueuedEntry[]) {
  const client = localClient();
  const tableName = await freshTable(client);
  const pipeline = ingestPipeline(config, client, tableName, () => DEMO_NOW);
  expect(await pipeline.deliver(entries)).toEqual([]);
  return allCounters(client, tableName);
}

describe('event identity: (Source, userId, eventId)', () => {
  test('It should be the identity docs/semantics.md states', async () => {
    const doc = await readFile(new URL('../../docs/semantics.md', import.meta.url), 'utf8');
    expect(doc).toContain('The triple (`Source`, `userId`, `eventId`) identifies an event.');
    expect(doc.replace(/\s+/g, ' ')).toContain('The same `eventId` sent under two users is two events');
  });

  test('It should count the same eventId sent under two users as two events', async () => {
    const counters = await countersAfter([
      entry('ann', singleEntry(signup('ann', 'evt-1'))),
      entry('bob', singleEntry(signup('bob', 'evt-1'))),
      entry('both', batchEntry([signup('cy', 'evt-1'), signup('dee', 'evt-1')])),
    ]);
    expect(counters[DAY]?.[SIGNUPS]).toBe(4);
    expect(counters[DAY]?.conflicts).toBeUndefined();
  });

  test('It should count the same user and eventId once however often it comes, a changed payload as one conflict', async () => {
    const counters = await countersAfter([
      entry('first', singleEntry(signup('ann', 'evt-1'))),
      entry('again', singleEntry(signup('ann', 'evt-1'))),
      entry('changed', singleEntry({ ...signup('ann', 'evt-1'), properties: { method: 'google' } })),
    ]);
    expect(counters[DAY]?.[SIGNUPS]).toBe(1);
    expect(counters[DAY]?.conflicts).toBe(1);
  });
});
