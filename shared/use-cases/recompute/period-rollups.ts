import type { Grain, Metric } from '../../domain/config/schema.js';
import { seriesId } from '../../domain/engine/breakdowns.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { judgePeriod, previousPeriods } from '../../domain/engine/detector.js';
import { type ExpectedBandOptions, historyPeriods } from '../../domain/engine/expected-band.js';
import { type AnnotationSpan, labelsOf, metricMarks } from '../../domain/engine/marks.js';
import { hasGrain, windowDays } from '../../domain/engine/metric-grains.js';
import { metricValue, type SeriesOf } from '../../domain/engine/metric-values.js';
import { lastOffset } from '../../domain/engine/retention.js';
import { targetProgress } from '../../domain/engine/target-pace.js';
import type { Rollup } from '../../domain/rollup.js';
import { periodEnd, periodsAfter } from '../../domain/time/period-steps.js';
import { addDuration, durationMs, periodBounds, periodKey } from '../../domain/time/periods.js';
import type { Stores } from '../../ports/stores.js';

export interface PeriodRollupsDeps extends Pick<Stores, 'counters' | 'rollups'> {
  readonly compiled: CompiledConfig;
}

/** Settled periods of the metric's grain that feed a target's pace and projection. */
const TARGET_SERIES = 26;

/**
 * When a metric's period is final. A funnel conversion's cohort keeps converting until
 * its window has passed for the last user who entered in the period.
 */
export function settledAt(
  metric: Metric,
  end: number,
  settleDelayMs: number,
  compiled: CompiledConfig,
): number {
  if (metric.kind === 'retention') {
    // A cohort's value is final once its last return period has ended.
    const cohort = periodKey(end - 1, metric.grain, compiled.zone);
    const last = periodsAfter(cohort, metric.grain, compiled.zone, lastOffset(metric)).at(-1)!;
    return periodEnd(last, metric.grain, compiled.zone) + settleDelayMs;
  }
  if (metric.kind !== 'funnel_conversion') return end + settleDelayMs;
  const window = compiled.config.funnels[metric.funnel]?.window ?? 'PT0S';
  return addDuration(end, window, compiled.zone) + settleDelayMs;
}

/** A target's progress from the metric's first value on record (the baseline) and its latest ones (the pace). */
async function withTarget(
  deps: PeriodRollupsDeps,
  metric: Metric,
  base: Rollup,
  now: number,
): Promise<Rollup> {
  if (!metric.target || metric.grain !== base.grain) return base;
  const [first] = await deps.rollups.earliestRollups(base.defId, base.grain, 1);
  const recent = await deps.rollups.latestRollups(base.defId, base.grain, TARGET_SERIES);
  const series = [
    ...new Map([first, ...recent].filter((r) => r !== undefined).map((r) => [r.period, r])).values(),
  ]
    .filter((rollup) => rollup.settled && rollup.period !== base.period)
    .concat(base.settled ? [base] : [])
    .sort((a, b) => a.start - b.start);
  return {
    ...base,
    target: targetProgress({ target: metric.target, series, now, zone: deps.compiled.zone }),
  };
}

/** The band a metric's history gives, as the live recompute draws it (and a backtest replays it). */
export function bandOptions(
  metric: Metric,
  compiled: CompiledConfig,
  grain: Grain,
  /** In place of the metric's own (a backtest's what-if). */
  sensitivity = metric.sensitivity,
): ExpectedBandOptions {
  const counted = metric.kind === 'count' || metric.kind === 'distinct_users';
  return {
    sensitivity: sensitivity * compiled.config.recompute.bandScale[grain],
    // Counts carry counting noise of about sqrt(n): recompute.countNoise of it is the least band.
    countNoise: counted ? compiled.config.recompute.countNoise : 0,
    nonNegative: counted || metric.kind === 'funnel_conversion' || metric.kind === 'retention',
  };
}

/**
 * Every metric's rollup for one period, and every breakdown value's: value from the
 * counters, band from its own history (without the periods a holiday or an annotation
 * marks, moved to a level shift's new level), and whether it completes a level shift.
 */
