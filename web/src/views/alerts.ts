import { type AlertList, type AlertSummary, failureMessage, readApi } from '../api.js';
import { definitionVersions } from '../definition-versions.js';
import { formError, h, notice } from '../dom.js';
import {
  formatChange,
  formatRate,
  formatTime,
  formatValue,
  type MetricKind,
  VERSION_STATE_LABEL,
} from '../format.js';
import { href } from '../router.js';
import { signedInUser } from '../sign-in.js';
import { breakdownValuesTable } from './breakdown-values.js';

const GRAINS = new Set(['hour', 'day', 'week', 'month']);

/** Whether an alert's grain is a kept grain: a target alert's is its review cadence. */
export function hasGrainPeriod(grain: string): boolean {
  return GRAINS.has(grain);
}
const BY_KEY = 'northstar.ack.by';
/** An owner's verdict on an alert, and how the form names it. */
const VERDICTS: readonly (readonly ['real' | 'expected' | 'noise', string])[] = [
  ['real', 'real: worth the page'],
  ['expected', 'expected: a known cause'],
  ['noise', 'noise'],
];

/** Each metric's precision from its owners' verdicts, for the metrics with any verdict. */
function precisionTable(
  precision: AlertList['precision'],
  metrics: readonly { id: string; title: string }[],
): HTMLElement | null {
  const judged = precision.filter((row) => row.precision !== null);
  if (judged.length === 0) return null;
  const title = (id: string) => metrics.find((metric) => metric.id === id)?.title ?? id;
  return h(
    'table',
    { class: 'precision', 'data-testid': 'alert-precision' },
    h('caption', {}, 'Alert precision from verdicts: real among judged'),
    h(
      'tr',
      {},
      ...['metric', 'precision', 'real', 'expected', 'noise', 'not judged'].map((c) => h('th', {}, c)),
    ),
    ...judged.map((row) =>
      h(
        'tr',
        { 'data-metric': row.metricId },
        h('td', {}, title(row.metricId)),
        h('td', { 'data-testid': 'precision-value' }, `${Math.round((row.precision ?? 0) * 100)}%`),
        ...[row.real, row.expected, row.noise, row.unjudged].map((n) => h('td', {}, String(n))),
      ),
    ),
  );
}
const HISTORICAL_NOTE = 'found in the past by a backfill or an import: kept as history, never sent';
const HISTORICAL_TITLE =
  'A deviation in a period that had settled before this version of the metric was shown: kept as history, never paged.';

const LEVEL_SHIFT_TITLE =
  'Several settled periods in a row outside the band on the same side: the expected value follows the new level from here on.';
const QUIET_NOTE = 'not paged (marked period)';
const QUIET_TITLE =
  'A deviation in a period a holiday or an annotation marks, of a metric that does not page for marked periods: kept and shown, never sent.';

/**
 * The metric detail an alert is about, with its period marked; works on any origin. A
 * target alert's grain is its review cadence, not a kept grain: the page then opens plain.
 */
export function alertHref(metricId: string, grain: string, period: string): string {
  return GRAINS.has(grain) ? href(['metrics', metricId], { grain, period }) : href(['metrics', metricId]);
}

function ackForm(alert: AlertSummary, onDone: () => void): HTMLElement {
  const byId = `ack-by-${alert.alertId}`;
  const noteId = `ack-note-${alert.alertId}`;
  const by = h('input', {
    id: byId,
    name: 'by',
    required: true,
    maxlength: 100,
    autocomplete: 'name',
    // Signed in, the name the issuer knows is the first guess.
    value: localStorage.getItem(BY_KEY) ?? signedInUser()?.name ?? '',
  });
  const note = h('input', {
    id: noteId,
    name: 'note',
    required: true,
    maxlength: 500,
    placeholder: 'known: campaign ended',
  });
  const verdictId = `ack-verdict-${alert.alertId}`;
  const verdict = h(
    'select',
    { id: verdictId, name: 'verdict' },
    h('option', { value: '' }, 'not judged'),
    ...VERDICTS.map(([value, label]) => h('option', { value }, label)),
  );
  const message = formError();
  const submit = h('button', { type: 'submit' }, 'Acknowledge');
  return h(
    'form',
    {
      class: 'ack-form',
      'data-testid': 'ack-form',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        message.textContent = '';
        try {
          const judged = VERDICTS.find(([value]) => value === verdict.value)?.[0];
          await readApi.acknowledge(alert.alertId, {
            by: by.value,
            note: note.value,
            ...(judged ? { verdict: judged } : {}),
          });
          localStorage.setItem(BY_KEY, by.value.trim());
          onDone();
        } catch (error) {
          message.textContent = failureMessage(error, 'acknowledge');
          submit.disabled = false;
        }
      },
    },
    h('label', { for: byId }, 'Your name'),
    by,
    h('label', { for: noteId }, 'Note'),
    note,
    h('label', { for: verdictId }, 'Verdict'),
    verdict,
    submit,
    message,
  );
}

