import { readApi, readCatalogue } from '../api.js';
import { h, notice, picker } from '../dom.js';
import { formatCount, formatRate } from '../format.js';
import { href, type Route } from '../router.js';

/** A funnel: users per step with conversions, and the entry cohorts behind them. */
export async function funnelView(route: Route): Promise<HTMLElement> {
  const catalogue = await readCatalogue();
  if (catalogue.funnels.length === 0) return notice('empty', 'No funnel is configured.');
  const id = route.segments[1] ?? catalogue.funnels[0]!;
  const grain = route.query.get('grain') ?? undefined;
  const by = route.query.get('by') || undefined;
  const report = await readApi.funnel(id, { ...(grain ? { grain } : {}), ...(by ? { by } : {}) });
  const first = report.steps[0]?.users ?? 0;
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Funnels' },
    catalogue.funnels.map((funnelId) =>
      h(
        'a',
        { href: href(['funnels', funnelId]), 'aria-current': funnelId === id ? 'page' : false },
        funnelId,
      ),
    ),
  );
  const grainPicker = h(
    'label',
    { class: 'picker', for: 'cohort-grain' },
    'Cohorts by ',
    h(
      'select',
      {
        id: 'cohort-grain',
        onchange: (event: Event) => {
          location.hash = href(['funnels', id], {
            grain: (event.currentTarget as HTMLSelectElement).value,
            by,
          });
        },
      },
      catalogue.grains.map((value) => h('option', { value, selected: value === report.grain }, value)),
    ),
  );
  const bars = h(
    'ol',
    { class: 'funnel', 'data-testid': 'funnel-steps' },
    report.steps.map((step) =>
      h(
        'li',
        { class: 'funnel-step', 'data-step': step.step },
        h('div', { class: 'funnel-label' }, h('strong', {}, `${step.step}. ${step.event}`)),
        h(
          'div',
          { class: 'bar-track' },
          h('div', {
            class: 'bar',
            style: `width: ${first > 0 ? Math.max(0.5, (step.users / first) * 100) : 0}%`,
            role: 'presentation',
          }),
        ),
        h(
          'div',
          { class: 'funnel-numbers' },
          h('span', { 'data-testid': 'step-users' }, formatCount(step.users)),
          ' users · ',
          h('span', { 'data-testid': 'step-from-previous' }, formatRate(step.fromPrevious)),
          ' from previous · ',
          h('span', { 'data-testid': 'step-from-first' }, formatRate(step.fromFirst)),
          ' from first',
        ),
      ),
    ),
  );
  const splitPicker =
    report.funnel.breakdowns.length > 0
      ? picker(
          'Split by',
          'funnel-split',
          [
            { value: '', label: 'nothing' },
            ...report.funnel.breakdowns.map((one) => ({ value: one.id, label: one.title })),
          ],
          by ?? '',
          (value) => {
            location.hash = href(['funnels', id], { grain, by: value || undefined });
          },
        )
      : null;
  const split = report.split
    ? h(
        'table',
        { class: 'data', 'data-testid': 'funnel-split', 'data-by': report.split.by },
        h(
          'caption',
          {},
          `By ${report.split.title} on the entry step: users who reached each step, and the share of those who entered`,
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, report.split.title),
            report.steps.map((step) =>
              h('th', { scope: 'col', class: 'num' }, `${step.step}. ${step.event}`),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          report.split.values.map((value) =>
            h(
              'tr',
              { 'data-value': value.value },
              h('th', { scope: 'row' }, value.value),
              value.steps.map((step) =>
                h(
                  'td',
                  { class: 'num', 'data-step': step.step },
                  `${formatCount(step.users)}${step.step > 1 ? ` (${formatRate(step.fromFirst)})` : ''}`,
                ),
              ),
            ),
          ),
        ),
      )
    : null;
  const cohorts = h(
    'table',
    { class: 'data', 'data-testid': 'cohort-table' },
    h('caption', {}, `Entry cohorts by ${report.grain}: users of each cohort who reached each step`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Cohort'),
        report.steps.map((step) => h('th', { scope: 'col', class: 'num' }, `${step.step}. ${step.event}`)),
        h('th', { scope: 'col', class: 'num' }, 'Converted'),
      ),
    ),
    h(
      'tbody',
      {},
      [...report.cohorts].reverse().map((cohort) =>
        h(
          'tr',
          { 'data-period': cohort.period },
          h('th', { scope: 'row' }, cohort.period),
          cohort.users.map((users) => h('td', { class: 'num' }, formatCount(users))),
          h(
            'td',
            { class: 'num' },
            formatRate(
              (cohort.users[0] ?? 0) > 0 ? (cohort.users.at(-1) ?? 0) / (cohort.users[0] ?? 1) : null,
            ),
          ),
        ),
      ),
    ),
  );
  return h(
    'div',
    { class: 'view view-funnel', 'data-view': 'funnel', 'data-funnel-id': id },
    h('h1', {}, report.funnel.title),
    h(
      'p',
      { class: 'muted' },
      `Conversion window ${report.funnel.window}. A user counts in the cohort of their first step; one attempt per user.`,
    ),
    tabs,
    h('div', { class: 'pickers' }, grainPicker, splitPicker),
    first === 0 ? notice('empty', 'No user entered this funnel in the range yet.') : null,
    bars,
    split,
    cohorts,
  );
}
