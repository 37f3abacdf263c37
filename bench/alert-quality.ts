import { RecomputeSettings } from '../shared/domain/config/schema.js';
import {
  type BacktestSettings,
  backtestSeries,
  type JudgedPeriod,
  judgePeriod,
  type SeriesPoint,
} from '../shared/domain/engine/detector.js';
import { type AnomalyKind, type SeriesGrain, type SyntheticSeries, syntheticSeries } from './alert-series.js';

/**
 * The alert-quality benchmark: the live detector and two simple reference detectors on seeded
 * synthetic series with labelled anomalies, scored against the labels
 * (docs/benchmarks.md#alert-quality).
 */

/** Consecutive deviations that make a level shift (`recompute.levelShift`, default 3). */
export const SHIFT_PERIODS = 3;
/** A level shift is detected by an alert in its first periods. */
export const SHIFT_WINDOW = SHIFT_PERIODS + 2;
export const VOLUMES = [20, 200, 2000] as const;
/** Series per grain and volume. */
export const SEEDS = Number(process.env.BENCH_ALERT_SEEDS ?? 8);
const GRAINS: readonly SeriesGrain[] = ['day', 'hour'];

const DEFAULTS = RecomputeSettings.parse({});

/** What the live recompute uses for a count metric at the defaults (`recompute` settings, sensitivity 1). */
export function liveSettings(grain: SeriesGrain, sensitivity = 1): BacktestSettings {
  return {
    grain,
    zone: 'UTC',
    history: DEFAULTS.history[grain],
    band: {
      sensitivity: sensitivity * DEFAULTS.bandScale[grain],
      countNoise: DEFAULTS.countNoise,
      nonNegative: true,
    },
    shiftPeriods: DEFAULTS.levelShift,
  };
}

/** An alert: the index of a judged period of the series whose verdict is deviating. */
export type Alerts = readonly number[];

const deviating = (judged: readonly Pick<JudgedPeriod, 'status'>[]): number[] =>
  judged.flatMap((period, index) => (period.status === 'deviating' ? [index] : []));

/**
 * The live detector's judgements of a series of consecutive periods in UTC: `judgePeriod`
 * with the inputs `backtestSeries` gives it, its history and previous periods found by index
 * instead of through time-zone arithmetic (a hundred times faster). `sameAsBacktest` checks
 * that both give the same judgements.
 */
export function replaySeries(
  points: readonly SeriesPoint[],
  settings: BacktestSettings,
  periodsPerWeek: number,
): JudgedPeriod[] {
  const judged: JudgedPeriod[] = [];
  const previousCount = Math.max(settings.shiftPeriods - 1, 1);
  for (const [index, point] of points.entries()) {
    // Twice the history, as `backtestSeries` gives: marked periods left out are made up from further back.
    const history = Array.from(
      { length: 2 * settings.history },
      (_, back) => judged[index - (back + 1) * periodsPerWeek],
    );
    const previous = Array.from({ length: previousCount }, (_, back) => judged[index - back - 1]);
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
    judged.push({
      start: point.start,
      value: point.value,
      expected: judgement.band.state === 'ready' ? judgement.band.expected : null,
      status: judgement.verdict?.status ?? 'open',
      marks: point.marks,
      level: judgement.level,
      shift: judgement.shift,
    });
  }
  return judged;
}

/** Periods where the replay and `backtestSeries` judge differently (status, expectation, shift); none is the check passed. */
export function differencesFromBacktest(
  points: readonly SeriesPoint[],
  settings: BacktestSettings,
  periodsPerWeek: number,
): string[] {
  const replayed = replaySeries(points, settings, periodsPerWeek);
  const backtest = backtestSeries(points, settings);
  if (backtest.length !== replayed.length) return [`${backtest.length} periods against ${replayed.length}`];
  return backtest.flatMap((period, index) => {
    const other = replayed[index]!;
    return period.status === other.status &&
      period.expected === other.expected &&
      period.shift === other.shift
      ? []
      : [`${period.period}: ${period.status}/${period.expected} against ${other.status}/${other.expected}`];
  });
}

const pointsOf = (series: SyntheticSeries, withMarks: boolean): SeriesPoint[] =>
  series.periods.map((period) => ({ ...period, marks: withMarks ? period.marks : [] }));

