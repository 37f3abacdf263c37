import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { queueWatermark } from '../adapters/cloudwatch/queue-watermark.js';
import { BackfillRunItems } from '../adapters/dynamodb/backfill-runs.js';
import { HistoryImportItems } from '../adapters/dynamodb/history-imports.js';
import { IdentityLinkItems } from '../adapters/dynamodb/identity-links.js';
import { EventBridgeAlertBus } from '../adapters/eventbridge/alert-bus.js';
import { oidcSignIn } from '../adapters/jwt/oidc-sign-in.js';
import { invokeRecomputeFunction } from '../adapters/lambda/recompute-function.js';
import { s3ArchiveObjects } from '../adapters/s3/archive-objects.js';
import { s3KeptEntries } from '../adapters/s3/kept-entries.js';
import { secretText } from '../adapters/secrets-manager/secret-text.js';
import { stepFunctionsBackfills } from '../adapters/step-functions/backfill-executions.js';
import { WebhookRoutes } from '../domain/alerts/webhook-routes.js';
import { DigestTopics } from '../domain/review/digest-delivery.js';
import { type BackfillSteps, schemas } from '../use-cases/backfill/backfill-steps.js';
import type { ScopedIngest } from '../use-cases/backfill/ingest-scopes.js';
import { planBackfill } from '../use-cases/backfill/plan-backfill.js';
import { cachedRegistry } from '../use-cases/backfill/registry-cache.js';
import { runVersionsReport } from '../use-cases/backfill/versions-report.js';
import type { PutOrLeave } from '../use-cases/collector/repack.js';
import type { TrackingApi } from '../use-cases/collector/tracking-api.js';
import { archivedImports } from '../use-cases/history-import/archived-imports.js';
import type { ReadApiDeps } from '../use-cases/read-api/read-api.js';
import type { RecomputeDeps } from '../use-cases/recompute/recompute.js';
import { dynamoClient, eventBridgeClient, s3Client, secretsManagerClient, sqsClient } from './clients.js';
import { composeCollector, packerPut } from './collector.js';
import { composePipeline, type Pipeline, versionedPipeline } from './pipeline.js';
import {
  ApiEnv,
  BackfillEnv,
  CollectorEnv,
  IngestEnv,
  loadConfigFile,
  PackerEnv,
  type PipelineEnv,
  parseEnv,
  parseJsonEnv,
  RecomputeEnv,
  SettingsError,
} from './settings.js';

/** The pipeline a Lambda function's environment names: its bundled configuration and its table. */
function pipelineOf(env: PipelineEnv): Pipeline {
  const config = loadConfigFile(env.NORTHSTAR_CONFIG_FILE);
  return composePipeline({
    config: env.DASHBOARD_URL
      ? { ...config, recompute: { ...config.recompute, dashboardUrl: env.DASHBOARD_URL } }
      : config,
    client: dynamoClient(env.DYNAMODB_ENDPOINT),
    tableName: env.TABLE_NAME,
  });
}

/** Built on first use, so that importing a handler (tests, the local runtime) needs no environment. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** Ingest with the registry's versions (read at most once per cache period): live, and every namespace counting live traffic. */
export function ingestFromEnv(env: NodeJS.ProcessEnv): () => Promise<ScopedIngest> {
  const settings = parseEnv(IngestEnv, env);
  const pipeline = pipelineOf(settings);
  const registry = cachedRegistry(pipeline.stores.versions, settings.REGISTRY_CACHE_SECONDS * 1000);
  return async () => versionedPipeline(pipeline, await registry()).ingest;
}

/** Each run plans the definition versions first (starting a backfill, or showing one done), then recomputes with them. */
export function recomputeFromEnv(env: NodeJS.ProcessEnv): () => Promise<RecomputeDeps> {
  const settings = parseEnv(RecomputeEnv, env);
  const bus = new EventBridgeAlertBus(
    eventBridgeClient(settings.EVENTBRIDGE_ENDPOINT),
    settings.EVENT_BUS_NAME,
  );
  const pipeline = pipelineOf(settings);
  const executions = stepFunctionsBackfills(new SFNClient({}), settings.BACKFILL_STATE_MACHINE_ARN);
  const runs = new BackfillRunItems({ client: pipeline.stores.client, tableName: pipeline.tableName });
  const imports = new HistoryImportItems({ client: pipeline.stores.client, tableName: pipeline.tableName });
  const watermark =
    settings.INGEST_QUEUE_NAME && queueWatermark(new CloudWatchClient({}), settings.INGEST_QUEUE_NAME);
  // Unreadable (throttled, denied): nothing more is judged settled this run, rather than judged
  // half-counted; rollups still update, and the next run reads again.
  const oldestWaiting =
    watermark &&
    (async () => {
      try {
        return await watermark();
      } catch (error) {
        console.error('the ingest queue age cannot be read: no period is judged settled this run', error);
        return 0;
      }
    });
  return async () => {
    const registry = await planBackfill({
      versions: pipeline.stores.versions,
      runs,
      executions,
      config: pipeline.config,
      clock: pipeline.clock,
      partitions: settings.BACKFILL_PARTITIONS,
      cutAfterMs: settings.BACKFILL_CUT_AFTER_SECONDS * 1000,
      listAfterMs: settings.BACKFILL_LIST_AFTER_SECONDS * 1000,
      imports,
    });
    return {
      ...versionedPipeline(pipeline, registry).recompute(bus),
      ...(oldestWaiting ? { oldestWaiting } : {}),
    };
  };
}

