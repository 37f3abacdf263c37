import { appendFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createIngestHandler } from '../functions/ingest/handler.js';
import type { DynamoStore } from '../shared/adapters/dynamodb/dynamodb-store.js';
import { FreshnessStore } from '../shared/adapters/dynamodb/freshness.js';
import { RollupStore } from '../shared/adapters/dynamodb/rollup-store.js';
import { ensureTable } from '../shared/adapters/dynamodb/table.js';
import { EventBridgeAlertBus } from '../shared/adapters/eventbridge/alert-bus.js';
import { dynamoClient, eventBridgeClient, storeFor } from '../shared/compose/settings.js';
import {
  deviationAlertPattern,
  matchesPattern,
  productEventsPattern,
} from '../shared/domain/bus/rule-patterns.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { type CompiledConfig, compileConfig } from '../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../shared/domain/events/tracking-plan.js';
import type { IngestSummary, ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { ApiError } from '../shared/use-cases/read-api/api-error.js';
import { createReadApi } from '../shared/use-cases/read-api/read-api.js';
import { type RecomputeSummary, recompute } from '../shared/use-cases/recompute/recompute.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { type BusEvent, createPutEventsHandler } from './event-bus.js';
import { readJsonBody } from './http-body.js';
import { deliverToHandler } from './local-queue.js';
import { staticFiles } from './static-files.js';

export interface RuntimeOptions {
  readonly config: NorthstarConfig;
  /** @default 4000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where DynamoDB Local and the event archive keep their files; in memory when absent. */
  readonly dataDir?: string;
  /** @default 10000; 0 turns the schedule off (recompute on demand only) */
  readonly recomputeEveryMs?: number;
  /** Receives before a message goes to the dead-letter store. @default 5 */
  readonly maxReceives?: number;
  /** Messages per ingest invocation. @default 50 */
  readonly batchSize?: number;
  /** The ingest's clock; the demo moves it through history. @default Date.now */
  readonly clock?: () => number;
  readonly onAlert?: (event: BusEvent) => void;
  readonly onSummary?: (summary: IngestSummary) => void;
  /** The built dashboard served at `/`. @default web/dist of this project */
  readonly dashboardDir?: string;
}

/** Where `vite build` puts the dashboard. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface RuntimeTotals {
  accepted: number;
  duplicates: number;
  quarantined: number;
  deadLettered: number;
  alerts: number;
  lastRecomputeAt: number | undefined;
}

export interface Runtime {
  readonly url: string;
  readonly compiled: CompiledConfig;
  readonly store: DynamoStore;
  readonly rollups: RollupStore;
  readonly totals: RuntimeTotals;
  /** Hands records to the ingest handler now, as the queue would. */
  deliver(records: readonly ReceivedRecord[]): Promise<void>;
  /** Waits until every event taken by PutEvents so far has been ingested. */
  drained(): Promise<void>;
  /** Drains the queue, then runs the recompute. */
  recomputeNow(options?: { since?: number }): Promise<RecomputeSummary>;
  stop(): Promise<void>;
}

const TABLE = 'northstar';

