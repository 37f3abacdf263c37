import { z } from 'zod';
import { TargetProgress } from '../engine/target-pace.js';

const Value = z.number().nullable();

/** A metric's owner: who is paged and through which team's topic. */
export const Owner = z.object({ name: z.string(), contact: z.string(), team: z.string() });
export type Owner = z.infer<typeof Owner>;

/** A child metric and its share of the parent's move (SEMANTICS.md section 7). */
export const AlertContributor = z.object({
  metricId: z.string(),
  title: z.string(),
  observed: Value,
  expected: Value,
  relativeDeviation: Value,
  share: z.number(),
});
export type AlertContributor = z.infer<typeof AlertContributor>;

/** Which property values explain the move (SEMANTICS.md section 11). */
export const AlertExplanation = z.object({
  headline: z
    .string()
    .nullable()
    .describe('The top explanation in one line, or null when no value stands out'),
  breakdowns: z.array(
    z.object({
      by: z.string(),
      title: z.string(),
      concentration: z.number(),
      values: z.array(z.object({ value: z.string(), observed: Value, expected: Value, share: z.number() })),
      ratio: z.object({ mix: z.number(), rate: z.number() }).optional(),
    }),
  ),
});
export type AlertExplanation = z.infer<typeof AlertExplanation>;

export const AlertKind = z.enum(['detected', 'resolved', 'target_off_track', 'level_shift']);
export type AlertKind = z.infer<typeof AlertKind>;

export const AlertMetric = z.object({
  id: z.string(),
  title: z.string(),
  definitionVersion: z.string(),
  definition: z.string(),
});

export const AlertBand = z.object({ lower: z.number(), upper: z.number() });

export const Severity = z.enum(['warning', 'critical']).nullable();

/** With `target_off_track`: the key result and its pace. */
export const AlertTarget = TargetProgress.extend({
  value: z.number(),
  by: z.string(),
  direction: z.string(),
});

/** The detail of a deviation alert event on the bus (SEMANTICS.md section 7). */
export const DeviationAlert = z.object({
  /** Stable per (metric version, grain, period): consumers can drop repeats by it. */
  alertId: z.string(),
  kind: AlertKind,
  metric: AlertMetric,
  grain: z.string(),
  period: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  observed: Value,
  expected: z.number(),
  band: AlertBand,
  relativeDeviation: Value,
  severity: Severity,
  owner: Owner,
  contributors: z.array(AlertContributor),
  /** For a metric with breakdowns: the property values behind the move. */
  explanation: AlertExplanation.optional(),
  /**
   * The likely cause in one line, on every alert, so a message template can show it: the
   * top explanation, else the child metric with most of the move, else what was looked at.
   */
  cause: z.string().optional(),
  link: z.string(),
  target: AlertTarget.optional(),
  /**
   * Found by a backfill or an import about a period that had settled before its version was
   * shown: kept as history, never sent.
   */
  historical: z.boolean().optional(),
  /** Labels of the holidays and annotations that mark the period. */
  marks: z.array(z.string()).optional(),
  /**
   * A marked period's deviation of a metric that does not page for marked periods
   * (`pageMarked: false`): kept and shown with its labels, never sent.
   */
  quiet: z.boolean().optional(),
});
export type DeviationAlert = z.infer<typeof DeviationAlert>;
