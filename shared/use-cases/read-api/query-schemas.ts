import { z } from 'zod';
import { Cadence, type Grain } from '../../domain/config/schema.js';
import { ALERT_VERDICTS } from '../../ports/alerts.js';

/** An instant with its zone, turned into epoch milliseconds. */
const Timestamp = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 timestamp with a zone, such as 2026-11-25T00:00:00Z',
  })
  .transform((value) => Date.parse(value));

const From = Timestamp.optional().describe('Start of the range, inclusive (ISO 8601 timestamp).');
const To = Timestamp.optional().describe('End of the range, exclusive (ISO 8601 timestamp). Default: now.');

/** Only grains the configuration keeps counters and rollups for. */
function GrainParam(grains: readonly Grain[], description: string) {
  return z
    .enum(grains as [Grain, ...Grain[]], { error: `must be one of the kept grains: ${grains.join(', ')}` })
    .optional()
    .describe(description);
}

const ordered = <T extends { from?: number | undefined; to?: number | undefined }>(query: T) =>
  query.from === undefined || query.to === undefined || query.from < query.to;
const orderMessage = { path: ['from'], message: 'must be earlier than to' };

/** Every endpoint rejects parameters it does not know, so a typo never falls back to a default silently. */
export const NoQuery = z.strictObject({});

export function SeriesQuery(grains: readonly Grain[]) {
  return z
    .strictObject({
      grain: GrainParam(grains, "Grain of the periods. Default: the metric's own grain."),
      from: From.describe('Start of the range, inclusive (ISO 8601). Default: start of the last 12 periods.'),
      to: To,
      version: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a definition version id, as GET /api/versions lists them')
        .optional()
        .describe(
          'A definition version of the metric (GET /api/versions): a backfilling one, or one it replaced. Default: the version shown.',
        ),
    })
    .refine(ordered, orderMessage);
}

export function BreakdownQuery(grains: readonly Grain[], breakdowns: readonly string[]) {
  return z
    .strictObject({
      by: z
        .string({ error: 'is required: the breakdown to split by' })
        .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a breakdown name')
        .describe(
          `The breakdown to split by: one the metric names in its breakdowns${breakdowns.length > 0 ? ` (${breakdowns.join(', ')})` : ''}.`,
        ),
      grain: GrainParam(grains, "Grain of the periods. Default: the metric's own grain."),
      from: From.describe('Start of the range, inclusive (ISO 8601). Default: start of the last 12 periods.'),
      to: To,
    })
    .refine(ordered, orderMessage);
}

export function FunnelQuery(grains: readonly Grain[]) {
  return z
    .strictObject({
      grain: GrainParam(grains, 'Grain of the entry cohorts. Default: week.'),
      from: From.describe('Start of the range, inclusive (ISO 8601). Default: start of the last 8 periods.'),
      to: To,
      by: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a breakdown name')
        .optional()
        .describe(
          'Split the steps by the value on each user’s entry step: a breakdown that a funnel conversion of this funnel names.',
        ),
    })
    .refine(ordered, orderMessage);
}

export const JourneyQuery = z
  .strictObject({
    from: From.describe('Start of the range, inclusive (ISO 8601). Default: start of the last 28 days.'),
    to: To,
  })
  .refine(ordered, orderMessage);

export const AlertsQuery = z
  .strictObject({
    from: From.describe('Earliest period start, inclusive (ISO 8601). Default: 30 days before to.'),
    to: To.describe('Latest period start, exclusive (ISO 8601). Default: now.'),
  })
  .refine(ordered, orderMessage);

