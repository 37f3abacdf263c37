import { readApi } from '../api.js';
import { h, notice } from '../dom.js';
import { formatCount, formatTime } from '../format.js';
import { href, type Route } from '../router.js';

/** Rejected events: counts by reason and the most recent samples with their raw payload. */
export async function quarantineView(route: Route): Promise<HTMLElement> {
  const days = Number(route.query.get('days') ?? 7);
  const report = await readApi.quarantine(days);
  const most = Math.max(1, ...report.reasons.map((reason) => reason.count));
  return h(
    'div',
    { class: 'view view-quarantine', 'data-view': 'quarantine' },
    h('h1', {}, 'Quarantine'),
    h(
      'div',
      { class: 'pickers' },
      h(
        'label',
        { class: 'picker', for: 'quarantine-days' },
        'Arrived in the last ',
        h(
          'select',
          {
            id: 'quarantine-days',
            onchange: (event: Event) => {
              location.hash = href(['quarantine'], {
                days: (event.currentTarget as HTMLSelectElement).value,
              });
            },
          },
          [1, 7, 30].map((value) =>
            h('option', { value, selected: value === days }, `${value} day${value === 1 ? '' : 's'}`),
          ),
        ),
      ),
      h(
        'span',
        {},
        h('strong', { 'data-testid': 'quarantine-total' }, formatCount(report.total)),
        ' events quarantined',
      ),
    ),
    report.total === 0
      ? notice('empty', 'Nothing quarantined in these days: every event was valid.')
      : h(
          'table',
          { class: 'data reasons', 'data-testid': 'quarantine-reasons' },
          h('caption', {}, 'By reason'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Reason'),
              h('th', { scope: 'col', class: 'num' }, 'Events'),
              h('th', { scope: 'col' }, ''),
            ),
          ),
          h(
            'tbody',
            {},
            report.reasons.map((reason) =>
              h(
                'tr',
                { 'data-reason': reason.reason },
                h('th', { scope: 'row' }, reason.reason),
                h('td', { class: 'num', 'data-testid': 'reason-count' }, formatCount(reason.count)),
                h(
                  'td',
                  { class: 'bar-cell' },
                  h('div', { class: 'bar bar-warn', style: `width: ${(reason.count / most) * 100}%` }),
                ),
              ),
            ),
          ),
        ),
    report.samples.length === 0
      ? null
      : h(
          'table',
          { class: 'data samples', 'data-testid': 'quarantine-samples' },
          h('caption', {}, 'Most recent'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Arrived', 'Reason', 'Event', 'Source', 'Message', 'Payload'].map((label) =>
                h('th', { scope: 'col' }, label),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            report.samples.map((sample) =>
              h(
                'tr',
                { 'data-reason': sample.reason },
                h('td', {}, formatTime(sample.arrivedAt)),
                h('td', {}, sample.reason),
                h(
                  'td',
                  { 'data-testid': 'sample-event' },
                  [sample.name ?? '–', sample.eventId ? ` (${sample.eventId})` : ''].join(''),
                ),
                h('td', {}, sample.source ?? '–'),
                h('td', { class: 'message' }, sample.message),
                h(
                  'td',
                  {},
                  h(
                    'details',
                    {},
                    h('summary', {}, 'raw'),
                    h('pre', {}, sample.raw + (sample.rawTruncated ? '…' : '')),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}
