import type { NorthstarConfig } from '../../config/schema.js';
import { metricDefinition } from '../../engine/compiled-config.js';
import { canonicalJson } from '../../events/hash.js';
import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

/** What decides a metric's numbers, splits and paging aside: two names for it are one metric. */
function counted(metric: NorthstarConfig['metrics'][string]): string {
  const { pageMarked: _m, breakdowns: _b, ...rest } = metricDefinition(metric);
  return canonicalJson(rest);
}

export const duplicateDefinition: LintRule = {
  id: 'duplicate-definition',
  severity: 'error',
  title: 'Two metrics with the same definition',
  why: 'Two names for one number split its owners and double its alerts; sooner or later one of them is redefined and the two disagree in a meeting.',
  fix: 'Keep one metric and point the other’s children at it; to watch it at another grain, use the dashboard’s grain picker.',
  check({ config }) {
    const byDefinition = new Map<string, string[]>();
    for (const [id, metric] of metricsOf(config)) {
      const key = counted(metric);
      byDefinition.set(key, [...(byDefinition.get(key) ?? []), id]);
    }
    return [...byDefinition.values()]
      .filter((ids) => ids.length > 1)
      .flatMap(([first, ...others]) =>
        others.map((id) => ({
          metric: id,
          path: `metrics.${id}`,
          message: `"${id}" counts exactly what "${first}" counts`,
        })),
      );
  },
};
