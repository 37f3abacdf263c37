import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, describe, expect, test } from 'vitest';
import { createApiHandler } from '../../functions/api/handler.js';
import { createBackfillHandlers } from '../../functions/backfill/handler.js';
import { BackfillRunItems } from '../../shared/adapters/dynamodb/backfill-runs.js';
import { HistoryImportItems } from '../../shared/adapters/dynamodb/history-imports.js';
import { folderArchiveObjects } from '../../shared/adapters/file/archive-objects.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import { compileGeneration } from '../../shared/domain/engine/versions.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import type { BackfillExecutionInput } from '../../shared/ports/backfill-runs.js';
import { schemas } from '../../shared/use-cases/backfill/backfill-steps.js';
import { HISTORY_PREFIX } from '../../shared/use-cases/backfill/partition-archive.js';
import { planBackfill } from '../../shared/use-cases/backfill/plan-backfill.js';
import { archivedImports } from '../../shared/use-cases/history-import/archived-imports.js';
import { createReadApi } from '../../shared/use-cases/read-api/read-api.js';
import type { ImportSummary } from '../../shared/use-cases/read-api/routes-versions.js';
import { allCounters, freshStore } from '../support/dynamo.js';
import { singleEntry, type TestEvent } from '../support/entries.js';
import { firehoseObjects } from '../support/firehose-archive.js';
import { demoDays } from '../support/redefined-config.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { sampledEvents } from '../support/sampled-events.js';

const DAY = 86_400_000;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const logger = new Logger({ serviceName: 'northstar-test', logLevel: 'SILENT' });
const context = (remainingMs: number) =>
  ({
    functionName: 'northstar',
    awsRequestId: 'test',
    getRemainingTimeInMillis: () => remainingMs,
  }) as Context;

/** A call through the function URL, signed by IAM: an operator, as `northstar import` is. */
const urlEvent = (method: string, path: string, body?: unknown) =>
  ({
    rawPath: path,
    headers: {},
    requestContext: { http: { method }, authorizer: { iam: { userArn: 'arn:aws:iam::1:user/ops' } } },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }) as unknown as LambdaFunctionURLEvent;

/** PutEvents entries as northstar import packs them: batch entries of 20 events, and a few single ones. */
function putEntries(events: readonly TestEvent[]) {
  const entries: { Source: string; DetailType: string; Detail: string }[] = [];
  for (let i = 0; i < events.length; i += 20) {
    const chunk = events.slice(i, i + 20);
    if (i % 100 === 0)
      for (const { name, ...detail } of chunk)
        entries.push({ Source: 'app.web', DetailType: name, Detail: JSON.stringify(detail) });
    else
      entries.push({
        Source: 'app.web',
        DetailType: BATCH_DETAIL_TYPE,
        Detail: JSON.stringify({ events: chunk }),
      });
  }
  return entries;
}

