import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { DEMO_NOW, demoEventSet } from '../support/demo-events.js';
import { allCounters, freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, type QueuedEntry, singleEntry, type TestEvent } from '../support/entries.js';
import { countWrites, crashAfterWrites } from '../support/faults.js';
import { ingestPipeline } from '../support/pipeline.js';
import { referenceOf } from '../support/reference.js';

const config = parseConfig(demo);
const compiled = compileConfig(config);
const afterRoundLimit = DEMO_NOW + compiled.maxRoundMs + 1;

const reference = (events: readonly TestEvent[]) => referenceOf(events, compiled);

function pack(events: readonly TestEvent[], perEntry: number, prefix = 'm'): QueuedEntry[] {
  const entries: QueuedEntry[] = [];
  for (let start = 0; start < events.length; start += perEntry) {
    const chunk = events.slice(start, start + perEntry);
    entries.push({
      messageId: `${prefix}${start}`,
      body: chunk.length === 1 ? singleEntry(chunk[0]!) : batchEntry(chunk),
      arrivedAt: DEMO_NOW,
    });
  }
  return entries;
}

/** Redelivers what failed until nothing does, as SQS would. */
async function deliverUntilDone(
  pipeline: ReturnType<typeof ingestPipeline>,
  entries: QueuedEntry[],
  batchSize = 10,
): Promise<void> {
  let pending = entries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    expect(attempt).toBeLessThan(10);
    const failed = new Set(await pipeline.deliver(pending, batchSize));
    pending = pending.filter((entry) => failed.has(entry.messageId));
  }
}

const sample = fc.sample(demoEventSet({ minEvents: 24, maxEvents: 30, users: 4 }), {
  numRuns: 1,
  seed: 42,
})[0]!;

describe('exact under failure', () => {
  test('It should stay exact when the function crashes before any write of a batch and the batch is redelivered', async () => {
    // Prepare: how many writes a clean run makes, so every crash point is tried.
    const client = localClient();
    const entries = pack(sample, 3);
    const probeTable = await freshTable(client);
    const probeClient = localClient();
    const probe = countWrites(probeClient);
    await ingestPipeline(config, probeClient, probeTable, () => DEMO_NOW).deliver(entries, 10);
    expect(probe.writes).toBeGreaterThan(20);

    for (let k = 0; k < probe.writes; k++) {
      const tableName = await freshTable(client);
      const crashing = localClient();
      crashAfterWrites(crashing, k);
      // Act: the first delivery dies after k writes; SQS redelivers after the visibility timeout.
      await ingestPipeline(config, crashing, tableName, () => DEMO_NOW)
        .deliver(entries, 10)
        .catch(() => undefined);
      await deliverUntilDone(
        ingestPipeline(config, localClient(), tableName, () => afterRoundLimit),
        entries,
      );
      // Assess
      expect(await allCounters(client, tableName), `crash before write ${k + 1}`).toEqual(reference(sample));
    }
  }, 240_000);

  test('It should stay exact when a batch is delivered twice', async () => {
    const client = localClient();
    const tableName = await freshTable(client);
    const pipeline = ingestPipeline(config, client, tableName, () => DEMO_NOW);
    const entries = pack(sample, 4);
    await deliverUntilDone(pipeline, entries);
    await deliverUntilDone(pipeline, entries);
    expect(await allCounters(client, tableName)).toEqual(reference(sample));
  });

  test('It should stay exact when several workers update the same users at the same time', async () => {
    await fc.assert(
      fc.asyncProperty(
        demoEventSet({ maxEvents: 40, users: 3 }),
        fc.integer({ min: 2, max: 4 }),
        async (events, workers) => {
          const client = localClient();
          const tableName = await freshTable(client);
          // Every worker gets every event, in its own order and packing: maximum contention.
          const deliveries = Array.from({ length: workers }, (_, w) => {
            const rotated = [
              ...events.slice((w * 7) % events.length),
              ...events.slice(0, (w * 7) % events.length),
            ];
            return pack(rotated, 1 + w, `w${w}-`);
          });
          await Promise.all(
            deliveries.map((entries) =>
              deliverUntilDone(
                ingestPipeline(config, localClient(), tableName, () => DEMO_NOW),
                entries,
                3,
              ),
            ),
          );
          expect(await allCounters(client, tableName)).toEqual(reference(events));
        },
      ),
      { numRuns: 6 },
    );
  }, 240_000);
});
