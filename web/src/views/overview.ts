import { chartAnnotations, readAnnotations } from '../annotations.js';
import {
  type Annotation,
  type BackfillStatus,
  type MetricNode,
  type MetricSeries,
  type MetricTree,
  readApi,
} from '../api.js';
import { backfillBadge } from '../backfill-progress.js';
import { sparkline, trendChart } from '../charts.js';
import { definitionVersions } from '../definition-versions.js';
import { h, notice } from '../dom.js';
import { formatChange, formatPeriod, formatRate, formatValue, PACE_LABEL, STATUS_LABEL } from '../format.js';
import { guardrailBadge } from '../guardrail-badge.js';
import { href } from '../router.js';
import { metricStatus, relativeChange, settledPoints } from './metric-status.js';

/** Tree nodes the reader opened stay open across refreshes. */
const expanded = new Set<string>();

function headline(
  metric: MetricNode,
  series: MetricSeries,
  backfill: BackfillStatus | null,
  annotations: readonly Annotation[],
): HTMLElement {
  const points = series.points;
  const latest = points.at(-1);
  const current = latest && !latest.settled ? latest : undefined;
  const { last, previous } = settledPoints(points);
  const change = relativeChange(last?.value, previous?.value);
  const progress = metric.targetProgress;
  const stat = (label: string, testId: string, value: string, detail?: string | null) =>
    h(
      'div',
      { class: 'stat' },
      h('div', { class: 'stat-label' }, label),
      h('div', { class: 'stat-value', 'data-testid': testId }, value),
      detail ? h('div', { class: 'stat-detail' }, detail) : null,
    );
  return h(
    'section',
    { class: 'headline', 'aria-labelledby': 'headline-title', 'data-testid': 'headline' },
    h(
      'div',
      { class: 'headline-head' },
      h('h1', { id: 'headline-title' }, '★ ', h('a', { href: href(['metrics', metric.id]) }, metric.title)),
      h('p', { class: 'muted' }, metric.definition),
      backfillBadge(metric, backfill),
    ),
    h(
      'div',
      { class: 'stats' },
      stat(
        'Current period',
        'headline-current',
        current ? formatValue(current.value, metric.kind) : '–',
        current
          ? `${current.period}, so far${current.projection === null ? '' : `; heading for ${formatValue(current.projection, metric.kind)}`}`
          : 'no period in progress',
      ),
      stat(
        'Last settled period',
        'headline-settled',
        formatValue(last?.value, metric.kind),
        last ? `${last.period}, ${STATUS_LABEL[last.status] ?? last.status}` : null,
      ),
      stat('Change', 'headline-change', formatChange(change), previous ? `vs ${previous.period}` : null),
      metric.target
        ? stat(
            'Target',
            'headline-target',
            formatValue(metric.target.value, metric.kind),
            `${metric.target.direction} by ${metric.target.by}`,
          )
        : null,
      progress ? stat('Progress', 'headline-progress', formatRate(progress.progress), null) : null,
      progress
        ? h(
            'div',
            { class: 'stat' },
            h('div', { class: 'stat-label' }, 'Pace'),
            h(
              'div',
              { class: `stat-value pace pace-${progress.state}`, 'data-testid': 'headline-pace' },
              PACE_LABEL[progress.state] ?? progress.state,
            ),
          )
        : null,
    ),
    points.length > 0
      ? trendChart({
          points,
          kind: metric.kind,
          target: metric.target?.value ?? null,
          height: 220,
          annotations,
        })
      : notice('empty', 'No periods computed yet: the first recompute has not covered this metric.'),
  );
}