/** Which version of its metric an alert is about, when it is not the one shown. */
function versionNote(alert: AlertSummary, shownVersions: Map<string, string>): HTMLElement | null {
  const shown = shownVersions.get(alert.metric.id);
  const id = alert.metric.definitionVersion;
  if (shown === undefined || shown === id) return null;
  const state = definitionVersions()
    ?.definitions.find((definition) => definition.key === `metric:${alert.metric.id}`)
    ?.versions.find((version) => version.id === id)?.state;
  return h(
    'span',
    { class: 'muted', 'data-testid': 'alert-version' },
    `version ${id}${state ? ` (${VERSION_STATE_LABEL[state] ?? state})` : ''}, not the one shown`,
  );
}

function alertCard(
  alert: AlertSummary,
  kinds: Map<string, MetricKind>,
  shownVersions: Map<string, string>,
  refresh: () => void,
): HTMLElement {
  const kind = kinds.get(alert.metric.id) ?? 'count';
  const value = (raw: number | null | undefined) => formatValue(raw, kind);
  const isTarget = alert.kind === 'target_off_track';
  return h(
    'li',
    {
      class: `alert alert-${alert.state}${alert.historical ? ' alert-historical' : ''}${alert.quiet ? ' alert-marked-quiet' : ''}`,
      'data-alert-id': alert.alertId,
      'data-state': alert.state,
      'data-kind': alert.kind,
      'data-historical': String(alert.historical),
    },
    h(
      'div',
      { class: 'alert-head' },
      h('span', { class: `badge badge-state-${alert.state}`, 'data-testid': 'alert-state' }, alert.state),
      alert.historical
        ? h(
            'span',
            { class: 'badge badge-historical', 'data-testid': 'alert-historical', title: HISTORICAL_TITLE },
            'historical',
          )
        : null,
      alert.kind === 'level_shift'
        ? h(
            'span',
            { class: 'badge badge-level-shift', 'data-testid': 'alert-kind', title: LEVEL_SHIFT_TITLE },
            'Level shift',
          )
        : null,
      alert.severity ? h('span', { class: `badge badge-${alert.severity}` }, alert.severity) : null,
      h(
        'a',
        {
          class: 'alert-metric',
          href: alertHref(alert.metric.id, alert.grain, alert.period),
          'data-testid': 'alert-link',
        },
        alert.metric.title,
      ),
      h(
        'span',
        { class: 'muted' },
        isTarget ? `target, review ${alert.period}` : `${alert.grain} ${alert.period}`,
      ),
      versionNote(alert, shownVersions),
      alert.marks.map((mark) =>
        h('span', { class: 'tag tag-mark', 'data-testid': 'alert-mark', title: 'Marks this period' }, mark),
      ),
      h('span', { class: 'muted alert-raised' }, `raised ${formatTime(alert.raisedAt)}`),
    ),
    isTarget && alert.target
      ? h(
          'p',
          { class: 'alert-numbers' },
          'Now ',
          h('strong', { 'data-testid': 'alert-observed' }, value(alert.target.current)),
          `, target ${value(alert.target.value)} by ${alert.target.by}, heading for `,
          h('strong', {}, value(alert.target.projection)),
        )
      : h(
          'p',
          { class: 'alert-numbers' },
          'Observed ',
          h('strong', { 'data-testid': 'alert-observed' }, value(alert.observed)),
          ' vs expected ',
          h('strong', { 'data-testid': 'alert-expected' }, value(alert.expected)),
          ` (band ${value(alert.band.lower)} – ${value(alert.band.upper)}), `,
          h('strong', { 'data-testid': 'alert-deviation' }, formatChange(alert.relativeDeviation)),
        ),
    h(
      'p',
      { class: 'muted' },
      `Owner: ${alert.owner.name} <${alert.owner.contact}>`,
      alert.historical ? ` · ${HISTORICAL_NOTE}` : '',
      alert.quiet
        ? [
            ' · ',
            h('span', { class: 'alert-quiet', 'data-testid': 'alert-quiet', title: QUIET_TITLE }, QUIET_NOTE),
          ]
        : null,
    ),
    !isTarget && alert.cause
      ? h(
          'p',
          { class: 'alert-cause', 'data-testid': 'alert-cause' },
          h('strong', {}, 'Likely cause: '),
          alert.cause,
        )
      : null,
    !isTarget && alert.explanation ? explanationTable(alert.explanation, kind) : null,
    // A target's pace has no child metrics to blame; a deviation names them, ranked.
    !isTarget && alert.contributors.length > 0
      ? h(
          'table',
          { class: 'data contributors', 'data-testid': 'alert-contributors' },
          h('caption', {}, 'Likely causes: child metrics by their share of the move'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Metric', 'Observed', 'Expected', 'Deviation', 'Share'].map((label) =>
                h('th', { scope: 'col' }, label),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            alert.contributors.map((contributor) => {
              const childKind = kinds.get(contributor.metricId) ?? 'count';
              return h(
                'tr',
                { 'data-metric-id': contributor.metricId },
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: href(['metrics', contributor.metricId]) }, contributor.title),
                ),
                h('td', { class: 'num' }, formatValue(contributor.observed, childKind)),
                h('td', { class: 'num' }, formatValue(contributor.expected, childKind)),
                h('td', { class: 'num' }, formatChange(contributor.relativeDeviation)),
                h('td', { class: 'num', 'data-testid': 'contributor-share' }, formatRate(contributor.share)),
              );
            }),
          ),
        )
      : null,
    alert.resolution
      ? h(
          'p',
          { class: 'resolution' },
          `Resolved ${formatTime(alert.resolvedAt)}: back to ${value(alert.resolution.observed)} (expected ${value(alert.resolution.expected)}).`,
        )
      : null,
    alert.acknowledgement
      ? h(
          'p',
          { class: 'ack', 'data-testid': 'alert-ack' },
          'Acknowledged by ',
          h('strong', { 'data-testid': 'ack-by' }, alert.acknowledgement.by),
          ` at ${formatTime(alert.acknowledgement.at)}: `,
          h('q', { 'data-testid': 'ack-note' }, alert.acknowledgement.note),
          alert.acknowledgement.verdict
            ? h(
                'span',
                { class: `badge verdict-${alert.acknowledgement.verdict}`, 'data-testid': 'ack-verdict' },
                alert.acknowledgement.verdict,
              )
            : null,
        )
      : null,
    alert.state === 'open' ? ackForm(alert, refresh) : null,
  );
}

