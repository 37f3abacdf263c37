import type { Grain } from '../config/schema.js';
import { periodBounds, periodKey } from '../time/periods.js';
import {
  classify,
  type Deviation,
  type ExpectedBand,
  type ExpectedBandOptions,
  expectedBand,
  historyPeriods,
} from './expected-band.js';

/**
 * A level shift in effect: values of periods that started before `since` are moved to the
 * new level (times `scale`, or plus `offset` where the old expected value was not above 0)
 * before they form an expectation, so the band follows the new level at once and keeps the
 * seasonal shape (SEMANTICS.md section 12).
 */
export interface LevelShift {
  readonly since: number;
  readonly scale?: number;
  readonly offset?: number;
  /**
   * The fit behind `scale` or `offset`: the sum of the values of the periods since the shift
   * began, of what the old level expected of them, and how many they are. Each period of the
   * first seasonal cycle after the shift (while every history period predates it) adds to it,
   * so a level fitted from its first few periods is refitted from a whole cycle.
   */
  readonly fit?: { readonly observed: number; readonly baseline: number; readonly periods: number };
}

/** A period as the detector reads it back: its value, whether a calendar or annotation marks it, and its judgement. */
export interface JudgedPeriod {
  readonly start: number;
  readonly value: number | null;
  readonly expected: number | null;
  readonly status: 'open' | 'learning' | 'normal' | 'deviating' | 'no_data';
  /** Labels of the holidays and annotations that cover the period. */
  readonly marks?: readonly string[];
  /** Level shifts in effect for the periods after this one. */
  readonly level?: readonly LevelShift[];
  /** This period completed a run of deviations on one side: a level shift was raised. */
  readonly shift?: boolean;
}

export interface DetectorInput {
  /** The period's start. */
  readonly start: number;
  readonly value: number | null;
  readonly settled: boolean;
  /** Labels marking this period; a marked period is judged but does not start or extend a level shift. */
  readonly marks: readonly string[];
  /**
   * The seasonal history periods (see `historyPeriods`), most recent first, undefined where
   * none is stored: twice `historyCount` of them, so that marked ones left out are made up
   * from further back.
   */
  readonly history: readonly (Pick<JudgedPeriod, 'start' | 'value' | 'marks'> | undefined)[];
  /** How many history periods an expectation is drawn from (`recompute.history`). */
  readonly historyCount: number;
  /** The periods just before, most recent first (at least `shiftPeriods - 1` of them); undefined where none is stored. */
  readonly previous: readonly (JudgedPeriod | undefined)[];
  readonly band: ExpectedBandOptions;
  /** Consecutive settled periods outside the band on one side that make a level shift; 0 turns it off. */
  readonly shiftPeriods: number;
}

