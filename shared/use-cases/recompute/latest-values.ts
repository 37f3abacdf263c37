import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import type { Stores } from '../../ports/stores.js';

/** A metric's value in its latest period so far. */
export interface MetricValueNow {
  readonly metricId: string;
  readonly value: number;
}

/** Each metric's latest rollup value at its own grain (metrics with no value yet are left out). */
export async function latestMetricValues(
  deps: Pick<Stores, 'rollups'> & { readonly compiled: CompiledConfig },
): Promise<MetricValueNow[]> {
  const { config, defIds } = deps.compiled;
  const values: MetricValueNow[] = [];
  for (const [metricId, metric] of Object.entries(config.metrics)) {
    const defId = defIds[`metric:${metricId}`];
    if (defId === undefined) continue;
    const [latest] = await deps.rollups.latestRollups(defId, metric.grain, 1);
    if (latest?.value !== null && latest?.value !== undefined) values.push({ metricId, value: latest.value });
  }
  return values;
}
