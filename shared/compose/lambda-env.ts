import { LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { EventBridgeAlertBus } from '../adapters/eventbridge/alert-bus.js';
import { invokeRecomputeFunction } from '../adapters/lambda/recompute-function.js';
import { s3KeptEntries } from '../adapters/s3/kept-entries.js';
import { secretText } from '../adapters/secrets-manager/secret-text.js';
import { WebhookRoutes } from '../domain/alerts/webhook-routes.js';
import type { PutOrLeave } from '../use-cases/collector/repack.js';
import type { TrackingApi } from '../use-cases/collector/tracking-api.js';
import type { IngestRecordsDeps } from '../use-cases/ingest/ingest-records.js';
import type { ReadApiDeps } from '../use-cases/read-api/read-api.js';
import type { RecomputeDeps } from '../use-cases/recompute/recompute.js';
import { dynamoClient, eventBridgeClient, s3Client, secretsManagerClient, sqsClient } from './clients.js';
import { composeCollector, packerPut } from './collector.js';
import { composePipeline, type Pipeline } from './pipeline.js';
import {
  ApiEnv,
  CollectorEnv,
  loadConfigFile,
  PackerEnv,
  PipelineEnv,
  parseEnv,
  RecomputeEnv,
  SettingsError,
  WebhookEnv,
} from './settings.js';

/** The pipeline a Lambda function's environment names: its bundled configuration and its table. */
function pipelineOf(env: PipelineEnv): Pipeline {
  return composePipeline({
    config: loadConfigFile(env.NORTHSTAR_CONFIG_FILE),
    client: dynamoClient(env.DYNAMODB_ENDPOINT),
    tableName: env.TABLE_NAME,
  });
}

/** Built on first use, so that importing a handler (tests, the local runtime) needs no environment. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

export function ingestFromEnv(env: NodeJS.ProcessEnv): IngestRecordsDeps {
  return pipelineOf(parseEnv(PipelineEnv, env)).ingest;
}

export function recomputeFromEnv(env: NodeJS.ProcessEnv): RecomputeDeps {
  const settings = parseEnv(RecomputeEnv, env);
  const bus = new EventBridgeAlertBus(
    eventBridgeClient(settings.EVENTBRIDGE_ENDPOINT),
    settings.EVENT_BUS_NAME,
  );
  return pipelineOf(settings).recompute(bus);
}

export function readApiFromEnv(env: NodeJS.ProcessEnv): ReadApiDeps {
  const settings = parseEnv(ApiEnv, env);
  return pipelineOf(settings).readApi({
    recompute: invokeRecomputeFunction(new LambdaClient({}), settings.RECOMPUTE_FUNCTION_NAME),
  });
}

export function webhookRoutesFromEnv(env: NodeJS.ProcessEnv): WebhookRoutes {
  const { WEBHOOK_ROUTES } = parseEnv(WebhookEnv, env);
  let json: unknown;
  try {
    json = JSON.parse(WEBHOOK_ROUTES);
  } catch (cause) {
    throw new SettingsError('Invalid environment: WEBHOOK_ROUTES is not JSON', { cause });
  }
  const routes = WebhookRoutes.safeParse(json);
  if (!routes.success)
    throw new SettingsError(`Invalid environment: WEBHOOK_ROUTES ${z.prettifyError(routes.error)}`, {
      cause: routes.error,
    });
  return routes.data;
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
    log,
  });
}

export function packerFromEnv(env: NodeJS.ProcessEnv): PutOrLeave {
  const settings = parseEnv(PackerEnv, env);
  return packerPut(eventBridgeClient(settings.EVENTBRIDGE_ENDPOINT), settings.EVENT_BUS_NAME);
}