function treeNode(
  metric: MetricNode,
  byId: Map<string, MetricNode>,
  seriesOf: Map<string, MetricSeries>,
  backfill: BackfillStatus | null,
): HTMLElement {
  const points = seriesOf.get(metric.id)?.points ?? [];
  const status = metricStatus(metric, points);
  const open = expanded.has(metric.id);
  const detailsId = `definition-${metric.id}`;
  const children = metric.children.map((id) => byId.get(id)).filter((child): child is MetricNode => !!child);
  const toggle = h(
    'button',
    {
      type: 'button',
      id: `toggle-${metric.id}`,
      class: 'toggle',
      'aria-expanded': String(open),
      'aria-controls': detailsId,
      title: 'Show the data definition',
      onclick: (event: Event) => {
        const button = event.currentTarget as HTMLButtonElement;
        const nowOpen = button.getAttribute('aria-expanded') !== 'true';
        button.setAttribute('aria-expanded', String(nowOpen));
        document.getElementById(detailsId)?.toggleAttribute('hidden', !nowOpen);
        if (nowOpen) expanded.add(metric.id);
        else expanded.delete(metric.id);
      },
    },
    h('span', { class: 'visually-hidden' }, `Definition of ${metric.title}`),
  );
  return h(
    'li',
    { class: `node status-${status}`, 'data-metric-id': metric.id, 'data-status': status },
    h(
      'div',
      { class: 'node-row' },
      toggle,
      h('span', { class: 'status-dot', title: STATUS_LABEL[status] ?? status }),
      h(
        'span',
        { class: 'node-name' },
        h(
          'a',
          { class: 'node-title', href: href(['metrics', metric.id]) },
          metric.northStar ? `★ ${metric.title}` : metric.title,
        ),
        guardrailBadge(metric),
        backfillBadge(metric, backfill),
      ),
      h(
        'span',
        { class: 'node-value', 'data-testid': 'node-value' },
        formatValue(metric.latest?.value, metric.kind),
      ),
      h('span', { class: 'node-period muted', 'data-testid': 'node-period' }, formatPeriod(metric.latest)),
      sparkline(
        points.map((point) => point.value),
        `${metric.title}, last ${points.length} periods`,
      ),
      h(
        'span',
        { class: `badge badge-${status}`, 'data-testid': 'node-status' },
        STATUS_LABEL[status] ?? status,
      ),
      h(
        'a',
        {
          class: 'node-owner',
          'data-testid': 'node-owner',
          href: href(['review', metric.owner.team]),
          title: `${metric.owner.name}'s review digests`,
        },
        metric.owner.name,
      ),
      h('span', { class: 'node-cadence muted', 'data-testid': 'node-cadence' }, metric.cadence),
    ),
    h(
      'div',
      { class: 'node-details', id: detailsId, hidden: !open, 'data-testid': 'node-definition' },
      h('p', {}, metric.definition),
      h(
        'dl',
        {},
        h('dt', {}, 'Kind'),
        h('dd', {}, metric.kind.replace('_', ' ')),
        h('dt', {}, 'Grain'),
        h('dd', {}, metric.grain),
        h('dt', {}, 'Owner'),
        h('dd', {}, `${metric.owner.name} <${metric.owner.contact}>`),
        h('dt', {}, 'Target'),
        h(
          'dd',
          {},
          metric.target ? `${formatValue(metric.target.value, metric.kind)} by ${metric.target.by}` : 'none',
        ),
        h('dt', {}, 'Version'),
        h(
          'dd',
          {},
          metric.definitionVersion,
          metric.backfilling ? `; ${metric.backfilling.definitionVersion} being backfilled` : '',
        ),
      ),
    ),
    children.length > 0
      ? h(
          'ul',
          { class: 'tree' },
          children.map((child) => treeNode(child, byId, seriesOf, backfill)),
        )
      : null,
  );
}

/** The north star headline and the metric tree. */
export async function overviewView(): Promise<HTMLElement> {
  const tree: MetricTree = await readApi.metricTree();
  const series = await Promise.all(tree.metrics.map((metric) => readApi.series(metric.id)));
  const seriesOf = new Map(series.map((entry) => [entry.metric.id, entry]));
  const byId = new Map(tree.metrics.map((metric) => [metric.id, metric]));
  const northStar = byId.get(tree.northStar);
  const backfill = definitionVersions()?.backfill ?? null;
  const headlineSeries = northStar ? seriesOf.get(northStar.id) : undefined;
  // Once per render, for the headline chart's range; without them the chart is drawn unmarked.
  const annotations = headlineSeries
    ? chartAnnotations(
        await readAnnotations({ from: headlineSeries.from, to: headlineSeries.to }),
        headlineSeries.metric.id,
        headlineSeries.grain,
      )
    : [];
  return h(
    'div',
    { class: 'view view-overview', 'data-view': 'overview' },
    northStar && headlineSeries
      ? headline(northStar, headlineSeries, backfill, annotations)
      : notice('empty', 'No north star configured.'),
    h(
      'section',
      { 'aria-labelledby': 'tree-title' },
      h('h2', { id: 'tree-title' }, 'Metric tree'),
      h(
        'ul',
        { class: 'tree tree-root', 'data-testid': 'metric-tree' },
        tree.roots
          .map((id) => byId.get(id))
          .filter((metric): metric is MetricNode => !!metric)
          .map((metric) => treeNode(metric, byId, seriesOf, backfill)),
      ),
    ),
  );
}
