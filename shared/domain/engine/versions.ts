import type { NorthstarConfig } from '../config/schema.js';
import { shortHash } from '../events/hash.js';
import { type CompiledConfig, compileConfig, restrictCompiled } from './compiled-config.js';

/**
 * Definition versions (SEMANTICS.md section 8). Every definition (a metric, a funnel, the
 * journey) counts under a version id. A configuration that changes a definition or adds
 * one becomes the next generation: its new versions are counted by a backfill from the
 * archive, each generation in an ingest namespace of its own, while the shown generation
 * stays the one the dashboard, the read API and the alerts use. Once every new version
 * has caught up with the present, the next generation is shown instead.
 */

/** The namespace of per-user state that counted the first generation. */
export const LIVE_SCOPE = 'live';

/** One definition of a generation: its key, its fingerprint, the id it counts under and its namespace. */
export interface VersionEntry {
  readonly fingerprint: string;
  readonly id: string;
  readonly scope: string;
}

export interface Generation {
  readonly number: number;
  readonly config: NorthstarConfig;
  /** By key: `metric:<id>`, `funnel:<id>`, `journey`. */
  readonly versions: Readonly<Record<string, VersionEntry>>;
  readonly registeredAt: number;
  /** When it became the one shown: alerts about periods that settled before are history, not sent. */
  readonly shownAt: number;
  /** Every version new, rebuilt from imported history: shown only once its backfill is done. */
  readonly rebuild?: boolean;
}

/** The newest imported history the shown or next versions were built from. */
export function newestHistoryOf(registry: VersionRegistry): string | undefined {
  const versions = [registry.shown, ...(registry.next ? [registry.next] : [])].flatMap((generation) =>
    Object.values(generation.versions),
  );
  const names = versions
    .map((entry) => registry.histories?.[entry.scope])
    .filter((name) => name !== undefined);
  return names.sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0])).at(-1);
}

/** A version no longer counted: replaced by a newer one, removed, or left by a backfill that was given up. */
export interface RetiredVersion {
  readonly key: string;
  readonly id: string;
  readonly generation: number;
  readonly at: number;
  readonly why: 'replaced' | 'removed' | 'abandoned';
}

export interface VersionRegistry {
  readonly shown: Generation;
  /** The generation being backfilled, when there is one. */
  readonly next?: Generation;
  readonly retired: readonly RetiredVersion[];
  /**
   * The imported history each backfill namespace reads before the archive (a file name in
   * the data directory), fixed when the namespace starts; none for a namespace without.
   */
  readonly histories?: Readonly<Record<string, string>>;
}

export interface PlanOptions {
  /**
   * Every definition gets a new version, counted from the start: what an import of history
   * asks for, since the history changes every number. @default false
   */
  readonly rebuild?: boolean;
  /** The imported history a new namespace reads. */
  readonly history?: string;
}

export type VersionState = 'shown' | 'backfilling' | RetiredVersion['why'];

/** Ids already given to some definition: a definition defined again after it was retired needs a new one. */
function usedIds(registry: VersionRegistry): Set<string> {
  return new Set([
    ...Object.values(registry.shown.versions).map((entry) => entry.id),
    ...Object.values(registry.next?.versions ?? {}).map((entry) => entry.id),
    ...registry.retired.map((version) => version.id),
  ]);
}

function entriesOf(compiled: CompiledConfig, scopeOf: (key: string, id: string) => string) {
  return Object.fromEntries(
    Object.entries(compiled.defIds).map(([key, id]) => [
      key,
      { fingerprint: compiled.fingerprints[key]!, id, scope: scopeOf(key, id) },
    ]),
  );
}

const sameVersions = (a: Generation['versions'], b: Generation['versions']) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([key, entry]) => b[key]?.id === entry.id);

function retire(
  from: Generation,
  keep: ReadonlySet<string>,
  at: number,
  why: (key: string) => RetiredVersion['why'],
): RetiredVersion[] {
  return Object.entries(from.versions)
    .filter(([, entry]) => !keep.has(entry.id))
    .map(([key, entry]) => ({ key, id: entry.id, generation: from.number, at, why: why(key) }));
}

/** The next generation shown: the versions it does not keep are retired. */
export function showNext(registry: VersionRegistry, at: number): VersionRegistry {
  const next = registry.next;
  if (!next) return registry;
  const kept = new Set(Object.values(next.versions).map((entry) => entry.id));
  return {
    ...registry,
    next: undefined,
    shown: { ...next, shownAt: at },
    retired: [
      ...registry.retired,
      ...retire(registry.shown, kept, at, (key) => (next.versions[key] ? 'replaced' : 'removed')),
    ],
  };
}

