import { z } from 'zod';
import { calendarProblem } from '../time/calendar.js';

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
  /**
   * Page a deviation of a period that a holiday or an annotation marks. Off: it is shown
   * with its label and kept in the alert list, not sent.
   */
  pageMarked: z.boolean().default(false),
  /**
   * A root watched beside the north star: a number that must not get worse while the north
   * star grows (refunds, support tickets, unsubscribes). No parent needed.
   */
  guardrail: z.boolean().optional(),
};

/** Breakdowns a metric is split by (`breakdowns` at the top level): exact series per value. */
const MetricBreakdowns = {
  breakdowns: z.array(Identifier).min(1).max(8).optional(),
};

const EventMetricCommon = {
  ...MetricCommon,
  ...MetricBreakdowns,
  events: z.array(Identifier).min(1),
  where: PropertyFilters.default({}),
  /**
   * Only events of users in the period of their earliest accepted event of any name (`new`),
   * or in a later period (`returning`), at each grain.
   */
  users: z.enum(['new', 'returning']).optional(),
};

export const Metric = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('count'), ...EventMetricCommon }),
  z.strictObject({
    kind: z.literal('distinct_users'),
    ...EventMetricCommon,
    /** Counts only users with at least this many matching events in the period (repeat purchasers). */
    minEvents: z.number().int().min(1).max(1000).optional(),
    /**
     * A rolling window of whole days (`P7D`, `P30D`): distinct users with a matching event on
     * any of the days that end with the day. A day-grain series.
     */
    window: z
      .string()
      .regex(
        /^P([1-9]|[1-8][0-9]|90)D$/,
        'must be a whole number of days from P1D to P90D, such as P7D or P30D',
      )
      .optional(),
  }),
  z.strictObject({ kind: z.literal('sum'), ...EventMetricCommon, property: PropertyName }),
  z.strictObject({
    kind: z.literal('ratio'),
    ...MetricCommon,
    /** Both sides are split by each of these: the ratio within each value. */
    ...MetricBreakdowns,
    numerator: Identifier,
    denominator: Identifier,
  }),
  z.strictObject({
    kind: z.literal('funnel_conversion'),
    ...MetricCommon,
    /** The funnel's users split by the value on their entry event (the first step). */
    ...MetricBreakdowns,
    funnel: Identifier,
    /** 1-based step numbers, from < to. */
    fromStep: z.number().int().min(1),
    toStep: z.number().int().min(2),
  }),
  z.strictObject({
    kind: z.literal('retention'),
    ...MetricCommon,
    /** The start event: a user's cohort is the period of their earliest one. */
    start: FunnelStep,
    /** The event that counts as coming back. */
    return: FunnelStep,
    /** Periods after the cohort's in which the return counts: 1 is the next period. */
    offset: z.number().int().min(1).max(52),
    /** `on`: a return in the period `offset` after the cohort's; `on_or_after`: in any from `offset` to `until`. */
    mode: z.enum(['on', 'on_or_after']).default('on'),
    until: z.number().int().min(1).max(52).optional(),
  }),
]);
export type Metric = z.infer<typeof Metric>;
export type RetentionMetric = Extract<Metric, { kind: 'retention' }>;
export type EventMetric = Extract<Metric, { kind: 'count' | 'distinct_users' | 'sum' }>;

/** A `context` field as apps send it: a name or a dotted path (`platform`, `os.name`, `app.version`). */
const ContextPath = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/,
    'must be a context field name or a dotted path such as os.name (at most 4 parts)',
  );

/**
 * What a metric can be split by: a property of its events, or a `context` field, over a
 * fixed list of values. A value outside the list counts as `(other)`, a missing one as
 * `(none)`, so the series are fixed by the configuration, not by the traffic.
 */
