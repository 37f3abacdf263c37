import type { NorthstarConfig } from '../../config/schema.js';
import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

/** The root a metric's parents lead to; undefined on a cycle (validation reports those). */
function rootOf(config: NorthstarConfig, id: string): string | undefined {
  const seen = new Set<string>();
  let current = id;
  while (config.metrics[current]?.parent !== undefined) {
    if (seen.has(current)) return undefined;
    seen.add(current);
    current = config.metrics[current]!.parent!;
  }
  return current;
}

export const metricUnreachable: LintRule = {
  id: 'metric-unreachable',
  severity: 'warning',
  title: 'A metric that no tree reaches',
  why: "A metric outside the north star's tree and not a guardrail explains no move of the north star and guards nothing: its alerts wake people for a number nobody steers by.",
  fix: 'Give it a `parent` in the tree, mark it `guardrail: true`, or remove it.',
  check({ config }) {
    return metricsOf(config).flatMap(([id]) => {
      const root = rootOf(config, id);
      if (root === undefined || root === config.northStar || config.metrics[root]?.guardrail === true)
        return [];
      return [
        {
          metric: id,
          path: `metrics.${root}.parent`,
          message:
            root === id
              ? `"${id}" has no parent and is neither the north star nor a guardrail`
              : `"${id}" hangs below "${root}", which is neither the north star nor a guardrail`,
        },
      ];
    });
  },
};
