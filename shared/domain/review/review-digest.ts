import { z } from 'zod';
import { AlertExplanation, AlertKind, Severity } from '../alerts/deviation-alert.js';
import { Cadence, Grain } from '../config/schema.js';
import { TargetProgress } from '../engine/target-pace.js';

const Value = z.number().nullable();

/** One of the review period's alerts about the metric, as the owner left it. */
export const DigestAlert = z.object({
  alertId: z.string(),
  kind: AlertKind,
  grain: z.string(),
  period: z.string(),
  severity: Severity,
  state: z.enum(['open', 'resolved']),
  observed: Value,
  expected: z.number(),
  acknowledgement: z
    .object({ by: z.string(), note: z.string(), verdict: z.enum(['real', 'expected', 'noise']).optional() })
    .optional(),
  historical: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type DigestAlert = z.infer<typeof DigestAlert>;

/** A definition version that started, was shown or retired in the review period. */
export const DigestDefinitionChange = z.object({
  version: z.string(),
  change: z.enum(['backfilling', 'shown', 'replaced', 'removed', 'abandoned']),
  at: z.string(),
});

/** One metric of the team in its review: numbers, pace, drivers, alerts, data quality. */
export const DigestMetric = z.object({
  id: z.string(),
  title: z.string(),
  /** The metric's kind: ratios, conversions and retention read as shares. */
  kind: z.string(),
  definition: z.string(),
  definitionVersion: z.string(),
  /** The grain read: the review's own when the metric is finer, else the metric's. */
  grain: Grain,
  /** The last settled period of that grain within the review period. */
  period: z.string().nullable(),
  value: Value,
  previous: z.object({ period: z.string(), value: Value }).nullable(),
  /** (value - previous) / previous; null without both, or from zero. */
  change: Value,
  expected: Value,
  band: z.object({ lower: Value, upper: Value }),
  status: z.string(),
  relativeDeviation: Value,
  target: TargetProgress.extend({ value: z.number(), by: z.string(), direction: z.string() }).optional(),
  /** Child metrics, by their share of the change against the period before. */
  children: z.array(z.object({ metricId: z.string(), title: z.string(), change: Value, share: z.number() })),
  /** Where the metric has breakdowns: the values behind the change against the period before. */
  drivers: AlertExplanation.optional(),
  alerts: z.array(DigestAlert),
  /** Events of the metric's event names quarantined in the review period. */
  quarantined: z.number().int(),
  definitionChanges: z.array(DigestDefinitionChange),
  link: z.string(),
});
export type DigestMetric = z.infer<typeof DigestMetric>;

/** The detail of a `Metric Review Digest` event: one per owner team, cadence and review period. */
export const ReviewDigest = z.object({
  /** Stable per (team, cadence, period): consumers can drop repeats by it. */
  digestId: z.string(),
  team: z.string(),
  owners: z.array(z.string()),
  cadence: Cadence,
  period: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  timeZone: z.string(),
  generatedAt: z.string(),
  metrics: z.array(DigestMetric),
  freshness: z.object({
    /** The newest event time ingest accepted, and when it was committed. */
    latestEventAt: z.string().nullable(),
    committedAt: z.string().nullable(),
    settledThrough: z.string().nullable(),
  }),
  /** Events quarantined in the review period: all of them, and those of the metrics' event names. */
  quarantined: z.object({ all: z.number().int(), behindMetrics: z.number().int() }),
  subject: z.string(),
  /** The readable plain-text body, as email shows it. */
  text: z.string(),
  link: z.string(),
});
export type ReviewDigest = z.infer<typeof ReviewDigest>;