export const Breakdown = z.strictObject({
  title: z.string().min(1).max(80).optional(),
  property: PropertyName.optional(),
  context: ContextPath.optional(),
  /** The values, in the order shown. A property's default: its enum values in the tracking plan. */
  values: z.array(z.string().min(1).max(64)).min(1).max(50).optional(),
});
export type Breakdown = z.infer<typeof Breakdown>;

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
   * on chance. 0 turns it off. 3 is the band's own three sigmas: the MAD of a few history
   * values is a noisy estimate of a count's spread, its counting noise is not.
   */
  countNoise: z.number().min(0).max(10).default(3),
  /**
   * Earlier periods a period's expectation is drawn from, per grain: the same hour of the
   * same weekday in as many previous weeks, the same weekday in as many previous weeks, the
   * previous weeks, the previous months. At least 4, the values a band needs.
   */
  history: z
    .strictObject({
      hour: z.number().int().min(4).max(52).default(8),
      day: z.number().int().min(4).max(52).default(8),
      week: z.number().int().min(4).max(104).default(8),
      month: z.number().int().min(4).max(36).default(12),
    })
    .default({ hour: 8, day: 8, week: 8, month: 12 }),
  /**
   * Multiplies every metric's band at a grain: an hour is judged 168 times a week and a day 7,
   * so the same band would give hours 24 times the chance alerts of days. The defaults are
   * the alert-quality benchmark's (bench/RESULTS.md).
   */
  bandScale: z
    .strictObject({
      hour: z.number().min(0.1).max(10).default(2),
      day: z.number().min(0.1).max(10).default(1),
      week: z.number().min(0.1).max(10).default(1),
      month: z.number().min(0.1).max(10).default(1),
    })
    .default({ hour: 2, day: 1, week: 1, month: 1 }),
  /**
   * Consecutive settled periods outside the band on the same side that make a level shift:
   * one `Metric Level Shift` alert, then the expectation follows the new level. 0 turns it off.
   */
  levelShift: z.number().int().min(0).max(30).default(3),
  /** Base URL of the dashboard, for the chart link in alerts. */
  dashboardUrl: z.url().default('http://127.0.0.1:4000'),
});
export type RecomputeSettings = z.infer<typeof RecomputeSettings>;

/**
 * A holiday or known event: a date (`YYYY-MM-DD` once, `MM-DD` every year) or a rule
 * (`fourth thursday of november`, `last monday of may`, `easter`, `easter+1`), taken in the
 * configured time zone. Its periods are left out of later periods' history.
 */
export const CalendarEntry = z
  .strictObject({
    label: z.string().min(1).max(80),
    date: z.string().optional(),
    rule: z.string().optional(),
    /** Days it covers from its day on. */
    days: z.number().int().min(1).max(31).default(1),
    /** The metrics it marks; every metric when absent. */
    metrics: z.array(Identifier).min(1).optional(),
    /** The grains whose periods it marks; hours and days when absent: a holiday marks its hours and its day, not its week or month. */
    grains: z.array(Grain).min(1).optional(),
  })
  .superRefine((entry, context) => {
    const problem = calendarProblem(entry);
    if (problem)
      context.addIssue({
        code: 'custom',
        message: problem,
        path: entry.date !== undefined ? ['date'] : ['rule'],
      });
  });
export type CalendarEntry = z.infer<typeof CalendarEntry>;

/** A write key as apps send it: the Basic auth user name or the body's `writeKey`. */
export const WriteKeyName = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{8,128}$/,
    'must be 8 to 128 letters, digits, _ or - (it travels as a Basic auth user name)',
  );

/** The EventBridge `Source` of a write key's entries; `northstar` and `aws.` are not an app's. */
const EntrySource = z
  .string()
  .min(1)
  .max(256)
  .refine((source) => !/^(northstar|aws\.)/i.test(source), {
    message: 'must not start with "northstar" (the pipeline\'s own) or "aws." (AWS services\')',
  });

/** Events per second a write key may send, refilled continuously, and how many may come at once. */
export const CollectorRateLimit = z.strictObject({
  eventsPerSecond: z.number().positive().max(1_000_000),
  burst: z.number().int().min(1).max(1_000_000),
});
export type CollectorRateLimit = z.infer<typeof CollectorRateLimit>;

