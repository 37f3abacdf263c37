import type { DigestMetric, ListedDigest } from '../api.js';
import { h } from '../dom.js';
import {
  formatChange,
  formatCount,
  formatRate,
  formatTime,
  formatValue,
  type MetricKind,
  PACE_LABEL,
  STATUS_LABEL,
} from '../format.js';
import { href } from '../router.js';
import { alertHref, hasGrainPeriod } from './alerts.js';
import { breakdownValuesTable } from './breakdown-values.js';

type DigestAlert = DigestMetric['alerts'][number];

/** A day of the digest's own time zone, as its email writes it: `2026-10-26`. */
function dayIn(zone: string, epochMs: number): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(new Date(epochMs))
    .slice(0, 10);
}

/** The metric's page at the grain and period the digest read, relative so it works on any origin. */
function metricHref(id: string, grain: string, period: string | null): string {
  return href(['metrics', id], { grain, period: period ?? undefined });
}

/** As the alert feed says it: resolution outranks an acknowledgement, which is kept. */
function alertState(alert: DigestAlert): 'open' | 'acknowledged' | 'resolved' {
  if (alert.state === 'resolved') return 'resolved';
  return alert.acknowledgement ? 'acknowledged' : 'open';
}

function alertItem(metric: DigestMetric, alert: DigestAlert): HTMLElement {
  const kind = metric.kind as MetricKind;
  const state = alertState(alert);
  const what =
    alert.kind === 'target_off_track'
      ? `Target off track, review ${alert.period}`
      : `${alert.kind === 'level_shift' ? 'Level shift' : 'Deviation'}, ${alert.grain} ${alert.period}`;
  const ack = alert.acknowledgement;
  return h(
    'li',
    { class: 'digest-alert', 'data-alert-id': alert.alertId, 'data-state': state },
    h('span', { class: `badge badge-state-${state}`, 'data-testid': 'digest-alert-state' }, state),
    alert.severity ? [' ', h('span', { class: `badge badge-${alert.severity}` }, alert.severity)] : null,
    ' ',
    hasGrainPeriod(alert.grain)
      ? h('a', { href: alertHref(metric.id, alert.grain, alert.period) }, what)
      : what,
    // A target's pace is the metric's Target above; a deviation has its numbers.
    alert.kind === 'target_off_track'
      ? null
      : `: observed ${formatValue(alert.observed, kind)} vs expected ${formatValue(alert.expected, kind)}`,
    alert.historical ? h('span', { class: 'muted' }, ' · historical, never sent') : null,
    alert.quiet ? h('span', { class: 'muted' }, ' · marked period, not paged') : null,
    ack
      ? h(
          'span',
          { class: 'digest-ack', 'data-testid': 'digest-alert-ack' },
          ' · acknowledged by ',
          h('strong', {}, ack.by),
          ack.verdict
            ? [
                ' as ',
                h(
                  'span',
                  { class: `badge verdict-${ack.verdict}`, 'data-testid': 'digest-alert-verdict' },
                  ack.verdict,
                ),
              ]
            : null,
          ': ',
          h('q', {}, ack.note),
        )
      : state === 'open'
        ? h('span', { class: 'muted' }, ' · not acknowledged')
        : null,
  );
}

/** The values behind the change: the most concentrated breakdown, each value's share. */
function driversTable(metric: DigestMetric): HTMLElement | null {
  const drivers = metric.drivers;
  const top = drivers?.breakdowns[0];
  if (!drivers || !top) return null;
  const kind = metric.kind as MetricKind;
  return h(
    'div',
    { class: 'digest-drivers', 'data-testid': 'digest-drivers' },
    drivers.headline ? h('p', {}, h('strong', {}, 'Behind the change: '), drivers.headline) : null,
    breakdownValuesTable(top, kind, {
      caption: `By ${top.title}, against the period before`,
      columns: ['Now', 'Before', 'Share of the change'],
      shareTestId: 'driver-share',
    }),
  );
}

