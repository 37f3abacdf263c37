import type { LintRule } from '../rule.js';

export const northStarCountsEvents: LintRule = {
  id: 'north-star-counts-events',
  severity: 'warning',
  title: 'The north star counts events or money, not users who got value',
  why: 'A count of events or a sum moves with a few heavy users and with price changes; the number of users who got value says how many people the product serves.',
  fix: 'Make the north star a distinct_users metric (or a retention) over the value event, and keep the event count or revenue as a child metric.',
  check({ config }) {
    const metric = config.metrics[config.northStar];
    if (!metric || !(metric.kind === 'count' || metric.kind === 'sum')) return [];
    return [
      {
        metric: config.northStar,
        path: `metrics.${config.northStar}.kind`,
        message: `the north star "${config.northStar}" is a ${metric.kind}: ${metric.kind === 'sum' ? `a sum of "${metric.property}"` : 'a number of events'}, not of users`,
      },
    ];
  },
};
