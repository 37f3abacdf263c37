import { type MetricBreakdown, type MetricNode, readApi } from '../api.js';
import { trendChart } from '../charts.js';
import { h, picker } from '../dom.js';
import { formatValue, type MetricKind, STATUS_LABEL } from '../format.js';

/** The period the table shows: the one asked for, else the latest with a value in any series. */
function chosenPeriod(split: MetricBreakdown, asked: string | null): string | undefined {
  const periods = new Set(split.values.flatMap((one) => one.points.map((point) => point.period)));
  if (asked && periods.has(asked)) return asked;
  const settled = split.values.flatMap((one) => one.points.filter((point) => point.settled));
  return (settled.length > 0 ? settled : split.values.flatMap((one) => one.points))
    .map((point) => point.period)
    .sort()
    .at(-1);
}

/**
 * A metric split by one of its breakdowns: a small chart per value with its own band, and
 * the values of one period side by side. Values with no events in the range get no chart.
 */
export async function breakdownSection(
  metric: MetricNode,
  options: {
    grain: string;
    from?: string;
    by: string | null;
    period: string | null;
    onBy: (by: string) => void;
  },
): Promise<HTMLElement | null> {
  const [first] = metric.breakdowns;
  if (!first) return null;
  const by = metric.breakdowns.some((one) => one.id === options.by) ? options.by! : first.id;
  const split = await readApi.breakdown(metric.id, {
    by,
    grain: options.grain,
    ...(options.from ? { from: options.from } : {}),
  });
  const kind = metric.kind as MetricKind;
  const period = chosenPeriod(split, options.period);
  const shown = split.values.filter((one) => one.points.some((point) => (point.value ?? 0) !== 0));
  const empty = split.values.filter((one) => !shown.includes(one));
  const rows = split.values.map((one) => {
    const point = one.points.find((candidate) => candidate.period === period);
    return h(
      'tr',
      { 'data-value': one.value, 'data-status': point?.status ?? 'no_data' },
      h('th', { scope: 'row' }, one.value),
      h('td', { class: 'num', 'data-testid': 'breakdown-value' }, formatValue(point?.value, kind)),
      h('td', { class: 'num' }, formatValue(point?.expected, kind)),
      h(
        'td',
        { class: 'num' },
        point?.lower == null || point.upper == null
          ? '–'
          : `${formatValue(point.lower, kind)} – ${formatValue(point.upper, kind)}`,
      ),
      h(
        'td',
        {},
        point
          ? h('span', { class: `badge badge-${point.status}` }, STATUS_LABEL[point.status] ?? point.status)
          : '',
      ),
    );
  });
  return h(
    'section',
    { class: 'breakdown', 'data-testid': 'breakdown', 'data-by': by },
    h('h2', {}, `By ${split.breakdown.title}`),
    metric.breakdowns.length > 1
      ? h(
          'div',
          { class: 'pickers' },
          picker(
            'Split by',
            'breakdown-picker',
            metric.breakdowns.map((one) => ({ value: one.id, label: one.title })),
            by,
            options.onBy,
          ),
        )
      : null,
    period
      ? h(
          'table',
          { class: 'data', 'data-testid': 'breakdown-table', 'data-period': period },
          h('caption', {}, `${split.breakdown.title} in ${period}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [split.breakdown.title, 'Value', 'Expected', 'Band', 'Status'].map((label) =>
                h('th', { scope: 'col' }, label),
              ),
            ),
          ),
          h('tbody', {}, rows),
        )
      : null,
    h(
      'div',
      { class: 'small-multiples' },
      shown.map((one) =>
        h(
          'figure',
          { 'data-testid': 'breakdown-chart', 'data-value': one.value },
          h('figcaption', {}, `${split.breakdown.title} = ${one.value}`),
          trendChart({ points: one.points, kind, highlight: period ?? null, height: 150, width: 380 }),
        ),
      ),
    ),
    empty.length > 0
      ? h('p', { class: 'muted' }, `No events in this range: ${empty.map((one) => one.value).join(', ')}.`)
      : null,
  );
}
