import { describe, expect, test } from 'vitest';
import demo from '../../../../config/demo.config.js';
import type { NorthstarConfigInput } from '../../../../shared/domain/config/schema.js';
import { ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';

type ConfigDraft = NorthstarConfigInput;
type MetricDraft = ConfigDraft['metrics'][string];

/** A deep copy of the demo configuration with one thing changed. */
function brokenDemo(change: (draft: ConfigDraft) => void): ConfigDraft {
  const draft: ConfigDraft = structuredClone(demo);
  change(draft);
  return draft;
}

/** One metric of the draft, narrowed to the kind the demo gives it. */
function metricOf<K extends MetricDraft['kind']>(
  draft: ConfigDraft,
  id: string,
  kind: K,
): Extract<MetricDraft, { kind: K }> {
  const metric = draft.metrics[id];
  if (metric?.kind !== kind) throw new Error(`the demo has no ${kind} metric "${id}"`);
  return metric as Extract<MetricDraft, { kind: K }>;
}

function activationFunnel(draft: ConfigDraft) {
  const funnel = draft.funnels?.activation;
  if (!funnel) throw new Error('the demo has no "activation" funnel');
  return funnel;
}

function journeyStages(draft: ConfigDraft) {
  if (!draft.journey) throw new Error('the demo has no journey');
  return draft.journey.stages;
}

/** Runs parseConfig and returns the ConfigError it throws. */
function configErrorOf(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}

describe('parseConfig: valid configurations', () => {
  test('It should parse the demo configuration', () => {
    // Prepare
    const input = structuredClone(demo);

    // Act
    const config = parseConfig(input);

    // Assess
    expect(config.northStar).toBe('weekly_learners');
    expect(Object.keys(config.metrics)).toHaveLength(17);
    expect(config.metrics.annual_plan_payments).toMatchObject({ kind: 'count', where: { plan: 'annual' } });
    expect(config.funnels.activation?.steps).toHaveLength(4);
    expect(config.journey?.stages.map((stage) => stage.id)).toEqual([
      'aware',
      'registered',
      'activated',
      'paying',
      'retained',
    ]);
  });

  test('It should apply the defaults for every field left out', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      delete draft.timeZone;
      delete draft.maxLateness;
      delete draft.clockSkew;
      delete draft.grains;
      delete draft.ingest;
    });

    // Act
    const config = parseConfig(input);

    // Assess
    expect(config.timeZone).toBe('UTC');
    expect(config.maxLateness).toBe('P7D');
    expect(config.clockSkew).toBe('PT5M');
    expect(config.grains).toEqual(['hour', 'day', 'week', 'month']);
    expect(config.ingest).toEqual({
      counterShards: 4,
      maxQueueAge: 'P2D',
      maxRoundSeconds: 120,
      maxEventBytes: 16384,
    });
  });

  test('It should apply the defaults inside ingest settings, funnels, metrics and the tracking plan', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.ingest = { counterShards: 8 };
    });

    // Act
    const config = parseConfig(input);

    // Assess
    expect(config.ingest).toEqual({
      counterShards: 8,
      maxQueueAge: 'P2D',
      maxRoundSeconds: 120,
      maxEventBytes: 16384,
    });
    expect(config.funnels.activation?.steps[0]?.where).toEqual({});
    expect(config.metrics.weekly_learners).toMatchObject({ sensitivity: 1, where: {} });
    expect(config.trackingPlan.events.page_viewed?.properties.channel).toEqual({
      type: 'enum',
      required: false,
      values: ['organic', 'paid', 'referral', 'email', 'direct'],
    });
    expect(config.trackingPlan.events.page_viewed?.properties.path).toEqual({
      type: 'string',
      required: true,
      maxLength: 1024,
    });
  });

  test('It should accept a configuration without funnels and without a journey', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      delete draft.funnels;
      delete draft.journey;
      delete draft.metrics.activation_rate;
    });

    // Act
    const config = parseConfig(input);

    // Assess
    expect(config.funnels).toEqual({});
    expect(config.journey).toBeUndefined();
  });
});

