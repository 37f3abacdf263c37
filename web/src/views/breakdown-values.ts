import type { AlertSummary } from '../api.js';
import { h } from '../dom.js';
import { formatRate, formatValue, type MetricKind } from '../format.js';

type ExplainedBreakdown = NonNullable<AlertSummary['explanation']>['breakdowns'][number];

export interface BreakdownValuesOptions {
  readonly caption: string;
  /** Headings of the value's two numbers and its share. */
  readonly columns: readonly [string, string, string];
  readonly shareTestId: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** One explained breakdown: each value's two numbers and its share of the move, alerts' and digests' alike. */
export function breakdownValuesTable(
  top: ExplainedBreakdown,
  kind: MetricKind,
  options: BreakdownValuesOptions,
): HTMLElement {
  return h(
    'table',
    { class: 'data contributors', 'data-by': top.by, ...options.attributes },
    h('caption', {}, options.caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [top.title, ...options.columns].map((label) => h('th', { scope: 'col' }, label)),
      ),
    ),
    h(
      'tbody',
      {},
      top.values.map((one) =>
        h(
          'tr',
          { 'data-value': one.value },
          h('th', { scope: 'row' }, one.value),
          h('td', { class: 'num' }, formatValue(one.observed, kind)),
          h('td', { class: 'num' }, formatValue(one.expected, kind)),
          h('td', { class: 'num', 'data-testid': options.shareTestId }, formatRate(one.share)),
        ),
      ),
    ),
  );
}
