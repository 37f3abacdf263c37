import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { createIngestHandler } from '../functions/ingest/handler.js';
import { createRecomputeHandler, type RecomputeRequest } from '../functions/recompute/handler.js';
import { IdentityLinkItems } from '../shared/adapters/dynamodb/identity-links.js';
import type { DynamoStores } from '../shared/adapters/dynamodb/stores.js';
import { ensureTable } from '../shared/adapters/dynamodb/table.js';
import { EventBridgeAlertBus } from '../shared/adapters/eventbridge/alert-bus.js';
import { oidcSignIn } from '../shared/adapters/jwt/oidc-sign-in.js';
import { dynamoClient, eventBridgeClient } from '../shared/compose/clients.js';
import { composePipeline, storesFor } from '../shared/compose/pipeline.js';
import {
  deviationAlertPattern,
  matchesPattern,
  productEventsPattern,
  reviewDigestPattern,
} from '../shared/domain/bus/rule-patterns.js';
import { type NorthstarConfig, RecomputeSettings } from '../shared/domain/config/schema.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import type { VersionsReport } from '../shared/domain/engine/versions.js';
import { NorthstarError } from '../shared/domain/errors.js';
import { trackingPlanSchemas } from '../shared/domain/events/tracking-plan.js';
import type { IngestSummary, ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { recoverStaleRounds } from '../shared/use-cases/ingest/rounds.js';
import { createReadApi } from '../shared/use-cases/read-api/read-api.js';
import type { SignInSettings } from '../shared/use-cases/read-api/sign-in.js';
import type { RecomputeSummary } from '../shared/use-cases/recompute/recompute.js';
import { checkAccessToken } from './access-token.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { archiveLine, type EventArchive, openArchiveFile, openEventArchive } from './event-archive.js';
import { type BusEvent, createPutEventsHandler, type PutEventsHandler } from './event-bus.js';
import { createHistoryImports } from './history-import.js';
import { startHttpServer } from './http-server.js';
import { bytesOf, createIngestPump } from './ingest-pump.js';
import { type LogFeeder, startLogFeeder } from './log-feeder.js';
import { type LogPosition, logPosition, readLogPosition, saveLogPosition } from './log-position.js';
import { createRecomputeScheduler } from './recompute-scheduler.js';
import { isLoopbackHost } from './request-guard.js';
import { startRuntimeVersions } from './runtime-versions.js';
import { logRecord } from './scope-consumer.js';
import { staticFiles } from './static-files.js';
import { withStatusInMemory } from './written-here.js';

export interface RuntimeOptions {
  readonly config: NorthstarConfig;
  /** @default 4000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Required to bind to another host than loopback: the read API then takes only requests
   * with `Authorization: Bearer <token>`, PutEvents only calls signed with it as the secret key.
   */
  readonly token?: string;
  /** Where DynamoDB Local and the event archive keep their files; in memory when absent. */
  readonly dataDir?: string;
  /** @default 10000; 0 turns the schedule off (recompute on demand only) */
  readonly recomputeEveryMs?: number;
  /**
   * How often the caller runs `recomputeNow` itself when it turned the runtime's schedule off
   * (npm start does, to recompute its history once before the live loop): the schedule
   * `GET /api/status` reports and judges lateness by. @default recomputeEveryMs
   */
  readonly callerRecomputeEveryMs?: number;
  /** Receives before a message goes to the dead-letter store. @default 5 */
  readonly maxReceives?: number;
  /** Messages per ingest invocation. @default 50 */
  readonly batchSize?: number;
  /** How long an invocation waits for a full batch, as `MaximumBatchingWindowInSeconds` does. @default 100 */
  readonly batchingWindowMs?: number;
  /**
   * Above this many entries waiting for ingest, PutEvents answers ThrottlingException and
   * the senders retry, so memory stays bounded. A call is always taken when nothing waits.
   * @default 20000
   */
  readonly maxBacklogEntries?: number;
  /** The same bound in bytes of waiting entries. @default 128 MiB */
  readonly maxBacklogBytes?: number;
  /** The ingest's clock; the demo moves it through history. @default Date.now */
  readonly clock?: () => number;
  /**
   * Turns TTL on for a table this runtime creates. DynamoDB Local deletes expired items by
   * the real time, which a runtime on a clock of its own must not have done to its dirty
   * marks and rounds. @default true with the real clock, false with `clock`
   */
  readonly expireItems?: boolean;
  readonly onAlert?: (event: BusEvent) => void;
  /** Each review digest the recompute puts on the bus, where email and chat would get it on AWS. */
  readonly onDigest?: (event: BusEvent) => void;
  readonly onSummary?: (summary: IngestSummary) => void;
  /** The built dashboard served at `/`. @default web/dist of this project */
  readonly dashboardDir?: string;
  /** Puts the read API and the dashboard behind sign-in with this OIDC issuer. @default none: no sign-in */
  readonly signIn?: z.input<typeof SignInSettings>;
}

/** Where `vite build` puts the dashboard. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface RuntimeTotals {
  accepted: number;
  duplicates: number;
  quarantined: number;
  deadLettered: number;
  /** PutEvents calls answered ThrottlingException because the backlog was full. */
  throttled: number;
  alerts: number;
  lastRecomputeAt: number | undefined;
}

