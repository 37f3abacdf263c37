import { DateTime } from 'luxon';
import type { IngestStore } from '../../adapters/dynamodb/ingest-store.js';
import type { RollupStore } from '../../adapters/dynamodb/rollup-store.js';
import type { AlertBus, DeviationAlert } from '../../adapters/eventbridge/alert-bus.js';
import type { Cadence, Grain, Metric } from '../../domain/config/schema.js';
import { attribute } from '../../domain/engine/attribution.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { ALL_TIME } from '../../domain/engine/deltas.js';
import { classify, expectedBand, historyPeriods } from '../../domain/engine/expected-band.js';
import { metricValue } from '../../domain/engine/metric-values.js';
import { targetProgress } from '../../domain/engine/target-pace.js';
import type { Rollup } from '../../domain/rollup.js';
import { addDuration, durationMs, periodBounds, periodKey } from '../../domain/time/periods.js';
import { type Clock, recoverStaleRounds } from '../ingest/rounds.js';

export interface RecomputeDeps {
  readonly rollups: RollupStore;
  /** For finishing rounds that crashed workers left open. */
  readonly ingest: IngestStore;
  readonly compiled: CompiledConfig;
  readonly bus: AlertBus;
  readonly clock: Clock;
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
  readonly recoveredRounds: number;
}

const GRAIN_ORDER: readonly Grain[] = ['hour', 'day', 'week', 'month'];
/** A first run, or one after a long pause, looks back this far (the dirty set's TTL). */
const MAX_LOOKBACK_MS = 7 * 86_400_000;
/** Periods whose settling a single run catches up on, per grain. */
const MAX_SETTLED_PER_GRAIN = 400;
/** Settled periods of the metric's grain that feed a target's pace and projection. */
const TARGET_SERIES = 26;
/** An alert recorded this long ago and still not on the bus had its sender crash. */
const RESEND_GRACE_MS = 10 * 60_000;
/** How far back alerts not yet on the bus are sent again. */
const RESEND_LOOKBACK_MS = 35 * 86_400_000;

/** Periods of a grain whose settle time (end + delay) falls in (from, to]; the latest ones when there are many. */
function newlySettled(grain: Grain, from: number, to: number, delayMs: number, zone: string): string[] {
  const periods: string[] = [];
  let period = periodKey(from - delayMs, grain, zone);
  for (;;) {
    const { end } = periodBounds(period, grain, zone);
    if (end + delayMs > to) break;
    if (end + delayMs > from) periods.push(period);
    period = periodKey(end, grain, zone);
  }
  return periods.slice(-MAX_SETTLED_PER_GRAIN);
}

/** The work list: dirty periods and periods that settled since the last run, oldest first per grain. */
async function workList(
  deps: RecomputeDeps,
  lastRun: number,
  now: number,
): Promise<{ grain: Grain; period: string }[]> {
  const { compiled, rollups } = deps;
  // A round marks dirty under its creation minute, which can be up to a round's limit old.
  const dirty = await rollups.listDirty(lastRun - compiled.maxRoundMs - 120_000, now);
  const settleDelayMs = durationMs(compiled.config.recompute.settleDelay);
  const keys = new Set([...dirty].filter((item) => item !== ALL_TIME));
  // Funnel conversions settle once their window has passed too.
  const delays = new Set([settleDelayMs]);
  for (const metric of Object.values(compiled.config.metrics)) {
    const funnel = metric.kind === 'funnel_conversion' ? compiled.config.funnels[metric.funnel] : undefined;
    if (funnel) delays.add(settleDelayMs + durationMs(funnel.window));
  }
  for (const grain of compiled.grains) {
    for (const delay of delays) {
      for (const period of newlySettled(grain, lastRun, now, delay, compiled.zone))
        keys.add(`${grain}#${period}`);
    }
  }
  return [...keys]
    .map((key) => {
      const [grain, period] = key.split('#') as [Grain, string];
      return { grain, period, start: periodBounds(period, grain, compiled.zone).start };
    })
    .sort((a, b) => GRAIN_ORDER.indexOf(a.grain) - GRAIN_ORDER.indexOf(b.grain) || a.start - b.start)
    .map(({ grain, period }) => ({ grain, period }));
}

/**
 * When a metric's period is final. A funnel conversion's cohort keeps converting until
 * its window has passed for the last user who entered in the period.
 */
function settledAt(metric: Metric, end: number, settleDelayMs: number, compiled: CompiledConfig): number {
  if (metric.kind !== 'funnel_conversion') return end + settleDelayMs;
  const window = compiled.config.funnels[metric.funnel]?.window ?? 'PT0S';
  return addDuration(end, window, compiled.zone) + settleDelayMs;
}