export async function periodRollups(
  deps: PeriodRollupsDeps,
  grain: Grain,
  period: string,
  now: number,
  /** Settled means settled by here: `now`, or earlier while ingest has not caught up. */
  caughtUp: number = now,
  /** Owners' annotations, read once per run. */
  annotations: readonly AnnotationSpan[] = [],
): Promise<Rollup[]> {
  const { compiled } = deps;
  const { config, zone } = compiled;
  const { start, end } = periodBounds(period, grain, zone);
  const settleDelayMs = durationMs(config.recompute.settleDelay);
  const counters = await deps.counters.readCounters(`${grain}#${period}`);
  // Twice the history: periods a holiday or an annotation marks are made up from further back.
  const historyCount = config.recompute.history[grain];
  const history = historyPeriods(period, grain, zone, 2 * historyCount);
  const shiftPeriods = config.recompute.levelShift;
  const previous = previousPeriods(period, grain, zone, Math.max(shiftPeriods - 1, 1));
  const bounds = new Map([...history, ...previous].map((key) => [key, periodBounds(key, grain, zone)]));
  const earliest = Math.min(start, ...[...bounds.values()].map((range) => range.start));
  // One metric, or one value of one of its breakdowns: the same judgement on its own history.
  const rollupOf = async (
    metricId: string,
    metric: Metric,
    defId: string,
    split?: SeriesOf & { readonly label: string },
  ): Promise<Rollup> => {
    // A period without a single counter saw no events at all: the pipeline was not
    // receiving yet (or not running), which is no data, not a zero to learn from.
    const value = counters.size === 0 ? null : metricValue(metricId, counters, compiled, split);
    const settled = caughtUp >= settledAt(metric, end, settleDelayMs, compiled);
    const marks = metricMarks(compiled, annotations, metricId, grain, earliest, end);
    // Marks as they stand now: an annotation added later leaves its periods out from then on.
    const marked = (key: string) => {
      const range = bounds.get(key)!;
      return labelsOf(marks, range.start, range.end);
    };
    const past = await deps.rollups.getRollups(defId, grain, [...new Set([...history, ...previous])]);
    const judgement = judgePeriod({
      start,
      value,
      settled,
      marks: labelsOf(marks, start, end),
      history: history.map((key) => {
        const rollup = past.get(key);
        return rollup && { start: rollup.start, value: rollup.value, marks: marked(key) };
      }),
      historyCount,
      previous: previous.map((key) => {
        const rollup = past.get(key);
        return rollup && { ...rollup, marks: marked(key) };
      }),
      band: bandOptions(metric, compiled, grain),
      shiftPeriods,
    });
    const { band, verdict } = judgement;
    const ready = band.state === 'ready' ? band : undefined;
    const elapsed = Math.min(Math.max(now - start, 1), end - start);
    const labels = labelsOf(marks, start, end);
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
          : // A rate, or a rolling window's users: what is seen so far is the best guess, not a share of the period.
            metric.kind === 'ratio' ||
              metric.kind === 'funnel_conversion' ||
              metric.kind === 'retention' ||
              windowDays(metric) !== undefined
            ? value
            : (value * (end - start)) / elapsed,
      updatedAt: now,
      ...(labels.length > 0 ? { marks: labels } : {}),
      ...(judgement.level.length > 0 ? { level: judgement.level } : {}),
      ...(judgement.shift ? { shift: true } : {}),
      ...(split ? { series: { by: split.by, value: split.label } } : {}),
    } satisfies Rollup;
    return split ? base : withTarget(deps, metric, base, now);
  };
  const kept = Object.entries(config.metrics).filter(([metricId]) => hasGrain(config, metricId, grain));
  const keptIds = new Set(kept.map(([metricId]) => metricId));
  return Promise.all([
    ...kept.map(([metricId, metric]) => rollupOf(metricId, metric, compiled.defIds[`metric:${metricId}`]!)),
    ...compiled.breakdowns
      .filter((breakdown) => keptIds.has(breakdown.metricId))
      .flatMap((breakdown) =>
        breakdown.labels.map((label, index) =>
          rollupOf(
            breakdown.metricId,
            config.metrics[breakdown.metricId]!,
            seriesId(breakdown.defId, index),
            {
              by: breakdown.by,
              index,
              label,
            },
          ),
        ),
      ),
  ]);
}
