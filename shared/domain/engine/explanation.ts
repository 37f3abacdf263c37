import type { CompiledConfig } from './compiled-config.js';

/** One value's observed and expected numbers of a deviating period, and its share of the move. */
export interface ValueShare {
  readonly value: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** Its part of the change over the breakdown's values: they sum to 1; against the move, below 0. */
  readonly share: number;
}

export interface BreakdownExplanation {
  readonly by: string;
  readonly title: string;
  /**
   * How far the observed distribution over the values departs from the expected one (total
   * variation distance, 0 to 1): near 0 when every value moved alike.
   */
  readonly concentration: number;
  /** Largest share first. */
  readonly values: ValueShare[];
  /** For a ratio: the parts of the move due to the mix of values and to the rates within them (sum 1). */
  readonly ratio?: { readonly mix: number; readonly rate: number };
}

/** With each value's expected weight: its share of the move had every value moved alike. */
interface Weighed extends BreakdownExplanation {
  readonly weights: ReadonlyMap<string, number>;
}

export interface Explanation {
  /** Most concentrated first. */
  readonly breakdowns: BreakdownExplanation[];
  /** The top explanation in one line ("92% of the drop: method = apple"), or null when no value stands out. */
  readonly headline: string | null;
}

/** A period's value and band of one series, as the recompute judged it. */
export interface SeriesPoint {
  readonly value: number | null;
  readonly expected: number | null;
}

/** The series points of one period by metric, breakdown and value label. */
export type SeriesLookup = (metricId: string, by: string, label: string) => SeriesPoint | undefined;

/** A value is named when it carries at least this share of the move ... */
const NAMED_SHARE = 0.5;
/**
 * ... and this much more than its expected weight: values that moved alike carry shares
 * equal to their weights, so none stands out however large it is.
 */
const NAMED_EXCESS = 0.05;

const observedOf = (point: SeriesPoint | undefined) => point?.value ?? 0;
/** A value still learning its band is taken as expected where it is: no change is put on it. */
const expectedOf = (point: SeriesPoint | undefined) => point?.expected ?? observedOf(point);

function distance(observed: readonly number[], expected: readonly number[]): number {
  const totalObserved = observed.reduce((sum, value) => sum + value, 0);
  const totalExpected = expected.reduce((sum, value) => sum + value, 0);
  if (totalObserved <= 0 || totalExpected <= 0) return totalObserved === totalExpected ? 0 : 1;
  return (
    observed.reduce(
      (sum, value, at) => sum + Math.abs(value / totalObserved - expected[at]! / totalExpected),
      0,
    ) / 2
  );
}

/** Parts of a whole; `|| 0` keeps a -0 out of alert texts. */
function shares(parts: readonly number[]): number[] {
  const total = parts.reduce((sum, value) => sum + value, 0);
  return parts.map((part) => (total === 0 ? 0 : part / total) || 0);
}

function explainOne(
  compiled: CompiledConfig,
  metricId: string,
  by: string,
  labels: readonly string[],
  lookup: SeriesLookup,
): Weighed {
  const metric = compiled.config.metrics[metricId]!;
  const title = compiled.config.breakdowns[by]?.title ?? by;
  const points = labels.map((label) => lookup(metricId, by, label));
  // Each value's numbers and share of the move, the largest share first.
  const valuesOf = (parts: readonly number[]): ValueShare[] =>
    labels
      .map((value, at) => ({
        value,
        observed: points[at]?.value ?? null,
        expected: points[at]?.expected ?? null,
        share: parts[at]!,
      }))
      .sort((a, b) => b.share - a.share);
  if (metric.kind !== 'ratio') {
    const observed = points.map(observedOf);
    const expected = points.map(expectedOf);
    const parts = shares(observed.map((value, at) => value - expected[at]!));
    const weights = shares(expected);
    return {
      by,
      title,
      weights: new Map(labels.map((label, at) => [label, weights[at]!])),
      concentration: distance(observed, expected),
      values: valuesOf(parts),
    };
  }
  // A ratio over values: R = sum of w * r, the denominator's weights times the rates within.
  // Its move is sum (w' - w) r (mix) plus sum w' (r' - r) (rate), exactly.
  const sides = (side: string) => labels.map((label) => lookup(side, by, label));
  const numerators = sides(metric.numerator);
  const denominators = sides(metric.denominator);
  const weights = (values: readonly number[]) => {
    const total = values.reduce((sum, value) => sum + value, 0);
    return values.map((value) => (total === 0 ? 0 : value / total));
  };
  const rate = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);
  const n1 = numerators.map(observedOf);
  const n0 = numerators.map(expectedOf);
  const d1 = denominators.map(observedOf);
  const d0 = denominators.map(expectedOf);
  const w1 = weights(d1);
  const w0 = weights(d0);
  const r1 = n1.map((value, at) => rate(value, d1[at]!));
  const r0 = n0.map((value, at) => rate(value, d0[at]!));
  const mixParts = labels.map((_, at) => (w1[at]! - w0[at]!) * r0[at]!);
  const rateParts = labels.map((_, at) => w1[at]! * (r1[at]! - r0[at]!));
  const mix = mixParts.reduce((sum, value) => sum + value, 0);
  const within = rateParts.reduce((sum, value) => sum + value, 0);
  const parts = shares(labels.map((_, at) => mixParts[at]! + rateParts[at]!));
  const [mixShare, rateShare] = shares([mix, within]);
  // Had every rate moved alike, each value's share would be its share of the expected numerator.
  const expectedShares = shares(n0);
  return {
    by,
    title,
    weights: new Map(labels.map((label, at) => [label, expectedShares[at]!])),
    concentration: Math.max(distance(n1, n0), distance(d1, d0)),
    values: valuesOf(parts),
    ratio: { mix: mixShare!, rate: rateShare! },
  };
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * Which property values explain a metric's move in one period (SEMANTICS.md section 11):
 * per breakdown, each value's observed and expected number and its share of the change,
 * the breakdown whose change is most concentrated first, and the top one in a line.
 */
export function explainMove(
  compiled: CompiledConfig,
  metricId: string,
  observed: number | null,
  expected: number | null,
  lookup: SeriesLookup,
): Explanation | undefined {
  const splits = compiled.breakdowns.filter((breakdown) => breakdown.metricId === metricId);
  if (splits.length === 0 || observed === null || expected === null) return undefined;
  const weighed = splits
    .map((split) => explainOne(compiled, metricId, split.by, split.labels, lookup))
    .sort((a, b) => b.concentration - a.concentration);
  const move = observed < expected ? 'drop' : 'rise';
  const top = weighed[0]!;
  const first = top.values[0];
  let headline: string | null = null;
  if (
    first &&
    first.share >= NAMED_SHARE &&
    first.share - (top.weights.get(first.value) ?? 0) >= NAMED_EXCESS
  )
    headline = `${percent(first.share)} of the ${move}: ${top.by} = ${first.value}`;
  if (top.ratio) {
    const part =
      top.ratio.mix >= top.ratio.rate
        ? `${percent(top.ratio.mix)} of the ${move} is the mix of ${top.by}`
        : `${percent(top.ratio.rate)} of the ${move} is the rates within ${top.by}`;
    headline = headline ? `${part}; ${headline}` : part;
  }
  const breakdowns = weighed.map(({ weights: _weights, ...breakdown }) => breakdown);
  return { breakdowns, headline };
}
