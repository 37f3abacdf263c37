import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { createBackfillHandlers } from '../../functions/backfill/handler.js';
import { BackfillRunItems } from '../../shared/adapters/dynamodb/backfill-runs.js';
import { folderArchiveObjects } from '../../shared/adapters/file/archive-objects.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { planVersions } from '../../shared/domain/engine/versions.js';
import type { BackfillSteps } from '../../shared/use-cases/backfill/backfill-steps.js';
import type { CountPartitionResult } from '../../shared/use-cases/backfill/count-partition.js';
import { executionNameOf } from '../../shared/use-cases/backfill/plan-backfill.js';
import { runVersionsReport } from '../../shared/use-cases/backfill/versions-report.js';
import { allCounters, freshStore } from '../support/dynamo.js';
import { batchEntry, singleEntry, type TestEvent } from '../support/entries.js';
import { firehoseObjects } from '../support/firehose-archive.js';
import { demoDays, redefined } from '../support/redefined-config.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { sampledEvents } from '../support/sampled-events.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const logger = new Logger({ serviceName: 'northstar-backfill', logLevel: 'SILENT' });
const contextWith = (remainingMs: number) =>
  ({
    functionName: 'northstar-backfill',
    awsRequestId: 'test',
    getRemainingTimeInMillis: () => remainingMs,
  }) as Context;

/** Entries as apps send them: single events, and batch entries of several users' events. */
function entriesOf(events: readonly TestEvent[], seed: number): { body: string; arrivedAt: number }[] {
  const sorted = [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  const sizes = fc.sample(fc.integer({ min: 1, max: 6 }), { seed, numRuns: sorted.length });
  const entries: { body: string; arrivedAt: number }[] = [];
  for (let start = 0, i = 0; start < sorted.length; i++) {
    const chunk = sorted.slice(start, start + sizes[i]!);
    start += chunk.length;
    const last = Date.parse(chunk[chunk.length - 1]!.occurredAt);
    entries.push({
      body: chunk.length === 1 ? singleEntry(chunk[0]!) : batchEntry(chunk),
      arrivedAt: last + 20_000 + (i % 7) * 1000,
    });
  }
  return entries;
}

describe('backfill on AWS: the state machine steps', () => {
  test('It should give the backfilled versions exactly the numbers of a pipeline defined with them from the start, whatever the order of partitions and with a worker cut short', async () => {
    // Arrange: an archive as Firehose writes it, and a registry whose next generation redefines two metrics.
    const events = sampledEvents({ count: 1400, users: 90, days: 4, seed: 29 });
    // A resend of some events: a duplicate in the archive counts once.
    const archived = [...events, ...events.slice(0, 60)];
    const root = await mkdtemp(join(tmpdir(), 'northstar-archive-'));
    dirs.push(root);
    const objects = folderArchiveObjects(root);
    const keys = await firehoseObjects(objects, entriesOf(archived, 29));
    const { client, tableName, stores } = await freshStore(redefined);
    const now = Date.now();
    const first = planVersions(undefined, demoDays, now - 86_400_000, false).registry;
    const registry = planVersions(first, redefined, now, true).registry;
    await stores.versions.writeRegistry(registry);
    const next = registry.next!;
    const run = executionNameOf(next);
    const runs = new BackfillRunItems({ client, tableName });
    const partitions = 4;
    await runs.createRun({
      generation: next.number,
      executionName: run,
      scopes: [`g${next.number}`],
      startedAt: now,
      cut: now + 60_000,
      partitions,
    });
    const steps: BackfillSteps = {
      objects,
      runs,
      readRegistry: () => stores.versions.readRegistry(),
      storesOf: (scope) => storesFor(redefined, client, tableName, scope),
      clock: () => now,
    };
    const handlers = createBackfillHandlers(() => steps, logger);
    const settings = { generation: next.number, run, cut: now + 60_000, partitions };

    // Act: the distributed map's batches of three objects, then every partition's worker in a
    // shuffled order, the first cut short by its time and continued from its cursor.
    let partitioned = 0;
    for (let i = 0; i < keys.length; i += 3) {
      const summary = await handlers.partition(
        { Items: keys.slice(i, i + 3).map((Key) => ({ Key, Size: 1 })), BatchInput: settings },
        contextWith(60_000),
      );
      partitioned += summary.entries;
    }
    const order = fc.sample(fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 }), { seed: 3, numRuns: 1 })[0]!;
    const steppedResults: CountPartitionResult[] = [];
    for (const [index, partition] of order.entries()) {
      const input = { generation: next.number, run, partition, cursor: null };
      let result = await handlers.worker(input, contextWith(index === 0 ? 1_000 : 600_000));
      steppedResults.push(result);
      while (!result.done) result = await handlers.worker(result, contextWith(600_000));
    }
    const during = runVersionsReport(registry, await runs.readRun(next.number), now + 1000);
    await handlers.finish({ generation: next.number }, contextWith(30_000));

    // Assert: the first worker stopped with a cursor and went on from it.
    expect(steppedResults[0]!.done).toBe(false);
    expect(steppedResults[0]!.cursor!.events).toBe(250);
    expect(partitioned).toBeGreaterThan(events.length / 6);
    const compiled = compileConfig(redefined);
    const newIds = [
      compiled.defIds['metric:weekly_visitors']!,
      compiled.defIds['metric:certified_learners']!,
    ];
    expect(newIds).toEqual([
      next.versions['metric:weekly_visitors']!.id,
      next.versions['metric:certified_learners']!.id,
    ]);
    const counters = await allCounters(client, tableName);
    const expected = ofVersions(referenceOf(events, compiled), newIds);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(ofVersions(counters, newIds)).toEqual(expected);
    // Progress as GET /api/versions reports it: every entry counted, caught up once finished.
    expect(during.backfills[0]).toMatchObject({
      scope: `g${next.number}`,
      position: partitioned,
      caughtUp: true,
    });
    const finished = await runs.readRun(next.number);
    expect(finished?.doneAt).toBe(now);
    expect(Object.values(finished!.progress).every((progress) => progress.done)).toBe(true);
  }, 180_000);

  test('It should count nothing and report done when the generation is no longer the next one', async () => {
    const root = await mkdtemp(join(tmpdir(), 'northstar-archive-'));
    dirs.push(root);
    const objects = folderArchiveObjects(root);
    const { client, tableName, stores } = await freshStore(redefined);
    const registry = planVersions(undefined, demoDays, 1, false).registry;
    await stores.versions.writeRegistry(registry);
    const runs = new BackfillRunItems({ client, tableName });
    const handlers = createBackfillHandlers(
      () => ({
        objects,
        runs,
        readRegistry: () => stores.versions.readRegistry(),
        storesOf: (scope) => storesFor(redefined, client, tableName, scope),
        clock: () => 2,
      }),
      logger,
    );
    const result = await handlers.worker(
      { generation: 1, run: 'northstar-g1-x', partition: 0 },
      contextWith(600_000),
    );
    expect(result.done).toBe(true);
    expect(await handlers.finish({ generation: 1 }, contextWith(30_000))).toEqual({
      generation: 1,
      finished: false,
    });
    expect(await runs.readRun(1)).toBeUndefined();
  });
});