/**
 * The live detector's pages; with the holidays as marks (a configured calendar) or without. A
 * marked period's deviation is kept but not sent (a metric's `pageMarked` defaults to off), so
 * it is no page. `sensitivity` and `alertMarked: true` (pageMarked on) are what-ifs.
 */
export function liveAlerts(
  series: SyntheticSeries,
  withMarks: boolean,
  { sensitivity = 1, alertMarked = false }: { sensitivity?: number; alertMarked?: boolean } = {},
): Alerts {
  const settings = liveSettings(series.grain, sensitivity);
  const judged = replaySeries(pointsOf(series, withMarks), settings, series.periodsPerWeek);
  return deviating(judged).filter((at) => alertMarked || (judged[at]!.marks?.length ?? 0) === 0);
}

/** What-ifs of the live detector, with the calendar: not how it runs, what would change its figures. */
export const WHAT_IFS = [
  { label: 'as it runs (sensitivity 1, marked periods not paged)', sensitivity: 1, alertMarked: false },
  { label: 'pageMarked on: marked periods paged', sensitivity: 1, alertMarked: true },
  { label: 'sensitivity 1.25', sensitivity: 1.25, alertMarked: false },
  { label: 'sensitivity 1.5', sensitivity: 1.5, alertMarked: false },
  { label: 'sensitivity 2', sensitivity: 2, alertMarked: false },
] as const;

/** Reference 1: outside mean +- k standard deviations of the previous `window` consecutive periods. */
export function trailingMeanAlerts(values: readonly number[], window = 28, k = 3): Alerts {
  const alerts: number[] = [];
  for (let i = window; i < values.length; i++) {
    const previous = values.slice(i - window, i);
    const mean = previous.reduce((sum, value) => sum + value, 0) / window;
    const variance = previous.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (window - 1);
    if (Math.abs(values[i]! - mean) > k * Math.sqrt(variance)) alerts.push(i);
  }
  return alerts;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Reference 2: outside median +- k x 1.4826 x MAD of the same period of the week in the
 * previous `weeks` weeks (at least `minHistory` of them), no floors.
 */
export function seasonalMedianAlerts(
  values: readonly number[],
  periodsPerWeek: number,
  weeks = 8,
  k = 3,
  minHistory = 4,
): Alerts {
  const alerts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const history: number[] = [];
    for (let back = 1; back <= weeks && i - back * periodsPerWeek >= 0; back++)
      history.push(values[i - back * periodsPerWeek]!);
    if (history.length < minHistory) continue;
    const centre = median(history);
    const mad = median(history.map((value) => Math.abs(value - centre)));
    if (Math.abs(values[i]! - centre) > k * 1.4826 * mad) alerts.push(i);
  }
  return alerts;
}

/** What a series' alerts are scored against. */
export interface Truth {
  /** Periods [from, to) that are scored: after learning, to the end. */
  readonly scoredFrom: number;
  readonly scoredTo: number;
  /** Each anomaly is found by any alert within its periods [from, to). */
  readonly events: readonly { readonly kind: string; readonly from: number; readonly to: number }[];
  /** Where a false alert falls, to say what causes them; the first that holds it names it, else `other`. */
  readonly contexts?: readonly { readonly label: string; readonly from: number; readonly to: number }[];
}

export interface Score {
  /** Per anomaly kind: events, those with an alert, alerts within them. */
  readonly kinds: Record<string, { events: number; caught: number; alerts: number }>;
  readonly alerts: number;
  readonly trueAlerts: number;
  readonly falseAlerts: number;
  /** False alerts by the context they fall in. */
  readonly falseBy: Record<string, number>;
  /** Scored periods outside every event, by context: where false alerts could fall. */
  readonly exposure: Record<string, number>;
}