/**
 * The whole pipeline on one machine: DynamoDB Local, a PutEvents endpoint whose entries
 * go through the shared rule patterns to the real ingest handler in SQS-like batches,
 * the recompute on a schedule, and alerts back through the same bus.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config } = options;
  const compiled = compileConfig(config);
  const clock = options.clock ?? Date.now;
  if (options.dataDir) await mkdir(join(options.dataDir, 'dynamodb'), { recursive: true });
  const dynamo: DynamoDbLocal = await startDynamoDbLocal(
    options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {},
  );
  const client = dynamoClient(dynamo.endpoint);
  await ensureTable(client, TABLE);
  const store = storeFor(config, client, TABLE);
  const rollups = new RollupStore(client, TABLE);
  const freshness = new FreshnessStore(client, TABLE);
  const totals: RuntimeTotals = {
    accepted: 0,
    duplicates: 0,
    quarantined: 0,
    deadLettered: 0,
    alerts: 0,
    lastRecomputeAt: undefined,
  };
  let lastError = '';

  const handler = createIngestHandler(
    () => ({ compiled, schemas: trackingPlanSchemas(config), store, freshness, clock }),
    {
      logger: new Logger({ serviceName: 'northstar-ingest', logLevel: 'ERROR' }),
      metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
      onSummary: (summary) => {
        totals.accepted += summary.accepted;
        totals.duplicates += summary.duplicates;
        totals.quarantined += Object.values(summary.quarantined).reduce((sum, count) => sum + count, 0);
        if (summary.errors.length > 0)
          lastError = String((summary.errors[0] as Error)?.message ?? summary.errors[0]);
        options.onSummary?.(summary);
      },
    },
  );

  /** Messages that failed every receive are kept with the last error, as a dead-letter queue would. */
  async function deadLetter(records: readonly ReceivedRecord[]): Promise<void> {
    for (const record of records) {
      totals.deadLettered++;
      await client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            pk: { S: 'DLQ' },
            sk: { S: `${new Date(clock()).toISOString()}#${record.messageId}` },
            body: { S: record.body },
            error: { S: lastError || 'failed every receive' },
            receives: { N: String(options.maxReceives ?? 5) },
          },
        }),
      );
    }
  }

  async function deliver(records: readonly ReceivedRecord[]): Promise<void> {
    const givenUp = await deliverToHandler(handler, records, {
      batchSize: options.batchSize ?? 50,
      workers: 4,
      maxReceives: options.maxReceives ?? 5,
    });
    await deadLetter(givenUp);
  }

  // The queue between the bus rule and ingest: PutEvents answers at once, ingest follows.
  let queued: ReceivedRecord[] = [];
  let pumping: Promise<void> = Promise.resolve();
  const pump = () => {
    pumping = pumping.then(async () => {
      while (queued.length > 0) {
        const batch = queued;
        queued = [];
        await deliver(batch);
      }
    });
    return pumping;
  };

  const archive = options.dataDir ? join(options.dataDir, 'archive.ndjson') : undefined;
  const putEvents = createPutEventsHandler(async (events) => {
    // Every accepted entry is archived before it is answered, for replay (DESIGN.md).
    if (archive) await appendFile(archive, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    const arrivedAt = clock();
    const product = events.filter((event) => matchesPattern(productEventsPattern, event));
    queued.push(...product.map((event) => ({ messageId: event.id, body: JSON.stringify(event), arrivedAt })));
    for (const event of events.filter((event) => matchesPattern(deviationAlertPattern(), event))) {
      totals.alerts++;
      options.onAlert?.(event);
    }
    if (product.length > 0) void pump();
  });

  let readApi: ReturnType<typeof createReadApi> | undefined;
  const server: Server = createServer((request, response) => {
    if (request.headers['x-amz-target']) {
      void putEvents(request, response);
      return;
    }
    if ((request.url ?? '/').startsWith('/api/')) void serveApi(request, response);
    else void dashboard(request, response);
  });
  const dashboard = staticFiles(options.dashboardDir ?? DASHBOARD_DIST);

  /** The read API on the same origin: `/api/...`, JSON in and out. */
  async function serveApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    try {
      const url = new URL(request.url ?? '/', 'http://local');
      if (!url.pathname.startsWith('/api/') || !readApi) {
        send(404, {
          error: { code: 'not_found', message: `${request.method} ${url.pathname} is not served here` },
        });
        return;
      }
      const method = request.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(request);
      const answer = await readApi({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        ...(body === undefined ? {} : { body }),
      });
      send(answer.status, answer.body, answer.headers);
    } catch (error) {
      if (error instanceof ApiError) {
        send(error.status, error.body, { connection: 'close' });
        return;
      }
      send(500, { error: { code: 'internal', message: (error as Error).message } });
    }
  }

  const port = options.port ?? 4000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new Error(`Cannot listen on ${host}:${port}: ${cause.message}; choose another port`, { cause })),
    );
    server.listen(port, host, resolve);
  }).catch(async (error) => {
    await dynamo.stop();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  // Alerts go out through the runtime's own PutEvents endpoint, like PutEvents to the bus in AWS.
  const bus = new EventBridgeAlertBus(eventBridgeClient(url), 'northstar');

  const drained = async () => {
    while (queued.length > 0) await pump();
    await pumping;
  };
  let recomputing: Promise<RecomputeSummary> | undefined;
  readApi = createReadApi({
    compiled,
    rollups,
    counters: store,
    quarantine: store,
    recompute: () => recomputeNow(),
    // A recompute over a range marks its periods dirty first.
    dirtyMarks: store,
    clock,
  });
  const recomputeNow = async (recomputeOptions: { since?: number } = {}) => {
    await drained();
    while (recomputing) await recomputing.catch(() => undefined);
    recomputing = recompute({ compiled, rollups, ingest: store, bus, clock }, recomputeOptions);
    try {
      const summary = await recomputing;
      totals.lastRecomputeAt = clock();
      return summary;
    } finally {
      recomputing = undefined;
    }
  };
  const every = options.recomputeEveryMs ?? 10_000;
  const timer =
    every > 0
      ? setInterval(
          () =>
            void recomputeNow().catch((error) => console.error('recompute failed; it runs again:', error)),
          every,
        )
      : undefined;

  return {
    url,
    compiled,
    store,
    rollups,
    totals,
    deliver,
    drained,
    recomputeNow,
    async stop() {
      if (timer) clearInterval(timer);
      await drained();
      await recomputing?.catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.destroy();
      await dynamo.stop();
    },
  };
}