describe('history import on AWS: the read API, the planner and the backfill steps', () => {
  test('It should count imported weeks as if on time, each event once where the import overlaps the archive, quarantine what the plan refuses, and rebuild every version', async () => {
    // Arrange: a deployed pipeline with three days of live traffic in its archive.
    const config = demoDays;
    const now = Date.now();
    const history = sampledEvents({
      count: 56 * 12,
      users: 40,
      days: 56,
      minMinutesAgo: 60,
      seed: 17,
      prefix: 'h',
    });
    const live = history.filter((event) => Date.parse(event.occurredAt) > now - 3 * DAY);
    const root = await mkdtemp(join(tmpdir(), 'northstar-history-'));
    dirs.push(root);
    const objects = folderArchiveObjects(root);
    await firehoseObjects(
      objects,
      live.map((event) => ({ body: singleEntry(event), arrivedAt: Date.parse(event.occurredAt) + 30_000 })),
    );
    const { client, tableName, stores } = await freshStore(config);
    const records = new HistoryImportItems({ client, tableName });
    const runs = new BackfillRunItems({ client, tableName });
    const started: { name: string; input: BackfillExecutionInput }[] = [];
    const plan = (at: number) =>
      planBackfill({
        versions: stores.versions,
        runs,
        executions: { start: async (name, input) => void started.push({ name, input }) },
        config,
        clock: () => at,
        partitions: 3,
        cutAfterMs: 60_000,
        listAfterMs: 60_000,
        imports: records,
      });
    const first = await plan(now - 60_000);
    const api = createApiHandler(() => {
      const compiled = compileGeneration(first.shown);
      return createReadApi({
        ...stores,
        compiled,
        clock: () => now,
        recompute: () => Promise.reject(new Error('no recompute in this test')),
        imports: archivedImports({
          objects,
          records,
          quarantine: stores.quarantine,
          compiled,
          schemas: schemas(compiled),
          clock: () => now,
        }),
      });
    }, logger);
    // The whole export, which holds the live days too; an event the plan does not know; one from the future.
    const refused: TestEvent[] = [
      {
        name: 'not_in_the_plan',
        eventId: 'x1',
        userId: 'u1',
        occurredAt: new Date(now - 9 * DAY).toISOString(),
      },
      {
        name: 'signed_up',
        eventId: 'x2',
        userId: 'u2',
        occurredAt: new Date(now + DAY).toISOString(),
        properties: { method: 'email' },
      },
    ];
    const entries = [...putEntries(history), ...putEntries(refused)];

    // Act: the parts as northstar import sends them (one sent twice, as after a lost answer), then finish.
    const sent: { statusCode?: number; body?: string }[] = [];
    for (let i = 0; i < entries.length; i += 7)
      sent.push(
        await api(
          urlEvent('POST', '/api/imports/i1/events', { entries: entries.slice(i, i + 7) }),
          context(1000),
        ),
      );
    sent.push(
      await api(urlEvent('POST', '/api/imports/i1/events', { entries: entries.slice(0, 7) }), context(1000)),
    );
    const finished = await api(urlEvent('POST', '/api/imports/i1/finish'), context(1000));
    const again = await api(
      urlEvent('POST', '/api/imports/i1/events', { entries: entries.slice(0, 7) }),
      context(1000),
    );
    const planned = await plan(now);

    // Assert: every part taken, the refused ones quarantined, the summary of the whole import.
    expect(sent.map((answer) => answer.statusCode)).toEqual(sent.map(() => 200));
    expect(finished.statusCode).toBe(200);
    const summary = JSON.parse(finished.body!) as ImportSummary;
    expect(summary).toMatchObject({
      importId: 'i1',
      received: history.length + refused.length,
      imported: history.length,
      duplicates: null,
      rejected: { unknown_event: 1, future_event: 1 },
    });
    expect(again.statusCode).toBe(400);
    expect(JSON.parse(again.body!).error.message).toContain('is finished');
    const quarantined = await stores.quarantine.listQuarantine(new Date(now).toISOString().slice(0, 10));
    expect(quarantined.map((event) => event.eventId).sort()).toEqual(['x1', 'x2']);
    // The planner rebuilds every version with the import, once.
    const next = planned.next!;
    expect(next.rebuild).toBe(true);
    expect(started).toHaveLength(1);
    expect(started[0]!.input.imports).toEqual(['i1']);
    await plan(now + 1000);
    expect(started).toHaveLength(1);

    // Act: the state machine's steps, over the archive and the history.
    const handlers = createBackfillHandlers(
      () => ({
        objects,
        runs,
        readRegistry: () => stores.versions.readRegistry(),
        storesOf: (scope) => storesFor(config, client, tableName, scope),
        clock: () => now,
      }),
      logger,
    );
    const { input } = started[0]!;
    const batchInput = {
      generation: input.generation,
      run: input.run,
      cut: input.cut,
      partitions: 3,
      imports: input.imports,
    };
    // An import not finished (or not this run's) is left alone.
    await objects.writeLines(`${HISTORY_PREFIX}unfinished/part.ndjson.gz`, [
      JSON.stringify({
        arrivedAt: new Date(now - 20 * DAY).toISOString(),
        event: JSON.parse(singleEntry(history[0]!)),
      }),
    ]);
    for (const prefix of ['events/', HISTORY_PREFIX]) {
      const keys = (await objects.list(prefix)).map((object) => object.key);
      for (let i = 0; i < keys.length; i += 4)
        await handlers.partition(
          { Items: keys.slice(i, i + 4).map((Key) => ({ Key })), BatchInput: batchInput },
          context(60_000),
        );
    }
    for (const partition of input.partitions) {
      let result = await handlers.worker(
        { generation: input.generation, run: input.run, partition, cursor: null },
        context(600_000),
      );
      while (!result.done) result = await handlers.worker(result, context(600_000));
    }
    await handlers.finish({ generation: input.generation }, context(30_000));
    const shown = await plan(now + 2000);

    // Assert: the rebuilt versions hold every event once, as a pipeline that had them all on time.
    expect(shown.shown.number).toBe(next.number);
    const ids = Object.values(next.versions).map((entry) => entry.id);
    const compiled = compileGeneration(next);
    const expected = ofVersions(referenceOf(history, compiled), ids);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(ofVersions(await allCounters(client, tableName), ids)).toEqual(expected);
  }, 180_000);
});