/** Scores alerts against labelled events: an event with an alert in it is caught, an alert outside every event is false. */
export function scoreAlerts(truth: Truth, alerts: Alerts): Score {
  const scored = alerts.filter((at) => at >= truth.scoredFrom && at < truth.scoredTo);
  const kinds: Record<string, { events: number; caught: number; alerts: number }> = {};
  for (const event of truth.events) {
    const kind = (kinds[event.kind] ??= { events: 0, caught: 0, alerts: 0 });
    const inside = scored.filter((at) => at >= event.from && at < event.to).length;
    kind.events++;
    kind.alerts += inside;
    if (inside > 0) kind.caught++;
  }
  const contextOf = (at: number) =>
    truth.contexts?.find((span) => at >= span.from && at < span.to)?.label ?? 'other';
  const inEvent = (at: number) => truth.events.some((event) => at >= event.from && at < event.to);
  const falseBy: Record<string, number> = {};
  const exposure: Record<string, number> = {};
  for (let at = truth.scoredFrom; at < truth.scoredTo; at++)
    if (!inEvent(at)) exposure[contextOf(at)] = (exposure[contextOf(at)] ?? 0) + 1;
  let falseAlerts = 0;
  for (const at of scored) {
    if (inEvent(at)) continue;
    falseAlerts++;
    falseBy[contextOf(at)] = (falseBy[contextOf(at)] ?? 0) + 1;
  }
  return {
    kinds,
    alerts: scored.length,
    trueAlerts: scored.length - falseAlerts,
    falseAlerts,
    falseBy,
    exposure,
  };
}

const addCounts = (sum: Record<string, number>, add: Record<string, number>) => {
  for (const [name, count] of Object.entries(add)) sum[name] = (sum[name] ?? 0) + count;
};

/** Sums of scores of several series. */
export function addScores(scores: readonly Score[]): Score {
  const kinds: Record<string, { events: number; caught: number; alerts: number }> = {};
  const falseBy: Record<string, number> = {};
  const exposure: Record<string, number> = {};
  for (const score of scores) {
    for (const [name, kind] of Object.entries(score.kinds)) {
      const sum = (kinds[name] ??= { events: 0, caught: 0, alerts: 0 });
      sum.events += kind.events;
      sum.caught += kind.caught;
      sum.alerts += kind.alerts;
    }
    addCounts(falseBy, score.falseBy);
    addCounts(exposure, score.exposure);
  }
  const total = (pick: (score: Score) => number) => scores.reduce((sum, score) => sum + pick(score), 0);
  return {
    kinds,
    alerts: total((score) => score.alerts),
    trueAlerts: total((score) => score.trueAlerts),
    falseAlerts: total((score) => score.falseAlerts),
    falseBy,
    exposure,
  };
}

export interface Quality {
  /** True alerts over all alerts; 1 without alerts. */
  readonly precision: number;
  /** Events caught over events. */
  readonly recall: number;
  readonly f1: number;
}

const f1Of = (precision: number, recall: number) =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

/** Over all kinds, or for one kind: its caught events, and its alerts against every false alert. */
export function quality(score: Score, kind?: string): Quality {
  const kinds =
    kind === undefined
      ? Object.values(score.kinds)
      : [score.kinds[kind] ?? { events: 0, caught: 0, alerts: 0 }];
  const events = kinds.reduce((sum, one) => sum + one.events, 0);
  const caught = kinds.reduce((sum, one) => sum + one.caught, 0);
  const trueAlerts = kind === undefined ? score.trueAlerts : kinds[0]!.alerts;
  const precision = trueAlerts + score.falseAlerts === 0 ? 1 : trueAlerts / (trueAlerts + score.falseAlerts);
  const recall = events === 0 ? 1 : caught / events;
  return { precision, recall, f1: f1Of(precision, recall) };
}

export const DETECTORS = ['live', 'trailing', 'seasonal'] as const;
export type Detector = (typeof DETECTORS)[number];
const DETECTOR_NAMES: Record<Detector, string> = {
  live: 'live detector',
  trailing: 'ref 1: trailing mean ± 3σ (28 periods)',
  seasonal: 'ref 2: same period of week, median ± 3 MAD (8 weeks)',
};

/** With a calendar: the holidays are marks and not anomalies. Without: they are anomalies to catch. */
export type Variant = 'calendar' | 'no-calendar';

/** The truth of a series in a variant, with where false alerts are told apart. */
export function truthOf(series: SyntheticSeries, variant: Variant): Truth {
  const shift = series.anomalies.find((event) => event.kind === 'level_shift');
  const contexts = [
    ...(variant === 'calendar' ? series.holidays.map((holiday) => ({ ...holiday, label: 'holiday' })) : []),
    ...(shift
      ? [{ label: 'level shift', from: shift.from, to: shift.from + 4 * series.periodsPerWeek }]
      : []),
  ];
  return {
    scoredFrom: series.scoredFrom,
    scoredTo: series.periods.length,
    events: variant === 'calendar' ? series.anomalies : [...series.anomalies, ...series.holidays],
    contexts,
  };
}

