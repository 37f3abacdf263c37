import { chartAnnotations, readAnnotations } from '../annotations.js';
import { failureMessage, readApi, readCatalogue } from '../api.js';
import { backfillDetail } from '../backfill-progress.js';
import { trendChart } from '../charts.js';
import { definitionVersions, metricVersions } from '../definition-versions.js';
import { h, notice, picker } from '../dom.js';
import { formatChange, formatValue, STATUS_LABEL } from '../format.js';
import { guardrailBadge } from '../guardrail-badge.js';
import { href, type Route } from '../router.js';
import { serverTime } from '../server-clock.js';
import { annotationSection } from './annotations.js';
import { breakdownSection } from './breakdown.js';
import { retentionSection } from './retention.js';
import { comparedVersion, versionComparison } from './version-comparison.js';

const DAY_MS = 86_400_000;
/** Range choices, in days back from now; none means the API's default of 12 periods. */
export const RANGES: readonly { readonly days: string; readonly label: string }[] = [
  { days: '', label: 'Last 12 periods' },
  { days: '7', label: 'Last 7 days' },
  { days: '30', label: 'Last 30 days' },
  { days: '90', label: 'Last 90 days' },
  { days: '180', label: 'Last 180 days' },
  { days: '365', label: 'Last year' },
];

/**
 * One metric: its series with the expected band, deviations, target, the holidays and
 * annotations of its range, and grain and range pickers. `refresh` redraws it after a write.
 */
