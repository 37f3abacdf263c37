import { z } from 'zod';
import { Cadence } from '../../domain/config/schema.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { ReviewDigest } from '../../domain/review/review-digest.js';
import { dueAt, reviewPeriodAt } from '../../domain/review/review-periods.js';
import { durationMs } from '../../domain/time/periods.js';
import type { StoredDigest } from '../../ports/digests.js';
import { reviewTeams } from '../review/review-digests.js';
import { invalidParameter } from './api-error.js';
import { instantRange, isoTime } from './period-range.js';
import { DigestsQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { Instant } from './schemas.js';

const DAY_MS = 86_400_000;
/** Long enough to hold the last quarterly review whenever it is asked. */
const DEFAULT_DIGEST_SPAN_MS = 100 * DAY_MS;
/** About 13 months of reviews: the digests of a range are one query of their partition, read whole. */
const MAX_DIGEST_SPAN_MS = 400 * DAY_MS;

/** A recorded digest: whole, as its Metric Review Digest event carried it, with its outbox state. */
export const ListedDigest = z.object({
  // Not described here: a described copy would not be the ReviewDigest component.
  digest: ReviewDigest,
  sent: z
    .boolean()
    .describe(
      'Whether its event reached the bus: false between the record and the send, and after an interrupted send until a later recompute sends it again',
    ),
  recordedAt: Instant.describe('When the recompute recorded it'),
});

export const NextReview = z.object({
  team: z.string(),
  cadence: Cadence,
  period: z.string().describe('The review period in progress: 2026-11-25, 2026-W48, 2026-11 or 2026-Q4'),
  periodStart: Instant,
  periodEnd: Instant,
  dueAt: Instant.describe(
    'Its end plus the settle delay: the first recompute from then on, once ingest has caught up, sends its digest (none while every metric of it is without a value)',
  ),
});

export const DigestList = z.object({
  from: Instant,
  to: Instant,
  digests: z
    .array(ListedDigest)
    .describe(
      'Digests of review periods ending in [from, to), newest period first, then by team and cadence',
    ),
  more: z
    .boolean()
    .describe('More digests match than the limit: ask with an earlier to, a team or a cadence'),
  next: z
    .array(NextReview)
    .describe("The next review of each team and cadence asked for: when each team's next digest is due"),
});
export type DigestList = z.infer<typeof DigestList>;

const CADENCE_ORDER = new Map(Cadence.options.map((cadence, index) => [cadence, index]));

function newestFirst(a: StoredDigest, b: StoredDigest): number {
  const [x, y] = [a.digest, b.digest];
  if (x.periodEnd !== y.periodEnd) return x.periodEnd < y.periodEnd ? 1 : -1;
  if (x.team !== y.team) return x.team < y.team ? -1 : 1;
  return (CADENCE_ORDER.get(x.cadence) ?? 0) - (CADENCE_ORDER.get(y.cadence) ?? 0);
}

/** Each team's review in progress of every cadence it reviews, with when its digest is due. */
function nextReviews(
  compiled: CompiledConfig,
  now: number,
  team: string | undefined,
  cadence: Cadence | undefined,
): z.input<typeof NextReview>[] {
  const settleDelayMs = durationMs(compiled.config.recompute.settleDelay);
  return [...reviewTeams({ compiled })]
    .filter(([reviewed]) => cadence === undefined || reviewed === cadence)
    .flatMap(([reviewed, teams]) => {
      const review = reviewPeriodAt(reviewed, now - settleDelayMs, compiled.zone);
      return teams
        .filter((name) => team === undefined || name === team)
        .map((name) => ({
          team: name,
          cadence: reviewed,
          period: review.period,
          periodStart: isoTime(review.start),
          periodEnd: isoTime(review.end),
          dueAt: isoTime(dueAt(review, settleDelayMs)),
        }));
    })
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.team.localeCompare(b.team));
}

export const digestsRoute = defineRoute({
  method: 'GET',
  path: '/api/digests',
  operationId: 'listDigests',
  summary: "Each owner team's latest review digests, newest first",
  description:
    'The digests the recompute recorded for review periods ending in [from, to), of one team and cadence or all, each whole as its event carried it, with whether it was sent; and when the next one of each team and cadence is due.',
  query: (compiled) => DigestsQuery([...new Set([...reviewTeams({ compiled }).values()].flat())].sort()),
  response: DigestList,
  async handle({ deps, query }) {
    const now = deps.clock();
    const range = instantRange({ from: query.from, to: query.to, now }, DEFAULT_DIGEST_SPAN_MS);
    if (range.to - range.from > MAX_DIGEST_SPAN_MS)
      throw invalidParameter(
        'from',
        `the range spans more than ${MAX_DIGEST_SPAN_MS / DAY_MS} days of review periods; ask for a shorter one`,
      );
    const stored = await deps.digests.listDigests(isoTime(range.from), isoTime(range.to), query.team);
    const listed = stored
      .filter(({ digest }) => {
        const end = Date.parse(digest.periodEnd);
        return end >= range.from && end < range.to && (!query.cadence || digest.cadence === query.cadence);
      })
      .sort(newestFirst);
    return {
      from: isoTime(range.from),
      to: isoTime(range.to),
      digests: listed.slice(0, query.limit).map(({ digest, sent, recordedAt }) => ({
        digest,
        sent,
        recordedAt: isoTime(recordedAt),
      })),
      more: listed.length > query.limit,
      next: nextReviews(deps.compiled, now, query.team, query.cadence),
    };
  },
});
