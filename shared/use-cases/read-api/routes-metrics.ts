import type { Grain, Metric, NorthstarConfig } from '../../domain/config/schema.js';
import { metricBreakdowns } from '../../domain/engine/breakdowns.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { versionsOf } from '../../domain/engine/versions.js';
import type { Rollup } from '../../domain/rollup.js';
import { notFound } from './api-error.js';
import { checkRangeLength, isoTime, periodKeysStartingIn, periodRange } from './period-range.js';
import { NoQuery, SeriesQuery } from './query-schemas.js';
import type { ReadApiDeps } from './read-api.js';
import { defineRoute } from './route.js';
import { MetricSeries, MetricTree, type PeriodValue } from './schemas.js';

/** Periods a series shows when no `from` is given. */
const DEFAULT_SERIES_PERIODS = 12;
/** A series is one query; the cap keeps its response to a few megabytes. */
const MAX_SERIES_PERIODS = 5000;

/** The rollups of one series whose period starts in the range, oldest first, as points. */
export async function rollupPoints(
  rollups: ReadApiDeps['rollups'],
  defId: string,
  grain: Grain,
  range: { readonly from: number; readonly to: number },
  zone: string,
): Promise<PeriodValue[]> {
  const keys = periodKeysStartingIn(range, grain, zone);
  const found = keys ? await rollups.rollupRange(defId, grain, keys.first, keys.last) : [];
  return found.filter((rollup) => rollup.start >= range.from && rollup.start < range.to).map(periodValue);
}

export function periodValue(rollup: Rollup): PeriodValue {
  return {
    period: rollup.period,
    start: isoTime(rollup.start),
    end: isoTime(rollup.end),
    value: rollup.value,
    expected: rollup.expected,
    lower: rollup.lower,
    upper: rollup.upper,
    status: rollup.status,
    settled: rollup.settled,
    relativeDeviation: rollup.relativeDeviation,
    severity: rollup.severity,
    projection: rollup.projection,
  };
}

/** A configured metric with its current definition version, or 404. */
export function metricOf(compiled: CompiledConfig, id: string): { metric: Metric; defId: string } {
  const metric = Object.hasOwn(compiled.config.metrics, id) ? compiled.config.metrics[id] : undefined;
  const defId = compiled.defIds[`metric:${id}`];
  if (!metric || !defId) throw notFound(`no metric "${id}" in the configuration`);
  return { metric, defId };
}

/** A version the registry knows for this metric, or 404: another metric's version is not this one's. */
function versionOfMetric(deps: ReadApiDeps, id: string, version: string): string {
  const report = deps.versionsReport?.();
  const known = report
    ? versionsOf(report.registry, `metric:${id}`).map((entry) => entry.id)
    : [deps.compiled.defIds[`metric:${id}`]];
  if (!known.includes(version))
    throw notFound(`metric "${id}" has no definition version "${version}" (GET /api/versions lists them)`);
  return version;
}

/** Metrics without a configured parent, the north star first, then in configuration order. */
function rootsOf(config: NorthstarConfig): string[] {
  const ids = Object.keys(config.metrics);
  const roots = ids.filter((id) => {
    const parent = config.metrics[id]?.parent;
    return parent === undefined || !Object.hasOwn(config.metrics, parent);
  });
  return [...roots.filter((id) => id === config.northStar), ...roots.filter((id) => id !== config.northStar)];
}

/** Depth first from the roots; anything left over (a cycle) follows in configuration order. */
function treeOrder(config: NorthstarConfig, childrenOf: (id: string) => string[]): string[] {
  const order: string[] = [];
  const visit = (id: string) => {
    if (order.includes(id)) return;
    order.push(id);
    for (const child of childrenOf(id)) visit(child);
  };
  for (const root of rootsOf(config)) visit(root);
  for (const id of Object.keys(config.metrics)) visit(id);
  return order;
}

export const metricTreeRoute = defineRoute({
  method: 'GET',
  path: '/api/metrics',
  operationId: 'getMetricTree',
  summary: 'The metric tree with each metric’s latest value, band and target progress',
  description:
    "Every metric of the configuration, depth first from the north star, with the latest rollup at the metric's own grain.",
  query: () => NoQuery,
  response: MetricTree,
  async handle({ deps }) {
    const { compiled, rollups } = deps;
    const { config } = compiled;
    const childrenOf = (id: string) =>
      Object.keys(config.metrics).filter((child) => config.metrics[child]?.parent === id);
    const order = treeOrder(config, childrenOf);
    const next = deps.versionsReport?.().registry.next;
    const metrics = await Promise.all(
      order.map(async (id) => {
        const { metric, defId } = metricOf(compiled, id);
        const backfillingId = next?.versions[`metric:${id}`]?.id;
        const [latest] = await rollups.latestRollups(defId, metric.grain, 1);
        return {
          id,
          title: metric.title,
          definition: metric.definition,
          kind: metric.kind,
          owner: { name: metric.owner.name, contact: metric.owner.contact, team: metric.owner.team },
          cadence: metric.cadence,
          grain: metric.grain,
          parent: metric.parent ?? null,
          children: childrenOf(id),
          northStar: id === config.northStar,
          guardrail: metric.guardrail === true,
          definitionVersion: defId,
          backfilling: backfillingId && backfillingId !== defId ? { definitionVersion: backfillingId } : null,
          latest: latest ? periodValue(latest) : null,
          target: metric.target ?? null,
          targetProgress: latest?.target ?? null,
          breakdowns: metricBreakdowns(metric).map((by) => ({
            id: by,
            title: config.breakdowns[by]?.title ?? by,
          })),
        };
      }),
    );
    return {
      northStar: config.northStar,
      roots: rootsOf(config),
      metrics,
      generatedAt: isoTime(deps.clock()),
    };
  },
});

export const metricSeriesRoute = defineRoute({
  method: 'GET',
  path: '/api/metrics/{id}/series',
  operationId: 'getMetricSeries',
  summary: 'A metric’s values, expected bands and statuses per period',
  description:
    'Rollups of the periods of a grain that start in [from, to), oldest first. Periods without a rollup are left out.',
  query: (compiled) => SeriesQuery(compiled.grains),
  pathParams: (compiled) => ({ id: Object.keys(compiled.config.metrics) }),
  notFound: 'No metric with this id in the configuration.',
  response: MetricSeries,
  async handle({ deps, params, query }) {
    const { compiled, rollups } = deps;
    const id = params.id ?? '';
    const { metric, defId: shownId } = metricOf(compiled, id);
    const defId = query.version === undefined ? shownId : versionOfMetric(deps, id, query.version);
    const grain = query.grain ?? metric.grain;
    const range = periodRange(
      { from: query.from, to: query.to, now: deps.clock() },
      grain,
      compiled.zone,
      DEFAULT_SERIES_PERIODS,
    );
    checkRangeLength(range, grain, MAX_SERIES_PERIODS);
    return {
      metric: { id, title: metric.title, definitionVersion: defId },
      grain,
      from: isoTime(range.from),
      to: isoTime(range.to),
      points: await rollupPoints(rollups, defId, grain, range, compiled.zone),
    };
  },
});
