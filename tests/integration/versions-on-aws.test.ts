import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createIngestHandler } from '../../functions/ingest/handler.js';
import { createRecomputeHandler } from '../../functions/recompute/handler.js';
import { BackfillRunItems } from '../../shared/adapters/dynamodb/backfill-runs.js';
import { VersionRegistryItem } from '../../shared/adapters/dynamodb/versions.js';
import { ingestFromEnv, readApiFromEnv, recomputeFromEnv } from '../../shared/compose/lambda-env.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { finishBackfill } from '../../shared/use-cases/backfill/finish-backfill.js';
import { createReadApi } from '../../shared/use-cases/read-api/read-api.js';
import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import { allCounters, freshTable, localClient } from '../support/dynamo.js';
import { batchEntry, sqsEvent } from '../support/entries.js';
import { lambdaContext } from '../support/pipeline.js';
import { demoDays, redefined } from '../support/redefined-config.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { sampledEvents } from '../support/sampled-events.js';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:northstar-backfill';

/** Step Functions and EventBridge have no local counterpart: a stand-in that answers as they do and records starts. */
function awsStandIn() {
  const started = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const json = JSON.parse(body || '{}') as { name?: string; input?: string; Entries?: unknown[] };
      const answer = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(payload));
      };
      if (target === 'AWSStepFunctions.StartExecution') {
        const name = json.name ?? '';
        if (started.has(name) && started.get(name) !== json.input)
          return answer(400, {
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${name}'`,
          });
        started.set(name, json.input ?? '');
        return answer(200, {
          executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:${name}`,
          startDate: 1,
        });
      }
      if (target === 'AWSEvents.PutEvents')
        return answer(200, {
          FailedEntryCount: 0,
          Entries: (json.Entries ?? []).map((_, i) => ({ EventId: `e${i}` })),
        });
      answer(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  return { server, started };
}

const stand = awsStandIn();
let url = '';
const dirs: string[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => stand.server.listen(0, '127.0.0.1', resolve));
  const address = stand.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  process.env.AWS_ENDPOINT_URL_SFN = url;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});

afterAll(async () => {
  await new Promise((resolve) => stand.server.close(resolve));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const quiet = {
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'test' }),
};

describe('definition versions on AWS: the Lambda functions with the registry', () => {
  test('It should start one backfill for a changed definition, count live traffic into its namespace too, and show it once the run is done', async () => {
    // Arrange: a table, and the environment each deploy gives the functions.
    const client = localClient();
    const tableName = await freshTable(client);
    const dir = await mkdtemp(join(tmpdir(), 'northstar-deploy-'));
    dirs.push(dir);
    const envOf = async (config: NorthstarConfig, name: string): Promise<NodeJS.ProcessEnv> => {
      const file = join(dir, `${name}.json`);
      await writeFile(file, JSON.stringify(config));
      return {
        TABLE_NAME: tableName,
        NORTHSTAR_CONFIG_FILE: file,
        DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        REGISTRY_CACHE_SECONDS: '0',
        EVENT_BUS_NAME: 'northstar',
        EVENTBRIDGE_ENDPOINT: url,
        BACKFILL_STATE_MACHINE_ARN: STATE_MACHINE,
        BACKFILL_PARTITIONS: '4',
        BACKFILL_CUT_AFTER_SECONDS: '330',
        BACKFILL_LIST_AFTER_SECONDS: '60',
        RECOMPUTE_FUNCTION_NAME: 'northstar-recompute',
      };
    };
    const first = await envOf(demoDays, 'first');
    const changed = await envOf(redefined, 'changed');
    const recomputeOf = (env: NodeJS.ProcessEnv) => createRecomputeHandler(recomputeFromEnv(env), quiet);
    const ingestOf = (env: NodeJS.ProcessEnv) => {
      const scoped = ingestFromEnv(env);
      return createIngestHandler(() => scoped(), quiet);
    };
    const versions = async (env: NodeJS.ProcessEnv) =>
      (await createReadApi(await readApiFromEnv(env)())({ method: 'GET', path: '/api/versions', query: {} }))
        .body as VersionsResponse;
    const context = { functionName: 'northstar-recompute', awsRequestId: 'r' } as Context;
    const events = sampledEvents({ count: 300, users: 30, days: 2, seed: 41 });
    const history = events.slice(0, 200);
    const live = events.slice(200).map((event) => ({ ...event, userId: `live-${event.userId}` }));
    const entries = (list: typeof events, prefix: string) =>
      list.map((event, i) => ({
        messageId: `${prefix}${i}`,
        body: batchEntry([event]),
        arrivedAt: Date.now(),
      }));

    // Act: the first deploy, history, then a deploy that redefines two metrics and live traffic.
    await recomputeOf(first)({}, context);
    expect((await ingestOf(first)(sqsEvent(entries(history, 'h')), lambdaContext)).batchItemFailures).toEqual(
      [],
    );
    const recomputeChanged = recomputeOf(changed);
    await Promise.all([recomputeChanged({}, context), recomputeOf(changed)({}, context)]);
    await recomputeChanged({}, context);
    const liveResponse = await ingestOf(changed)(sqsEvent(entries(live, 'l')), lambdaContext);
    const during = await versions(changed);

    // Assert: one execution, named by the generation, with the cut in its input.
    expect([...stand.started.keys()]).toEqual([expect.stringMatching(/^northstar-g1-[A-Za-z0-9_-]{8}$/)]);
    const input = JSON.parse([...stand.started.values()][0]!) as {
      generation: number;
      cut: number;
      partitions: number[];
    };
    expect(input).toMatchObject({ generation: 1, partitions: [0, 1, 2, 3], partitionCount: 4 });
    expect(input.cut).toBeGreaterThan(Date.now() + 300_000);
    expect(during.shown.generation).toBe(0);
    expect(during.backfill).toMatchObject({ generation: 1, caughtUp: false });
    // Live traffic reached the live namespace and the backfill's.
    expect(liveResponse.batchItemFailures).toEqual([]);
    const userItem = (scope: string) =>
      client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: `U#${scope}#${live[0]!.userId}` }, sk: { S: 'S' } },
        }),
      );
    expect((await userItem('live')).Item).toBeDefined();
    expect((await userItem('g1')).Item).toBeDefined();
    const compiled = compileConfig(redefined);
    const newIds = [
      compiled.defIds['metric:weekly_visitors']!,
      compiled.defIds['metric:certified_learners']!,
    ];
    // The archive's part is the backfill's: so far the new versions hold exactly the live traffic.
    expect(ofVersions(await allCounters(client, tableName), newIds)).toEqual(
      ofVersions(referenceOf(live, compiled), newIds),
    );

    // Act: the finish step records the run done; the next recompute shows the generation.
    const runs = new BackfillRunItems({ client, tableName });
    const registryItem = new VersionRegistryItem({ client, tableName });
    const readRegistry = () => registryItem.readRegistry();
    await finishBackfill({ generation: 1 }, { runs, readRegistry, clock: Date.now });
    await recomputeChanged({}, context);
    const after = await versions(changed);

    // Assert: shown, no second execution, and the old version retired.
    expect(after.shown.generation).toBe(1);
    expect(after.backfill).toBeNull();
    expect(stand.started.size).toBe(1);
    const visitors = after.definitions.find((definition) => definition.key === 'metric:weekly_visitors')!;
    expect(visitors.versions.map((version) => version.state)).toEqual(['shown', 'replaced']);
  }, 120_000);
});