export interface Judgement {
  readonly band: ExpectedBand;
  /** Undefined while the period is open. */
  readonly verdict: Deviation | undefined;
  readonly level: readonly LevelShift[];
  readonly shift: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const moved = (value: number, start: number, level: readonly LevelShift[]) =>
  level.reduce(
    (current, shift) =>
      start >= shift.since
        ? current
        : shift.scale !== undefined
          ? current * shift.scale
          : current + (shift.offset ?? 0),
    value,
  );

const side = (period: Pick<JudgedPeriod, 'value' | 'expected'>) =>
  period.value === null || period.expected === null ? 0 : Math.sign(period.value - period.expected);

/**
 * Judges one period: its band from the history periods that no holiday or annotation marks,
 * moved to the level in effect; its verdict once settled; and whether it completes a level
 * shift, after which the periods that follow expect the new level.
 */
export function judgePeriod(input: DetectorInput): Judgement {
  const inherited = input.previous.find((period) => period !== undefined)?.level ?? [];
  // The most recent unmarked periods; one with nothing stored still takes its place.
  const kept = input.history
    .filter((period) => (period?.marks?.length ?? 0) === 0)
    .slice(0, input.historyCount)
    .filter((period) => period !== undefined);
  const oldest = Math.min(...kept.map((period) => period!.start));
  const newest = Math.max(...kept.map((period) => period!.start));
  // A shift older than every history period no longer moves anything.
  const level = inherited.filter((shift) => shift.since > oldest);
  const values = kept.map((period) =>
    period!.value === null || !Number.isFinite(period!.value)
      ? null
      : moved(period!.value, period!.start, level),
  );
  const band = expectedBand(values, input.band);
  const verdict = input.settled ? classify(input.value, band) : undefined;
  const none = {
    band,
    verdict,
    level: input.settled && input.marks.length === 0 ? refitted(level, input, band, newest) : level,
    shift: false,
  };
  if (
    input.shiftPeriods <= 0 ||
    verdict?.status !== 'deviating' ||
    input.marks.length > 0 ||
    band.state !== 'ready'
  )
    return none;
  const current = { value: input.value, expected: band.expected };
  const run = input.previous.slice(0, input.shiftPeriods - 1);
  const direction = side(current);
  const same = run.every(
    (period) =>
      period !== undefined &&
      period.status === 'deviating' &&
      !period.shift &&
      (period.marks?.length ?? 0) === 0 &&
      side(period) === direction,
  );
  if (!same || run.length < input.shiftPeriods - 1) return none;
  const periods = [current, ...(run as JudgedPeriod[])];
  const since = run.length > 0 ? run.at(-1)!.start : input.start;
  const fit = {
    observed: periods.reduce((sum, period) => sum + period.value!, 0),
    baseline: periods.reduce((sum, period) => sum + period.expected!, 0),
    periods: periods.length,
  };
  const shift: LevelShift = periods.every((period) => (period.expected ?? 0) > 0)
    ? { since, scale: median(periods.map((period) => period.value! / period.expected!)), fit }
    : { since, offset: median(periods.map((period) => period.value! - period.expected!)), fit };
  return { band, verdict, level: [...level, shift], shift: true };
}

/**
 * The level after this period: the latest shift refitted with it, while every history period
 * predates the shift (then the old level's expectation of the period is the band's expected
 * value moved back). A scale is the ratio of the sums, so each period weighs by its volume; an
 * offset is the mean difference.
 */
function refitted(
  level: readonly LevelShift[],
  input: DetectorInput,
  band: ExpectedBand,
  newest: number,
): readonly LevelShift[] {
  const latest = level.at(-1);
  if (
    latest?.fit === undefined ||
    band.state !== 'ready' ||
    input.value === null ||
    !Number.isFinite(input.value) ||
    input.start < latest.since ||
    // Every history period predates the shift.
    !(newest < latest.since) ||
    (latest.scale !== undefined && !(latest.scale > 0))
  )
    return level;
  const baseline =
    latest.scale !== undefined ? band.expected / latest.scale : band.expected - (latest.offset ?? 0);
  const fit = {
    observed: latest.fit.observed + input.value,
    baseline: latest.fit.baseline + baseline,
    periods: latest.fit.periods + 1,
  };
  const shift: LevelShift =
    latest.scale !== undefined && fit.baseline > 0
      ? { since: latest.since, scale: fit.observed / fit.baseline, fit }
      : { since: latest.since, offset: (fit.observed - fit.baseline) / fit.periods, fit };
  return [...level.slice(0, -1), shift];
}

/** The `count` periods just before `period`, most recent first. */
export function previousPeriods(period: string, grain: Grain, zone: string, count: number): string[] {
  const periods: string[] = [];
  let start = periodBounds(period, grain, zone).start;
  for (let i = 0; i < count; i++) {
    const key = periodKey(start - 1, grain, zone);
    periods.push(key);
    start = periodBounds(key, grain, zone).start;
  }
  return periods;
}

/** One period of a stored series, as a backtest replays it. */
export interface SeriesPoint {
  readonly period: string;
  readonly start: number;
  readonly value: number | null;
  readonly marks: readonly string[];
}

export interface SeriesJudgement extends JudgedPeriod {
  readonly period: string;
  readonly band: ExpectedBand;
  readonly verdict: Deviation | undefined;
}

export interface BacktestSettings {
  readonly grain: Grain;
  readonly zone: string;
  /** History periods per expectation (`recompute.history[grain]`). */
  readonly history: number;
  readonly band: ExpectedBandOptions;
  readonly shiftPeriods: number;
}

/**
 * Judges every period of a series in order, each only with what came before it, as the
 * recompute would have seen it once the period settled: the detector of the live pipeline
 * replayed over stored values (`northstar backtest`, the alert-quality benchmark).
 */
export function backtestSeries(
  points: readonly SeriesPoint[],
  settings: BacktestSettings,
): SeriesJudgement[] {
  const sorted = [...points].sort((a, b) => a.start - b.start);
  const judged = new Map<string, SeriesJudgement>();
  const results: SeriesJudgement[] = [];
  for (const point of sorted) {
    const history = historyPeriods(point.period, settings.grain, settings.zone, 2 * settings.history).map(
      (key) => judged.get(key),
    );
    const previous = previousPeriods(
      point.period,
      settings.grain,
      settings.zone,
      Math.max(settings.shiftPeriods - 1, 1),
    ).map((key) => judged.get(key));
    const judgement = judgePeriod({
      start: point.start,
      value: point.value,
      settled: true,
      marks: point.marks,
      history,
      historyCount: settings.history,
      previous,
      band: settings.band,
      shiftPeriods: settings.shiftPeriods,
    });
    const ready = judgement.band.state === 'ready' ? judgement.band : undefined;
    const result: SeriesJudgement = {
      period: point.period,
      start: point.start,
      value: point.value,
      expected: ready?.expected ?? null,
      status: judgement.verdict?.status ?? 'open',
      marks: point.marks,
      level: judgement.level,
      shift: judgement.shift,
      band: judgement.band,
      verdict: judgement.verdict,
    };
    judged.set(point.period, result);
    results.push(result);
  }
  return results;
}