/** The most concentrated breakdown of an alert: each value's numbers and share of the move. */
function explanationTable(
  explanation: NonNullable<AlertSummary['explanation']>,
  kind: MetricKind,
): HTMLElement | null {
  const [top] = explanation.breakdowns;
  if (!top) return null;
  const ratio = top.ratio
    ? ` (mix of values ${formatRate(top.ratio.mix)}, rates within values ${formatRate(top.ratio.rate)})`
    : '';
  return breakdownValuesTable(top, kind, {
    caption: `By ${top.title}: each value's share of the move${ratio}`,
    columns: ['Observed', 'Expected', 'Share'],
    shareTestId: 'value-share',
    attributes: { 'data-testid': 'alert-breakdown' },
  });
}

/** The alert feed: newest period first, each with its numbers, likely causes and acknowledgement. */
export async function alertsView(refresh: () => void): Promise<HTMLElement> {
  const [list, tree] = await Promise.all([readApi.alerts(), readApi.metricTree()]);
  const kinds = new Map(tree.metrics.map((metric) => [metric.id, metric.kind as MetricKind]));
  const shownVersions = new Map(tree.metrics.map((metric) => [metric.id, metric.definitionVersion]));
  const count = (state: string) => list.alerts.filter((alert) => alert.state === state).length;
  const historical = list.alerts.filter((alert) => alert.historical).length;
  return h(
    'div',
    { class: 'view view-alerts', 'data-view': 'alerts' },
    h('h1', {}, 'Alerts'),
    h(
      'p',
      { class: 'muted', 'data-testid': 'alert-counts' },
      `Periods starting ${list.from.slice(0, 10)} to ${list.to.slice(0, 10)}: ${count('open')} open, ${count('acknowledged')} acknowledged, ${count('resolved')} resolved.`,
      historical > 0 ? ` ${historical} of them historical (never sent).` : '',
    ),
    precisionTable(list.precision, tree.metrics),
    list.alerts.length === 0
      ? notice('empty', 'No alerts in the last 30 days: every settled period stayed inside its band.')
      : h(
          'ul',
          { class: 'alerts', 'data-testid': 'alert-list' },
          list.alerts.map((alert) => alertCard(alert, kinds, shownVersions, refresh)),
        ),
  );
}
