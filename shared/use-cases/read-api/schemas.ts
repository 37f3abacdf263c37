import { z } from 'zod';
import {
  AlertBand,
  AlertContributor,
  AlertExplanation,
  AlertMetric,
  AlertTarget,
  Owner,
  Severity,
} from '../../domain/alerts/deviation-alert.js';
import { TargetProgress } from '../../domain/engine/target-pace.js';
import { RejectionReason } from '../../domain/events/envelope.js';
import { ALERT_VERDICTS } from '../../ports/alerts.js';

/**
 * The read API's responses: one schema per contract, its type from `z.infer`, and the
 * OpenAPI document generated from the same schemas.
 */

export const Instant = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');
const Num = z.number().nullable();
export const Rate = z
  .number()
  .nullable()
  .describe('A share from 0 (none) to 1 (all); null when the denominator is 0');
const GrainName = z.enum(['hour', 'day', 'week', 'month']);

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.enum(['invalid_parameter', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed']),
    parameter: z
      .string()
      .optional()
      .describe('The query parameter or body field at fault (with invalid_parameter)'),
    message: z.string(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export { TargetProgress };

/** One rollup: a metric's value in one period with its expected band. */
export const PeriodValue = z.object({
  period: z.string().describe('Period key: 2026-11-25T13, 2026-11-25, 2026-W48 or 2026-11'),
  start: Instant,
  end: Instant,
  value: Num,
  expected: Num,
  lower: Num,
  upper: Num,
  status: z.enum(['open', 'learning', 'normal', 'deviating', 'no_data']),
  settled: z.boolean(),
  relativeDeviation: Num,
  severity: Severity,
  projection: Num.describe('For a period not yet settled: where it is heading'),
});
export type PeriodValue = z.infer<typeof PeriodValue>;

export const MetricNode = z.object({
  id: z.string(),
  title: z.string(),
  definition: z.string(),
  kind: z.enum(['count', 'distinct_users', 'sum', 'ratio', 'funnel_conversion', 'retention']),
  owner: Owner,
  cadence: z.enum(['daily', 'weekly', 'monthly', 'quarterly']),
  grain: GrainName,
  parent: z.string().nullable(),
  children: z.array(z.string()),
  northStar: z.boolean(),
  guardrail: z
    .boolean()
    .describe('Configured `guardrail: true`: a number that must not get worse while the north star grows'),
  definitionVersion: z.string(),
  backfilling: z
    .object({ definitionVersion: z.string() })
    .nullable()
    .describe(
      'A new definition of the metric being backfilled (GET /api/versions has its progress); null when none',
    ),
  latest: PeriodValue.nullable().describe("The latest rollup at the metric's own grain"),
  target: z
    .object({ value: z.number(), by: z.string(), direction: z.enum(['increase', 'decrease']) })
    .nullable(),
  targetProgress: TargetProgress.nullable(),
  breakdowns: z
    .array(z.object({ id: z.string(), title: z.string() }))
    .describe('What the metric is split by: GET /api/metrics/{id}/breakdown?by=<id>'),
});
export type MetricNode = z.infer<typeof MetricNode>;

export const MetricTree = z.object({
  northStar: z.string(),
  roots: z.array(z.string()).describe('Metrics without a parent, the north star first'),
  metrics: z.array(MetricNode).describe('Every metric, depth first from the roots'),
  generatedAt: Instant,
});
export type MetricTree = z.infer<typeof MetricTree>;

export const MetricSeries = z.object({
  metric: z.object({ id: z.string(), title: z.string(), definitionVersion: z.string() }),
  grain: GrainName,
  from: Instant,
  to: Instant,
  points: z.array(PeriodValue).describe('Periods starting in [from, to) that have a rollup, oldest first'),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

export const MetricBreakdown = z.object({
  metric: z.object({ id: z.string(), title: z.string(), definitionVersion: z.string() }),
  breakdown: z.object({
    id: z.string(),
    title: z.string(),
    property: z.string().nullable().describe('The event property split by, or null for a context field'),
    context: z.string().nullable().describe('The context field split by, or null for a property'),
    definitionVersion: z.string().describe('Version of the split: the metric’s and the breakdown’s values'),
  }),
  grain: GrainName,
  from: Instant,
  to: Instant,
  values: z
    .array(
      z.object({
        value: z
          .string()
          .describe('A listed value, (other) for a value outside the list, (none) for events without it'),
        points: z
          .array(PeriodValue)
          .describe('Periods starting in [from, to) that have a rollup, oldest first'),
      }),
    )
    .describe('Every value of the breakdown, in the order configured, then (other) and (none)'),
});
export type MetricBreakdown = z.infer<typeof MetricBreakdown>;

const FilterValue = z.union([z.string(), z.number(), z.boolean()]);

export const FunnelReport = z.object({
  funnel: z.object({
    id: z.string(),
    title: z.string(),
    window: z.string(),
    definitionVersion: z.string(),
    breakdowns: z
      .array(z.object({ id: z.string(), title: z.string() }))
      .describe('What the funnel can be split by (`by`): breakdowns its funnel conversions name'),
    steps: z.array(
      z.object({
        event: z.string(),
        where: z.record(z.string(), z.union([FilterValue, z.array(FilterValue)])),
      }),
    ),
  }),
  grain: GrainName,
  from: Instant,
  to: Instant,
  steps: z.array(
    z.object({
      step: z.number().int(),
      event: z.string(),
      users: z.number().int().describe('Users of the cohorts in range who reached the step'),
      fromPrevious: Rate,
      fromFirst: Rate,
    }),
  ),
  cohorts: z.array(
    z.object({
      period: z.string(),
      start: Instant,
      users: z.array(z.number().int()).describe('Users of this entry cohort who reached step 1..n'),
    }),
  ),
  split: z
    .object({
      by: z.string(),
      title: z.string(),
      metric: z.string().describe('The funnel conversion whose split this is'),
      values: z.array(
        z.object({
          value: z.string(),
          steps: z.array(
            z.object({
              step: z.number().int(),
              users: z.number().int(),
              fromPrevious: Rate,
              fromFirst: Rate,
            }),
          ),
        }),
      ),
    })
    .optional()
    .describe('With `by`: the steps of the users whose entry event had each value'),
});
export type FunnelReport = z.infer<typeof FunnelReport>;

export const JourneyReport = z.object({
  definitionVersion: z.string(),
  grain: GrainName.describe('Grain of the counter items summed for newUsers'),
  from: Instant,
  to: Instant,
  stages: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      newUsers: z.number().int().describe('Users who first reached the stage in the range'),
      currentUsers: z.number().int().describe('Users whose highest stage is this one'),
      atOrBeyond: z.number().int().describe('Users whose highest stage is this one or a later one'),
      conversionFromPrevious: Rate.describe(
        "atOrBeyond / the previous stage's atOrBeyond; null for the first stage",
      ),
    }),
  ),
});
export type JourneyReport = z.infer<typeof JourneyReport>;

export const AlertSummary = z.object({
  alertId: z.string(),
  kind: z
    .enum(['detected', 'resolved', 'target_off_track', 'level_shift'])
    .describe(
      'level_shift: several settled periods in a row outside the band on one side; the expectation follows the new level from then on',
    ),
  state: z
    .enum(['open', 'acknowledged', 'resolved'])
    .describe('resolved once back inside the band; acknowledged once its owner noted it; else open'),
  acknowledgement: z
    .object({
      by: z.string(),
      note: z.string(),
      at: Instant,
      verdict: z.enum(ALERT_VERDICTS).nullable().describe("The owner's judgement, if given"),
    })
    .nullable()
    .describe('Who acknowledged it, with what note and when; kept when the alert resolves'),
  metric: AlertMetric,
  grain: z.string(),
  period: z.string(),
  periodStart: Instant,
  periodEnd: Instant,
  observed: Num,
  expected: z.number(),
  band: AlertBand,
  relativeDeviation: Num,
  severity: Severity,
  owner: Owner,
  contributors: z.array(AlertContributor),
  explanation: AlertExplanation.optional().describe(
    'For a metric with breakdowns: per breakdown, each value’s observed and expected value and share of the move, most concentrated first',
  ),
  cause: z.string().optional().describe('The likely cause in one line, as the alert message gives it'),
  link: z.string(),
  resolvedAt: Instant.optional().describe('When the period was found back inside its band'),
  raisedAt: Instant.describe('When the alert was raised'),
  resolution: z
    .object({ observed: Num, expected: z.number(), relativeDeviation: Num })
    .optional()
    .describe('The values that resolved it'),
  target: AlertTarget.optional().describe('With target_off_track: the key result and its pace'),
  historical: z
    .boolean()
    .describe(
      'Found by a backfill or an import about a period that had settled before its version was shown: history, never sent',
    ),
  marks: z.array(z.string()).describe('Labels of the holidays and annotations that mark the period'),
  quiet: z
    .boolean()
    .describe(
      "A marked period's deviation of a metric that does not page for marked periods: kept, never sent",
    ),
});
export type AlertSummary = z.infer<typeof AlertSummary>;

export const AlertPrecision = z.object({
  metricId: z.string(),
  real: z.number().int(),
  expected: z.number().int(),
  noise: z.number().int(),
  unjudged: z.number().int().describe('Deviation alerts in range without a verdict'),
  precision: z
    .number()
    .nullable()
    .describe('real / (real + expected + noise) over the deviation alerts in range; null before any verdict'),
});

export const AlertList = z.object({
  from: Instant,
  to: Instant,
  alerts: z.array(AlertSummary),
  precision: z
    .array(AlertPrecision)
    .describe("Per metric with deviation alerts in range: its owners' verdicts and the precision they give"),
});
export type AlertList = z.infer<typeof AlertList>;

/** How fresh the numbers are: the latest accepted event, the ingest lag, the last recompute. */
export const PipelineStatus = z.object({
  now: Instant,
  latestEvent: z
    .object({
      occurredAt: Instant.describe('When the user acted'),
      arrivedAt: Instant.describe('When the pipeline received it'),
      committedAt: Instant.describe("When its batch's counters were committed"),
      ingestLagSeconds: z.number().describe('committedAt - arrivedAt'),
    })
    .nullable()
    .describe('The latest accepted event (the one that arrived last); null before any'),
  lastRecomputeAt: Instant.nullable().describe('When the recompute last ran; null before its first run'),
  settledThrough: Instant.nullable().describe(
    'How far the last recompute judged periods settled: its run time, or earlier while entries that arrived before then still waited for ingest (the ingest watermark); null before a run recorded it',
  ),
  recomputeEverySeconds: z
    .number()
    .nullable()
    .describe(
      "How often the recompute runs: the schedule in use (in AWS the configuration's recompute.every, locally the runtime's own); null when it runs on demand only",
    ),
  backlog: z
    .object({
      entries: z.number().int().describe('Entries PutEvents acknowledged that are not ingested yet'),
      oldestArrivedAt: Instant.nullable().describe('When the oldest of them arrived'),
    })
    .nullable()
    .describe(
      'What waits for ingest, where the pipeline sees its queue (the local runtime); null on AWS, where the queue depth is a CloudWatch metric',
    ),
  stale: z.boolean().describe('True when any reason below holds'),
  staleReasons: z.array(
    z.object({
      code: z.enum([
        'no_events',
        'events_quiet',
        'ingest_lagging',
        'ingest_behind',
        'never_recomputed',
        'recompute_late',
      ]),
      message: z.string(),
    }),
  ),
});
export type PipelineStatus = z.infer<typeof PipelineStatus>;

const Reason = z.string().describe(`A rejection reason code: ${RejectionReason.options.join(', ')}`);

export const QuarantineReport = z.object({
  days: z.array(z.string()).describe('UTC arrival days looked at, newest first'),
  total: z.number().int(),
  reasons: z
    .array(z.object({ reason: Reason, count: z.number().int() }))
    .describe('Quarantined events by reason, most first'),
  samples: z.array(
    z.object({
      reason: Reason,
      message: z.string(),
      source: z.string().nullable(),
      name: z.string().nullable(),
      eventId: z.string().nullable(),
      arrivedAt: Instant,
      raw: z.string().describe('The raw payload, cut at 2000 characters'),
      rawTruncated: z.boolean(),
    }),
  ),
});
export type QuarantineReport = z.infer<typeof QuarantineReport>;

export const RecomputeSummary = z.object({
  periods: z.number().int(),
  rollups: z.number().int(),
  detected: z.number().int(),
  resolved: z.number().int(),
  offTrack: z.number().int(),
  resent: z.number().int(),
  digests: z
    .number()
    .int()
    .describe('Review digests sent: one per owner team and review period that became due'),
  recoveredRounds: z.number().int(),
});
export type RecomputeSummary = z.infer<typeof RecomputeSummary>;

/** One quarantined event in full, as `quarantine replay` sends it again. */
export const QuarantinedItem = z.object({
  id: z.string().describe('Stable within its day: reason and a hash of the raw payload'),
  reason: Reason,
  message: z.string(),
  source: z.string().nullable(),
  name: z.string().nullable(),
  eventId: z.string().nullable(),
  userId: z.string().nullable(),
  arrivedAt: Instant,
  raw: z.string().describe('The raw payload as received, whole'),
});
export type QuarantinedItem = z.infer<typeof QuarantinedItem>;

export const QuarantinePage = z.object({
  day: z.string().describe('The UTC arrival day'),
  items: z.array(QuarantinedItem).describe('In id order'),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last one'),
});
export type QuarantinePage = z.infer<typeof QuarantinePage>;

/** The OpenAPI document is served as plain JSON; its shape is the OpenAPI 3.1 specification's. */
export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string(), description: z.string().optional() }),
  paths: z.record(z.string(), z.unknown()),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

export const RetentionTable = z.object({
  metric: z.object({
    id: z.string(),
    title: z.string(),
    definitionVersion: z.string(),
    offset: z.number().int(),
    mode: z.enum(['on', 'on_or_after']),
    until: z.number().int().nullable(),
  }),
  grain: GrainName,
  from: Instant,
  to: Instant,
  offsets: z.number().int().describe('Offsets each cohort has: 1 to this'),
  cohorts: z.array(
    z.object({
      period: z.string().describe('The cohort: the period of its users’ earliest start event'),
      start: Instant,
      size: z.number().int(),
      value: Rate.describe('The metric’s value: retained over size, null for an empty cohort'),
      settled: z.boolean().describe('The last return period of the metric has ended, plus the settle delay'),
      retained: z.array(
        z.object({
          offset: z.number().int(),
          users: z
            .number()
            .int()
            .describe('Users of the cohort with a return event in the period offset after it'),
          rate: Rate,
          complete: z
            .boolean()
            .describe('That period has ended, plus the settle delay: the cell can no longer rise'),
        }),
      ),
    }),
  ),
});
export type RetentionTable = z.infer<typeof RetentionTable>;
