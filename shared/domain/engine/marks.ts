import type { Grain } from '../config/schema.js';
import { calendarMarks, labelsOf, type Mark } from '../time/calendar.js';
import type { CompiledConfig } from './compiled-config.js';

/** An annotation as the detector needs it (see the Annotations port). */
/** What a holiday marks when its entry names no grains: its hours and its day. */
export const DEFAULT_MARK_GRAINS: readonly Grain[] = ['hour', 'day'];

export interface AnnotationSpan {
  readonly label: string;
  readonly from: number;
  readonly to: number;
  readonly metrics?: readonly string[];
  readonly grains: readonly Grain[];
}

/**
 * What marks a metric's periods of a grain within [from, to): the calendar's holidays and
 * known events, and the annotations, each where it names the metric (or none) and the grain.
 */
export function metricMarks(
  compiled: CompiledConfig,
  annotations: readonly AnnotationSpan[],
  metricId: string,
  grain: Grain,
  from: number,
  to: number,
): Mark[] {
  const applies = (entry: { readonly metrics?: readonly string[]; readonly grains?: readonly Grain[] }) =>
    (entry.grains ?? DEFAULT_MARK_GRAINS).includes(grain) &&
    (entry.metrics === undefined || entry.metrics.includes(metricId));
  const calendar = calendarMarks(compiled.config.calendar.filter(applies), from, to, compiled.zone);
  const annotated = annotations
    .filter((annotation) => applies(annotation) && annotation.from < to && annotation.to > from)
    .map(({ label, from: start, to: end }) => ({ label, from: start, to: end }));
  return [...calendar, ...annotated].sort((a, b) => a.from - b.from || a.label.localeCompare(b.label));
}

export type { Mark };
export { labelsOf };
