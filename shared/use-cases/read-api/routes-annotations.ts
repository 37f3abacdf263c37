import { z } from 'zod';
import { DEFAULT_MARK_GRAINS } from '../../domain/engine/marks.js';
import { shortHash } from '../../domain/events/hash.js';
import { calendarMarks } from '../../domain/time/calendar.js';
import type { Annotation } from '../../ports/annotations.js';
import { invalidParameter, notFound } from './api-error.js';
import { instantRange, isoTime } from './period-range.js';
import { AnnotationBody, AnnotationsQuery, NoQuery } from './query-schemas.js';
import type { ReadApiDeps } from './read-api.js';
import { defineRoute } from './route.js';
import { Instant } from './schemas.js';

const DAY_MS = 86_400_000;

export const AnnotationItem = z.object({
  id: z.string(),
  label: z.string(),
  from: Instant,
  to: Instant,
  metrics: z.array(z.string()).nullable().describe('The metrics it marks; null: every metric'),
  grains: z.array(z.string()).describe('The grains whose periods it marks'),
  source: z
    .enum(['calendar', 'annotation'])
    .describe('calendar: the configuration; annotation: added at run time'),
  by: z.string().nullable(),
  at: Instant.nullable(),
});

export const AnnotationList = z.object({
  from: Instant,
  to: Instant,
  annotations: z
    .array(AnnotationItem)
    .describe(
      "Holidays and known events of the calendar, and owners' annotations, overlapping the range, by start",
    ),
});

export const RemovedAnnotation = z.object({ id: z.string(), removed: z.boolean() });

const itemOf = (annotation: Annotation): z.input<typeof AnnotationItem> => ({
  id: annotation.id,
  label: annotation.label,
  from: isoTime(annotation.from),
  to: isoTime(annotation.to),
  metrics: annotation.metrics ? [...annotation.metrics] : null,
  grains: [...annotation.grains],
  source: 'annotation',
  by: annotation.by ?? null,
  at: isoTime(annotation.at),
});

const store = (deps: ReadApiDeps) => {
  if (!deps.annotations) throw notFound('this deployment keeps no annotations');
  return deps.annotations;
};

export const annotationsRoute = defineRoute({
  method: 'GET',
  path: '/api/annotations',
  operationId: 'listAnnotations',
  summary: 'Holidays, known events and annotations in a range',
  description:
    "The calendar's holidays and known events (from the configuration, in its time zone) and the annotations owners added, overlapping [from, to). A period they mark is left out of later periods' history, and its deviation is shown with the label (paged only for metrics with pageMarked).",
  query: () => AnnotationsQuery,
  response: AnnotationList,
  async handle({ deps, query }) {
    const now = deps.clock();
    const range = instantRange({ from: query.from, to: query.to ?? now + 30 * DAY_MS, now }, 120 * DAY_MS);
    const { calendar } = deps.compiled.config;
    const fromCalendar = calendar.flatMap((entry, index) =>
      calendarMarks([entry], range.from, range.to, deps.compiled.zone).map((mark) => ({
        id: `calendar-${index}-${isoTime(mark.from).slice(0, 10)}`,
        label: mark.label,
        from: isoTime(mark.from),
        to: isoTime(mark.to),
        metrics: entry.metrics ? [...entry.metrics] : null,
        grains: (entry.grains ?? DEFAULT_MARK_GRAINS).filter((grain) => deps.compiled.grains.includes(grain)),
        source: 'calendar' as const,
        by: null,
        at: null,
      })),
    );
    const added = deps.annotations ? await deps.annotations.listAnnotations() : [];
    const annotations = [
      ...fromCalendar,
      ...added.filter((annotation) => annotation.from < range.to && annotation.to > range.from).map(itemOf),
    ].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.label.localeCompare(b.label)));
    return { from: isoTime(range.from), to: isoTime(range.to), annotations };
  },
});

export const addAnnotationRoute = defineRoute({
  method: 'POST',
  path: '/api/annotations',
  action: 'annotate',
  operationId: 'addAnnotation',
  summary: 'Adds an annotation: a label over a span ("campaign launch", "outage")',
  description:
    "Body `{ label, from, to, metrics?, grains? }`. The periods it marks (at its grains, default hour and day) are left out of later periods' history from the next recompute on, their deviations are shown with the label and paged only for metrics with pageMarked, and every chart shows it. Returns the annotation with its id.",
  query: () => NoQuery,
  body: AnnotationBody,
  response: AnnotationItem,
  async handle({ deps, body, caller }) {
    // Checked against this configuration: its metrics and its kept grains.
    const { grains, config } = deps.compiled;
    const unknown = body.metrics?.find((id) => !Object.hasOwn(config.metrics, id));
    if (unknown !== undefined)
      throw invalidParameter(
        'metrics',
        `"${unknown}" is not a metric; the metrics are ${Object.keys(config.metrics).join(', ')}`,
      );
    const unkept = body.grains?.find((grain) => !grains.includes(grain));
    if (unkept !== undefined)
      throw invalidParameter(
        'grains',
        `${unkept} is not a kept grain; the kept grains are ${grains.join(', ')}`,
      );
    const at = deps.clock();
    const defaultGrains = DEFAULT_MARK_GRAINS.filter((grain) => grains.includes(grain));
    const annotation: Annotation = {
      id: `a${shortHash(`${body.label}\u0000${body.from}\u0000${body.to}\u0000${at}`, 6).replace(/[^A-Za-z0-9]/g, 'x')}`,
      label: body.label,
      from: body.from,
      to: body.to,
      ...(body.metrics ? { metrics: body.metrics } : {}),
      grains: body.grains ?? (defaultGrains.length > 0 ? defaultGrains : [grains[0]!]),
      ...(caller ? { by: caller } : {}),
      at,
    };
    await store(deps).putAnnotation(annotation);
    return itemOf(annotation);
  },
});

export const removeAnnotationRoute = defineRoute({
  method: 'POST',
  path: '/api/annotations/{id}/remove',
  action: 'remove an annotation',
  operationId: 'removeAnnotation',
  summary: 'Removes an annotation',
  description:
    "Its periods count in later periods' history again from the next recompute on. Calendar entries are removed from the configuration instead.",
  query: () => NoQuery,
  notFound: 'No annotation has this id.',
  response: RemovedAnnotation,
  async handle({ deps, params }) {
    const id = params.id ?? '';
    if (!(await store(deps).removeAnnotation(id))) throw notFound(`no annotation with id ${id}`);
    return { id, removed: true };
  },
});
