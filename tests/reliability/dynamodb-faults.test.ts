import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { recoverStaleRounds } from '../../shared/use-cases/ingest/rounds.js';
import { DEMO_NOW, demoEventSet } from '../support/demo-events.js';
import { allCounters, freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, type TestEvent } from '../support/entries.js';
import {
  clientErrorAfterLandedWrites,
  injectTransientFaults,
  TRANSIENT_FAULTS,
  type TransientFault,
} from '../support/faults.js';
import { deliverUntilDone, ingestPipeline } from '../support/pipeline.js';
import { referenceOf } from '../support/reference.js';

const config = parseConfig(demo);
const compiled = compileConfig(config);
const DAY_MS = 86_400_000;

function pack(events: readonly TestEvent[], perEntry: number): QueuedEntry[] {
  const entries: QueuedEntry[] = [];
  for (let start = 0; start < events.length; start += perEntry) {
    const chunk = events.slice(start, start + perEntry);
    entries.push({
      messageId: `m${start}`,
      body: chunk.length === 1 ? singleEntry(chunk[0]!) : batchEntry(chunk),
      arrivedAt: DEMO_NOW,
    });
  }
  return entries;
}

describe('DynamoDB throttling and transient errors', () => {
  test('It should count every event exactly once when throttling, 500s, 503s and socket resets hit a share of calls', async () => {
    const seen: Partial<Record<TransientFault, number>> = {};
    await fc.assert(
      fc.asyncProperty(
        demoEventSet({ minEvents: 10, maxEvents: 30, users: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (events, perEntry, seed) => {
          // Prepare: the same events twice, so a retry that applied twice would show.
          const client = localClient();
          const tableName = await freshTable(client);
          const faulty = localClient();
          const injected = injectTransientFaults(faulty, { rate: 0.2, seed });
          const pipeline = ingestPipeline(config, faulty, tableName, () => DEMO_NOW);
          // Act
          await deliverUntilDone(pipeline, [...pack(events, perEntry), ...pack([...events].reverse(), 3)]);
          // Assess
          for (const [fault, count] of Object.entries(injected.byFault))
            seen[fault as TransientFault] = (seen[fault as TransientFault] ?? 0) + count;
          expect(await allCounters(client, tableName)).toEqual(referenceOf(events, compiled));
        },
      ),
      // A fixed seed: every run injects the same faults, so a failure repeats.
      { numRuns: 5, seed: 20261125 },
    );
    expect(Object.keys(seen).sort()).toEqual([...TRANSIENT_FAULTS].sort());
  }, 90_000);

  test('It should not lose a user whose write landed but whose answer was lost and retried', async () => {
    // Prepare: half of the user writes land, then their socket resets; the SDK retries them.
    const events = fc.sample(demoEventSet({ minEvents: 40, maxEvents: 40, users: 8 }), {
      numRuns: 1,
      seed: 7,
    })[0]!;
    const client = localClient();
    const tableName = await freshTable(client);
    const faulty = localClient();
    const injected = injectTransientFaults(faulty, {
      rate: 0.5,
      seed: 13,
      faults: ['ECONNRESET after the write landed'],
      pkPrefix: 'U#',
    });
    // Act
    await deliverUntilDone(
      ingestPipeline(config, faulty, tableName, () => DEMO_NOW),
      pack(events, 4),
    );
    // Assess
    expect(injected.byFault['ECONNRESET after the write landed']).toBeGreaterThanOrEqual(2);
    expect(await allCounters(client, tableName)).toEqual(referenceOf(events, compiled));
  }, 60_000);

  test('It should not lose a user whose write landed when the retry got a client error', async () => {
    // Prepare: every third user write lands, its socket resets, and the retry is refused.
    const events = fc.sample(demoEventSet({ minEvents: 40, maxEvents: 40, users: 8 }), {
      numRuns: 1,
      seed: 7,
    })[0]!;
    const client = localClient();
    const tableName = await freshTable(client);
    const faulty = localClient();
    const injected = clientErrorAfterLandedWrites(faulty, { pkPrefix: 'U#', every: 3 });
    // Act: deliver until every message succeeds, then the recompute's sweep once the
    // round limit has passed finishes the rounds whose fate was unknown.
    await deliverUntilDone(
      ingestPipeline(config, faulty, tableName, () => DEMO_NOW),
      pack(events, 4),
    );
    const later = DEMO_NOW + compiled.maxRoundMs + 1;
    await recoverStaleRounds(
      { ...storesFor(config, client, tableName), compiled, clock: () => later },
      DAY_MS,
    );
    // Assess: the refusal of a retry is not taken as proof that nothing was written.
    expect(injected.landed).toBeGreaterThanOrEqual(2);
    expect(await allCounters(client, tableName)).toEqual(referenceOf(events, compiled));
  }, 60_000);
});
