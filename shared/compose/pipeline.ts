import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoStores, dynamoStores } from '../adapters/dynamodb/stores.js';
import type { NorthstarConfig } from '../domain/config/schema.js';
import { type CompiledConfig, compileConfig } from '../domain/engine/compiled-config.js';
import {
  compileGeneration,
  LIVE_SCOPE,
  planVersions,
  scopesToCount,
  type VersionRegistry,
} from '../domain/engine/versions.js';
import { type TrackingPlanSchemas, trackingPlanSchemas } from '../domain/events/tracking-plan.js';
import type { AlertBus } from '../ports/alert-bus.js';
import type { Clock } from '../ports/clock.js';
import type { ScopedIngest } from '../use-cases/backfill/ingest-scopes.js';
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
  readonly tableName: string;
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
    tableName: settings.tableName,
    ingest: { ...stores, compiled, schemas, clock },
    recompute: (bus) => ({ ...stores, compiled, bus, clock }),
    readApi: (options) => ({ ...stores, compiled, clock, ...options }),
  };
}

/** A pipeline with the definition versions of a stored registry (on AWS, where the Lambdas read it). */
export interface VersionedPipeline {
  readonly registry: VersionRegistry;
  /** The shown generation compiled with its version ids. */
  readonly shown: CompiledConfig;
  /** The generation being backfilled. */
  readonly next?: CompiledConfig;
  /** Live ingest and every other namespace live traffic counts in. */
  readonly ingest: ScopedIngest;
  recompute(bus: AlertBus): RecomputeDeps;
  readApi(options: ReadApiOptions): ReadApiDeps;
  /** The stores of a namespace: its users, every other item shared. */
  storesOf(scope: string): DynamoStores;
}

const versioned = new WeakMap<Pipeline, WeakMap<VersionRegistry, VersionedPipeline>>();

/**
 * The pipeline as the registry defines it, built once per registry read (the registry cache
 * keeps the object while the stored one is unchanged). Before the recompute's first plan there
 * is no registry: the first generation is the configuration's, as planVersions makes it.
 */
export function versionedPipeline(
  pipeline: Pipeline,
  stored: VersionRegistry | undefined,
): VersionedPipeline {
  const registry = stored ?? planVersions(undefined, pipeline.config, 0, false).registry;
  const byRegistry = versioned.get(pipeline) ?? new WeakMap<VersionRegistry, VersionedPipeline>();
  versioned.set(pipeline, byRegistry);
  const built = byRegistry.get(registry);
  if (built) return built;
  const { clock, stores } = pipeline;
  const shown = compileGeneration(registry.shown);
  const next = registry.next && compileGeneration(registry.next);
  const schemas = trackingPlanSchemas((registry.next ?? registry.shown).config);
  const storesOf = (scope: string) =>
    scope === LIVE_SCOPE ? stores : storesFor(pipeline.config, stores.client, pipeline.tableName, scope);
  const scopes = scopesToCount(registry);
  const deps = (scope: string, compiled: CompiledConfig): IngestRecordsDeps => ({
    ...storesOf(scope),
    compiled,
    schemas,
    clock,
  });
  const result: VersionedPipeline = {
    registry,
    shown,
    ...(next ? { next } : {}),
    ingest: {
      live: deps(LIVE_SCOPE, scopes.get(LIVE_SCOPE) ?? shown),
      others: [...scopes]
        .filter(([scope]) => scope !== LIVE_SCOPE)
        .map(([scope, compiled]) => deps(scope, compiled)),
    },
    recompute: (bus) => ({
      ...stores,
      compiled: shown,
      bus,
      clock,
      shownAt: registry.shown.shownAt,
      ...(next ? { next } : {}),
    }),
    readApi: (options) => ({ ...stores, compiled: shown, clock, ...options }),
    storesOf,
  };
  byRegistry.set(registry, result);
  return result;
}
