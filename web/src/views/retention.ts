import { type RetentionTable, readApi } from '../api.js';
import { h } from '../dom.js';
import { formatCount, formatRate } from '../format.js';

/** Offsets the table shows: enough for the metric's own offsets, at most the API's 12. */
const SHOWN_OFFSETS = 12;

/**
 * The retention curve: for each offset, the users retained over the cohorts' users, summed
 * over the cohorts whose cell at that offset is complete (an open cell can still rise).
 */
export function retentionCurve(table: RetentionTable): (number | null)[] {
  return Array.from({ length: Math.min(table.offsets, SHOWN_OFFSETS) }, (_, at) => {
    let users = 0;
    let size = 0;
    for (const cohort of table.cohorts) {
      const cell = cohort.retained[at];
      if (!cell?.complete || cohort.size === 0) continue;
      users += cell.users;
      size += cohort.size;
    }
    return size === 0 ? null : users / size;
  });
}

function curveChart(curve: readonly (number | null)[]): SVGSVGElement {
  const width = 480;
  const height = 160;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'retention-curve');
  svg.setAttribute('role', 'img');
  svg.setAttribute('data-testid', 'retention-curve');
  svg.setAttribute(
    'aria-label',
    `Retention curve: ${curve.map((rate, at) => `offset ${at + 1} ${formatRate(rate)}`).join(', ')}`,
  );
  const x = (at: number) => 30 + (at / Math.max(curve.length - 1, 1)) * (width - 40);
  const y = (rate: number) => height - 20 - rate * (height - 30);
  let path = '';
  curve.forEach((rate, at) => {
    if (rate === null) return;
    path += `${path === '' ? 'M' : 'L'}${x(at).toFixed(1)},${y(rate).toFixed(1)}`;
    const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    dot.setAttribute('cx', x(at).toFixed(1));
    dot.setAttribute('cy', y(rate).toFixed(1));
    dot.setAttribute('r', '3');
    dot.setAttribute('data-offset', String(at + 1));
    svg.append(dot);
  });
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  line.setAttribute('d', path);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  svg.prepend(line);
  return svg;
}

/** A retention metric's cohorts by offset, with open cells marked, and its curve. */
export async function retentionSection(metricId: string): Promise<HTMLElement> {
  const table = await readApi.cohorts(metricId);
  const offsets = Math.min(table.offsets, SHOWN_OFFSETS);
  const { metric } = table;
  const counted =
    metric.mode === 'on' ? `offset ${metric.offset}` : `offsets ${metric.offset} to ${metric.until}`;
  const header = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'Cohort'),
    h('th', { scope: 'col' }, 'Users'),
    h('th', { scope: 'col' }, 'Value'),
    Array.from({ length: offsets }, (_, at) => h('th', { scope: 'col', class: 'num' }, `+${at + 1}`)),
  );
  const rows = [...table.cohorts].reverse().map((cohort) =>
    h(
      'tr',
      { 'data-cohort': cohort.period },
      h('th', { scope: 'row' }, cohort.period),
      h('td', { class: 'num', 'data-testid': 'cohort-size' }, formatCount(cohort.size)),
      h(
        'td',
        { class: `num${cohort.settled ? '' : ' is-incomplete'}`, 'data-testid': 'cohort-value' },
        formatRate(cohort.value),
      ),
      cohort.retained.slice(0, offsets).map((cell) =>
        h(
          'td',
          {
            class: `num${cell.complete ? '' : ' is-incomplete'}`,
            'data-offset': cell.offset,
            'data-complete': String(cell.complete),
            title: `${formatCount(cell.users)} of ${formatCount(cohort.size)}${cell.complete ? '' : ', still open'}`,
          },
          cohort.size === 0 ? '' : `${formatRate(cell.rate)}${cell.complete ? '' : '*'}`,
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'retention', 'data-testid': 'retention' },
    h('h2', {}, 'Cohorts by offset'),
    h(
      'p',
      { class: 'hint' },
      `Each row is a ${table.grain} cohort: the users whose first start event was in it. A cell is the share with a return event that many ${table.grain}s later; the metric counts ${counted}. * marks a cell whose period has not ended: it can still rise.`,
    ),
    curveChart(retentionCurve(table)),
    h(
      'table',
      { class: 'data', 'data-testid': 'retention-table' },
      h('caption', { class: 'visually-hidden' }, 'Retention by cohort and offset, newest cohort first'),
      h('thead', {}, header),
      h('tbody', {}, rows),
    ),
  );
}
