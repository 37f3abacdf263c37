import { type CalendarEntry, calendarMarks, labelsOf } from '../shared/domain/time/calendar.js';
import { periodKey } from '../shared/domain/time/periods.js';

/**
 * Seeded synthetic series of a product metric (a count per period) with labelled anomalies,
 * for the alert-quality benchmark (docs/benchmarks.md#alert-quality). Pure and deterministic:
 * the same options give the same series.
 */

export type SeriesGrain = 'day' | 'hour';
export type AnomalyKind = 'spike' | 'drop' | 'level_shift' | 'holiday';

/** A labelled event: the periods [from, to) by index in the series in which an alert detects it. */
export interface LabelledEvent {
  readonly kind: AnomalyKind;
  readonly from: number;
  readonly to: number;
  /** The factor applied to the expected value: 1.7 for +70 %, 0.5 for -50 %. */
  readonly factor: number;
}

export interface SeriesOptions {
  readonly grain: SeriesGrain;
  /** Mean value per period before trend, seasonality and anomalies: 20, 200, 2000. */
  readonly volume: number;
  readonly seed: number;
  /** Weeks in the series. @default 26 at day grain, 10 at hour grain */
  readonly weeks?: number;
  /** Weeks before the first scored period: the detectors' learning. @default 4 */
  readonly learningWeeks?: number;
  /** Periods after a level shift's first in which an alert detects it. @default 5 */
  readonly shiftWindow?: number;
}

export interface SeriesPeriod {
  readonly period: string;
  readonly start: number;
  readonly value: number;
  /** Labels of the calendar entries (holidays) covering the period. */
  readonly marks: readonly string[];
}

export interface SyntheticSeries {
  readonly id: string;
  readonly grain: SeriesGrain;
  readonly volume: number;
  readonly seed: number;
  readonly periods: readonly SeriesPeriod[];
  /** Periods in a week: 7 days or 168 hours. */
  readonly periodsPerWeek: number;
  /** First period scored: the detectors have had `learningWeeks` of history. */
  readonly scoredFrom: number;
  /** Spikes, drops and level shifts (a shift lasts to the end of the series; its event is its first periods). */
  readonly anomalies: readonly LabelledEvent[];
  /** Public holidays: a drop on the whole day, labelled in the calendar. */
  readonly holidays: readonly LabelledEvent[];
  /** The calendar a team would configure: one entry per holiday. */
  readonly calendar: readonly CalendarEntry[];
}

/** Monday 5 January 2026, 00:00 UTC. */
export const SERIES_START = Date.parse('2026-01-05T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const HOLIDAY_LABEL = 'public holiday';

/** Per series: holidays, spikes and drops (each), level shifts. */
const COUNTS: Record<SeriesGrain, { holidays: number; spikes: number; drops: number }> = {
  day: { holidays: 3, spikes: 3, drops: 3 },
  hour: { holidays: 2, spikes: 4, drops: 4 },
};

export type Random = () => number;

/** mulberry32 seeded by a string: a small deterministic PRNG. */
export function seededRandom(key: string): Random {
  let state = 2166136261;
  for (let i = 0; i < key.length; i++) state = Math.imul(state ^ key.charCodeAt(i), 16777619);
  state >>>= 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (random: Random, low: number, high: number) => low + (high - low) * random();

/** log(k!) by Stirling's series; exact by sum for small k. */
function logFactorial(k: number): number {
  if (k < 10) {
    let sum = 0;
    for (let i = 2; i <= k; i++) sum += Math.log(i);
    return sum;
  }
  const n = k + 1;
  return (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/** A Poisson draw: Knuth's product method for small means, Hörmann's PTRS rejection for larger. */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let product = random();
    while (product > limit) {
      k++;
      product *= random();
    }
    return k;
  }
  const root = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * root;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(inverseAlpha) - Math.log(a / (us * us) + b) <=
      -mean + k * logMean - logFactorial(k)
    )
      return k;
  }
}

/** The share of the mean each period of the week carries, averaging 1 over the week. */
function weeklyShape(grain: SeriesGrain, random: Random): number[] {
  // Monday to Sunday: busier mid-week, quieter at the weekend, each series a little different.
  const days = [1.05, 1.1, 1.1, 1.05, 0.98, 0.72, 0.68].map((weight) => weight * uniform(random, 0.96, 1.04));
  let shape: number[];
  if (grain === 'day') shape = days;
  else {
    const peak = uniform(random, 14, 17);
    const trough = uniform(random, 0.15, 0.3);
    shape = Array.from({ length: 168 }, (_, hour) => {
      const day = Math.floor(hour / 24);
      const weekend = day >= 5;
      // Weekend days start later and stay lower: the pattern a detector must learn, not flag.
      const centre = peak + (weekend ? 1.5 : 0);
      const daily =
        trough + (1 - trough) * (0.5 + 0.5 * Math.cos((2 * Math.PI * ((hour % 24) - centre)) / 24));
      return days[day]! * daily;
    });
  }
  const mean = shape.reduce((sum, weight) => sum + weight, 0) / shape.length;
  return shape.map((weight) => weight / mean);
}

