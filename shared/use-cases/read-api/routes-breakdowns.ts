import { metricBreakdowns, seriesId } from '../../domain/engine/breakdowns.js';
import { invalidParameter } from './api-error.js';
import { checkRangeLength, isoTime, periodRange } from './period-range.js';
import { BreakdownQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { metricOf, rollupPoints } from './routes-metrics.js';
import { MetricBreakdown } from './schemas.js';

const DEFAULT_PERIODS = 12;
/** Each value is one query: the cap keeps a response to a few megabytes. */
const MAX_PERIODS = 1000;

export const metricBreakdownRoute = defineRoute({
  method: 'GET',
  path: '/api/metrics/{id}/breakdown',
  operationId: 'getMetricBreakdown',
  summary: 'A metric split by one of its breakdowns: each value’s series with its own band',
  description:
    'For each value of the breakdown (the listed values, then (other) and (none)), the rollups of the periods of a grain that start in [from, to), oldest first. For count and sum the values add up to the metric; a user may count under several values of distinct_users; a ratio is split on both sides.',
  query: (compiled) => BreakdownQuery(compiled.grains, Object.keys(compiled.config.breakdowns)),
  pathParams: (compiled) => ({
    id: Object.entries(compiled.config.metrics)
      .filter(([, metric]) => metricBreakdowns(metric).length > 0)
      .map(([id]) => id),
  }),
  notFound: 'No metric with this id in the configuration.',
  response: MetricBreakdown,
  async handle({ deps, params, query }) {
    const { compiled, rollups } = deps;
    const id = params.id ?? '';
    const { metric } = metricOf(compiled, id);
    const split = compiled.breakdowns.find((one) => one.metricId === id && one.by === query.by);
    if (!split) {
      const names = metricBreakdowns(metric);
      throw invalidParameter(
        'by',
        names.length === 0
          ? `metric "${id}" has no breakdowns`
          : `metric "${id}" is split by ${names.join(', ')}, not "${query.by}"`,
      );
    }
    const definition = compiled.config.breakdowns[split.by]!;
    const grain = query.grain ?? metric.grain;
    const range = periodRange(
      { from: query.from, to: query.to, now: deps.clock() },
      grain,
      compiled.zone,
      DEFAULT_PERIODS,
    );
    checkRangeLength(range, grain, MAX_PERIODS);
    const values = await Promise.all(
      split.labels.map(async (label, index) => ({
        value: label,
        points: await rollupPoints(rollups, seriesId(split.defId, index), grain, range, compiled.zone),
      })),
    );
    return {
      metric: { id, title: metric.title, definitionVersion: compiled.defIds[`metric:${id}`]! },
      breakdown: {
        id: split.by,
        title: definition.title ?? split.by,
        property: definition.property ?? null,
        context: definition.context ?? null,
        definitionVersion: split.defId,
      },
      grain,
      from: isoTime(range.from),
      to: isoTime(range.to),
      values,
    };
  },
});