export async function metricDetailView(route: Route, refresh: () => void = () => {}): Promise<HTMLElement> {
  const id = route.segments[1] ?? '';
  const [tree, catalogue] = await Promise.all([readApi.metricTree(), readCatalogue()]);
  const metric = tree.metrics.find((candidate) => candidate.id === id);
  if (!metric)
    return notice(
      'error',
      `No metric "${id}" in the configuration.`,
      ' ',
      h('a', { href: '#/' }, 'Back to the overview'),
    );
  const grain = route.query.get('grain') || metric.grain;
  const days = route.query.get('days') ?? '';
  const highlight = route.query.get('period');
  const from = days ? new Date(serverTime() - Number(days) * DAY_MS).toISOString() : undefined;
  const registry = definitionVersions();
  const versions = metricVersions(metric, registry);
  const compare = route.query.get('compare');
  const compared = comparedVersion(metric, versions, compare);
  const range = { grain, ...(from ? { from } : {}) };
  const [series, other] = await Promise.all([
    readApi.series(metric.id, range),
    compared
      ? readApi
          .series(metric.id, { ...range, version: compared.id })
          .catch((error: unknown): Error => (error instanceof Error ? error : new Error(String(error))))
      : undefined,
  ]);
  // Once per render, for the range the series covers: the chart, the comparison and the list.
  const [annotations, backtest] = await Promise.all([
    readAnnotations({ from: series.from, to: series.to }),
    // What tuning needs: how often the metric would page at its sensitivity. Optional: the
    // page stands without it.
    readApi.backtest(metric.id, { grain: metric.grain }).catch(() => undefined),
  ]);
  const marked = chartAnnotations(annotations, metric.id, grain);
  const breakdown = await breakdownSection(metric, {
    grain,
    ...(from ? { from } : {}),
    by: route.query.get('by'),
    period: highlight,
    onBy: (by) => go({ by }),
  }).catch((error: unknown) => notice('error', failureMessage(error, 'read the breakdown')));
  const retention =
    metric.kind === 'retention'
      ? await retentionSection(metric.id).catch((error: unknown) =>
          notice('error', failureMessage(error, 'read the cohorts')),
        )
      : null;
  const go = (query: Record<string, string | undefined>) => {
    location.hash = href(['metrics', metric.id], {
      grain,
      days,
      period: highlight ?? undefined,
      compare: compare ?? undefined,
      by: route.query.get('by') ?? undefined,
      ...query,
    });
  };
  const points = series.points;
  const rows = [...points].reverse().map((point) =>
    h(
      'tr',
      {
        'data-period': point.period,
        'data-status': point.status,
        class: `${point.period === highlight ? 'is-highlighted' : ''} row-${point.status}`,
      },
      h('th', { scope: 'row' }, point.period),
      h('td', { class: 'num', 'data-testid': 'point-value' }, formatValue(point.value, metric.kind)),
      h('td', { class: 'num', 'data-testid': 'point-expected' }, formatValue(point.expected, metric.kind)),
      h(
        'td',
        { class: 'num', 'data-testid': 'point-band' },
        point.lower === null || point.upper === null
          ? '–'
          : `${formatValue(point.lower, metric.kind)} – ${formatValue(point.upper, metric.kind)}`,
      ),
      h('td', { class: 'num' }, formatChange(point.relativeDeviation)),
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge badge-${point.status}`, 'data-testid': 'point-status' },
          STATUS_LABEL[point.status] ?? point.status,
        ),
      ),
      h(
        'td',
        { class: 'num muted' },
        point.projection === null ? '' : `→ ${formatValue(point.projection, metric.kind)}`,
      ),
    ),
  );
  return h(
    'div',
    { class: 'view view-metric', 'data-view': 'metric', 'data-metric-id': metric.id },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / ', metric.title),
    h('h1', {}, metric.northStar ? `★ ${metric.title}` : metric.title, guardrailBadge(metric)),
    h('p', { class: 'muted' }, metric.definition),
    h(
      'p',
      { class: 'meta' },
      `Owner: ${metric.owner.name} <${metric.owner.contact}> · `,
      h(
        'a',
        { href: href(['review', metric.owner.team]), 'data-testid': 'review-link' },
        `reviewed ${metric.cadence}`,
      ),
      ` · own grain ${metric.grain}`,
      metric.target
        ? ` · target ${formatValue(metric.target.value, metric.kind)} by ${metric.target.by}`
        : '',
    ),
    backtest
      ? h(
          'p',
          { class: 'meta', 'data-testid': 'alert-rate' },
          `Alerts at sensitivity ${backtest.sensitivity}: ${backtest.alertsPerMonth} a month at ${backtest.grain} grain (${backtest.alerts.length} in the last ${backtest.monthSpan} months, replayed by the detector over its stored history${backtest.quiet.length > 0 ? `; ${backtest.quiet.length} more on marked periods, not paged` : ''})`,
        )
      : '',
    backfillDetail(metric, registry?.backfill),
    h(
      'div',
      { class: 'pickers' },
      picker(
        'Grain',
        'grain-picker',
        catalogue.grains.map((value) => ({ value, label: value })),
        grain,
        (value) => go({ grain: value }),
      ),
      picker(
        'Range',
        'range-picker',
        RANGES.map((range) => ({ value: range.days, label: range.label })),
        days,
        (value) => go({ days: value }),
      ),
      highlight
        ? h(
            'a',
            { href: href(['metrics', metric.id], { grain, days, compare: compare ?? undefined }) },
            `Clear the mark on ${highlight}`,
          )
        : null,
    ),
    grain !== metric.grain
      ? h(
          'p',
          { class: 'hint' },
          `Bands at the ${grain} grain are for reading only; alerts judge the ${metric.grain} grain.`,
        )
      : null,
    points.length === 0
      ? notice('empty', 'No periods with a rollup in this range yet.')
      : trendChart({
          points,
          kind: metric.kind,
          target: metric.target?.value ?? null,
          highlight,
          annotations: marked,
        }),
    retention,
    breakdown,
    annotationSection({ metric, grain, annotations, onChange: refresh }),
    points.length === 0
      ? null
      : h(
          'table',
          { class: 'data', 'data-testid': 'series-table' },
          h('caption', { class: 'visually-hidden' }, `${metric.title} by ${grain}, newest first`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Period', 'Value', 'Expected', 'Band', 'Deviation', 'Status', 'Projection'].map((label) =>
                h('th', { scope: 'col' }, label),
              ),
            ),
          ),
          h('tbody', {}, rows),
        ),
    compared && other
      ? versionComparison({
          metric,
          grain,
          versions,
          compared,
          shown: series,
          other,
          backfill: registry?.backfill ?? null,
          onChoose: (value) => go({ compare: value }),
          annotations: marked,
        })
      : null,
  );
}
