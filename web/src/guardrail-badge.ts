import type { MetricNode } from './api.js';
import { h } from './dom.js';

const GUARDRAIL_TITLE =
  'A guardrail: a number that must not get worse while the north star grows. Watched beside the tree, needs no parent.';

/** The mark on a metric configured `guardrail: true`, in the tree and on its page. */
export function guardrailBadge(metric: Pick<MetricNode, 'guardrail'>): HTMLElement | null {
  if (!metric.guardrail) return null;
  return h(
    'span',
    { class: 'badge badge-guardrail', 'data-testid': 'guardrail-badge', title: GUARDRAIL_TITLE },
    'guardrail',
  );
}
