import { DateTime } from 'luxon';
import type { Grain } from '../../domain/config/schema.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { backtestSeries, previousPeriods, type SeriesPoint } from '../../domain/engine/detector.js';
import { historyPeriods } from '../../domain/engine/expected-band.js';
import { labelsOf, metricMarks } from '../../domain/engine/marks.js';
import { periodBounds, periodKey } from '../../domain/time/periods.js';
import type { Alerts, AlertVerdict } from '../../ports/alerts.js';
import type { Annotations } from '../../ports/annotations.js';
import type { Rollups } from '../../ports/rollups.js';
import { bandOptions } from '../recompute/period-rollups.js';

/** What a backtest reads: the metric's stored rollups, the alerts owners gave verdicts on, the annotations. */
export interface BacktestDeps {
  readonly compiled: CompiledConfig;
  readonly rollups: Pick<Rollups, 'rollupRange'>;
  readonly alerts: Pick<Alerts, 'listAlerts'>;
  /** Owners' annotations: their periods are marked, as the live recompute marks them. @default none */
  readonly annotations?: Pick<Annotations, 'listAnnotations'> | undefined;
}

export interface BacktestRequest {
  readonly metricId: string;
  readonly grain: Grain;
  /** The band's multiplier. @default the metric's own `sensitivity` */
  readonly sensitivity?: number | undefined;
  /** Periods starting in [from, to), epoch ms, are reported. */
  readonly from: number;
  readonly to: number;
}

/** One alert the detector would have raised. */
export interface BacktestAlert {
  readonly period: string;
  /** ISO 8601. */
  readonly periodStart: string;
  /** `level_shift` where the period completed a run of deviations on one side. */
  readonly kind: 'detected' | 'level_shift';
  readonly observed: number | null;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly relativeDeviation: number | null;
  readonly severity: 'warning' | 'critical' | null;
  /** Labels of the holidays and annotations covering the period. */
  readonly marks: string[];
  /** The owner's verdict on the stored alert of the same period, if one was given. */
  readonly verdict: AlertVerdict | null;
}

export interface BacktestPrecision {
  /** Alerts of the backtest whose period has a stored alert with a verdict. */
  readonly judged: number;
  readonly real: number;
  readonly expected: number;
  readonly noise: number;
  /** real / judged. */
  readonly precision: number;
}

export interface BacktestReport {
  readonly metric: { readonly id: string; readonly title: string; readonly definitionVersion: string };
  readonly grain: Grain;
  readonly sensitivity: number;
  /** ISO 8601: the range reported, periods starting in [from, to). */
  readonly from: string;
  readonly to: string;
  /** Periods starting in the range. */
  readonly periods: number;
  /** Of those, the ones judged normal or deviating. */
  readonly judged: number;
  /** Of those, the ones with too little history for a band. */
  readonly learning: number;
  /** Alerts that would have been raised (paged), oldest first. */
  readonly alerts: BacktestAlert[];
  /**
   * Deviations of periods a holiday or annotation marks, for a metric that does not page for
   * marked periods (`pageMarked: false`): kept quietly, not counted as alerts.
   */
  readonly quiet: BacktestAlert[];
  /** Every calendar month (in the time zone) the range touches, with its alerts by period start. */
  readonly months: { readonly month: string; readonly alerts: number }[];
  /** Length of the range in months, to one decimal. */
  readonly monthSpan: number;
  /** Alerts a month over the range, to one decimal. */
  readonly alertsPerMonth: number;
  /** From owners' verdicts on the stored alerts of the alerted periods; null where there are none. */
  readonly precision: BacktestPrecision | null;
}

const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();
const oneDecimal = (value: number): number => Math.round(value * 10) / 10;

/** The periods of a grain that start in [from, to), oldest first. */
function periodsStartingIn(
  from: number,
  to: number,
  grain: Grain,
  zone: string,
): { period: string; start: number; end: number }[] {
  const periods: { period: string; start: number; end: number }[] = [];
  let period = periodKey(from, grain, zone);
  let bounds = periodBounds(period, grain, zone);
  if (bounds.start < from) {
    period = periodKey(bounds.end, grain, zone);
    bounds = periodBounds(period, grain, zone);
  }
  while (bounds.start < to) {
    periods.push({ period, ...bounds });
    period = periodKey(bounds.end, grain, zone);
    bounds = periodBounds(period, grain, zone);
  }
  return periods;
}

/** Calendar months `YYYY-MM` in the zone from the one holding `from` to the one holding the last instant before `to`. */
function monthsOf(from: number, to: number, zone: string): string[] {
  const months: string[] = [];
  let month = DateTime.fromMillis(from, { zone }).startOf('month');
  const last = DateTime.fromMillis(Math.max(from, to - 1), { zone }).toFormat('yyyy-MM');
  for (;;) {
    const key = month.toFormat('yyyy-MM');
    months.push(key);
    if (key >= last) return months;
    month = month.plus({ months: 1 });
  }
}

/** The owners' verdicts on the stored deviation alerts of the metric and grain, by period; the shown version's first. */
async function verdictsByPeriod(
  deps: BacktestDeps,
  metricId: string,
  defId: string,
  grain: Grain,
  from: number,
  to: number,
): Promise<Map<string, AlertVerdict>> {
  const stored = await deps.alerts.listAlerts(isoTime(from), isoTime(to));
  const verdicts = new Map<string, { verdict: AlertVerdict; shown: boolean }>();
  for (const { alert, acknowledgement } of stored) {
    const verdict = acknowledgement?.verdict;
    if (!verdict || alert.kind === 'target_off_track') continue;
    if (alert.metric.id !== metricId || alert.grain !== grain) continue;
    const start = Date.parse(alert.periodStart);
    if (start < from || start >= to) continue;
    const shown = alert.metric.definitionVersion === defId;
    if (verdicts.get(alert.period)?.shown && !shown) continue;
    verdicts.set(alert.period, { verdict, shown });
  }
  return new Map([...verdicts].map(([period, { verdict }]) => [period, verdict]));
}

