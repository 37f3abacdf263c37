import { z } from 'zod';

/** Names used as keys in DynamoDB and in URLs: short, stable, no separators. */
const Identifier = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,63}$/,
    'must be snake_case: a lowercase letter, then letters, digits or _ (max 64)',
  );

/** Property names follow the apps' own style (camelCase or snake_case). */
const PropertyName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be letters, digits or _ (max 64), not starting with a digit');

const Duration = z.iso.duration({ message: 'must be an ISO 8601 duration such as PT5M or P7D' });

export const Grain = z.enum(['hour', 'day', 'week', 'month']);
export type Grain = z.infer<typeof Grain>;

export const Cadence = z.enum(['daily', 'weekly', 'monthly', 'quarterly']);
export type Cadence = z.infer<typeof Cadence>;

export const PropertyDefinition = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    required: z.boolean().default(false),
    maxLength: z.number().int().positive().default(1024),
  }),
  z.strictObject({ type: z.literal('number'), required: z.boolean().default(false) }),
  z.strictObject({ type: z.literal('boolean'), required: z.boolean().default(false) }),
  z.strictObject({
    type: z.literal('enum'),
    required: z.boolean().default(false),
    values: z.array(z.string().min(1)).min(1),
  }),
]);
export type PropertyDefinition = z.infer<typeof PropertyDefinition>;

export const EventDefinition = z.strictObject({
  description: z.string().default(''),
  properties: z.record(PropertyName, PropertyDefinition).default({}),
});
export type EventDefinition = z.infer<typeof EventDefinition>;

/** Equality, or membership when a list is given. */
export const PropertyFilters = z.record(
  PropertyName,
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
  ]),
);
export type PropertyFilters = z.infer<typeof PropertyFilters>;

export const FunnelStep = z.strictObject({ event: Identifier, where: PropertyFilters.default({}) });
export type FunnelStep = z.infer<typeof FunnelStep>;

export const Funnel = z.strictObject({
  title: z.string().min(1),
  steps: z.array(FunnelStep).min(2).max(20),
  window: Duration,
});
export type Funnel = z.infer<typeof Funnel>;

export const JourneyStage = z.strictObject({
  id: Identifier,
  title: z.string().min(1),
  events: z.array(Identifier).min(1),
});
export type JourneyStage = z.infer<typeof JourneyStage>;

/** A routing key from a name: `Product: Courses` -> `product_courses`. */
export function teamKey(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  return /^[a-z]/.test(slug) ? slug : `t_${slug}`;
}

export const Owner = z
  .strictObject({
    name: z.string().min(1),
    /** Where alerts go: an email address or a chat webhook URL. */
    contact: z.union([z.email(), z.url({ protocol: /^https$/ })], {
      message: 'must be an email address or an https URL',
    }),
    /** Routing key for alert rules; defaults to a slug of the name. */
    team: Identifier.optional(),
  })
  .transform((owner) => ({ ...owner, team: owner.team ?? teamKey(owner.name) }));
export type Owner = z.infer<typeof Owner>;

export const Target = z.strictObject({
  value: z.number(),
  by: z.iso.date({ message: 'must be a date YYYY-MM-DD' }),
  direction: z.enum(['increase', 'decrease']),
});
export type Target = z.infer<typeof Target>;

const MetricCommon = {
  title: z.string().min(1),
  definition: z
    .string({ error: 'every metric needs its data definition in plain words' })
    .min(1, 'every metric needs its data definition in plain words'),
  owner: Owner,
  cadence: Cadence,
  grain: Grain,
  parent: Identifier.optional(),
  target: Target.optional(),
  /** Multiplier on the expected band's width: above 1 alerts less, below 1 more. */
  sensitivity: z.number().positive().default(1),
};

const EventMetricCommon = {
  ...MetricCommon,
  events: z.array(Identifier).min(1),
  where: PropertyFilters.default({}),
};

export const Metric = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('count'), ...EventMetricCommon }),
  z.strictObject({ kind: z.literal('distinct_users'), ...EventMetricCommon }),
  z.strictObject({ kind: z.literal('sum'), ...EventMetricCommon, property: PropertyName }),
  z.strictObject({
    kind: z.literal('ratio'),
    ...MetricCommon,
    numerator: Identifier,
    denominator: Identifier,
  }),
  z.strictObject({
    kind: z.literal('funnel_conversion'),
    ...MetricCommon,
    funnel: Identifier,
    /** 1-based step numbers, from < to. */
    fromStep: z.number().int().min(1),
    toStep: z.number().int().min(2),
  }),
]);
export type Metric = z.infer<typeof Metric>;
export type EventMetric = Extract<Metric, { kind: 'count' | 'distinct_users' | 'sum' }>;

export const IngestSettings = z.strictObject({
  /** Counter items are spread over this many shards, summed on read. */
  counterShards: z.number().int().min(1).max(64).default(4),
  /**
   * Longest a message may wait in the queue before ingest. Older ones are quarantined
   * (`queue_expired`): per-user state older than lateness plus this age is pruned.
   */
  maxQueueAge: Duration.default('P2D'),
  /** Longest one ingest round may run; an open round older than this is recovered by others. */
  maxRoundSeconds: z.number().int().min(5).max(3600).default(120),
  /** Size limit of one event, as JSON. */
  maxEventBytes: z.number().int().min(256).max(65536).default(16384),
});
export type IngestSettings = z.infer<typeof IngestSettings>;

export const RecomputeSettings = z.strictObject({
  /** How often the scheduled recompute runs. */
  every: Duration.default('PT5M'),
  /** A period is settled, and may alert, once its end plus this delay has passed. */
  settleDelay: Duration.default('PT1H'),
  /**
   * Least band half width of count and distinct-user metrics, in multiples of
   * sqrt(expected): the counting noise of a steady process, so small counts do not alert
   * on chance. 0 turns it off.
   */
  countNoise: z.number().min(0).max(10).default(2),
  /** Base URL of the dashboard, for the chart link in alerts. */
  dashboardUrl: z.url().default('http://127.0.0.1:4000'),
});
export type RecomputeSettings = z.infer<typeof RecomputeSettings>;

export const NorthstarConfigInput = z.strictObject({
  /** Editors' JSON Schema reference; ignored. */
  $schema: z.string().optional(),
  timeZone: z.string().default('UTC'),
  maxLateness: Duration.default('P7D'),
  clockSkew: Duration.default('PT5M'),
  /** Grains every counter is kept at, so any metric can be charted at any of them. */
  grains: z.array(Grain).min(1).default(['hour', 'day', 'week', 'month']),
  ingest: IngestSettings.default(IngestSettings.parse({})),
  recompute: RecomputeSettings.default(RecomputeSettings.parse({})),
  trackingPlan: z.strictObject({ events: z.record(Identifier, EventDefinition) }),
  funnels: z.record(Identifier, Funnel).default({}),
  journey: z.strictObject({ stages: z.array(JourneyStage).min(1) }).optional(),
  metrics: z.record(Identifier, Metric),
  northStar: Identifier,
});
export type NorthstarConfigInput = z.input<typeof NorthstarConfigInput>;
export type NorthstarConfig = z.infer<typeof NorthstarConfigInput>;