export interface Runtime {
  readonly url: string;
  readonly compiled: CompiledConfig;
  /** Every store, on DynamoDB Local, and their client (tests add middleware to it). */
  readonly stores: DynamoStores;
  readonly totals: RuntimeTotals;
  /** Hands records to the ingest handler now, as the queue would. */
  deliver(records: readonly ReceivedRecord[]): Promise<void>;
  /** Waits until every event taken by PutEvents so far has been ingested. */
  drained(): Promise<void>;
  /** Resolves once no new definition version waits for its backfill. */
  backfilled(): Promise<void>;
  /** The definition versions and the backfill's progress. */
  versions(): VersionsReport;
  /** Drains the queue, then runs the recompute handler. */
  recomputeNow(request?: RecomputeRequest): Promise<RecomputeSummary>;
  stop(): Promise<void>;
}

const TABLE = 'northstar';
/** How far back a start looks for rounds a stopped runtime left open: the recompute's lookback. */
const RECOVERY_LOOKBACK_MS = 7 * 86_400_000;
const localContext = { functionName: 'northstar-recompute', awsRequestId: 'local' } as Context;
/** The configuration's default dashboard URL: this runtime on its default host and port. */
const DEFAULT_DASHBOARD_URL = new URL(RecomputeSettings.parse({}).dashboardUrl).href;

/**
 * The compiled configuration with alert links to this runtime's dashboard: a
 * `recompute.dashboardUrl` left at its default (`http://127.0.0.1:4000`) becomes the runtime's
 * own URL, so links follow --port and --host (and a free port picked for port 0). A dashboard
 * URL set to anything else is kept as it is.
 */
export function withRuntimeDashboard(compiled: CompiledConfig, runtimeUrl: string): CompiledConfig {
  const { config } = compiled;
  if (new URL(config.recompute.dashboardUrl).href !== DEFAULT_DASHBOARD_URL) return compiled;
  if (new URL(runtimeUrl).href === DEFAULT_DASHBOARD_URL) return compiled;
  return {
    ...compiled,
    config: { ...config, recompute: { ...config.recompute, dashboardUrl: runtimeUrl } },
  };
}

export class DataDirError extends NorthstarError {
  override readonly name = 'DataDirError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('data_dir_unusable', message, options);
  }
}

interface QueueLog {
  readonly archive: EventArchive;
  /** Where the first entry not yet done starts. */
  readonly from: number;
  readonly position: LogPosition;
}

/**
 * The data directory made ready, or an error that names it and says what to do instead:
 * the archive (the queue's log) and the position confirmed by the last run.
 */
