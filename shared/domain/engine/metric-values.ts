import type { CompiledConfig } from './compiled-config.js';
import { SUM_SCALE } from './user-state.js';

/** Counters of one period item, summed over shards: field -> value. */
export type PeriodCounters = ReadonlyMap<string, number>;

/**
 * A metric's value for one period from that period's counters (SEMANTICS.md section 3).
 * Ratios and funnel conversions are derived here; `null` when the denominator is 0.
 */
export function metricValue(
  metricId: string,
  counters: PeriodCounters,
  compiled: CompiledConfig,
): number | null {
  const metric = compiled.config.metrics[metricId];
  const defId = compiled.defIds[`metric:${metricId}`];
  if (!metric || !defId) throw new RangeError(`unknown metric "${metricId}"`);
  switch (metric.kind) {
    case 'count':
      return counters.get(`${defId}.n`) ?? 0;
    case 'distinct_users':
      return counters.get(`${defId}.u`) ?? 0;
    case 'sum':
      return (counters.get(`${defId}.s6`) ?? 0) / SUM_SCALE;
    case 'ratio': {
      const numerator = metricValue(metric.numerator, counters, compiled);
      const denominator = metricValue(metric.denominator, counters, compiled);
      return numerator === null || !denominator ? null : numerator / denominator;
    }
    case 'retention': {
      const cohort = counters.get(`${defId}.c`) ?? 0;
      return cohort === 0 ? null : (counters.get(`${defId}.r`) ?? 0) / cohort;
    }
    case 'funnel_conversion': {
      const funnelDefId = compiled.defIds[`funnel:${metric.funnel}`];
      const from = counters.get(`${funnelDefId}.${metric.fromStep}`) ?? 0;
      const to = counters.get(`${funnelDefId}.${metric.toStep}`) ?? 0;
      return from === 0 ? null : to / from;
    }
  }
}