/** Every metric's rollup for one period: value from the counters, band from its own history. */
async function rollupsOf(deps: RecomputeDeps, grain: Grain, period: string, now: number): Promise<Rollup[]> {
  const { compiled, rollups } = deps;
  const { config, zone } = compiled;
  const { start, end } = periodBounds(period, grain, zone);
  const settleDelayMs = durationMs(config.recompute.settleDelay);
  const counters = await rollups.readCounters(`${grain}#${period}`);
  const history = historyPeriods(period, grain, zone);
  return Promise.all(
    Object.entries(config.metrics).map(async ([metricId, metric]): Promise<Rollup> => {
      const defId = compiled.defIds[`metric:${metricId}`] as string;
      // A period without a single counter saw no events at all: the pipeline was not
      // receiving yet (or not running), which is no data, not a zero to learn from.
      const value = counters.size === 0 ? null : metricValue(metricId, counters, compiled);
      const settled = now >= settledAt(metric, end, settleDelayMs, compiled);
      const past = await rollups.getRollups(defId, grain, history);
      const band = expectedBand(
        history.map((key) => past.get(key)?.value ?? null),
        // Counts carry counting noise of about sqrt(n): recompute.countNoise of it is the least band.
        {
          sensitivity: metric.sensitivity,
          countNoise:
            metric.kind === 'count' || metric.kind === 'distinct_users' ? config.recompute.countNoise : 0,
        },
      );
      const ready = band.state === 'ready' ? band : undefined;
      const verdict = settled ? classify(value, band) : undefined;
      const elapsed = Math.min(Math.max(now - start, 1), end - start);
      const base = {
        metricId,
        defId,
        grain,
        period,
        start,
        end,
        value,
        expected: ready?.expected ?? null,
        lower: ready?.lower ?? null,
        upper: ready?.upper ?? null,
        status: verdict?.status ?? 'open',
        relativeDeviation: verdict?.relativeDeviation ?? null,
        severity: verdict?.severity ?? null,
        settled,
        projection:
          settled || value === null
            ? null
            : metric.kind === 'ratio' || metric.kind === 'funnel_conversion'
              ? value
              : (value * (end - start)) / elapsed,
        updatedAt: now,
      } satisfies Rollup;
      if (!metric.target || metric.grain !== grain) return base;
      // The first value on record is the baseline progress is measured from; the latest
      // ones give the pace.
      const [first] = await rollups.earliestRollups(defId, grain, 1);
      const recent = await rollups.latestRollups(defId, grain, TARGET_SERIES);
      const series = [
        ...new Map([first, ...recent].filter((r) => r !== undefined).map((r) => [r.period, r])).values(),
      ]
        .filter((rollup) => rollup.settled && rollup.period !== period)
        .concat(settled ? [base] : [])
        .sort((a, b) => a.start - b.start);
      return { ...base, target: targetProgress({ target: metric.target, series, now, zone }) };
    }),
  );
}

function alertOf(
  rollup: Rollup,
  all: ReadonlyMap<string, Rollup>,
  deps: RecomputeDeps,
  kind: DeviationAlert['kind'],
): DeviationAlert {
  const { config } = deps.compiled;
  const metric = config.metrics[rollup.metricId]!;
  const children = Object.entries(config.metrics)
    .filter(([, child]) => child.parent === rollup.metricId)
    .map(([childId]) => ({
      metricId: childId,
      observed: all.get(childId)?.value ?? null,
      expected: all.get(childId)?.expected ?? null,
    }));
  const contributors = attribute(
    { observed: rollup.value ?? 0, expected: rollup.expected ?? 0 },
    children,
  ).map((child) => ({
    ...child,
    title: config.metrics[child.metricId]?.title ?? child.metricId,
  }));
  return {
    alertId: `${rollup.defId}:${rollup.grain}:${rollup.period}`,
    kind,
    metric: {
      id: rollup.metricId,
      title: metric.title,
      definitionVersion: rollup.defId,
      definition: metric.definition,
    },
    grain: rollup.grain,
    period: rollup.period,
    periodStart: new Date(rollup.start).toISOString(),
    periodEnd: new Date(rollup.end).toISOString(),
    observed: rollup.value,
    expected: rollup.expected ?? 0,
    band: { lower: rollup.lower ?? 0, upper: rollup.upper ?? 0 },
    relativeDeviation: rollup.relativeDeviation,
    severity: rollup.severity,
    owner: { name: metric.owner.name, contact: metric.owner.contact, team: metric.owner.team },
    contributors,
    link: `${config.recompute.dashboardUrl.replace(/\/$/, '')}/#/metrics/${rollup.metricId}?grain=${rollup.grain}&period=${rollup.period}`,
  };
}

/** Sends an alert recorded by this run, then notes it sent; a crash in between is resent next run. */
async function send(deps: RecomputeDeps, alert: DeviationAlert): Promise<void> {
  await deps.bus.publish([alert]);
  await deps.rollups.markSent(alert);
}