/**
 * Runs the deviation detector over a metric's own stored history as the recompute would
 * have seen it: every period judged in order, each only with what came before it, with the
 * band, marks and level shifts of the live pipeline (the same band options, history and
 * level shift length). Periods starting in [from, to) are reported; the lead-in history the
 * first of them need (twice the history count of seasonal steps back, as far as the detector
 * looks) is read and judged, not reported.
 * A period whose rollup is missing or not settled yet is not judged.
 */
export async function backtestMetric(deps: BacktestDeps, request: BacktestRequest): Promise<BacktestReport> {
  const { compiled } = deps;
  const { config, zone } = compiled;
  const { metricId, grain, from, to } = request;
  const metric = Object.hasOwn(config.metrics, metricId) ? config.metrics[metricId] : undefined;
  const defId = compiled.defIds[`metric:${metricId}`];
  if (!metric || !defId) throw new RangeError(`no metric "${metricId}" in the configuration`);
  const sensitivity = request.sensitivity ?? metric.sensitivity;
  const history = config.recompute.history[grain];
  const shiftPeriods = config.recompute.levelShift;

  const reported = periodsStartingIn(from, to, grain, zone);
  const first = reported[0];
  const leadIn = first
    ? [
        // As far back as the detector looks: twice the history, so marked periods are made up from before.
        ...historyPeriods(first.period, grain, zone, 2 * history),
        ...previousPeriods(first.period, grain, zone, Math.max(shiftPeriods - 1, 1)),
      ]
    : [];
  const readFrom = Math.min(from, ...leadIn.map((key) => periodBounds(key, grain, zone).start));

  const [stored, annotations, verdicts] = await Promise.all([
    first
      ? deps.rollups.rollupRange(defId, grain, periodKey(readFrom, grain, zone), reported.at(-1)!.period)
      : Promise.resolve([]),
    deps.annotations ? deps.annotations.listAnnotations() : Promise.resolve([]),
    verdictsByPeriod(deps, metricId, defId, grain, from, to),
  ]);
  // Marks as they stand now, as the live recompute leaves marked periods out of history.
  const marks = metricMarks(compiled, annotations, metricId, grain, readFrom, to);
  const points: SeriesPoint[] = stored
    .filter((rollup) => rollup.settled && rollup.start >= readFrom && rollup.start < to)
    .map((rollup) => ({
      period: rollup.period,
      start: rollup.start,
      value: rollup.value,
      marks: labelsOf(marks, rollup.start, rollup.end),
    }));
  const judged = backtestSeries(points, {
    grain,
    zone,
    history,
    band: bandOptions(metric, compiled, grain, sensitivity),
    shiftPeriods,
  }).filter((judgement) => judgement.start >= from && judgement.start < to);

  const alerts: BacktestAlert[] = [];
  const quiet: BacktestAlert[] = [];
  for (const judgement of judged) {
    if (judgement.status !== 'deviating' || judgement.band.state !== 'ready') continue;
    const labels = [...(judgement.marks ?? [])];
    const alert: BacktestAlert = {
      period: judgement.period,
      periodStart: isoTime(judgement.start),
      kind: judgement.shift ? 'level_shift' : 'detected',
      observed: judgement.value,
      expected: judgement.band.expected,
      lower: judgement.band.lower,
      upper: judgement.band.upper,
      relativeDeviation: judgement.verdict?.relativeDeviation ?? null,
      severity: judgement.verdict?.severity ?? null,
      marks: labels,
      verdict: verdicts.get(judgement.period) ?? null,
    };
    // A marked period's deviation pages only where the metric asks (as the live alerts do).
    (labels.length > 0 && !metric.pageMarked ? quiet : alerts).push(alert);
  }

  const byMonth = new Map(monthsOf(from, to, zone).map((month) => [month, 0]));
  for (const alert of alerts) {
    const month = DateTime.fromISO(alert.periodStart, { zone }).toFormat('yyyy-MM');
    byMonth.set(month, (byMonth.get(month) ?? 0) + 1);
  }
  const span = Math.max(
    0,
    DateTime.fromMillis(to, { zone }).diff(DateTime.fromMillis(from, { zone }), 'months').months,
  );
  const withVerdict = alerts.filter((alert) => alert.verdict !== null);
  const count = (verdict: AlertVerdict) => withVerdict.filter((alert) => alert.verdict === verdict).length;
  return {
    metric: { id: metricId, title: metric.title, definitionVersion: defId },
    grain,
    sensitivity,
    from: isoTime(from),
    to: isoTime(to),
    periods: reported.length,
    judged: judged.filter((j) => j.status === 'normal' || j.status === 'deviating').length,
    learning: judged.filter((j) => j.status === 'learning').length,
    alerts,
    quiet,
    months: [...byMonth].map(([month, monthAlerts]) => ({ month, alerts: monthAlerts })),
    monthSpan: oneDecimal(span),
    alertsPerMonth: span > 0 ? oneDecimal(alerts.length / span) : 0,
    precision:
      withVerdict.length === 0
        ? null
        : {
            judged: withVerdict.length,
            real: count('real'),
            expected: count('expected'),
            noise: count('noise'),
            precision: count('real') / withVerdict.length,
          },
  };
}
