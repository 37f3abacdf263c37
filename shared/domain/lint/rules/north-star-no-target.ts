import type { LintRule } from '../rule.js';

export const northStarNoTarget: LintRule = {
  id: 'north-star-no-target',
  severity: 'warning',
  title: 'The north star has no target',
  why: 'Without a key result and a date nobody can say whether the team is on pace; the digest and the target alerts have nothing to measure against.',
  fix: 'Give the north star a `target: { value, by, direction }` from the objective it serves.',
  check({ config }) {
    const metric = config.metrics[config.northStar];
    if (!metric || metric.target) return [];
    return [
      {
        metric: config.northStar,
        path: `metrics.${config.northStar}.target`,
        message: `the north star "${config.northStar}" has no target`,
      },
    ];
  },
};
