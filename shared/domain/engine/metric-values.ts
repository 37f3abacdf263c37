import { seriesId } from './breakdowns.js';
import type { CompiledConfig } from './compiled-config.js';
import { SUM_SCALE } from './user-state.js';

/** Counters of one period item, summed over shards: field -> value. */
export type PeriodCounters = ReadonlyMap<string, number>;

/** One value of a breakdown: its index among the breakdown's labels. */
export interface SeriesOf {
  readonly by: string;
  readonly index: number;
}

/**
 * A metric's value for one period from that period's counters (SEMANTICS.md section 3), or
 * one breakdown value's (section 11). Ratios and funnel conversions are derived here; `null`
 * when the denominator is 0.
 */
export function metricValue(
  metricId: string,
  counters: PeriodCounters,
  compiled: CompiledConfig,
  split?: SeriesOf,
): number | null {
  const metric = compiled.config.metrics[metricId];
  const version = split
    ? compiled.defIds[`breakdown:${metricId}:${split.by}`]
    : compiled.defIds[`metric:${metricId}`];
  if (!metric || !version)
    throw new RangeError(`unknown metric "${metricId}"${split ? ` split by "${split.by}"` : ''}`);
  const defId = split ? seriesId(version, split.index) : version;
  switch (metric.kind) {
    case 'count':
      return counters.get(`${defId}.n`) ?? 0;
    case 'distinct_users':
      return counters.get(`${defId}.u`) ?? 0;
    case 'sum':
      return (counters.get(`${defId}.s6`) ?? 0) / SUM_SCALE;
    case 'ratio': {
      const numerator = metricValue(metric.numerator, counters, compiled, split);
      const denominator = metricValue(metric.denominator, counters, compiled, split);
      return numerator === null || !denominator ? null : numerator / denominator;
    }
    case 'retention': {
      const cohort = counters.get(`${defId}.c`) ?? 0;
      return cohort === 0 ? null : (counters.get(`${defId}.r`) ?? 0) / cohort;
    }
    case 'funnel_conversion': {
      // Split: the funnel counted again under the split, each user under their entry's value.
      const funnelDefId = split ? defId : compiled.defIds[`funnel:${metric.funnel}`];
      const from = counters.get(`${funnelDefId}.${metric.fromStep}`) ?? 0;
      const to = counters.get(`${funnelDefId}.${metric.toStep}`) ?? 0;
      return from === 0 ? null : to / from;
    }
  }
}