/** A whole number of a query string within [min, max], refused with one message. */
function wholeNumber(min: number, max: number, error: string) {
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Review digests of the owner teams the configuration names, of one cadence or all. */
export function DigestsQuery(teams: readonly string[]) {
  return z
    .strictObject({
      team: z
        .enum(teams as [string, ...string[]], {
          error: `must be one of the owner teams: ${teams.join(', ')}`,
        })
        .optional()
        .describe("An owner team (a metric's owner.team). Default: every team."),
      cadence: z
        .enum(Cadence.options, { error: `must be one of the cadences: ${Cadence.options.join(', ')}` })
        .optional()
        .describe('A review cadence. Default: every cadence.'),
      from: From.describe('Earliest review period end, inclusive (ISO 8601). Default: 100 days before to.'),
      to: To.describe('Latest review period end, exclusive (ISO 8601). Default: now.'),
      limit: wholeNumber(1, 100, 'must be a whole number from 1 to 100')
        .default(20)
        .describe('Digests at most, the newest kept.'),
    })
    .refine(ordered, orderMessage);
}

export const QuarantineQuery = z.strictObject({
  days: wholeNumber(1, 30, 'must be a whole number of days from 1 to 30')
    .default(7)
    .describe('UTC arrival days to look back over, today included.'),
});

/** The body of an acknowledgement: who acknowledges, and why (kept with the alert). */
export const AlertAcknowledgementBody = z.strictObject({
  by: z
    .string({ error: 'must be a string: who acknowledges' })
    .trim()
    .min(1, { error: 'must not be empty: who acknowledges' })
    .max(100, { error: 'must be at most 100 characters' })
    .describe('Who acknowledges the alert, e.g. a name or an email address (1-100 characters).'),
  note: z
    .string({ error: 'must be a string: why the alert is acknowledged' })
    .trim()
    .min(1, { error: 'must not be empty: say why, e.g. "known: campaign ended"' })
    .max(500, { error: 'must be at most 500 characters' })
    .describe('Why, e.g. "known: campaign ended" (1-500 characters); travels with the alert.'),
  verdict: z
    .enum(ALERT_VERDICTS, { error: `must be ${ALERT_VERDICTS.join(', ')}` })
    .optional()
    .describe(
      "The owner's judgement: real (a problem worth the page), expected (a known cause: a holiday, a campaign) or noise; each metric's alert precision is counted from these.",
    ),
});
export type AlertAcknowledgementBody = z.infer<typeof AlertAcknowledgementBody>;

export const QuarantineEventsQuery = z.strictObject({
  day: z.iso.date({ error: 'must be a UTC arrival day YYYY-MM-DD' }).describe('UTC arrival day.'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, { error: 'must be the nextCursor of a previous page' })
    .optional()
    .describe('nextCursor of the previous page.'),
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 500' })
    .int({ error: 'must be a whole number from 1 to 500' })
    .min(1, { error: 'must be a whole number from 1 to 500' })
    .max(500, { error: 'must be a whole number from 1 to 500' })
    .default(100)
    .describe('Items per page at most (a page also stops at about 4 MB of raw payloads).'),
});

/** The optional range of a recompute: every period of every kept grain overlapping [from, to). */
export const RecomputeRangeBody = z
  .strictObject({
    from: Timestamp.optional().describe('Start of the range to recompute, inclusive (ISO 8601 timestamp).'),
    to: Timestamp.optional().describe('End of the range, exclusive (ISO 8601 timestamp). Default: now.'),
  })
  .refine(ordered, orderMessage)
  .refine((body) => body.to === undefined || body.from !== undefined, {
    path: ['to'],
    message: 'needs from',
  });

export const AnnotationsQuery = z
  .strictObject({
    from: From.describe('Start of the range, inclusive (ISO 8601). Default: 90 days before to.'),
    to: To.describe(
      'End of the range, exclusive (ISO 8601). Default: 30 days from now, for known events ahead.',
    ),
  })
  .refine(ordered, orderMessage);

/** An owner's annotation: a label over a span, for some metrics (or all) at some grains. */
export const AnnotationBody = z
  .strictObject({
    label: z
      .string({ error: 'must be a string: what happened, e.g. "campaign launch"' })
      .trim()
      .min(1, { error: 'must not be empty: say what happened, e.g. "outage"' })
      .max(80, { error: 'must be at most 80 characters' })
      .describe('What happened, e.g. "campaign launch" or "outage" (1-80 characters).'),
    from: Timestamp.describe('Start of the span, inclusive (ISO 8601 timestamp).'),
    to: Timestamp.describe('End of the span, exclusive (ISO 8601 timestamp).'),
    metrics: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(100)
      .optional()
      .describe('The metric ids it marks; every metric when left out.'),
    grains: z
      .array(z.enum(['hour', 'day', 'week', 'month'], { error: 'must be hour, day, week or month' }))
      .min(1)
      .optional()
      .describe('The grains whose periods it marks. Default: hour and day (those kept).'),
  })
  .refine((body) => body.from < body.to, { path: ['from'], message: 'must be earlier than to' });

export const CohortsQuery = z
  .strictObject({
    from: From.describe(
      'Start of the range of cohorts, inclusive (ISO 8601). Default: start of the last 12 cohorts.',
    ),
    to: To,
  })
  .refine(ordered, orderMessage);
