import { type MetricNode, type NextReview, readApi } from '../api.js';
import { h, notice, picker } from '../dom.js';
import { formatTime } from '../format.js';
import { href, type Route } from '../router.js';
import { digestCard } from './digest-card.js';

/** When a cadence's review goes out, in the owner's words. */
const ARRIVES: Readonly<Record<string, string>> = {
  daily: 'the day after',
  weekly: 'on the Monday after the ISO week',
  monthly: 'on the first of the next month',
  quarterly: 'on the first day of the next quarter',
};

/** Digests the reader opened or folded stay so across refreshes, by digest id. */
const opened = new Map<string, boolean>();

/** The owner teams of the configuration, with the owner names behind each, by team key. */
export function ownerTeams(metrics: readonly MetricNode[]): { team: string; label: string }[] {
  const names = new Map<string, Set<string>>();
  for (const { owner } of metrics)
    names.set(owner.team, (names.get(owner.team) ?? new Set()).add(owner.name));
  return [...names]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([team, owners]) => ({ team, label: [...owners].sort().join(', ') }));
}

function dueText(review: NextReview, first: boolean): string {
  return `${first ? 'the first' : 'the next'} ${review.cadence} review arrives ${ARRIVES[review.cadence] ?? 'after its period'}, once the data has settled (${review.period}, due ${formatTime(review.dueAt)})`;
}

/** One owner team's latest review digests, the newest of each cadence open; when the next ones are due. */
export async function reviewView(route: Route): Promise<HTMLElement> {
  const tree = await readApi.metricTree();
  const teams = ownerTeams(tree.metrics);
  const team = route.segments[1] ?? teams[0]?.team ?? '';
  const chosen = teams.find((candidate) => candidate.team === team);
  if (!chosen)
    return notice(
      'error',
      `No owner team "${team}" in the configuration; its teams are ${teams.map((one) => one.team).join(', ')}. `,
      h('a', { href: href(['review']) }, 'Go to the reviews'),
    );
  const list = await readApi.digests({ team });
  const reviewed = new Set(list.digests.map(({ digest }) => digest.cadence));
  // The newest digest of each cadence opens, older ones are folded, until the reader says otherwise.
  const newest = new Set<string>();
  const cards = list.digests.map((listed) => {
    const { digestId, cadence } = listed.digest;
    const first = !newest.has(cadence);
    newest.add(cadence);
    // Only the reader's choice is kept: a digest at its default follows the default.
    return digestCard(listed, opened.get(digestId) ?? first, (open) =>
      open === first ? opened.delete(digestId) : opened.set(digestId, open),
    );
  });
  const waiting = list.next.filter((review) => !reviewed.has(review.cadence));
  const upcoming = list.next.filter((review) => reviewed.has(review.cadence));
  const metrics = tree.metrics.filter((metric) => metric.owner.team === team);
  return h(
    'div',
    { class: 'view view-review', 'data-view': 'review', 'data-team': team },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / Review'),
    h('h1', {}, `Review: ${chosen.label}`),
    h(
      'div',
      { class: 'pickers' },
      picker(
        'Team',
        'team-picker',
        teams.map((one) => ({ value: one.team, label: `${one.label} (${one.team})` })),
        team,
        (value) => {
          location.hash = href(['review', value]);
        },
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      'Reviews ',
      metrics.flatMap((metric, index) => [
        index > 0 ? ', ' : '',
        h('a', { href: href(['metrics', metric.id]) }, metric.title),
        ` (${metric.cadence})`,
      ]),
      '.',
    ),
    upcoming.length > 0
      ? h(
          'p',
          { class: 'meta', 'data-testid': 'next-review' },
          `Next: ${upcoming.map((review) => `${review.cadence} review ${review.period}, due ${formatTime(review.dueAt)}`).join('; ')}.`,
        )
      : null,
    waiting.length > 0
      ? notice(
          'empty',
          `${cards.length === 0 ? 'No digest yet' : `No ${waiting.map((review) => review.cadence).join(' or ')} digest yet`}: ${waiting
            .map((review) => dueText(review, true))
            .join('; ')}.`,
        )
      : null,
    cards.length > 0 ? h('div', { class: 'digests', 'data-testid': 'digest-list' }, cards) : null,
    list.more
      ? h('p', { class: 'muted' }, `The ${cards.length} latest digests of the last 100 days are shown.`)
      : null,
  );
}
