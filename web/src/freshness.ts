import type { PipelineStatus } from './api.js';
import { h } from './dom.js';
import { formatAge, formatCount, formatDuration, formatTime } from './format.js';

/** The freshness line shown above every view: latest event, ingest lag, last recompute. */
export function freshnessBar(status: PipelineStatus): HTMLElement[] {
  // Events wait for ingest: the numbers are behind, whatever else holds.
  const behind = status.staleReasons.some((reason) => reason.code === 'ingest_behind');
  const latest = status.latestEvent;
  const item = (label: string, testId: string, value: string, title?: string) =>
    h(
      'div',
      { class: 'fresh-item' },
      h('span', { class: 'fresh-label' }, label),
      h('span', { 'data-testid': testId, title }, value),
    );
  const line = h(
    'div',
    { class: 'fresh-line' },
    item(
      'Latest event',
      'fresh-occurred',
      latest ? formatTime(latest.occurredAt) : 'none yet',
      latest ? `happened ${formatAge(latest.occurredAt, status.now)}` : undefined,
    ),
    item('arrived', 'fresh-arrived', latest ? formatTime(latest.arrivedAt) : '–'),
    item('ingest lag', 'fresh-lag', latest ? formatDuration(latest.ingestLagSeconds) : '–'),
    item(
      'Last recompute',
      'fresh-recompute',
      status.lastRecomputeAt ? formatTime(status.lastRecomputeAt) : 'not yet',
      status.lastRecomputeAt ? formatAge(status.lastRecomputeAt, status.now) : undefined,
    ),
    // Only while a backlog holds the judgement back: periods are judged settled up to here.
    ...(status.settledThrough && status.lastRecomputeAt && status.settledThrough < status.lastRecomputeAt
      ? [item('judged through', 'fresh-judged', formatTime(status.settledThrough))]
      : []),
    h(
      'span',
      { class: `fresh-state ${status.stale ? 'is-stale' : 'is-fresh'}`, 'data-testid': 'fresh-state' },
      behind
        ? `Behind: ${formatCount(status.backlog?.entries ?? 0)} waiting`
        : status.stale
          ? 'Stale'
          : 'Fresh',
    ),
  );
  if (!status.stale) return [line];
  const reasons = h(
    'ul',
    { class: 'stale-reasons', role: 'alert', 'data-testid': 'stale-reasons' },
    status.staleReasons.map((reason) => h('li', { 'data-code': reason.code }, reason.message)),
  );
  return [line, reasons];
}