interface Slots {
  readonly taken: [number, number][];
}

/** A random [from, from + length) within [low, high) that keeps `gap` periods from every taken one. */
function place(
  slots: Slots,
  random: Random,
  low: number,
  high: number,
  length: number,
  gap: number,
  fits: (from: number) => boolean = () => true,
): number {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const from = low + Math.floor(random() * (high - length - low));
    if (!fits(from)) continue;
    if (slots.taken.some(([start, end]) => from < end + gap && from + length + gap > start)) continue;
    slots.taken.push([from, from + length]);
    return from;
  }
  throw new Error(`no room for an event of ${length} periods in [${low}, ${high})`);
}

const isoDate = (at: number) => new Date(at).toISOString().slice(0, 10);

/** One seeded series with its labelled anomalies and holidays. */
export function syntheticSeries(options: SeriesOptions): SyntheticSeries {
  const { grain, volume, seed } = options;
  const weeks = options.weeks ?? (grain === 'day' ? 26 : 10);
  const learningWeeks = options.learningWeeks ?? 4;
  const shiftWindow = options.shiftWindow ?? 5;
  const id = `${grain}-${volume}-${seed}`;
  const random = seededRandom(`alert-quality|${id}`);
  const perDay = grain === 'day' ? 1 : 24;
  const periodsPerWeek = 7 * perDay;
  const length = weeks * periodsPerWeek;
  const scoredFrom = learningWeeks * periodsPerWeek;
  const step = grain === 'day' ? DAY : HOUR;
  const shape = weeklyShape(grain, random);
  // A slow trend: -0.5 % to +1.2 % a week (over 26 weeks -12 % to +31 %), the same pace at both grains.
  const weeklyGrowth = uniform(random, -0.005, 0.012);
  const factor = new Array<number>(length).fill(1);

  const slots: Slots = { taken: [] };
  const counts = COUNTS[grain];
  const scored = length - scoredFrom;
  // The level shift first, in the middle of the scored weeks, so weeks of the new level follow.
  const shiftFrom = place(
    slots,
    random,
    scoredFrom + Math.floor(0.25 * scored),
    scoredFrom + Math.floor(0.65 * scored),
    shiftWindow,
    perDay * 2,
  );
  const shiftFactor = random() < 0.5 ? 1.4 : 1 - uniform(random, 0.3, 0.5);
  for (let i = shiftFrom; i < length; i++) factor[i]! *= shiftFactor;
  const anomalies: LabelledEvent[] = [
    { kind: 'level_shift', from: shiftFrom, to: shiftFrom + shiftWindow, factor: shiftFactor },
  ];

  // Holidays on weekdays (Monday to Friday), a whole day each.
  const holidays: LabelledEvent[] = [];
  for (let n = 0; n < counts.holidays; n++) {
    const from = place(
      slots,
      random,
      scoredFrom,
      length,
      perDay,
      perDay,
      (at) => at % perDay === 0 && Math.floor(at / perDay) % 7 < 5,
    );
    const drop = 1 - uniform(random, 0.4, 0.6);
    for (let i = from; i < from + perDay; i++) factor[i]! *= drop;
    holidays.push({ kind: 'holiday', from, to: from + perDay, factor: drop });
  }
  for (const kind of ['spike', 'drop'] as const)
    for (let n = 0; n < (kind === 'spike' ? counts.spikes : counts.drops); n++) {
      const from = place(slots, random, scoredFrom, length, 1, grain === 'day' ? 2 : 6);
      const change = kind === 'spike' ? 1 + uniform(random, 0.5, 1) : 1 - uniform(random, 0.4, 0.7);
      factor[from]! *= change;
      anomalies.push({ kind, from, to: from + 1, factor: change });
    }
  anomalies.sort((a, b) => a.from - b.from);
  holidays.sort((a, b) => a.from - b.from);

  const end = SERIES_START + length * step;
  const calendar: CalendarEntry[] = holidays.map((holiday) => ({
    label: HOLIDAY_LABEL,
    date: isoDate(SERIES_START + holiday.from * step),
    days: 1,
  }));
  const marks = calendarMarks(calendar, SERIES_START, end, 'UTC');
  const periods = Array.from({ length }, (_, i): SeriesPeriod => {
    const start = SERIES_START + i * step;
    const mean = volume * (1 + (weeklyGrowth * i) / periodsPerWeek) * shape[i % periodsPerWeek]! * factor[i]!;
    return {
      period: periodKey(start, grain, 'UTC'),
      start,
      value: poisson(random, mean),
      marks: labelsOf(marks, start, start + step),
    };
  });
  return { id, grain, volume, seed, periods, periodsPerWeek, scoredFrom, anomalies, holidays, calendar };
}