export interface PlannedVersions {
  readonly registry: VersionRegistry;
  /** The registry differs from the one given (it must be stored). */
  readonly changed: boolean;
}

/**
 * The registry for a configuration starting now. The first one is shown at once and
 * counts in the live namespace. Later, a configuration with the shown definitions only
 * updates what is shown (owner, title, target...); one with new or changed definitions
 * becomes the next generation, which a backfill fills unless there is no history to read,
 * when it is shown at once. A next generation given up for another keeps the namespaces
 * of the versions they share, so its backfill's work is not lost.
 */
export function planVersions(
  existing: VersionRegistry | undefined,
  config: NorthstarConfig,
  now: number,
  hasHistory: boolean,
  options: PlanOptions = {},
): PlannedVersions {
  if (!existing) {
    const compiled = compileConfig(config);
    const shown: Generation = {
      number: 0,
      config,
      versions: entriesOf(compiled, () => LIVE_SCOPE),
      registeredAt: now,
      shownAt: 0,
    };
    return { registry: { shown, retired: [] }, changed: true };
  }
  const { shown, next } = existing;
  const number = Math.max(shown.number, next?.number ?? 0) + 1;
  const used = usedIds(existing);
  // A rebuild not yet shown holds history the shown versions lack: what follows builds on it.
  const pendingRebuild = next?.rebuild === true;
  const rebuild = options.rebuild === true || pendingRebuild;
  const candidates = (key: string) =>
    options.rebuild
      ? []
      : pendingRebuild
        ? [next?.versions[key]]
        : [shown.versions[key], next?.versions[key]];
  const known = (key: string, print: string) => candidates(key).find((entry) => entry?.fingerprint === print);
  const compiled = compileConfig(config, (key, print) => {
    const entry = known(key, print);
    if (entry) return entry.id;
    return used.has(print) ? shortHash(`${print}#${number}`, 6) : print;
  });
  const scopeOf = (key: string, id: string) =>
    [shown.versions[key], next?.versions[key]].find((entry) => entry?.id === id)?.scope ?? `g${number}`;
  const versions = entriesOf(compiled, scopeOf);
  const ids = new Set(Object.values(versions).map((entry) => entry.id));
  const abandoned = next
    ? retire(
        next,
        new Set([...ids, ...Object.values(shown.versions).map((e) => e.id)]),
        now,
        () => 'abandoned',
      )
    : [];
  if (!rebuild && sameVersions(versions, shown.versions)) {
    const changed = next !== undefined || JSON.stringify(config) !== JSON.stringify(shown.config);
    return {
      registry: {
        ...existing,
        next: undefined,
        shown: { ...shown, config },
        retired: [...existing.retired, ...abandoned],
      },
      changed,
    };
  }
  if (next && sameVersions(versions, next.versions)) {
    const changed = JSON.stringify(config) !== JSON.stringify(next.config);
    return { registry: { ...existing, next: { ...next, config } }, changed };
  }
  // A new namespace reads the newest imported history too: the versions it fills count it.
  const history = options.history ?? newestHistoryOf(existing);
  const histories = { ...existing.histories, ...(history ? { [`g${number}`]: history } : {}) };
  const planned: VersionRegistry = {
    shown,
    next: { number, config, versions, registeredAt: now, shownAt: 0, ...(rebuild ? { rebuild: true } : {}) },
    retired: [...existing.retired, ...abandoned],
    ...(Object.keys(histories).length > 0 ? { histories } : {}),
  };
  return { registry: hasHistory ? planned : showNext(planned, now), changed: true };
}

/** The version id a key counts under in a generation, as compileConfig asks for it. */
export function compileGeneration(generation: Generation): CompiledConfig {
  return compileConfig(generation.config, (key, print) => {
    const entry = generation.versions[key];
    return entry && entry.fingerprint === print ? entry.id : print;
  });
}

/** Versions of the next generation that the shown one does not count: what a backfill fills. */
export function backfilledIds(registry: VersionRegistry): Set<string> {
  const shownIds = new Set(Object.values(registry.shown.versions).map((entry) => entry.id));
  return new Set(
    Object.values(registry.next?.versions ?? {})
      .map((entry) => entry.id)
      .filter((id) => !shownIds.has(id)),
  );
}