export interface Run {
  readonly series: readonly SyntheticSeries[];
  /** Scores per variant, grain, detector and series (in the order of `series` of that grain). */
  readonly scores: ReadonlyMap<string, Score[]>;
  readonly checked: string[];
  readonly seconds: number;
}

export const runKey = (variant: Variant, grain: SeriesGrain, detector: Detector) =>
  `${variant}|${grain}|${detector}`;
const whatIfKey = (grain: SeriesGrain, index: number) => `what-if|${grain}|${index}`;

/** Every series, every detector and both variants; the replay checked against `backtestSeries` first. */
export function runAlertQuality(seeds = SEEDS): Run {
  const started = performance.now();
  const series = GRAINS.flatMap((grain) =>
    VOLUMES.flatMap((volume) =>
      Array.from({ length: seeds }, (_, seed) =>
        syntheticSeries({ grain, volume, seed: seed + 1, shiftWindow: SHIFT_WINDOW }),
      ),
    ),
  );
  // The replay must judge as `backtestSeries` does: checked on a series per grain, with marks
  // (and the day series without); `backtestSeries` takes seconds on an hour series, the replay milliseconds.
  const checked: string[] = [];
  for (const [grain, variants] of [
    ['day', [true, false]],
    ['hour', [true]],
  ] as const) {
    const sample = series.find((one) => one.grain === grain && one.volume === 200)!;
    for (const withMarks of variants) {
      const differences = differencesFromBacktest(
        pointsOf(sample, withMarks),
        liveSettings(grain),
        sample.periodsPerWeek,
      );
      if (differences.length > 0)
        throw new Error(
          `The replay of the detector differs from backtestSeries on ${sample.id}: ${differences.slice(0, 3).join('; ')}`,
        );
    }
    checked.push(sample.id);
  }
  const scores = new Map<string, Score[]>();
  const push = (key: string, score: Score) => scores.set(key, [...(scores.get(key) ?? []), score]);
  for (const one of series) {
    const values = one.periods.map((period) => period.value);
    const reference: Record<Exclude<Detector, 'live'>, Alerts> = {
      trailing: trailingMeanAlerts(values),
      seasonal: seasonalMedianAlerts(values, one.periodsPerWeek),
    };
    for (const variant of ['calendar', 'no-calendar'] as const) {
      const truth = truthOf(one, variant);
      push(runKey(variant, one.grain, 'live'), scoreAlerts(truth, liveAlerts(one, variant === 'calendar')));
      for (const detector of ['trailing', 'seasonal'] as const)
        push(runKey(variant, one.grain, detector), scoreAlerts(truth, reference[detector]));
    }
    const truth = truthOf(one, 'calendar');
    for (const [index, whatIf] of WHAT_IFS.entries())
      push(whatIfKey(one.grain, index), scoreAlerts(truth, liveAlerts(one, true, whatIf)));
  }
  return { series, scores, checked, seconds: (performance.now() - started) / 1000 };
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const KIND_NAMES: Record<AnomalyKind, string> = {
  spike: 'spike (+50-100 %, one period)',
  drop: 'drop (-40-70 %, one period)',
  level_shift: `level shift (-30-50 % or +40 %, first ${SHIFT_WINDOW} periods)`,
  holiday: 'unmarked holiday (-40-60 %, whole day)',
};

/** Goals from the issue, at the default sensitivity, with the calendar configured. */
export interface Goal {
  readonly text: string;
  readonly met: boolean;
  readonly figures: string;
}

export function goalsOf(run: Run): Goal[] {
  const total = (grain: SeriesGrain, detector: Detector) =>
    addScores(run.scores.get(runKey('calendar', grain, detector)) ?? []);
  const weeks = (grain: SeriesGrain) =>
    run.series
      .filter((one) => one.grain === grain)
      .reduce((sum, one) => sum + (one.periods.length - one.scoredFrom) / one.periodsPerWeek, 0);
  const day = quality(total('day', 'live'));
  const hour = quality(total('hour', 'live'));
  const hourFalse = total('hour', 'live').falseAlerts / weeks('hour');
  const above = (grain: SeriesGrain) => {
    const live = quality(total(grain, 'live')).f1;
    const best = Math.max(quality(total(grain, 'trailing')).f1, quality(total(grain, 'seasonal')).f1);
    return { met: live > best, figures: `F1 ${fixed(live)} against ${fixed(best)} for the better reference` };
  };
  return [
    { text: 'day grain: F1 >= 0.8', met: day.f1 >= 0.8, figures: `F1 ${fixed(day.f1)}` },
    {
      text: 'day grain: precision >= 0.7',
      met: day.precision >= 0.7,
      figures: `precision ${fixed(day.precision)}`,
    },
    { text: 'hour grain: F1 >= 0.6', met: hour.f1 >= 0.6, figures: `F1 ${fixed(hour.f1)}` },
    {
      text: 'hour grain: at most 1 false alert per metric per week',
      met: hourFalse <= 1,
      figures: `${fixed(hourFalse)} per metric per week`,
    },
    { text: 'live detector above both references (F1), day grain', ...above('day') },
    { text: 'live detector above both references (F1), hour grain', ...above('hour') },
  ];
}

/** The section of bench/RESULTS.md. */
export function alertQualityLines(run: Run): string[] {
  const series = (grain: SeriesGrain) => run.series.filter((one) => one.grain === grain);
  const weeks = (list: readonly SyntheticSeries[]) =>
    list.reduce((sum, one) => sum + (one.periods.length - one.scoredFrom) / one.periodsPerWeek, 0);
  const scoresOf = (variant: Variant, grain: SeriesGrain, detector: Detector) =>
    run.scores.get(runKey(variant, grain, detector)) ?? [];
  const total = (variant: Variant, grain: SeriesGrain, detector: Detector) =>
    addScores(scoresOf(variant, grain, detector));
  const count = (grain: SeriesGrain, kind: AnomalyKind) =>
    series(grain).reduce(
      (sum, one) => sum + [...one.anomalies, ...one.holidays].filter((event) => event.kind === kind).length,
      0,
    );
  const q = (value: Quality) => `${fixed(value.precision)} / ${fixed(value.recall)} / **${fixed(value.f1)}**`;
  const summary = (variant: Variant) =>
    GRAINS.flatMap((grain) =>
      DETECTORS.map((detector) => {
        const score = total(variant, grain, detector);
        const value = quality(score);
        return `| ${grain} | ${DETECTOR_NAMES[detector]} | ${score.alerts} | ${score.trueAlerts} | ${score.falseAlerts} | ${fixed(value.precision)} | ${fixed(value.recall)} | **${fixed(value.f1)}** | ${fixed(score.falseAlerts / weeks(series(grain)))} |`;
      }),
    );
  const summaryHead = [
    '| grain | detector | alerts | true | false | precision | recall | F1 | false alerts per metric per week |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const kindRows = (variant: Variant, kinds: readonly AnomalyKind[]) =>
    GRAINS.flatMap((grain) =>
      kinds.map(
        (kind) =>
          `| ${grain} | ${KIND_NAMES[kind]} | ${count(grain, kind)} | ${DETECTORS.map((detector) => q(quality(total(variant, grain, detector), kind))).join(' | ')} |`,
      ),
    );
  const falseRows = GRAINS.flatMap((grain) =>
    DETECTORS.map((detector) => {
      const score = total('calendar', grain, detector);
      const perWeek = (cause: string) =>
        `${score.falseBy[cause] ?? 0} (${fixed(((score.falseBy[cause] ?? 0) / (score.exposure[cause] ?? 1)) * series(grain)[0]!.periodsPerWeek)})`;
      const holidays = count(grain, 'holiday');
      return `| ${grain} | ${DETECTOR_NAMES[detector]} | ${score.falseAlerts} | ${score.falseBy.holiday ?? 0} (${fixed((score.falseBy.holiday ?? 0) / holidays, 1)}) | ${perWeek('level shift')} | ${perWeek('other')} |`;
    }),
  );
  const volumeRows = GRAINS.flatMap((grain) =>
    VOLUMES.map((volume) => {
      const cells = DETECTORS.map((detector) => {
        const picked = addScores(
          scoresOf('calendar', grain, detector).filter((_, index) => series(grain)[index]!.volume === volume),
        );
        const perWeek = picked.falseAlerts / weeks(series(grain).filter((one) => one.volume === volume));
        return `${q(quality(picked))} (${fixed(perWeek)})`;
      });
      return `| ${grain} | ${volume} | ${cells.join(' | ')} |`;
    }),
  );
  const whatIfRows = GRAINS.flatMap((grain) =>
    WHAT_IFS.map((whatIf, index) => {
      const score = addScores(run.scores.get(whatIfKey(grain, index)) ?? []);
      const value = quality(score);
      return `| ${grain} | ${whatIf.label} | ${fixed(value.precision)} | ${fixed(value.recall)} | **${fixed(value.f1)}** | ${fixed(score.falseAlerts / weeks(series(grain)))} |`;
    }),
  );
  const goals = goalsOf(run);
  const one = (grain: SeriesGrain) => series(grain)[0]!;
  return [
    '## Alert quality: the live detector against two references',
    '',
    `${run.series.length} seeded synthetic count series (\`bench/alert-series.ts\`): per grain ${VOLUMES.length} volumes (${VOLUMES.join(', ')} per period on average) x ${SEEDS} seeds; day grain ${one('day').periods.length / 7} weeks, hour grain ${one('hour').periods.length / 168} weeks, the first ${one('day').scoredFrom / 7} weeks learning and not scored. Weekly cycle, daily cycle with later and lower weekends for hours, a slow trend, Poisson noise; per day series ${one('day').holidays.length} holidays, ${one('day').anomalies.length - 1} spikes and drops and a level shift, per hour series ${one('hour').holidays.length} holidays, ${one('hour').anomalies.length - 1} spikes and drops and a level shift. The live detector is \`judgePeriod\` of \`shared/domain/engine/detector.ts\` at the live defaults for a count (history 8, sensitivity 1, countNoise 2, nonNegative, level shift after ${SHIFT_PERIODS}), replayed as \`backtestSeries\` does and checked identical to it on ${run.checked.join(' and ')} in this run; the references run on the same values. An alert is a scored period outside the band; an anomaly is caught by an alert in its periods; an alert outside every anomaly is false. Precision / recall / F1 per cell; for a kind, precision is its alerts against every false alert. The run took ${fixed(run.seconds, 1)} s. Method: [docs/benchmarks.md](../docs/benchmarks.md#alert-quality).`,
    '',
    '### With the calendar configured (holidays marked, not anomalies)',
    '',
    ...summaryHead,
    ...summary('calendar'),
    '',
    '| grain | anomaly kind | events | live: P / R / F1 | ref 1 trailing mean: P / R / F1 | ref 2 seasonal median: P / R / F1 |',
    '|---|---|---|---|---|---|',
    ...kindRows('calendar', ['spike', 'drop', 'level_shift']),
    '',
    'False alerts by where they fall: on a marked holiday (per holiday), in the 4 weeks from a level shift after its first periods (per metric per week of those weeks), elsewhere (per metric per week of the rest).',
    '',
    '| grain | detector | false alerts | on a marked holiday | after a level shift | elsewhere |',
    '|---|---|---|---|---|---|',
    ...falseRows,
    '',
    'By volume: P / R / F1 (false alerts per metric per week).',
    '',
    '| grain | volume | live | ref 1 trailing mean | ref 2 seasonal median |',
    '|---|---|---|---|---|',
    ...volumeRows,
    '',
    'What-ifs of the live detector with the calendar, on the same series (not how it runs): no alert on a period a holiday marks, and a wider band.',
    '',
    '| grain | live detector | precision | recall | F1 | false alerts per metric per week |',
    '|---|---|---|---|---|---|',
    ...whatIfRows,
    '',
    '### Without a calendar (holidays are anomalies to catch, and not marked)',
    '',
    ...summaryHead,
    ...summary('no-calendar'),
    '',
    '| grain | anomaly kind | events | live: P / R / F1 | ref 1 trailing mean: P / R / F1 | ref 2 seasonal median: P / R / F1 |',
    '|---|---|---|---|---|---|',
    ...kindRows('no-calendar', ['spike', 'drop', 'level_shift', 'holiday']),
    '',
    '### Goals (with the calendar, default sensitivity)',
    '',
    ...goals.map((goal) => `- ${goal.met ? 'met' : '**not met**'}: ${goal.text} (${goal.figures})`),
  ];
}

export async function alertQualitySection(): Promise<string[]> {
  return alertQualityLines(runAlertQuality());
}
