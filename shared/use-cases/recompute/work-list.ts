import type { Grain } from '../../domain/config/schema.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { ALL_TIME } from '../../domain/engine/deltas.js';
import { previousPeriods } from '../../domain/engine/detector.js';
import { lastOffset } from '../../domain/engine/retention.js';
import { durationMs, periodBounds, periodKey } from '../../domain/time/periods.js';

/** One period of one grain to recompute every metric of. */
export interface PeriodWork {
  readonly grain: Grain;
  readonly period: string;
}

const GRAIN_ORDER: readonly Grain[] = ['hour', 'day', 'week', 'month'];
/** Periods whose settling a single run catches up on, per grain. */
const MAX_SETTLED_PER_GRAIN = 400;

/** Where a run's dirty marks start: a round marks dirty under its creation minute, up to a round's limit old. */
export function dirtySince(lastRun: number, compiled: CompiledConfig): number {
  return lastRun - compiled.maxRoundMs - 120_000;
}

/** Periods of a grain whose settle time (end + delay) falls in (from, to]; the latest ones when there are many. */
export function newlySettled(
  grain: Grain,
  from: number,
  to: number,
  delayMs: number,
  zone: string,
): string[] {
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

/** Every settle delay of the configuration: the plain one, and each funnel's window on top of it. */
function settleDelays(compiled: CompiledConfig): Set<number> {
  const settleDelayMs = durationMs(compiled.config.recompute.settleDelay);
  const delays = new Set([settleDelayMs]);
  for (const metric of Object.values(compiled.config.metrics)) {
    const funnel = metric.kind === 'funnel_conversion' ? compiled.config.funnels[metric.funnel] : undefined;
    if (funnel) delays.add(settleDelayMs + durationMs(funnel.window));
  }
  return delays;
}

/**
 * The work list: the dirty periods and the periods that settled in (lastRun, now], once
 * each, finest grain first and oldest first within a grain, so that a period's band reads
 * the rollups this run has just written for the periods before it.
 */
export function workList(
  dirty: ReadonlySet<string>,
  lastRun: number,
  now: number,
  compiled: CompiledConfig,
): PeriodWork[] {
  const keys = new Set([...dirty].filter((item) => item !== ALL_TIME));
  const delays = settleDelays(compiled);
  for (const grain of compiled.grains) {
    for (const delay of delays) {
      for (const period of newlySettled(grain, lastRun, now, delay, compiled.zone))
        keys.add(`${grain}#${period}`);
    }
  }
  // A retention cohort settles when its last return period has: `lastOffset` periods before that one.
  const settleDelayMs = durationMs(compiled.config.recompute.settleDelay);
  for (const { metric } of compiled.retentions) {
    for (const period of newlySettled(metric.grain, lastRun, now, settleDelayMs, compiled.zone)) {
      const cohort = previousPeriods(period, metric.grain, compiled.zone, lastOffset(metric)).at(-1)!;
      keys.add(`${metric.grain}#${cohort}`);
    }
  }
  return (
    [...keys]
      .map((key) => {
        const [grain, period] = key.split('#') as [Grain, string];
        return { grain, period, start: periodBounds(period, grain, compiled.zone).start };
      })
      // A rolling window counts users on days still to come: those are judged once they begin.
      .filter(({ start }) => start <= now)
      .sort((a, b) => GRAIN_ORDER.indexOf(a.grain) - GRAIN_ORDER.indexOf(b.grain) || a.start - b.start)
      .map(({ grain, period }) => ({ grain, period }))
  );
}
