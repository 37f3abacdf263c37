import type { EventMetric, Funnel, Grain, NorthstarConfig, PropertyFilters } from '../config/schema.js';
import { canonicalJson, shortHash } from '../events/hash.js';
import { durationMs } from '../time/periods.js';
import {
  breakdownLabels,
  type CompiledBreakdown,
  labelReader,
  metricBreakdowns,
  seriesId,
} from './breakdowns.js';
import type { CompiledRetention } from './retention.js';

export interface CompiledFunnel {
  readonly id: string;
  /** Fingerprint of the id and definition: counters and user state live under the definition version. */
  readonly defId: string;
  readonly funnel: Funnel;
}

export interface CompiledMetric {
  readonly id: string;
  /** What its counters are named by: the version, or a breakdown series' id. */
  readonly defId: string;
  readonly metric: EventMetric;
  /** One value's series of a breakdown: counts only events with that value. */
  readonly series?: {
    readonly breakdown: CompiledBreakdown;
    readonly index: number;
  };
}

/** The version an event metric (or its series) counts under: what a namespace owns. */
export const versionOfMetric = (metric: CompiledMetric) => metric.series?.breakdown.defId ?? metric.defId;

export interface CompiledJourney {
  readonly defId: string;
  readonly stages: readonly { id: string; events: readonly string[] }[];
}

/** The configuration turned into lookups the engines use per event. */
export interface CompiledConfig {
  readonly config: NorthstarConfig;
  readonly zone: string;
  readonly grains: readonly Grain[];
  readonly maxLatenessMs: number;
  readonly clockSkewMs: number;
  readonly maxQueueAgeMs: number;
  readonly maxRoundMs: number;
  readonly eventMetrics: readonly CompiledMetric[];
  readonly retentions: readonly CompiledRetention[];
  /** Every metric split by a breakdown; event metrics' series are also in `eventMetrics`. */
  readonly breakdowns: readonly CompiledBreakdown[];
  readonly funnels: readonly CompiledFunnel[];
  readonly journey: CompiledJourney | undefined;
  /** Every definition version of metrics, funnels and journey by id, for the recompute and readers. */
  readonly defIds: Readonly<Record<string, string>>;
  /**
   * Each definition's own fingerprint by the same keys, before `versionOf` made it a version
   * id: two configurations define a metric alike when these are equal.
   */
  readonly fingerprints: Readonly<Record<string, string>>;
  /** Whether ingest counts resends with another payload (the `conflicts` counter): live ingest only. */
  readonly countsConflicts: boolean;
}

/**
 * The version id a definition counts under, from its key (`metric:<id>`, `funnel:<id>`,
 * `journey`) and its fingerprint. The fingerprint itself unless the version registry says
 * otherwise: a definition defined again after it was replaced gets a new id, because its
 * old counters stopped when it was replaced.
 */
export type VersionOf = (key: string, fingerprint: string) => string;

/**
 * A definition's fingerprint: what decides its numbers (kind, events, filters, steps, window,
 * grain, and the time zone and grains that shape every bucket). Owner, title, cadence and
 * target are left out on purpose: editing them keeps the version.
 */
export function fingerprint(
  definition: unknown,
  config: Pick<NorthstarConfig, 'timeZone' | 'grains'>,
): string {
  return shortHash(
    canonicalJson({ definition, zone: config.timeZone, grains: [...config.grains].sort() }),
    6,
  );
}

/** What of a metric decides its numbers: all but its words, people, plans and place in the tree. */
export function metricDefinition(metric: NorthstarConfig['metrics'][string]): Record<string, unknown> {
  const {
    title: _t,
    definition: _d,
    owner: _o,
    cadence: _c,
    target: _g,
    parent: _p,
    sensitivity: _s,
    guardrail: _r,
    ...rest
  } = metric;
  return rest;
}