export const WriteKey = z.strictObject({
  source: EntrySource,
  /** This key's own limit instead of the collector's. */
  rateLimit: CollectorRateLimit.optional(),
});
export type WriteKey = z.infer<typeof WriteKey>;

/** Write keys by key: the shape of `collector.writeKeys`, of the keys file and of the environment variable. */
export const WriteKeys = z.record(WriteKeyName, WriteKey);
export type WriteKeys = z.infer<typeof WriteKeys>;

const DEFAULT_RATE_LIMIT: CollectorRateLimit = { eventsPerSecond: 1000, burst: 5000 };

/** An origin as a browser sends it in `Origin`: scheme, host and port, no path; or `*` for any. */
const AllowedOrigin = z.union([
  z.literal('*'),
  z
    .string()
    .regex(
      /^https?:\/\/[^/?#\s]+$/,
      'must be an origin such as https://app.example.com (scheme, host and port, no path), or *',
    ),
]);

/**
 * The collector: Segment-style tracking API calls from apps that hold a public write key.
 * Keys are listed here, in a file re-read while running, or in an environment variable;
 * removing a key from the file revokes it without a deploy.
 */
export const CollectorSettings = z.strictObject({
  writeKeys: WriteKeys.optional(),
  /** A JSON file of write keys (the shape of `writeKeys`), re-read while running. */
  writeKeysFile: z.string().min(1).optional(),
  /** An environment variable holding write keys as JSON (the shape of `writeKeys`), read at start. */
  writeKeysEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  /** Segment event names to tracking-plan names; `page` and `screen` name those calls' events. */
  names: z.record(z.string().min(1).max(256), Identifier).default({}),
  rateLimit: CollectorRateLimit.default(DEFAULT_RATE_LIMIT),
  /** Largest body of one call (`/v1/track`, ...) and largest call inside a batch. Segment's own: 32 KB. */
  maxCallBytes: z.number().int().min(1024).max(32768).default(32768),
  /** Largest body of a `/v1/batch` request. Segment's own: 500 KB. */
  maxBatchBytes: z.number().int().min(1024).max(4_194_304).default(512_000),
  /**
   * Device clocks within this many seconds of the collector's are taken as right: the time is
   * not corrected, so a retry (sent again with a new `sentAt`) carries the very same time.
   */
  deviceClockToleranceSeconds: z.number().int().min(0).max(3600).default(10),
  /** Web origins whose pages may send (CORS); apps and servers send no `Origin`. */
  allowedOrigins: z.array(AllowedOrigin).default([]),
});
export type CollectorSettings = z.infer<typeof CollectorSettings>;

/** A lint finding the team accepts, with why: like a cdk-nag acknowledgement. */
export const LintAcknowledgement = z.strictObject({
  rule: z.string().min(1),
  /** The metrics it covers; every metric when absent. */
  metrics: z.array(Identifier).min(1).optional(),
  reason: z
    .string({ error: 'every acknowledgement needs its reason' })
    .min(20, 'must say why in at least 20 characters'),
});
export type LintAcknowledgement = z.infer<typeof LintAcknowledgement>;

export const LintSettings = z.strictObject({
  acknowledge: z.array(LintAcknowledgement).default([]),
  /**
   * Least typical value per period a count must have to be judged (`thin-history`).
   * @default (2 x countNoise)^2, the count at which a 50% drop leaves the band
   */
  minVolume: z.number().positive().optional(),
});
export type LintSettings = z.infer<typeof LintSettings>;

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
  /** Properties and context fields metrics may be split by, by name. */
  breakdowns: z.record(Identifier, Breakdown).default({}),
  northStar: Identifier,
  /** Holidays and known events: their periods are left out of later periods' history. */
  calendar: z.array(CalendarEntry).default([]),
  /** The Segment-style collector for web and mobile apps; off when absent. */
  collector: CollectorSettings.optional(),
  /** The north-star lint (`northstar lint`): findings the team accepts, with their reasons. */
  lint: LintSettings.default({ acknowledge: [] }),
});
export type NorthstarConfigInput = z.input<typeof NorthstarConfigInput>;
export type NorthstarConfig = z.infer<typeof NorthstarConfigInput>;
