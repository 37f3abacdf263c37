import type { BackfillStatus, MetricNode, VersionsResponse } from './api.js';
import { h } from './dom.js';
import { formatCount, formatEventRate, formatPercent, formatTime, formatTimeLeft } from './format.js';
import { href } from './router.js';

/** The numbers of a running backfill, each with its test id. */
function progressTexts(backfill: BackfillStatus): [testId: string, text: string][] {
  return [
    ['backfill-percent', formatPercent(backfill.percent)],
    ['backfill-events', `${formatCount(backfill.events)} events counted`],
    [
      'backfill-periods',
      `${formatCount(backfill.periods.done)} of ${formatCount(backfill.periods.total)} days of history`,
    ],
    ['backfill-rate', formatEventRate(backfill.rate)],
    ['backfill-eta', backfill.caughtUp ? 'caught up: shown next' : formatTimeLeft(backfill.etaSeconds)],
  ];
}

function progressParts(backfill: BackfillStatus): (HTMLElement | string)[] {
  return progressTexts(backfill).flatMap(([testId, text], index) => [
    ...(index === 0 ? [] : [' · ']),
    h('span', { 'data-testid': testId }, text),
  ]);
}

function progressBar(backfill: BackfillStatus): HTMLElement {
  return h('progress', {
    class: 'backfill-bar',
    max: 100,
    value: backfill.percent,
    'aria-label': `Backfill of generation ${backfill.generation}`,
  });
}

/**
 * The tree's and headline's mark on a metric whose new definition is being backfilled; the
 * backfill's share when the registry was read, else the word alone (never a made-up number).
 */
export function backfillBadge(
  metric: MetricNode,
  backfill: BackfillStatus | null | undefined,
): HTMLElement | null {
  if (!metric.backfilling) return null;
  const title = backfill
    ? `A new definition (version ${metric.backfilling.definitionVersion}) is being counted from the archive: ${progressTexts(
        backfill,
      )
        .map(([, text]) => text)
        .join(', ')}. The numbers shown are of version ${metric.definitionVersion} until it is done.`
    : `A new definition (version ${metric.backfilling.definitionVersion}) is being counted from the archive.`;
  return h(
    'span',
    {
      class: 'badge badge-backfilling',
      'data-testid': 'backfill-badge',
      'data-version': metric.backfilling.definitionVersion,
      title,
    },
    backfill ? `backfilling ${formatPercent(backfill.percent)}` : 'backfilling',
  );
}

/** The metric page's account of the backfill: what is counted, how far, and which version is shown meanwhile. */
export function backfillDetail(
  metric: MetricNode,
  backfill: BackfillStatus | null | undefined,
): HTMLElement | null {
  if (!metric.backfilling) return null;
  return h(
    'div',
    { class: 'backfill', 'data-testid': 'backfill-progress' },
    h(
      'p',
      {},
      backfillBadge(metric, backfill),
      ' ',
      'A new definition of this metric, version ',
      h('code', {}, metric.backfilling.definitionVersion),
      ', is being counted from the archive. Until it has reached the present, the numbers shown are of version ',
      h('code', {}, metric.definitionVersion),
      '.',
    ),
    backfill
      ? h('p', { class: 'backfill-numbers' }, progressBar(backfill), ' ', progressParts(backfill))
      : h('p', { class: 'muted' }, 'Its progress could not be read.'),
  );
}

/** `metric:weekly_signups` as words, linked to the metric when it is in the tree shown. */
function definitionName(key: string, shown: boolean): Node | string {
  const [kind, id] = key.split(':', 2);
  if (kind === 'metric' && id && shown) return h('a', { href: href(['metrics', id]) }, id);
  if (kind === 'metric' && id) return `${id} (new)`;
  return id ? `${kind} ${id}` : key;
}

/** The line under the freshness line while a backfill runs; nothing when none does. */
export function backfillStatusLine(versions: VersionsResponse | undefined): HTMLElement[] {
  const backfill = versions?.backfill;
  if (!versions || !backfill) return [];
  const definitions = versions.definitions.filter((definition) =>
    definition.versions.some((version) => version.state === 'backfilling'),
  );
  const names = definitions.map((definition) =>
    definitionName(
      definition.key,
      definition.versions.some((version) => version.state === 'shown'),
    ),
  );
  return [
    h(
      'div',
      { class: 'backfill-line', 'data-testid': 'backfill-status' },
      h('strong', {}, `Backfilling generation ${backfill.generation}`),
      ` since ${formatTime(backfill.startedAt)}: `,
      progressBar(backfill),
      ' ',
      progressParts(backfill),
      names.length > 0
        ? h(
            'span',
            { class: 'backfill-definitions', 'data-testid': 'backfill-definitions' },
            '. New definitions: ',
            names.flatMap((name, index) => (index === 0 ? [name] : [', ', name])),
            '; shown once counted to the present.',
          )
        : null,
    ),
  ];
}
