import type { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import { rollupIds } from '../../domain/engine/breakdowns.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import type { AnnotationSpan } from '../../domain/engine/marks.js';
import type { AlertBus } from '../../ports/alert-bus.js';
import type { Stores } from '../../ports/stores.js';
import { type RoundDeps, recoverStaleRounds } from '../ingest/rounds.js';
import { resendUnsent } from '../outbox.js';
import { resendUnsentDigests, sendDueDigests } from '../review/review-digests.js';
import { raiseDeviationAlerts, sendAlert } from './deviation-alerts.js';
import { latestMetricValues, type MetricValueNow } from './latest-values.js';
import { periodRollups } from './period-rollups.js';
import { raiseTargetAlerts } from './target-alerts.js';
import { dirtySince, workList } from './work-list.js';

export interface RecomputeDeps
  extends RoundDeps,
    Pick<Stores, 'rollups' | 'alerts' | 'runs' | 'quarantine' | 'freshness' | 'digests'>,
    Partial<Pick<Stores, 'annotations' | 'versions'>> {
  readonly bus: AlertBus;
  /** When the shown versions were shown: older deviations are history (see AlertDeps). */
  readonly shownAt?: number;
  /**
   * The next generation while a backfill fills it: rollups of its new versions are written
   * too, for its progress and for comparison, but it raises no alerts until it is shown.
   */
  readonly next?: CompiledConfig;
  /**
   * The ingest watermark: the arrival time of the oldest entry still waiting to be ingested
   * (a queue's backlog), or undefined when none waits. A period is settled only once the
   * watermark is past its settle time, so a lagging ingest never has a half-counted period
   * judged. @default nothing waits
   */
  readonly oldestWaiting?: () => Promise<number | undefined>;
}

export interface RecomputeOptions {
  /**
   * Recompute everything dirty or settled since this time, instead of since the last run:
   * fills rollups for history loaded before the schedule ran (capped at 400 periods a grain).
   */
  readonly since?: number;
}

export interface RecomputeSummary {
  readonly periods: number;
  readonly rollups: number;
  readonly detected: number;
  readonly resolved: number;
  /** Target alerts raised: at most one per metric and review period. */
  readonly offTrack: number;
  readonly resent: number;
  /** Review digests sent: one per owner team and review period that became due (docs/owners.md). */
  readonly digests: number;
  readonly recoveredRounds: number;
}

export interface RecomputeResult extends RecomputeSummary {
  /** Each metric's latest value at its own grain, for the operations dashboard. */
  readonly latestValues: readonly MetricValueNow[];
}

/** A first run, or one after a long pause, looks back this far (the dirty set's TTL). */
const MAX_LOOKBACK_MS = 7 * 86_400_000;
/** How far back alerts not yet on the bus are sent again. */
const RESEND_LOOKBACK_MS = 35 * 86_400_000;

/**
 * One scheduled run: finishes stale ingest rounds, recomputes every metric of the periods
 * ingest marked dirty or that settled since the last run, writes their rollups, raises or
 * resolves alerts, and sends again what a crashed run left unsent. Its work follows dirty
 * periods and metrics, never the event count.
 */
export async function recompute(
  deps: RecomputeDeps,
  options: RecomputeOptions = {},
): Promise<RecomputeResult> {
  const now = deps.clock();
  const recoveredRounds = await recoverStaleRounds(deps, MAX_LOOKBACK_MS);
  const lastRun = options.since ?? Math.max((await deps.runs.lastRunAt()) ?? 0, now - MAX_LOOKBACK_MS);
  const settledThrough = await deps.runs.settledThrough();
  // Periods are judged settled up to here: now, or the arrival of the oldest entry still
  // waiting. Everything that arrived before the last run's mark was ingested then, so what
  // waits now came later and holds back no period settled by that mark.
  const caughtUp = Math.max(settledThrough ?? 0, Math.min(now, (await deps.oldestWaiting?.()) ?? now));
  // Periods a backlog held back are judged once it has drained, though their settle time is older than the last run.
  const lastSettled = options.since ?? Math.max(settledThrough ?? lastRun, now - MAX_LOOKBACK_MS);
  const from = Math.min(lastRun, lastSettled);
  const dirty = await deps.dirty.listDirty(dirtySince(from, deps.compiled), now);
  const work = workList(dirty, lastSettled, caughtUp, deps.compiled);
  const totals = { rollups: 0, detected: 0, resolved: 0, offTrack: 0 };
  const annotations = (await deps.annotations?.listAnnotations()) ?? [];
  for (const { grain, period } of work) {
    const rollups = await periodRollups(deps, grain, period, now, caughtUp, annotations);
    await Promise.all(rollups.map((rollup) => deps.rollups.putRollup(rollup)));
    const metrics = rollups.filter((rollup) => rollup.series === undefined);
    const series = rollups.filter((rollup) => rollup.series !== undefined);
    const raised = await raiseDeviationAlerts(deps, metrics, now, series);
    totals.rollups += rollups.length;
    totals.detected += raised.detected;
    totals.resolved += raised.resolved;
    totals.offTrack += await raiseTargetAlerts(deps, metrics, now);
  }
  if (deps.next)
    totals.rollups += await backfilledRollups(
      { ...deps, compiled: deps.next },
      deps,
      dirty,
      lastSettled,
      now,
      caughtUp,
      annotations,
    );
  const resent = (await resendUnsentAlerts(deps, now)) + (await resendUnsentDigests(deps, now));
  // Reviews due since the last run's mark: their periods are now settled and their rollups written.
  const digests = await sendDueDigests(deps, lastSettled, caughtUp, now);
  await deps.runs.setSettledThrough(caughtUp);
  await deps.runs.setLastRunAt(now);
  const latestValues = await latestMetricValues(deps);
  return { periods: work.length, ...totals, resent, digests, recoveredRounds, latestValues };
}

/** Rollups of the versions only the next generation has, for the same dirty and settled periods. */
async function backfilledRollups(
  next: RecomputeDeps,
  shown: RecomputeDeps,
  dirty: ReadonlySet<string>,
  lastSettled: number,
  now: number,
  caughtUp: number,
  annotations: readonly AnnotationSpan[],
): Promise<number> {
  const shownIds = rollupIds(shown.compiled);
  let written = 0;
  for (const { grain, period } of workList(dirty, lastSettled, caughtUp, next.compiled)) {
    const rollups = (await periodRollups(next, grain, period, now, caughtUp, annotations)).filter(
      (rollup) => !shownIds.has(rollup.defId),
    );
    await Promise.all(rollups.map((rollup) => next.rollups.putRollup(rollup)));
    written += rollups.length;
  }
  return written;
}

/** Alerts a crashed run recorded but never put on the bus; sent again. Returns how many. */
function resendUnsentAlerts(deps: RecomputeDeps, now: number): Promise<number> {
  const outbox = {
    unsent: deps.alerts.unsentAlerts.bind(deps.alerts),
    send: (alert: DeviationAlert) => sendAlert(deps, alert),
  };
  return resendUnsent(outbox, now, RESEND_LOOKBACK_MS);
}
