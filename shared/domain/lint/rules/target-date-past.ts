import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

export const targetDatePast: LintRule = {
  id: 'target-date-past',
  severity: 'error',
  title: 'A target whose date has passed',
  why: 'A key result past its date measures nothing: its pace is undefined, its progress is history, and the digest reports a goal nobody holds any more.',
  fix: 'Set the next key result with a date to come, or remove the target.',
  check({ config, today }) {
    return metricsOf(config)
      .filter(([, metric]) => metric.target !== undefined && metric.target.by < today)
      .map(([id, metric]) => ({
        metric: id,
        path: `metrics.${id}.target.by`,
        message: `the target of "${id}" was due ${metric.target!.by}, before today (${today})`,
      }));
  },
};