/** The read API with the registry's shown versions and, while a backfill runs, its recorded progress. */
export function readApiFromEnv(env: NodeJS.ProcessEnv): () => Promise<ReadApiDeps> {
  const settings = parseEnv(ApiEnv, env);
  const pipeline = pipelineOf(settings);
  const recompute = invokeRecomputeFunction(new LambdaClient({}), settings.RECOMPUTE_FUNCTION_NAME);
  const registry = cachedRegistry(pipeline.stores.versions, settings.REGISTRY_CACHE_SECONDS * 1000);
  const runs = new BackfillRunItems({ client: pipeline.stores.client, tableName: pipeline.tableName });
  // One verifier per instance: the issuer's keys stay cached across invocations.
  const signIn =
    settings.SIGN_IN_ISSUER && settings.SIGN_IN_CLIENT_ID
      ? oidcSignIn({
          issuer: settings.SIGN_IN_ISSUER,
          clientId: settings.SIGN_IN_CLIENT_ID,
          ...(settings.SIGN_IN_GROUPS_CLAIM ? { groupsClaim: settings.SIGN_IN_GROUPS_CLAIM } : {}),
          ...(settings.SIGN_IN_ADMIN_GROUP ? { adminGroup: settings.SIGN_IN_ADMIN_GROUP } : {}),
          ...(settings.SIGN_IN_LOGOUT_URL ? { logoutEndpoint: settings.SIGN_IN_LOGOUT_URL } : {}),
        })
      : undefined;
  const table = { client: pipeline.stores.client, tableName: pipeline.tableName };
  const imports = settings.ARCHIVE_BUCKET
    ? {
        objects: s3ArchiveObjects(s3Client(), settings.ARCHIVE_BUCKET),
        records: new HistoryImportItems(table),
      }
    : undefined;
  return async () => {
    const versioned = versionedPipeline(pipeline, await registry());
    const next = versioned.registry.next;
    const run = next && (await runs.readRun(next.number));
    const report = runVersionsReport(versioned.registry, run, pipeline.clock());
    // An import is checked against the tracking plan of the versions shown.
    const historyImports =
      imports &&
      archivedImports({
        ...imports,
        quarantine: pipeline.stores.quarantine,
        compiled: versioned.shown,
        schemas: schemas(versioned.shown),
        clock: pipeline.clock,
      });
    return {
      ...versioned.readApi({ recompute, versionsReport: () => report }),
      ...(historyImports ? { imports: historyImports } : {}),
      ...(signIn ? { signIn } : {}),
    };
  };
}

/** The backfill state machine's steps: the archive bucket, the table, the registry. */
export function backfillFromEnv(env: NodeJS.ProcessEnv): BackfillSteps {
  const settings = parseEnv(BackfillEnv, env);
  const pipeline = pipelineOf(settings);
  const runs = new BackfillRunItems({ client: pipeline.stores.client, tableName: pipeline.tableName });
  const readRegistry = () => pipeline.stores.versions.readRegistry();
  return {
    objects: s3ArchiveObjects(s3Client(), settings.ARCHIVE_BUCKET),
    runs,
    readRegistry,
    storesOf: (scope) => versionedPipeline(pipeline, undefined).storesOf(scope),
    clock: pipeline.clock,
  };
}

export function webhookRoutesFromEnv(env: NodeJS.ProcessEnv): WebhookRoutes {
  return parseJsonEnv('WEBHOOK_ROUTES', WebhookRoutes, env);
}

export function digestTopicsFromEnv(env: NodeJS.ProcessEnv): DigestTopics {
  return parseJsonEnv('DIGEST_TOPICS', DigestTopics, env);
}

/**
 * Each AWS call of the collector gives up within seconds: API Gateway waits 30 s at most, and
 * what the queue does not take in time is kept rather than left to that timeout.
 */
const COLLECTOR_CLIENT_TUNING = { maxAttempts: 3, requestTimeoutMs: 3000 };

export function collectorFromEnv(env: NodeJS.ProcessEnv, log: (message: string) => void): TrackingApi {
  const settings = parseEnv(CollectorEnv, env);
  const { collector, ingest } = loadConfigFile(settings.NORTHSTAR_CONFIG_FILE);
  if (!collector)
    throw new SettingsError(
      `Invalid environment: the configuration in ${settings.NORTHSTAR_CONFIG_FILE} has no collector section`,
    );
  return composeCollector({
    settings: collector,
    maxEventBytes: ingest.maxEventBytes,
    client: sqsClient(COLLECTOR_CLIENT_TUNING),
    queueUrl: settings.COLLECTOR_QUEUE_URL,
    readSecret: secretText(secretsManagerClient(COLLECTOR_CLIENT_TUNING), settings.WRITE_KEYS_SECRET_ID),
    cacheMs: settings.WRITE_KEYS_CACHE_SECONDS * 1000,
    keeper: s3KeptEntries(s3Client(COLLECTOR_CLIENT_TUNING), settings.KEPT_ENTRIES_BUCKET),
    identityLinks: new IdentityLinkItems({
      client: dynamoClient(settings.DYNAMODB_ENDPOINT, COLLECTOR_CLIENT_TUNING),
      tableName: settings.TABLE_NAME,
    }),
    log,
  });
}

export function packerFromEnv(env: NodeJS.ProcessEnv): PutOrLeave {
  const settings = parseEnv(PackerEnv, env);
  return packerPut(eventBridgeClient(settings.EVENTBRIDGE_ENDPOINT), settings.EVENT_BUS_NAME);
}
