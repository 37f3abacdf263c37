import type { Cadence } from '../../domain/config/schema.js';
import type { ReviewDigest } from '../../domain/review/review-digest.js';
import { dueAt, latestDueReview } from '../../domain/review/review-periods.js';
import { durationMs } from '../../domain/time/periods.js';
import type { AlertBus } from '../../ports/alert-bus.js';
import type { Stores } from '../../ports/stores.js';
import { resendUnsent } from '../outbox.js';
import { buildDigest, type DigestSources } from './build-digest.js';

export interface DigestDeps extends DigestSources, Pick<Stores, 'digests'> {
  readonly bus: AlertBus;
}

/** How far back digests not yet on the bus are sent again: a quarter's review and then some. */
const RESEND_LOOKBACK_MS = 100 * 86_400_000;

/** The owner teams of each cadence: a team gets a digest of a cadence only if it owns a metric of it. */
export function reviewTeams(deps: Pick<DigestSources, 'compiled'>): Map<Cadence, string[]> {
  const teams = new Map<Cadence, Set<string>>();
  for (const metric of Object.values(deps.compiled.config.metrics))
    teams.set(metric.cadence, (teams.get(metric.cadence) ?? new Set()).add(metric.owner.team));
  return new Map([...teams].map(([cadence, names]) => [cadence, [...names].sort()]));
}

/** Puts a recorded digest on the bus, then notes it sent; a crash in between is resent by a later run. */
async function sendDigest(deps: DigestDeps, digest: ReviewDigest): Promise<void> {
  await deps.bus.publishDigests([digest]);
  await deps.digests.markDigestSent(digest);
}

/**
 * Sends each owner team the digest of every review period that became due since the last run
 * (`since`, exclusive) and by `caughtUp`: ended, plus the settle delay, with ingest caught up.
 * The conditional record makes it one per (team, cadence, period), however many runs race.
 */
export async function sendDueDigests(
  deps: DigestDeps,
  since: number,
  caughtUp: number,
  now: number,
): Promise<number> {
  const { config, zone } = deps.compiled;
  const settleDelayMs = durationMs(config.recompute.settleDelay);
  let sent = 0;
  for (const [cadence, teams] of reviewTeams(deps)) {
    const review = latestDueReview(cadence, caughtUp, zone, settleDelayMs);
    const due = dueAt(review, settleDelayMs);
    if (due <= since || due > caughtUp) continue;
    for (const team of teams) {
      const key = { team, cadence, period: review.period, periodEnd: new Date(review.end).toISOString() };
      if (await deps.digests.getDigest(key)) continue;
      const digest = await buildDigest(deps, team, review, now, caughtUp);
      // Before the first event there is nothing to review: no digest, rather than one of blanks.
      if (digest.metrics.every((metric) => metric.value === null)) continue;
      if (await deps.digests.recordDigest(digest, now)) {
        await sendDigest(deps, digest);
        sent++;
      }
    }
  }
  return sent;
}

/** Digests a crashed run recorded but never put on the bus; sent again. Returns how many. */
export function resendUnsentDigests(deps: DigestDeps, now: number): Promise<number> {
  const outbox = {
    unsent: deps.digests.unsentDigests.bind(deps.digests),
    send: (digest: ReviewDigest) => sendDigest(deps, digest),
  };
  return resendUnsent(outbox, now, RESEND_LOOKBACK_MS);
}
