import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoStores, dynamoStores } from '../adapters/dynamodb/stores.js';
import type { NorthstarConfig } from '../domain/config/schema.js';
import { type CompiledConfig, compileConfig } from '../domain/engine/compiled-config.js';
import { type TrackingPlanSchemas, trackingPlanSchemas } from '../domain/events/tracking-plan.js';
import type { AlertBus } from '../ports/alert-bus.js';
import type { Clock } from '../ports/clock.js';
import type { IngestRecordsDeps } from '../use-cases/ingest/ingest-records.js';
import type { ReadApiDeps } from '../use-cases/read-api/read-api.js';
import type { RecomputeDeps } from '../use-cases/recompute/recompute.js';

/** What the read API takes besides the stores: how it starts a recompute, and what only some runtimes know. */
export type ReadApiOptions = Pick<
  ReadApiDeps,
  'recompute' | 'recomputeEveryMs' | 'backlog' | 'versionsReport'
>;

/** What every entry point starts from: a validated configuration and where its table is. */
export interface PipelineSettings {
  readonly config: NorthstarConfig;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** @default Date.now */
  readonly clock?: Clock;
  /** Namespace of per-user state. @default 'live' */
  readonly scope?: string;
  /** The stores, when the caller wraps some of them (the local runtime). @default storesFor(config, client, tableName, scope) */
  readonly stores?: DynamoStores;
  /** The configuration compiled with its registered version ids. @default compileConfig(config) */
  readonly compiled?: CompiledConfig;
}

/** The use cases' dependencies, wired once from settings: the Lambda handlers and the local runtime take these. */
export interface Pipeline {
  readonly config: NorthstarConfig;
  readonly compiled: CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly clock: Clock;
  readonly stores: DynamoStores;
  /** Ingest of queue messages: validate, quarantine, dedupe, count. */
  readonly ingest: IngestRecordsDeps;
  /** The recompute, sending its alerts to `bus`. */
  recompute(bus: AlertBus): RecomputeDeps;
  /**
   * The read API, starting a recompute with `recompute` (in place, or by invoking its function).
   * `recomputeEveryMs` is the schedule in use, 0 for none. @default the configuration's `recompute.every`
   */
  readApi(options: ReadApiOptions): ReadApiDeps;
}

/** Every store of a configuration on one DynamoDB table. */
export function storesFor(
  config: NorthstarConfig,
  client: DynamoDBClient,
  tableName: string,
  scope?: string,
): DynamoStores {
  return dynamoStores({
    client,
    tableName,
    counterShards: config.ingest.counterShards,
    maxRoundMs: config.ingest.maxRoundSeconds * 1000,
    ...(scope ? { scope } : {}),
  });
}

/** The one composition root: local and AWS differ only in the settings given here. */
export function composePipeline(settings: PipelineSettings): Pipeline {
  const { config } = settings;
  const compiled = settings.compiled ?? compileConfig(config);
  const schemas = trackingPlanSchemas(config);
  const clock = settings.clock ?? Date.now;
  const stores = settings.stores ?? storesFor(config, settings.client, settings.tableName, settings.scope);
  return {
    config,
    compiled,
    schemas,
    clock,
    stores,
    ingest: { ...stores, compiled, schemas, clock },
    recompute: (bus) => ({ ...stores, compiled, bus, clock }),
    readApi: (options) => ({ ...stores, compiled, clock, ...options }),
  };
}