export function compileConfig(
  config: NorthstarConfig,
  versionOf: VersionOf = (_key, print) => print,
): CompiledConfig {
  const defIds: Record<string, string> = {};
  const fingerprints: Record<string, string> = {};
  const versioned = (key: string, print: string) => {
    fingerprints[key] = print;
    const defId = versionOf(key, print);
    defIds[key] = defId;
    return defId;
  };
  const funnels = Object.entries(config.funnels).map(([id, funnel]) => {
    const defId = versioned(
      `funnel:${id}`,
      fingerprint({ funnel: id, steps: funnel.steps, window: funnel.window }, config),
    );
    return { id, defId, funnel };
  });
  // A derived metric's version follows its inputs' versions: a redefined input changes its numbers.
  const metricDefId = (id: string, trail: readonly string[] = []): string => {
    const known = defIds[`metric:${id}`];
    if (known) return known;
    const metric = config.metrics[id];
    if (!metric || trail.includes(id)) return id;
    const inputs =
      metric.kind === 'ratio'
        ? [metricDefId(metric.numerator, [...trail, id]), metricDefId(metric.denominator, [...trail, id])]
        : metric.kind === 'funnel_conversion'
          ? [defIds[`funnel:${metric.funnel}`]]
          : [];
    return versioned(
      `metric:${id}`,
      fingerprint({ metric: id, definition: metricDefinition(metric), inputs }, config),
    );
  };
  const eventMetrics: CompiledMetric[] = [];
  const retentions: CompiledRetention[] = [];
  const breakdowns: CompiledBreakdown[] = [];
  // A split's version follows the metric's (and for a ratio, its sides' splits) and the breakdown's values.
  const breakdownDefId = (id: string, by: string, trail: readonly string[] = []): string => {
    const key = `breakdown:${id}:${by}`;
    const known = defIds[key];
    if (known) return known;
    const metric = config.metrics[id];
    const definition = config.breakdowns[by];
    if (!metric || !definition || trail.includes(id)) return key;
    const inputs =
      metric.kind === 'ratio'
        ? [
            breakdownDefId(metric.numerator, by, [...trail, id]),
            breakdownDefId(metric.denominator, by, [...trail, id]),
          ]
        : [metricDefId(id)];
    // A funnel conversion's split counts its funnel again: its steps and window define it.
    const { title: _title, ...counted } = definition;
    return versioned(
      key,
      fingerprint(
        { breakdown: by, definition: counted, labels: breakdownLabels(config, definition), inputs },
        config,
      ),
    );
  };
  for (const [id, metric] of Object.entries(config.metrics)) {
    const defId = metricDefId(id);
    const isEventMetric =
      metric.kind === 'count' || metric.kind === 'distinct_users' || metric.kind === 'sum';
    if (isEventMetric) eventMetrics.push({ id, defId, metric });
    if (metric.kind === 'retention') retentions.push({ id, defId, metric });
    for (const by of metricBreakdowns(metric)) {
      const definition = config.breakdowns[by];
      if (!definition) continue;
      const labels = breakdownLabels(config, definition);
      const funnel = metric.kind === 'funnel_conversion' ? config.funnels[metric.funnel] : undefined;
      const breakdown: CompiledBreakdown = {
        metricId: id,
        by,
        defId: breakdownDefId(id, by),
        labels,
        labelOf: labelReader(definition, labels),
        ...(funnel ? { funnel } : {}),
      };
      breakdowns.push(breakdown);
      if (!isEventMetric) continue;
      for (const index of labels.keys())
        eventMetrics.push({
          id,
          defId: seriesId(breakdown.defId, index),
          metric,
          series: { breakdown, index },
        });
    }
  }
  const journey = config.journey && {
    defId: versioned(
      'journey',
      fingerprint({ journey: config.journey.stages.map(({ id, events }) => ({ id, events })) }, config),
    ),
    stages: config.journey.stages.map(({ id, events }) => ({ id, events })),
  };
  return {
    config,
    zone: config.timeZone,
    grains: config.grains,
    maxLatenessMs: durationMs(config.maxLateness),
    clockSkewMs: durationMs(config.clockSkew),
    maxQueueAgeMs: durationMs(config.ingest.maxQueueAge),
    maxRoundMs: config.ingest.maxRoundSeconds * 1000,
    eventMetrics,
    retentions,
    breakdowns,
    funnels,
    journey,
    defIds,
    fingerprints,
    countsConflicts: true,
  };
}

/**
 * What one ingest namespace counts: the event metrics, funnels and journey of `compiled`
 * whose versions it owns. A backfill's namespace counts only its new versions.
 */
export function restrictCompiled(
  compiled: CompiledConfig,
  owns: (defId: string) => boolean,
  countsConflicts: boolean,
): CompiledConfig {
  return {
    ...compiled,
    eventMetrics: compiled.eventMetrics.filter((metric) => owns(versionOfMetric(metric))),
    retentions: compiled.retentions.filter((metric) => owns(metric.defId)),
    breakdowns: compiled.breakdowns.filter((breakdown) => owns(breakdown.defId)),
    funnels: compiled.funnels.filter((funnel) => owns(funnel.defId)),
    journey: compiled.journey && owns(compiled.journey.defId) ? compiled.journey : undefined,
    countsConflicts,
  };
}

/** Equality, or membership when the filter lists values. */
export function matchesFilters(
  properties: Readonly<Record<string, unknown>>,
  where: PropertyFilters,
): boolean {
  for (const [property, expected] of Object.entries(where)) {
    const actual = Object.hasOwn(properties, property) ? properties[property] : undefined;
    if (Array.isArray(expected) ? !expected.includes(actual as never) : actual !== expected) return false;
  }
  return true;
}
