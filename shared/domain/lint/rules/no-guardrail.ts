import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

export const noGuardrail: LintRule = {
  id: 'no-guardrail',
  severity: 'warning',
  title: 'The tree has no guardrail metric',
  why: 'A north star can be pushed up by hurting users elsewhere (more notifications, harder cancellation); a guardrail is the number that must not get worse while it grows.',
  fix: 'Add a metric with `guardrail: true` (refunds, unsubscribes, support tickets, errors) and an owner who watches it.',
  check({ config }) {
    if (metricsOf(config).some(([, metric]) => metric.guardrail === true)) return [];
    return [{ path: 'metrics', message: 'no metric is marked `guardrail: true`' }];
  },
};
