import { type Annotation, type AnnotationList, readApi } from './api.js';

/** Whether an annotation applies to a metric: its metrics, or every metric when it names none. */
export function appliesToMetric(annotation: Annotation, metricId: string): boolean {
  return annotation.metrics === null || annotation.metrics.includes(metricId);
}

/** The annotations a metric's chart at a grain shades: those of the metric whose grains include it. */
export function chartAnnotations(
  list: AnnotationList | Error,
  metricId: string,
  grain: string,
): Annotation[] {
  if (list instanceof Error) return [];
  return list.annotations.filter(
    (annotation) => appliesToMetric(annotation, metricId) && annotation.grains.includes(grain),
  );
}

/**
 * The holidays and annotations overlapping a chart's range, read once per render. A failure
 * is returned, not thrown: the chart is still drawn, without them, and the view can say why.
 */
export function readAnnotations(range: { from: string; to: string }): Promise<AnnotationList | Error> {
  return readApi
    .annotations(range)
    .catch((error: unknown): Error => (error instanceof Error ? error : new Error(String(error))));
}

/** A `datetime-local` value (the dashboard's times are UTC) as an ISO instant, or undefined when empty. */
export function instantOfInput(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return undefined;
  return new Date(`${value.length === 16 ? `${value}:00` : value}Z`).toISOString();
}
