import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, describe, expect, test } from 'vitest';
import { createApiHandler } from '../../functions/api/handler.js';
import { HistoryImportItems } from '../../shared/adapters/dynamodb/history-imports.js';
import { folderArchiveObjects } from '../../shared/adapters/file/archive-objects.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { schemas } from '../../shared/use-cases/backfill/backfill-steps.js';
import { HISTORY_PREFIX } from '../../shared/use-cases/backfill/partition-archive.js';
import { archivedImports } from '../../shared/use-cases/history-import/archived-imports.js';
import { createReadApi } from '../../shared/use-cases/read-api/read-api.js';
import { freshStore } from '../support/dynamo.js';
import { demoDays } from '../support/redefined-config.js';
import { sampledEvents } from '../support/sampled-events.js';
import { runCli } from './cli-runner.js';

const logger = new Logger({ serviceName: 'northstar-test', logLevel: 'SILENT' });
const dirs: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await new Promise((done) => server.close(done));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * The read API's function behind a stand-in for its function URL: AWS checks the SigV4
 * signature, then hands the function the request with the IAM caller, as here.
 */
async function functionUrl(handler: ReturnType<typeof createApiHandler>) {
  const calls: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      calls.push(`${request.method} ${url.pathname}`);
      const event = {
        rawPath: url.pathname,
        headers: {},
        queryStringParameters: Object.fromEntries(url.searchParams),
        requestContext: { http: { method: request.method }, authorizer: { iam: { userArn: 'ops' } } },
        ...(body ? { body } : {}),
      } as unknown as LambdaFunctionURLEvent;
      const answer = await handler(event, { functionName: 'api', awsRequestId: 'r' } as Context);
      response.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
      response.end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, calls };
}

describe('northstar import to AWS', () => {
  test('It should send the history to the read API in parts, finish the import, start a recompute, and resume without sending a part twice', async () => {
    // Arrange: the read API of a deployed pipeline, and an export of eight weeks as NDJSON.
    const { client, tableName, stores } = await freshStore(demoDays);
    const root = await mkdtemp(join(tmpdir(), 'northstar-import-aws-'));
    dirs.push(root);
    const objects = folderArchiveObjects(join(root, 'bucket'));
    const records = new HistoryImportItems({ client, tableName });
    const compiled = compileConfig(demoDays);
    let recomputes = 0;
    const handler = createApiHandler(
      () =>
        createReadApi({
          ...stores,
          compiled,
          clock: Date.now,
          recompute: async () => {
            recomputes++;
            throw new Error('the recompute function is not deployed here');
          },
          imports: archivedImports({
            objects,
            records,
            quarantine: stores.quarantine,
            compiled,
            schemas: schemas(compiled),
            clock: Date.now,
          }),
        }),
      logger,
    );
    const api = await functionUrl(handler);
    const events = sampledEvents({
      count: 900,
      users: 30,
      days: 56,
      minMinutesAgo: 60,
      seed: 23,
      prefix: 'x',
    });
    const input = join(root, 'export.ndjson');
    await writeFile(input, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
    const command = [
      'import',
      input,
      '--source',
      'app.web',
      '--api-url',
      api.url,
      '--region',
      'us-east-1',
      '--events-per-call',
      '200',
    ];

    // Act
    const result = await runCli([...command, '--import-id', 'weeks', '--no-progress']);
    const recomputesAfterFirst = recomputes;
    const again = await runCli([...command, '--import-id', 'weeks', '--no-progress']);

    // Assert: every event is kept as history, in parts; the second run sent nothing again.
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Import weeks: ${events.length} events joined the history`);
    expect(result.stdout).toContain('counted once by the rebuild');
    expect(result.stderr).toContain('the rebuild starts with the next scheduled recompute run');
    const parts = api.calls.filter((call) => call === 'POST /api/imports/weeks/events').length;
    expect(parts).toBeGreaterThan(1);
    expect(api.calls).toContain('POST /api/imports/weeks/finish');
    expect(recomputesAfterFirst).toBe(1);
    expect(again.code).toBe(0);
    expect(api.calls.filter((call) => call === 'POST /api/imports/weeks/events').length).toBe(parts);
    const kept = await objects.list(`${HISTORY_PREFIX}weeks/`);
    const lines = (await Promise.all(kept.map((object) => objects.readLines(object.key)))).flat();
    expect(lines.map((line) => JSON.parse(line).event.detail.eventId).sort()).toEqual(
      events.map((event) => event.eventId).sort(),
    );
    expect((await records.readFinished('weeks'))?.counts.imported).toBe(events.length);
    const checkpoint = JSON.parse(await readFile(`${input}.import.json`, 'utf8')) as { done: boolean };
    expect(checkpoint.done).toBe(true);
    dirs.push(`${input}.import.json`);
  }, 120_000);
});