/** Opens one alert per deviating settled period and resolves it once the period is back in its band. */
async function raiseAlerts(
  deps: RecomputeDeps,
  periodRollups: readonly Rollup[],
  now: number,
): Promise<{ detected: number; resolved: number }> {
  const all = new Map(periodRollups.map((rollup) => [rollup.metricId, rollup]));
  let detected = 0;
  let resolved = 0;
  for (const rollup of periodRollups) {
    const metric = deps.compiled.config.metrics[rollup.metricId]!;
    if (!rollup.settled || metric.grain !== rollup.grain) continue;
    if (rollup.status === 'deviating') {
      const alert = alertOf(rollup, all, deps, 'detected');
      if (await deps.rollups.openAlert(alert, now)) {
        await send(deps, alert);
        detected++;
      }
    } else if (rollup.status === 'normal') {
      const alert = alertOf(rollup, all, deps, 'resolved');
      const existing = await deps.rollups.getAlert(alert);
      if (existing?.state === 'open' && (await deps.rollups.resolveAlert(alert, now))) {
        await send(deps, alert);
        resolved++;
      }
    }
  }
  return { detected, resolved };
}

/** The review period a cadence names, in the zone: `2026-11-25`, `2026-W48`, `2026-11` or `2026-Q4`. */
export function cadencePeriod(cadence: Cadence, at: number, zone: string): { key: string; start: number } {
  if (cadence === 'quarterly') {
    const local = DateTime.fromMillis(at, { zone }).startOf('quarter');
    return { key: `${local.year}-Q${local.quarter}`, start: local.toMillis() };
  }
  const grain = ({ daily: 'day', weekly: 'week', monthly: 'month' } as const)[cadence];
  const key = periodKey(at, grain, zone);
  return { key, start: periodBounds(key, grain, zone).start };
}

/**
 * A key result whose pace no longer reaches its target alerts its owner once per review
 * period of the metric's cadence, from the latest settled period.
 */
async function raiseTargetAlerts(
  deps: RecomputeDeps,
  periodRollups: readonly Rollup[],
  now: number,
): Promise<number> {
  const { config, zone } = deps.compiled;
  let raised = 0;
  for (const rollup of periodRollups) {
    const metric = config.metrics[rollup.metricId]!;
    if (
      !metric.target ||
      rollup.target?.state !== 'off_track' ||
      !rollup.settled ||
      metric.grain !== rollup.grain
    )
      continue;
    // Only the latest settled period speaks for the target now: not one the next period has replaced.
    const next = periodBounds(periodKey(rollup.end, rollup.grain, zone), rollup.grain, zone);
    if (now >= next.end + durationMs(config.recompute.settleDelay)) continue;
    const review = cadencePeriod(metric.cadence, now, zone);
    const base = alertOf(rollup, new Map(), deps, 'target_off_track');
    const alert: DeviationAlert = {
      ...base,
      alertId: `${rollup.defId}:target:${review.key}`,
      grain: `target-${metric.cadence}`,
      period: review.key,
      periodStart: new Date(review.start).toISOString(),
      target: { ...metric.target, ...rollup.target },
    };
    if (await deps.rollups.openAlert(alert, now)) {
      await send(deps, alert);
      raised++;
    }
  }
  return raised;
}

/**
 * One scheduled run: finishes stale ingest rounds, recomputes every metric of the periods
 * ingest marked dirty or that settled since the last run, writes their rollups and raises
 * or resolves alerts. Its work follows dirty periods and metrics, never the event count.
 */
export async function recompute(
  deps: RecomputeDeps,
  options: RecomputeOptions = {},
): Promise<RecomputeSummary> {
  const now = deps.clock();
  const recoveredRounds = await recoverStaleRounds(
    { store: deps.ingest, compiled: deps.compiled, clock: deps.clock },
    MAX_LOOKBACK_MS,
  );
  const lastRun = options.since ?? Math.max((await deps.rollups.lastRunAt()) ?? 0, now - MAX_LOOKBACK_MS);
  const work = await workList(deps, lastRun, now);
  let rollupCount = 0;
  let detected = 0;
  let resolved = 0;
  let offTrack = 0;
  for (const { grain, period } of work) {
    const periodRollups = await rollupsOf(deps, grain, period, now);
    await Promise.all(periodRollups.map((rollup) => deps.rollups.putRollup(rollup)));
    rollupCount += periodRollups.length;
    const raised = await raiseAlerts(deps, periodRollups, now);
    detected += raised.detected;
    resolved += raised.resolved;
    offTrack += await raiseTargetAlerts(deps, periodRollups, now);
  }
  const unsent = await deps.rollups.unsentAlerts(
    new Date(now - RESEND_LOOKBACK_MS).toISOString(),
    new Date(now).toISOString(),
    now - RESEND_GRACE_MS,
  );
  for (const alert of unsent) await send(deps, alert);
  await deps.rollups.setLastRunAt(now);
  return {
    periods: work.length,
    rollups: rollupCount,
    detected,
    resolved,
    offTrack,
    resent: unsent.length,
    recoveredRounds,
  };
}
