import type { Cadence, Grain } from '../../config/schema.js';
import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

const CADENCE_DAYS: Record<Cadence, number> = { daily: 1, weekly: 7, monthly: 28, quarterly: 90 };
const GRAIN_DAYS: Record<Grain, number> = { hour: 1 / 24, day: 1, week: 7, month: 28 };

export const cadenceFinerThanGrain: LintRule = {
  id: 'cadence-finer-than-grain',
  severity: 'warning',
  title: 'A review cadence finer than the metric’s grain',
  why: 'A daily review of a monthly number finds the same open period every day: the owner learns to skip the digest.',
  fix: 'Review the metric at least one grain apart (a month-grain metric monthly or quarterly), or give it a finer grain.',
  check({ config }) {
    return metricsOf(config)
      .filter(([, metric]) => CADENCE_DAYS[metric.cadence] < GRAIN_DAYS[metric.grain])
      .map(([id, metric]) => ({
        metric: id,
        path: `metrics.${id}.cadence`,
        message: `"${id}" is reviewed ${metric.cadence} but settles once a ${metric.grain}`,
      }));
  },
};
