import { canonicalJson } from '../../events/hash.js';
import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

/** What decides a metric's numbers: everything but its words, people, plans and splits. */
function counted(metric: Record<string, unknown>): string {
  const {
    title: _t,
    definition: _d,
    owner: _o,
    cadence: _c,
    target: _g,
    parent: _p,
    sensitivity: _s,
    guardrail: _r,
    pageMarked: _m,
    breakdowns: _b,
    ...rest
  } = metric;
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
      const key = counted(metric as Record<string, unknown>);
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
