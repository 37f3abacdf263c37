import { DateTime } from 'luxon';
import type { Grain } from '../config/schema.js';
import { periodBounds, periodKey } from '../time/periods.js';

/** How far back the expectation of a period looks, per grain, and in which steps. */
const SEASONALITY: Readonly<
  Record<Grain, { readonly step: 'days' | 'weeks' | 'months'; readonly count: number }>
> = {
  /**
   * The same hour of the same weekday (hour of week) in each of the previous 8 weeks: a
   * Sunday 03:00 is not a Tuesday 14:00, and weekday and weekend hours mixed give a band
   * that fits neither.
   */
  hour: { step: 'weeks', count: 8 },
  /** The same weekday of each of the previous 8 weeks. */
  day: { step: 'weeks', count: 8 },
  /** The previous 8 ISO weeks. */
  week: { step: 'weeks', count: 8 },
  /** The previous 12 calendar months. */
  month: { step: 'months', count: 12 },
};

/**
 * The earlier periods whose values form the expectation of `period`, most recent first.
 * Steps are taken in the time zone, so across a change of clocks the hour of day stays
 * the same. On a day that skips the hour (clocks go forward), that day has no such hour
 * and gives no period: the list is one shorter.
 *
 * @param count how many steps back to look (`recompute.history`); @default 8 for hours, days and weeks, 12 for months
 */
export function historyPeriods(period: string, grain: Grain, zone: string, count?: number): string[] {
  const seasonality = SEASONALITY[grain];
  const steps = count ?? seasonality.count;
  if (!Number.isInteger(steps) || steps < 0)
    throw new RangeError(`count must be a whole number >= 0: ${steps}`);
  const start = periodBounds(period, grain, zone).start;
  if (periodKey(start, grain, zone) !== period) {
    throw new RangeError(`"${period}" is not a ${grain} period in ${zone}`);
  }
  const local = DateTime.fromMillis(start, { zone });
  const periods: string[] = [];
  for (let back = 1; back <= steps; back++) {
    const earlier = local.minus({ [seasonality.step]: back });
    if (grain === 'hour' && earlier.hour !== local.hour) continue;
    periods.push(periodKey(earlier.toMillis(), grain, zone));
  }
  return periods;
}

/** How the expected band is drawn from a metric's history. */
export interface BandSettings {
  /** Values needed before a band exists; with fewer the metric is learning. @default 4 */
  readonly minHistory: number;
  /** Half width in robust standard deviations (1.4826 x MAD). @default 3 */
  readonly k: number;
  /** Least half width as a share of the expected value. @default 0.1 */
  readonly relativeFloor: number;
  /** Least half width in the metric's own unit. @default 0 */
  readonly absoluteFloor: number;
  /**
   * For counts of events or users: least half width in multiples of sqrt(expected), the
   * counting noise a steady process has anyway, so small counts do not alert on chance.
   * 0 for other metrics. @default 0
   */
  readonly countNoise: number;
}

export const BandSettings: BandSettings = Object.freeze({
  minHistory: 4,
  k: 3,
  relativeFloor: 0.1,
  absoluteFloor: 0,
  countNoise: 0,
});

export type ExpectedBandOptions = {
  /** The metric's multiplier on the half width: above 1 alerts less, below 1 more. @default 1 */
  readonly sensitivity?: number;
  /**
   * The metric cannot go below 0 (a count, a number of users, a conversion): the band's lower
   * edge stops at 0, so a short or noisy history never draws a band that no value can leave
   * downwards. @default false
   */
  readonly nonNegative?: boolean;
} & Partial<BandSettings>;

export type ExpectedBand =
  | { readonly state: 'learning' }
  | {
      readonly state: 'ready';
      readonly expected: number;
      readonly lower: number;
      readonly upper: number;
      /** The half width: the band is expected +- spread. */
      readonly spread: number;
    };

/** Scale from the median absolute deviation to a standard deviation for normal data. */
const MAD_TO_SIGMA = 1.4826;

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const ascending = (a: number, b: number): number => a - b;

function checkedSettings(options: ExpectedBandOptions): BandSettings & { readonly sensitivity: number } {
  const settings = {
    minHistory: options.minHistory ?? BandSettings.minHistory,
    k: options.k ?? BandSettings.k,
    relativeFloor: options.relativeFloor ?? BandSettings.relativeFloor,
    absoluteFloor: options.absoluteFloor ?? BandSettings.absoluteFloor,
    countNoise: options.countNoise ?? BandSettings.countNoise,
    sensitivity: options.sensitivity ?? 1,
  };
  if (!Number.isInteger(settings.minHistory) || settings.minHistory < 1) {
    throw new RangeError(`minHistory must be a whole number >= 1: ${settings.minHistory}`);
  }
  for (const name of ['k', 'relativeFloor', 'absoluteFloor', 'countNoise'] as const) {
    if (!(settings[name] >= 0) || !Number.isFinite(settings[name])) {
      throw new RangeError(`${name} must be a finite number >= 0: ${settings[name]}`);
    }
  }
  if (!(settings.sensitivity > 0) || !Number.isFinite(settings.sensitivity)) {
    throw new RangeError(`sensitivity must be a finite number > 0: ${settings.sensitivity}`);
  }
  return settings;
}

/**
 * The expected value of a period and its band, from the values of its history periods.
 * Missing values (null, or not a finite number) are ignored. Median and median absolute
 * deviation keep one odd value in the history from moving or widening the band.
 */
export function expectedBand(
  history: readonly (number | null)[],
  options: ExpectedBandOptions = {},
): ExpectedBand {
  const settings = checkedSettings(options);
  const values = history
    .filter((value): value is number => value !== null && Number.isFinite(value))
    .sort(ascending);
  if (values.length < settings.minHistory) return { state: 'learning' };
  // `+ 0` turns a median of -0 into 0, so equal histories give equal bands.
  const expected = median(values) + 0;
  const mad = median(values.map((value) => Math.abs(value - expected)).sort(ascending));
  const halfWidth =
    Math.max(
      settings.k * MAD_TO_SIGMA * mad,
      settings.relativeFloor * Math.abs(expected),
      settings.absoluteFloor,
      settings.countNoise * Math.sqrt(Math.abs(expected)),
    ) * settings.sensitivity;
  return {
    state: 'ready',
    expected,
    lower: options.nonNegative ? Math.max(0, expected - halfWidth) : expected - halfWidth,
    upper: expected + halfWidth,
    spread: halfWidth,
  };
}

export interface Deviation {
  readonly status: 'learning' | 'normal' | 'deviating' | 'no_data';
  /** (observed - expected) / |expected|; null without both, or when expected is 0. */
  readonly relativeDeviation: number | null;
  /** Only when deviating: critical beyond twice the half width, warning inside it. */
  readonly severity: 'warning' | 'critical' | null;
}

/** Where an observed value stands against its band. The band's edges count as normal. */
export function classify(observed: number | null, band: ExpectedBand): Deviation {
  if (observed === null || !Number.isFinite(observed)) {
    return { status: 'no_data', relativeDeviation: null, severity: null };
  }
  if (band.state === 'learning') return { status: 'learning', relativeDeviation: null, severity: null };
  const difference = observed - band.expected;
  const relativeDeviation = band.expected === 0 ? null : difference / Math.abs(band.expected);
  if (observed >= band.lower && observed <= band.upper) {
    return { status: 'normal', relativeDeviation, severity: null };
  }
  const severity = Math.abs(difference) > 2 * band.spread ? 'critical' : 'warning';
  return { status: 'deviating', relativeDeviation, severity };
}
