import type { Breakdown, Funnel, Metric, NorthstarConfig } from '../config/schema.js';
import type { ProductEvent } from '../events/envelope.js';
import type { CompiledConfig } from './compiled-config.js';

/** The series of a value outside the breakdown's list, and of an event without the field. */
export const OTHER = '(other)';
export const NONE = '(none)';

/** Series per metric and in all, each at every kept grain: a period's counter item holds them all. */
export const MAX_SERIES_PER_METRIC = 240;
export const MAX_SERIES = 2000;

/** One metric split by one breakdown: a series per label, each with counters of its own. */
export interface CompiledBreakdown {
  readonly metricId: string;
  readonly by: string;
  /** The version of the split: the metric's version and the breakdown's definition. */
  readonly defId: string;
  /** The values, then `(other)` and `(none)`. */
  readonly labels: readonly string[];
  /** Which label an event counts under: its index in `labels`. */
  readonly labelOf: (event: Pick<ProductEvent, 'properties' | 'context'>) => number;
  /**
   * A funnel conversion's split: the funnel, counted again under the split's version, each
   * user under the value of their entry event. Counters `<series id>.<step>`.
   */
  readonly funnel?: Funnel;
}

/** The id a series counts and rolls up under: its counters are `<series id>.n`, `.u`, `.s6`. */
export function seriesId(defId: string, index: number): string {
  return `${defId}~${index}`;
}

/** A breakdown's values: its own list, or the enum values of its property in the tracking plan. */
export function breakdownValues(config: NorthstarConfig, breakdown: Breakdown): string[] {
  if (breakdown.values) return [...breakdown.values];
  const values = new Set<string>();
  for (const event of Object.values(config.trackingPlan.events)) {
    const property = breakdown.property === undefined ? undefined : event.properties[breakdown.property];
    if (property?.type === 'enum') for (const value of property.values) values.add(value);
  }
  return [...values];
}

export function breakdownLabels(config: NorthstarConfig, breakdown: Breakdown): string[] {
  return [...breakdownValues(config, breakdown), OTHER, NONE];
}

function fieldOf(event: Pick<ProductEvent, 'properties' | 'context'>, breakdown: Breakdown): unknown {
  if (breakdown.property !== undefined)
    return Object.hasOwn(event.properties, breakdown.property)
      ? event.properties[breakdown.property]
      : undefined;
  let value: unknown = event.context;
  for (const part of breakdown.context!.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Label index by value: a plain string, number or boolean in the list is itself; anything else `(other)`. */
export function labelReader(breakdown: Breakdown, labels: readonly string[]): CompiledBreakdown['labelOf'] {
  const index = new Map(labels.slice(0, -2).map((label, at) => [label, at]));
  const other = labels.length - 2;
  const none = labels.length - 1;
  return (event) => {
    const value = fieldOf(event, breakdown);
    if (value === undefined || value === null || value === '') return none;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return other;
    return index.get(String(value)) ?? other;
  };
}

/** The breakdowns a metric names, for the kinds that can be split. */
export function metricBreakdowns(metric: Metric): readonly string[] {
  return 'breakdowns' in metric && metric.breakdowns ? metric.breakdowns : [];
}

/** The ids rollups are written under: every version, and every breakdown value's series. */
export function rollupIds(compiled: CompiledConfig): Set<string> {
  return new Set([
    ...Object.values(compiled.defIds),
    ...compiled.breakdowns.flatMap((breakdown) =>
      breakdown.labels.map((_, index) => seriesId(breakdown.defId, index)),
    ),
  ]);
}