function metricSection(metric: DigestMetric): HTMLElement {
  const kind = metric.kind as MetricKind;
  const value = (raw: number | null | undefined) => formatValue(raw, kind);
  const target = metric.target;
  const fact = (label: string, testId: string, ...content: (Node | string | null)[]) =>
    h(
      'div',
      { class: 'stat' },
      h('div', { class: 'stat-label' }, label),
      h('div', { 'data-testid': testId }, ...content),
    );
  const movers = metric.children.filter((child) => child.share > 0);
  return h(
    'section',
    { class: `digest-metric status-${metric.status}`, 'data-metric-id': metric.id },
    h(
      'h3',
      {},
      h(
        'a',
        { href: metricHref(metric.id, metric.grain, metric.period), 'data-testid': 'digest-metric-link' },
        metric.title,
      ),
      h('span', { class: 'muted' }, ` ${metric.grain} ${metric.period ?? 'none settled'}`),
    ),
    h(
      'div',
      { class: 'stats' },
      fact('Value', 'digest-value', h('strong', {}, value(metric.value))),
      fact(
        'Change',
        'digest-change',
        formatChange(metric.change),
        metric.previous
          ? h('span', { class: 'muted' }, ` vs ${value(metric.previous.value)} in ${metric.previous.period}`)
          : null,
      ),
      fact(
        'Band',
        'digest-band',
        h(
          'span',
          { class: `badge badge-${metric.status}`, 'data-testid': 'digest-status' },
          STATUS_LABEL[metric.status] ?? metric.status,
        ),
        metric.expected === null
          ? null
          : ` expected ${value(metric.expected)} (${value(metric.band.lower)} – ${value(metric.band.upper)})${metric.status === 'deviating' ? `, ${formatChange(metric.relativeDeviation)}` : ''}`,
      ),
      target
        ? fact(
            'Target',
            'digest-target',
            `${value(target.value)} by ${target.by}: ${target.progress === null ? 'no progress yet' : `${formatRate(target.progress)} of the way`}, `,
            h(
              'span',
              { class: `pace pace-${target.state}`, 'data-testid': 'digest-pace' },
              PACE_LABEL[target.state] ?? target.state,
            ),
            target.projection === null ? null : ` (heading for ${value(target.projection)})`,
          )
        : null,
    ),
    movers.length > 0
      ? h(
          'p',
          { 'data-testid': 'digest-children' },
          h('strong', {}, 'Child metrics: '),
          movers.flatMap((child, index) => [
            index > 0 ? '; ' : '',
            h('a', { href: metricHref(child.metricId, metric.grain, metric.period) }, child.title),
            ` ${formatRate(child.share)} of the change (${formatChange(child.change)})`,
          ]),
        )
      : null,
    driversTable(metric),
    metric.alerts.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'digest-no-alerts' }, 'No alerts in the period.')
      : h(
          'ul',
          { class: 'digest-alerts', 'data-testid': 'digest-alerts' },
          metric.alerts.map((alert) => alertItem(metric, alert)),
        ),
    metric.quarantined > 0
      ? h(
          'p',
          { 'data-testid': 'digest-metric-quarantined' },
          `${formatCount(metric.quarantined)} of its events quarantined in the period.`,
        )
      : null,
    metric.definitionChanges.length > 0
      ? h(
          'ul',
          { class: 'digest-definitions', 'data-testid': 'digest-definitions' },
          metric.definitionChanges.map((change) =>
            h(
              'li',
              {},
              `Definition version `,
              h('code', {}, change.version),
              ` ${change.change} at ${formatTime(change.at)}`,
            ),
          ),
        )
      : null,
  );
}

/**
 * One recorded digest as its team reads it: the period, freshness and data quality, then each
 * metric. `onToggle` hears the reader open or fold it.
 */
export function digestCard(
  listed: ListedDigest,
  open: boolean,
  onToggle: (open: boolean) => void = () => {},
): HTMLElement {
  const { digest } = listed;
  const start = Date.parse(digest.periodStart);
  const end = Date.parse(digest.periodEnd);
  return h(
    'details',
    {
      class: 'digest',
      open,
      'data-digest-id': digest.digestId,
      'data-cadence': digest.cadence,
      'data-period': digest.period,
      'data-sent': String(listed.sent),
      ontoggle: (event: Event) => onToggle((event.currentTarget as HTMLDetailsElement).open),
    },
    h(
      'summary',
      {},
      h(
        'span',
        { class: 'digest-title' },
        `${digest.cadence[0]?.toUpperCase()}${digest.cadence.slice(1)} review ${digest.period}`,
      ),
      h(
        'span',
        { class: 'muted' },
        ` ${dayIn(digest.timeZone, start)} to ${dayIn(digest.timeZone, end - 1)} (${digest.timeZone})`,
      ),
      listed.sent
        ? null
        : [
            ' ',
            h(
              'span',
              {
                class: 'badge badge-warning',
                'data-testid': 'digest-unsent',
                title: 'Recorded, not on the bus yet: the next recompute sends it.',
              },
              'not sent yet',
            ),
          ],
    ),
    h(
      'p',
      { class: 'meta', 'data-testid': 'digest-meta' },
      `Generated ${formatTime(digest.generatedAt)} for ${digest.owners.join(', ')}. `,
      `Latest event ${formatTime(digest.freshness.latestEventAt)}, periods settled through ${formatTime(digest.freshness.settledThrough)}.`,
    ),
    h(
      'p',
      { class: 'meta', 'data-testid': 'digest-quarantined' },
      `Quarantined in the period: ${formatCount(digest.quarantined.all)} events, ${formatCount(digest.quarantined.behindMetrics)} of them of these metrics' events.`,
    ),
    digest.metrics.map(metricSection),
  );
}