describe('parseConfig: rejected configurations', () => {
  test('It should reject an unknown event in a metric', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'weekly_signups', 'count').events = ['signed_upp'];
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.weekly_signups.events[0]',
        message: 'unknown event "signed_upp": not in the tracking plan',
      },
    ]);
  });

  test('It should reject an unknown event in a funnel step', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const step = activationFunnel(draft).steps[1];
      if (step) step.event = 'registered';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'funnels.activation.steps[1].event',
        message: 'unknown event "registered": not in the tracking plan',
      },
    ]);
  });

  test('It should reject an unknown event in a journey stage', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const stage = journeyStages(draft)[2];
      if (stage) stage.events = ['lesson_completed', 'lesson_finished'];
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'journey.stages[2].events[1]',
        message: 'unknown event "lesson_finished": not in the tracking plan',
      },
    ]);
  });

  test('It should reject an unknown parent', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'daily_signups', 'count').parent = 'monthly_signups';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.daily_signups.parent', message: 'unknown parent metric "monthly_signups"' },
    ]);
  });

  test('It should reject a parent cycle and report it on its members only', () => {
    // Prepare: weekly_signups -> daily_signups -> weekly_signups; weekly_visitors and signup_rate hang below it.
    const input = brokenDemo((draft) => {
      metricOf(draft, 'weekly_signups', 'count').parent = 'daily_signups';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.weekly_signups.parent',
        message: 'parent cycle: weekly_signups -> daily_signups -> weekly_signups',
      },
      {
        path: 'metrics.daily_signups.parent',
        message: 'parent cycle: daily_signups -> weekly_signups -> daily_signups',
      },
    ]);
  });

  test('It should reject a metric that is its own parent', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').parent = 'revenue';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.revenue.parent', message: 'parent cycle: revenue -> revenue' },
    ]);
  });

  test('It should reject a ratio over metrics of different grains', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'signup_rate', 'ratio').denominator = 'daily_signups';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.signup_rate.denominator',
        message: 'grain day of "daily_signups" differs from the ratio\'s grain week',
      },
    ]);
  });

  test('It should reject a ratio that refers to an unknown metric', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'signup_rate', 'ratio').numerator = 'weekly_signupz';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.signup_rate.numerator', message: 'unknown metric "weekly_signupz"' },
    ]);
  });

  test('It should reject a ratio cycle', () => {
    // Prepare: rate_a = rate_b / weekly_visitors and rate_b = rate_a / weekly_visitors.
    const input = brokenDemo((draft) => {
      const { parent: _parent, ...signupRate } = metricOf(draft, 'signup_rate', 'ratio');
      draft.metrics.rate_a = { ...signupRate, title: 'Rate A', numerator: 'rate_b' };
      draft.metrics.rate_b = { ...signupRate, title: 'Rate B', numerator: 'rate_a' };
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.rate_a', message: 'ratio cycle: rate_a -> rate_b -> rate_a' },
    ]);
  });

  test('It should reject a north star that is not a metric', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.northStar = 'weekly_learnerz';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'northStar', message: 'north star "weekly_learnerz" is not a metric' },
    ]);
  });

  test('It should reject a north star with a parent', () => {
    // Prepare: weekly_learners now hangs below weekly_signups, which becomes a root.
    const input = brokenDemo((draft) => {
      delete metricOf(draft, 'weekly_signups', 'count').parent;
      metricOf(draft, 'weekly_learners', 'distinct_users').parent = 'weekly_signups';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'northStar', message: 'the north star is the root of the tree: it has no parent' },
    ]);
  });

  test('It should reject a sum over a property that is not a number', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').property = 'currency';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.revenue.property',
        message: '"currency" must be a number property of event "payment_succeeded"',
      },
    ]);
  });

  test('It should reject a sum over a property the event does not have', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').property = 'price';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.revenue.property',
        message: '"price" must be a number property of event "payment_succeeded"',
      },
    ]);
  });

  test('It should reject a filter on a property the event does not have', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'annual_plan_payments', 'count').where = { tier: 'gold' };
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.annual_plan_payments.where.tier',
        message: 'event "payment_succeeded" has no property "tier" in the tracking plan',
      },
    ]);
  });

  test('It should reject a filter value of the wrong type', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'annual_plan_payments', 'count').where = { amount: '10' };
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.annual_plan_payments.where.amount',
        message: '"10" is not a number (event "payment_succeeded")',
      },
    ]);
  });

  test('It should reject an enum filter value that is not in the enum', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'annual_plan_payments', 'count').where = { plan: ['annual', 'lifetime'] };
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.annual_plan_payments.where.plan',
        message: '"lifetime" is not one of monthly, annual (event "payment_succeeded")',
      },
    ]);
  });

  test('It should reject a funnel step filter value that is not in the enum', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const step = activationFunnel(draft).steps[0];
      if (step) step.where = { channel: 'tv' };
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'funnels.activation.steps[0].where.channel',
        message: '"tv" is not one of organic, paid, referral, email, direct (event "page_viewed")',
      },
    ]);
  });

  test('It should reject a funnel_conversion whose toStep is beyond the funnel', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'activation_rate', 'funnel_conversion').toStep = 5;
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.activation_rate.toStep', message: 'funnel "activation" has 4 steps' },
    ]);
  });

  test('It should reject a funnel_conversion whose fromStep is not before toStep', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const metric = metricOf(draft, 'activation_rate', 'funnel_conversion');
      metric.fromStep = 3;
      metric.toStep = 3;
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.activation_rate.fromStep', message: 'fromStep must be before toStep' },
    ]);
  });

  test('It should reject an unknown time zone', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.timeZone = 'Europe/Atlantis';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([{ path: 'timeZone', message: 'unknown IANA time zone "Europe/Atlantis"' }]);
  });

  test('It should reject a duration that is not ISO 8601', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.maxLateness = '7 days';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'maxLateness', message: 'must be an ISO 8601 duration such as PT5M or P7D' },
    ]);
  });

  test('It should reject a duration of zero', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.clockSkew = 'PT0S';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([{ path: 'clockSkew', message: 'must be a positive duration, got PT0S' }]);
  });

  test('It should reject an owner contact that is neither an email address nor an https URL', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').owner.contact = 'revenue team';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.revenue.owner.contact', message: 'must be an email address or an https URL' },
    ]);
  });

  test('It should reject an owner contact on plain http', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').owner.contact = 'http://chat.example.com/hooks/revenue';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.revenue.owner.contact', message: 'must be an email address or an https URL' },
    ]);
  });

  test('It should reject a property type that does not exist', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const amount = draft.trackingPlan.events.payment_succeeded?.properties?.amount;
      if (amount) Object.assign(amount, { type: 'decimal' });
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('trackingPlan.events.payment_succeeded.properties.amount.type');
    expect(error.issues[0]?.message).toMatch(/'string' \| 'number' \| 'boolean' \| 'enum'/);
  });

  test('It should reject duplicate journey stage ids', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      const stage = journeyStages(draft)[4];
      if (stage) stage.id = 'aware';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([{ path: 'journey.stages[4].id', message: 'duplicate stage "aware"' }]);
  });

  test('It should reject a metric without a data definition', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      delete (metricOf(draft, 'revenue', 'sum') as { definition?: string }).definition;
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.revenue.definition',
        message: 'every metric needs its data definition in plain words',
      },
    ]);
  });

  test('It should reject a metric with an empty data definition', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      metricOf(draft, 'revenue', 'sum').definition = '';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.issues).toEqual([
      {
        path: 'metrics.revenue.definition',
        message: 'every metric needs its data definition in plain words',
      },
    ]);
  });

  test('It should name every bad field in the error message, one line pair per issue', () => {
    // Prepare
    const input = brokenDemo((draft) => {
      draft.timeZone = 'Europe/Atlantis';
      metricOf(draft, 'daily_signups', 'count').parent = 'monthly_signups';
    });

    // Act
    const error = configErrorOf(input);

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.reason).toBe('invalid_config');
    expect(error.message).toBe(
      [
        'Invalid Northstar configuration:',
        '  ✖ unknown IANA time zone "Europe/Atlantis"',
        '    → at timeZone',
        '  ✖ unknown parent metric "monthly_signups"',
        '    → at metrics.daily_signups.parent',
      ].join('\n'),
    );
  });

  test('It should reject a misspelt field instead of dropping it', () => {
    const input = brokenDemo((draft) => {
      (draft.metrics.annual_plan_payments as Record<string, unknown>).wehre = { plan: 'annual' };
    });
    const error = configErrorOf(input);
    expect(error.issues).toContainEqual(expect.objectContaining({ path: 'metrics.annual_plan_payments' }));
    expect(error.message).toContain('wehre');
  });

  test('It should accept a $schema key at the top of a JSON configuration', () => {
    // Prepare: the demo with the key, and the smallest JSON configuration an editor would start from.
    const input = { ...structuredClone(demo), $schema: './northstar.schema.json' };
    const minimal = {
      $schema: './northstar.schema.json',
      trackingPlan: {
        events: {
          lesson_completed: {
            properties: { courseId: { type: 'string', required: true }, durationSeconds: { type: 'number' } },
          },
        },
      },
      metrics: {
        weekly_learners: {
          kind: 'distinct_users',
          title: 'Weekly learners',
          definition: 'Distinct users with a lesson_completed event in the ISO week.',
          events: ['lesson_completed'],
          grain: 'week',
          cadence: 'weekly',
          owner: { name: 'Head of Learning', contact: 'learning-lead@example.com' },
        },
      },
      northStar: 'weekly_learners',
    };

    // Act
    expect(() => parseConfig(input)).not.toThrow();
    const config = parseConfig(input);
    const { $schema, ...withoutSchema } = config;

    // Assess: every value the demo gives comes back as given, the key included ...
    expect(config).toMatchObject(input);
    expect($schema).toBe('./northstar.schema.json');
    // ... and the key changes nothing else: the rest is the demo's own result, defaults and all.
    expect(withoutSchema).toStrictEqual(parseConfig(structuredClone(demo)));
    // The minimal configuration comes back whole: its values kept, every default filled in.
    expect(parseConfig(minimal)).toStrictEqual({
      $schema: './northstar.schema.json',
      timeZone: 'UTC',
      maxLateness: 'P7D',
      clockSkew: 'PT5M',
      grains: ['hour', 'day', 'week', 'month'],
      ingest: { counterShards: 4, maxQueueAge: 'P2D', maxRoundSeconds: 120, maxEventBytes: 16384 },
      recompute: {
        every: 'PT5M',
        settleDelay: 'PT1H',
        countNoise: 3,
        history: { hour: 8, day: 8, week: 8, month: 12 },
        bandScale: { hour: 2, day: 1, week: 1, month: 1 },
        levelShift: 3,
        dashboardUrl: 'http://127.0.0.1:4000',
      },
      trackingPlan: {
        events: {
          lesson_completed: {
            description: '',
            properties: {
              courseId: { type: 'string', required: true, maxLength: 1024 },
              durationSeconds: { type: 'number', required: false },
            },
          },
        },
      },
      funnels: {},
      metrics: {
        weekly_learners: {
          kind: 'distinct_users',
          title: 'Weekly learners',
          definition: 'Distinct users with a lesson_completed event in the ISO week.',
          events: ['lesson_completed'],
          where: {},
          grain: 'week',
          cadence: 'weekly',
          sensitivity: 1,
          pageMarked: false,
          owner: { name: 'Head of Learning', contact: 'learning-lead@example.com', team: 'head_of_learning' },
        },
      },
      breakdowns: {},
      northStar: 'weekly_learners',
      calendar: [],
      lint: { acknowledge: [] },
    });
  });

  test('It should reject a metric whose grain is not among the kept grains', () => {
    const error = configErrorOf(brokenDemo((draft) => void (draft.grains = ['day', 'month'])));
    expect(error.issues).toContainEqual({
      path: 'metrics.weekly_learners.grain',
      message: 'grain week is not among the kept grains (day, month)',
    });
  });

  test('It should give every owner a routing team, from the name when none is given', () => {
    const config = parseConfig(
      brokenDemo((draft) => void delete (draft.metrics.revenue!.owner as { team?: string }).team),
    );
    expect(config.metrics.revenue?.owner.team).toBe('revenue');
    const named = parseConfig(
      brokenDemo(
        (draft) =>
          void (draft.metrics.revenue!.owner = { name: 'Product: Courses', contact: 'c@example.com' }),
      ),
    );
    expect(named.metrics.revenue?.owner.team).toBe('product_courses');
  });
});