/**
 * What each ingest namespace counts: the shown and next generations' event metrics,
 * retention metrics, funnels and journey, by the namespace of their versions. Live ingest also counts
 * conflicting resends; a namespace with nothing to count is left out.
 */
export function scopesToCount(registry: VersionRegistry): Map<string, CompiledConfig> {
  const generations = [registry.shown, ...(registry.next ? [registry.next] : [])];
  const compiledOf = generations.map(compileGeneration);
  const scopeOf = new Map<string, string>();
  for (const generation of generations)
    for (const entry of Object.values(generation.versions)) scopeOf.set(entry.id, entry.scope);
  const scopes = new Set([LIVE_SCOPE, ...scopeOf.values()]);
  const counted = new Map<string, CompiledConfig>();
  const base = compiledOf[compiledOf.length - 1]!;
  for (const scope of scopes) {
    const owns = (defId: string) => scopeOf.get(defId) === scope;
    const parts = compiledOf.map((compiled) => restrictCompiled(compiled, owns, scope === LIVE_SCOPE));
    const byId = <T extends { defId: string }>(lists: (readonly T[])[]) => [
      ...new Map(lists.flat().map((item) => [item.defId, item])).values(),
    ];
    const merged: CompiledConfig = {
      ...base,
      eventMetrics: byId(parts.map((part) => part.eventMetrics)),
      retentions: byId(parts.map((part) => part.retentions)),
      breakdowns: byId(parts.map((part) => part.breakdowns)),
      funnels: byId(parts.map((part) => part.funnels)),
      journey: parts.map((part) => part.journey).find((journey) => journey !== undefined),
      countsConflicts: scope === LIVE_SCOPE,
    };
    const countsSomething =
      merged.eventMetrics.length > 0 ||
      merged.breakdowns.length > 0 ||
      merged.retentions.length > 0 ||
      merged.funnels.length > 0 ||
      merged.journey !== undefined;
    if (scope === LIVE_SCOPE || countsSomething) counted.set(scope, merged);
  }
  return counted;
}

/** The namespaces whose backfill must reach the present before the next generation is shown. */
export function backfillScopes(registry: VersionRegistry): Set<string> {
  const filled = backfilledIds(registry);
  const counting = scopesToCount(registry);
  const scopes = new Set<string>();
  for (const entry of Object.values(registry.next?.versions ?? {}))
    if (filled.has(entry.id) && counting.has(entry.scope) && entry.scope !== LIVE_SCOPE)
      scopes.add(entry.scope);
  return scopes;
}

/** Where a version id stands in the registry, by key. */
export function versionsOf(
  registry: VersionRegistry,
  key: string,
): { id: string; state: VersionState; generation: number; at: number }[] {
  const found: { id: string; state: VersionState; generation: number; at: number }[] = [];
  const shown = registry.shown.versions[key];
  if (shown)
    found.push({
      id: shown.id,
      state: 'shown',
      generation: registry.shown.number,
      at: registry.shown.shownAt,
    });
  const next = registry.next?.versions[key];
  if (next && next.id !== shown?.id)
    found.push({
      id: next.id,
      state: 'backfilling',
      generation: registry.next!.number,
      at: registry.next!.registeredAt,
    });
  for (const retired of registry.retired)
    if (retired.key === key && !found.some((version) => version.id === retired.id))
      found.push({ id: retired.id, state: retired.why, generation: retired.generation, at: retired.at });
  return found;
}

/** Where one namespace's backfill stands: what the read API, the dashboard and `northstar backfill` show. */
export interface BackfillProgress {
  readonly scope: string;
  /** Archive entries counted by this namespace since it started (or resumed). */
  readonly events: number;
  /** Bytes of the archive read and counted, and the archive's size now. */
  readonly position: number;
  readonly size: number;
  /** Arrival time of the latest entry counted: how far into history the backfill has come. */
  readonly reachedArrivedAt: number | null;
  /** Entries and archive bytes a second since it started or resumed. */
  readonly rate: number;
  readonly bytesRate: number;
  readonly caughtUp: boolean;
}

/** The registry with the backfills' progress: what the read API reports. */
export interface VersionsReport {
  readonly registry: VersionRegistry;
  readonly backfills: readonly BackfillProgress[];
  /** Arrival time of the archive's first entry: where every backfill starts. */
  readonly historyFrom: number | null;
}