async function openDataDir(dataDir: string): Promise<QueueLog> {
  try {
    await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
    const archive = await openEventArchive(await openArchiveFile(join(dataDir, 'archive.ndjson')));
    const path = join(dataDir, 'archive.position');
    const saved = await readLogPosition(path);
    // Without a saved position the archive was written by a runtime that drained it before it
    // stopped: it is history, already ingested (replay it with `northstar replay` if not).
    const from = Math.min(saved ?? archive.size(), archive.size());
    // Saved at once, so a kill before the first entry is confirmed still finds where it began.
    if (saved !== from) await saveLogPosition(path, from);
    const position = logPosition(path, from);
    return { archive, from, position };
  } catch (cause) {
    throw new DataDirError(
      `The data directory ${dataDir} cannot be used (${(cause as Error).message}); choose another with --data-dir, or run with --in-memory`,
      { cause },
    );
  }
}

/**
 * The whole pipeline on one machine: DynamoDB Local, a PutEvents endpoint whose entries
 * go through the shared rule patterns to the real ingest handler in SQS-like batches,
 * the real recompute handler on a schedule, and alerts back through the same bus.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  // Checked first: a missing token or a data directory that cannot hold the archive fails
  // before anything starts.
  const host = options.host ?? '127.0.0.1';
  checkAccessToken(host, options.token, isLoopbackHost(host));
  const signIn = options.signIn ? oidcSignIn(options.signIn) : undefined;
  const log = options.dataDir ? await openDataDir(options.dataDir) : undefined;
  const dynamo: DynamoDbLocal = await startDynamoDbLocal(
    options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {},
  );
  const client = dynamoClient(dynamo.endpoint);
  await ensureTable(client, TABLE, { expireItems: options.expireItems ?? options.clock === undefined });
  // The runtime is its table's one writer: the status it writes is kept in memory too.
  const written = await withStatusInMemory(storesFor(options.config, client, TABLE));
  const clock = options.clock ?? Date.now;
  /** Where live ingest has counted the archive to: a backfill that is as far has reached the present. */
  let liveConfirmed = log?.from ?? 0;
  let onShown: () => void = () => {};
  const versions = await startRuntimeVersions({
    config: options.config,
    stores: written,
    client,
    tableName: TABLE,
    ...(log ? { archive: log.archive, dataDir: options.dataDir! } : {}),
    schemas: trackingPlanSchemas(options.config),
    clock,
    liveConfirmed: () => liveConfirmed,
    onShown: () => onShown(),
  });
  const pipeline = composePipeline({
    config: options.config,
    compiled: versions.shown(),
    client,
    tableName: TABLE,
    stores: written,
    clock,
  });
  const { stores } = pipeline;
  // The read API has its own connections to DynamoDB Local: a read never queues behind a drain's writes.
  const readClient = dynamoClient(dynamo.endpoint);
  const reads = composePipeline({
    config: options.config,
    client: readClient,
    tableName: TABLE,
    stores: {
      ...storesFor(options.config, readClient, TABLE),
      freshness: written.freshness,
      runs: written.runs,
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const totals: RuntimeTotals = {
    accepted: 0,
    duplicates: 0,
    quarantined: 0,
    deadLettered: 0,
    throttled: 0,
    alerts: 0,
    lastRecomputeAt: undefined,
  };
  let lastError = '';
  // Live ingest counts what the live namespace owns; a generation shown later may change it.
  const ingestHandler = createIngestHandler(() => ({ ...pipeline.ingest, compiled: versions.live() }), {
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
  });
  const queue = createIngestPump({
    handler: ingestHandler,
    deadLetters: stores.deadLetters,
    clock,
    batchSize: options.batchSize ?? 50,
    batchingWindowMs: options.batchingWindowMs ?? 100,
    maxReceives: options.maxReceives ?? 5,
    lastError: () => lastError,
    onDeadLetter: () => totals.deadLettered++,
    ...(log
      ? {
          onConfirmed: (position: number) => {
            liveConfirmed = position;
            log.position.advance(position);
          },
        }
      : {}),
  });
  // A round left open was cut off by a stop of this runtime (a kill -9, a crash): no worker
  // runs it now, so it is finished before ingest goes on, not a round limit later.
  if (log)
    await recoverStaleRounds({ ...stores, compiled: pipeline.compiled, clock }, RECOVERY_LOOKBACK_MS, 0);
  // With a data directory the archive is the queue: entries are read back from it, from the
  // last confirmed position, so what was acknowledged survives any stop, kill -9 included.
  const feeder: LogFeeder | undefined = log
    ? startLogFeeder({ archive: log.archive, from: log.from, pump: queue, toRecord: logRecord })
    : undefined;
  const backlog = () => {
    const inQueue = queue.backlog();
    const unread = feeder?.unread() ?? { entries: 0, bytes: 0 };
    return {
      entries: inQueue.entries + unread.entries,
      bytes: inQueue.bytes + unread.bytes,
      oldestArrivedAt: inQueue.oldestArrivedAt,
    };
  };
  let stopping = false;
  const drained = async () => {
    for (;;) {
      await feeder?.readUp();
      await queue.drained();
      if (stopping || backlog().entries === 0) return;
    }
  };

  const maxBacklogEntries = options.maxBacklogEntries ?? 20_000;
  const maxBacklogBytes = options.maxBacklogBytes ?? 128 * 1024 * 1024;
  /** Queue message bodies of the product events of a call, as the rule would deliver them. */
  const bodies = new WeakMap<readonly BusEvent[], { event: BusEvent; body: string }[]>();
  const productBodies = (events: readonly BusEvent[]) => {
    let found = bodies.get(events);
    if (!found) {
      found = events
        .filter((event) => matchesPattern(productEventsPattern, event))
        .map((event) => ({ event, body: JSON.stringify(event) }));
      bodies.set(events, found);
    }
    return found;
  };
  /** Entries taken by calls still being written: counted at once, so concurrent calls see each other. */
  const taking = { entries: 0, bytes: 0 };
  const admit = (events: readonly BusEvent[]) => {
    const waiting = backlog();
    const product = productBodies(events);
    const bytes = bytesOf(product);
    const entries = waiting.entries + taking.entries;
    const taken =
      entries === 0 ||
      (entries + product.length <= maxBacklogEntries &&
        waiting.bytes + taking.bytes + bytes <= maxBacklogBytes);
    if (!taken) totals.throttled++;
    else {
      taking.entries += product.length;
      taking.bytes += bytes;
    }
    return taken;
  };
  const putEvents = createPutEventsHandler(async (events) => {
    try {
      await take(events);
    } finally {
      const product = productBodies(events);
      taking.entries -= product.length;
      taking.bytes -= bytesOf(product);
    }
  }, admit);
  // History import: staged apart from the queue, validated and added to the history when it ends.
  const imports =
    log && options.dataDir
      ? createHistoryImports({
          dataDir: options.dataDir,
          archive: log.archive,
          currentHistory: versions.history,
          compiled: versions.shown,
          schemas: pipeline.schemas,
          quarantine: stores.quarantine,
          clock,
          rebuild: versions.rebuild,
        })
      : undefined;
  const importHandlers = new Map<string, PutEventsHandler>();
  const importPutEvents = (importId: string) => {
    let handler = importHandlers.get(importId);
    if (!handler) {
      handler = createPutEventsHandler((events) => imports!.stage(importId, events));
      importHandlers.set(importId, handler);
    }
    return handler;
  };
  async function take(events: readonly BusEvent[]): Promise<void> {
    const arrivedAt = clock();
    if (log) {
      // Every accepted entry is in the log, durably, before it is answered (DESIGN.md); the
      // feeder reads it from there. A write that fails answers an error (the sender retries)
      // and leaves no torn line.
      // Product events are serialised once: the body the admission counted is the line's event.
      const product = new Map(productBodies(events).map(({ event, body }) => [event, body]));
      await log.archive.append(
        events.map((event) => archiveLine(product.get(event) ?? JSON.stringify(event), arrivedAt)),
      );
      feeder?.appended(events.length);
      versions.appended(events.length);
    } else
      queue.enqueue(
        productBodies(events).map(({ event, body }) => ({ messageId: event.id, body, arrivedAt })),
      );
    for (const event of events.filter((event) => matchesPattern(deviationAlertPattern(), event))) {
      totals.alerts++;
      options.onAlert?.(event);
    }
    for (const event of events.filter((event) => matchesPattern(reviewDigestPattern(), event)))
      options.onDigest?.(event);
  }

  let readApi: ReturnType<typeof createReadApi> | undefined;
  const server = await startHttpServer({
    host,
    port: options.port ?? 4000,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(signIn ? { signInIssuer: signIn.settings.issuer } : {}),
    putEvents,
    // The collector takes its calls onto the bus through the same PutEvents, in process.
    ...(options.config.collector
      ? {
          collector: {
            settings: options.config.collector,
            maxEventBytes: options.config.ingest.maxEventBytes,
            putEvents: putEvents.call,
            identityLinks: new IdentityLinkItems({ client, tableName: TABLE }),
            clock,
          },
        }
      : {}),
    ...(imports ? { importPutEvents } : {}),
    readApi: () => readApi,
    dashboard: staticFiles(options.dashboardDir ?? DASHBOARD_DIST),
  }).catch(async (error) => {
    stopping = true;
    await Promise.all([feeder?.stop(), queue.stop(0)]);
    await log?.archive.close();
    await dynamo.stop();
    throw error;
  });
  // Alerts go out through the runtime's own PutEvents endpoint, like PutEvents to the bus in AWS,
  // and link to the dashboard this runtime serves.
  const bus = new EventBridgeAlertBus(eventBridgeClient(server.url, options.token), 'northstar');
  const linked = (compiled: CompiledConfig) => withRuntimeDashboard(compiled, server.url);
  const recomputeHandler = createRecomputeHandler(
    () => {
      const next = versions.next();
      return {
        ...pipeline.recompute(bus),
        compiled: linked(versions.shown()),
        shownAt: versions.registry().shown.shownAt,
        // The ingest watermark: entries still queued (a run normally follows a drain; a DynamoDB outage leaves some).
        oldestWaiting: async () => backlog().oldestArrivedAt,
        ...(next ? { next: linked(next) } : {}),
      };
    },
    {
      logger: new Logger({ serviceName: 'northstar-recompute', logLevel: 'ERROR' }),
      metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-recompute' }),
    },
  );
  const everyMs = options.recomputeEveryMs ?? 10_000;
  const scheduler = createRecomputeScheduler({
    run: (request) => recomputeHandler(request, localContext),
    drained,
    everyMs,
    onRun: () => {
      totals.lastRecomputeAt = clock();
    },
  });
  // Built again when the next generation is shown: routes and their schemas follow the configuration shown.
  const makeReadApi = () =>
    createReadApi({
      ...reads.readApi({
        recompute: () => scheduler.recomputeNow(),
        recomputeEveryMs: options.callerRecomputeEveryMs ?? everyMs,
        backlog,
        versionsReport: versions.report,
        ...(imports ? { imports } : {}),
      }),
      compiled: linked(versions.shown()),
      ...(signIn ? { signIn } : {}),
    });
  readApi = makeReadApi();
  onShown = () => {
    readApi = makeReadApi();
    // The backfilled history gets its rollups and bands in order, oldest first; what it
    // finds in periods settled before now is kept as history, not sent.
    const since = versions.report().historyFrom;
    void scheduler.recomputeNow(since === null ? {} : { since }).catch((error) => {
      if (!stopping) console.error('the recompute after a backfill failed; the schedule runs it:', error);
    });
  };

  return {
    url: server.url,
    get compiled() {
      return linked(versions.shown());
    },
    stores,
    totals,
    deliver: queue.deliver,
    drained,
    backfilled: () => versions.backfilled(),
    versions: () => versions.report(),
    recomputeNow: scheduler.recomputeNow,
    async stop() {
      // Within seconds, draining nothing: what waits stays in the log after the confirmed
      // position, and the next start ingests it.
      stopping = true;
      await Promise.all([server.close(), scheduler.stop(), feeder?.stop(), queue.stop(), versions.stop()]);
      await log?.position.flush();
      client.destroy();
      readClient.destroy();
      await log?.archive.close();
      await dynamo.stop();
    },
  };
}
