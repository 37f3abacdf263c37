/**
 * How the dashboard writes numbers and times. Pure functions with a fixed locale, so a
 * test can check that the page shows exactly what the read API returned.
 */

export type MetricKind = 'count' | 'distinct_users' | 'sum' | 'ratio' | 'funnel_conversion' | 'retention';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const ratio = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat('en-US', {
  style: 'percent',
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
});

export const NO_VALUE = '–';

/**
 * A metric's value: conversions as percentages, ratios with up to three decimals (a ratio
 * can exceed 1), counts as whole numbers, sums with up to two decimals.
 */
export function formatValue(value: number | null | undefined, kind: MetricKind): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  if (kind === 'funnel_conversion' || kind === 'retention') return percent.format(value);
  if (kind === 'ratio') return ratio.format(value);
  if (kind === 'sum') return decimal.format(value);
  return Number.isInteger(value) ? integer.format(value) : decimal.format(value);
}

/** A plain number of users or events. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? NO_VALUE : integer.format(value);
}

/** A share from 0 to 1 as a percentage; null (a denominator of 0) as a dash. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined ? NO_VALUE : percent.format(value);
}

/** A relative change, with its sign. */
export function formatChange(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NO_VALUE
    : signedPercent.format(value);
}

/** An ISO instant as `2026-11-25 14:03:12 UTC`: one zone for everyone reading the same page. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return NO_VALUE;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return NO_VALUE;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A duration in seconds as `0.4 s`, `12 min`, `3.5 h` or `2 d`. */
export function formatDuration(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 60) return `${decimal.format(Math.round(seconds * 10) / 10)} s`;
  if (abs < 3600) return `${integer.format(Math.round(seconds / 60))} min`;
  if (abs < 86_400) return `${decimal.format(Math.round(seconds / 360) / 10)} h`;
  return `${decimal.format(Math.round(seconds / 8640) / 10)} d`;
}

/** How long before `now` an instant was, e.g. `12 min ago`. */
export function formatAge(iso: string | null | undefined, now: string): string {
  if (!iso) return NO_VALUE;
  const seconds = (Date.parse(now) - Date.parse(iso)) / 1000;
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`;
}

export const STATUS_LABEL: Readonly<Record<string, string>> = {
  normal: 'normal',
  deviating: 'deviating',
  learning: 'learning',
  open: 'in progress',
  no_data: 'no data',
};

export const PACE_LABEL: Readonly<Record<string, string>> = {
  on_track: 'on track',
  at_risk: 'at risk',
  off_track: 'off track',
  achieved: 'achieved',
  missed: 'missed',
  no_data: 'no data',
};

/** A period's label; one still open says so, since its value is only what has come in. */
export function formatPeriod(point: { period: string; settled: boolean } | null | undefined): string {
  if (!point) return '';
  return point.settled ? point.period : `${point.period} so far`;
}

/** A percentage the API gives from 0 to 100 (a backfill's share of the archive). */
export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? NO_VALUE
    : percent.format(value / 100);
}

/** Events a second, as whole numbers. */
export function formatEventRate(perSecond: number): string {
  return `${integer.format(perSecond)} events/s`;
}

/** A backfill's time left; null before it has a rate, so no guess is shown. */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null) return 'time left not known yet';
  return seconds <= 0 ? 'reaching the present' : `about ${formatDuration(seconds)} left`;
}

export const VERSION_STATE_LABEL: Readonly<Record<string, string>> = {
  shown: 'shown',
  backfilling: 'backfilling',
  replaced: 'replaced',
  removed: 'removed',
  abandoned: 'abandoned',
};
