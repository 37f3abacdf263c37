import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoStores } from '../shared/adapters/dynamodb/stores.js';
import { storesFor } from '../shared/compose/pipeline.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import {
  backfillScopes,
  compileGeneration,
  LIVE_SCOPE,
  newestHistoryOf,
  planVersions,
  scopesToCount,
  showNext,
  type VersionRegistry,
  type VersionsReport,
} from '../shared/domain/engine/versions.js';
import type { TrackingPlanSchemas } from '../shared/domain/events/tracking-plan.js';
import type { Clock } from '../shared/ports/clock.js';
import { type EventArchive, openArchiveFile, openEventArchive, readArchiveLine } from './event-archive.js';
import { type ScopeConsumer, startScopeConsumer } from './scope-consumer.js';

export interface RuntimeVersions {
  registry(): VersionRegistry;
  /** The shown generation, compiled with its version ids: the recompute's, the read API's. */
  shown(): CompiledConfig;
  /** The next generation while it is backfilled. */
  next(): CompiledConfig | undefined;
  /** What live ingest counts now. */
  live(): CompiledConfig;
  report(): VersionsReport;
  /** The imported history the shown versions were built from, if any. */
  history(): string | undefined;
  /** Every version gets a new one, rebuilt by a backfill from this history and the archive. */
  rebuild(history: string): Promise<void>;
  /** New lines are in the archive: every backfill follows them. */
  appended(lines: number): void;
  /** Resolves once no generation waits for its backfill (at once when none does). */
  backfilled(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeVersionsOptions {
  readonly config: NorthstarConfig;
  /** The live namespace's stores; a backfill's share every item but users. */
  readonly stores: DynamoStores;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The archive and the data directory; without them there is no history to backfill from. */
  readonly archive?: EventArchive;
  readonly dataDir?: string;
  readonly schemas: TrackingPlanSchemas;
  readonly clock: Clock;
  /** Where live ingest has counted the archive to: a backfill is caught up once it is as far. */
  readonly liveConfirmed: () => number;
  /** The next generation is shown now. */
  readonly onShown: (registry: VersionRegistry) => void;
}

/** How often a running backfill is checked for having reached the present. */
const CHECK_EVERY_MS = 250;

async function firstArrival(archive: EventArchive | undefined): Promise<number | null> {
  if (!archive || archive.size() === 0) return null;
  const { lines } = await archive.read(0, 1024 * 1024);
  const first = lines[0] && readArchiveLine(lines[0].text);
  return first ? first.arrivedAt : null;
}

/**
 * The definition versions of a local runtime: the registry planned for the configuration it
 * starts with, a backfill namespace counting the archive for each generation that needs
 * one, and the switch to the next generation once its backfill has reached live ingest.
 */
export async function startRuntimeVersions(options: RuntimeVersionsOptions): Promise<RuntimeVersions> {
  const { stores, clock } = options;
  const hasHistory = (options.archive?.size() ?? 0) > 0;
  const planned = planVersions(await stores.versions.readRegistry(), options.config, clock(), hasHistory);
  let registry = planned.registry;
  if (planned.changed) await stores.versions.writeRegistry(registry);
  /** The earliest arrival a backfill reads: of the archive, or of the newest imported history. */
  const earliest = async (history: string | undefined) => {
    const archived = await firstArrival(options.archive);
    if (!history || !options.dataDir) return archived;
    const file = await openEventArchive(await openArchiveFile(join(options.dataDir, history)));
    const imported = await firstArrival(file).finally(() => file.close());
    return archived === null ? imported : imported === null ? archived : Math.min(archived, imported);
  };
  let historyFrom: number | null = null;
  let compiled = compiledOf(registry);
  const consumers = new Map<string, ScopeConsumer>();
  let waiting: (() => void)[] = [];
  let stopped = false;

  function compiledOf(of: VersionRegistry) {
    return {
      shown: compileGeneration(of.shown),
      next: of.next && compileGeneration(of.next),
      scopes: scopesToCount(of),
    };
  }

  /** The newest history in use: an import during another's backfill builds on it. */
  const newestHistory = () => newestHistoryOf(registry);

  async function startConsumers(): Promise<void> {
    const { archive, dataDir } = options;
    if (!archive || !dataDir) return;
    for (const scope of compiled.scopes.keys()) {
      if (scope === LIVE_SCOPE || consumers.has(scope)) continue;
      const historyName = registry.histories?.[scope];
      const history = historyName
        ? await openEventArchive(await openArchiveFile(join(dataDir, historyName)))
        : undefined;
      consumers.set(
        scope,
        await startScopeConsumer({
          scope,
          archive,
          ...(history ? { history } : {}),
          dataDir,
          stores: storesFor(options.config, options.client, options.tableName, scope),
          compiled: () => compiled.scopes.get(scope) ?? compiled.shown,
          schemas: options.schemas,
          clock,
        }),
      );
    }
  }

  /** Namespaces nothing counts in any more stop; their position files stay, harmless. */
  async function stopUnused(): Promise<void> {
    for (const [scope, consumer] of consumers) {
      if (compiled.scopes.has(scope)) continue;
      consumers.delete(scope);
      await consumer.stop();
    }
  }

  let switching = false;
  async function check(): Promise<void> {
    if (!registry.next || switching || stopped) return;
    const live = Math.min(options.liveConfirmed(), options.archive?.size() ?? 0);
    const scopes = [...backfillScopes(registry)];
    if (!scopes.every((scope) => (consumers.get(scope)?.confirmed() ?? -1) >= live)) return;
    switching = true;
    try {
      const shown = showNext(registry, clock());
      await stores.versions.writeRegistry(shown);
      registry = shown;
      compiled = compiledOf(registry);
      await stopUnused();
      options.onShown(registry);
      for (const resolve of waiting) resolve();
      waiting = [];
    } finally {
      switching = false;
    }
  }

  historyFrom = await earliest(newestHistory());
  await startConsumers();
  const timer = setInterval(
    () => void check().catch((error) => console.error('the backfill could not be shown:', error)),
    CHECK_EVERY_MS,
  );
  timer.unref();

  return {
    registry: () => registry,
    history: newestHistory,
    async rebuild(history) {
      const planned = planVersions(registry, options.config, clock(), true, { rebuild: true, history });
      await stores.versions.writeRegistry(planned.registry);
      registry = planned.registry;
      compiled = compiledOf(registry);
      historyFrom = await earliest(history);
      await stopUnused();
      await startConsumers();
    },
    shown: () => compiled.shown,
    next: () => compiled.next,
    live: () => compiled.scopes.get(LIVE_SCOPE) ?? compiled.shown,
    report: () => ({
      registry,
      backfills: [...consumers.values()].map((consumer) => consumer.progress()),
      historyFrom,
    }),
    appended(lines) {
      for (const consumer of consumers.values()) consumer.appended(lines);
    },
    backfilled() {
      if (!registry.next || stopped) return Promise.resolve();
      return new Promise((resolve) => waiting.push(resolve));
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const resolve of waiting) resolve();
      waiting = [];
      await Promise.all([...consumers.values()].map((consumer) => consumer.stop()));
    },
  };
}
