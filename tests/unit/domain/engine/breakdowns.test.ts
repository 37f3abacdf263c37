import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { type ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';
import { seriesId } from '../../../../shared/domain/engine/breakdowns.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson, mergeDeltas } from '../../../../shared/domain/engine/deltas.js';
import { metricValue } from '../../../../shared/domain/engine/metric-values.js';
import type { ProductEvent } from '../../../../shared/domain/events/envelope.js';
import { applyBatches, assertMatchesReference, productEvent } from '../../../support/engine-property.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const common = { owner, cadence: 'weekly', definition: 'A test metric.', grain: 'day' } as const;

/** Sign-ups by method and platform, buyers and revenue by plan, and sign-ups per visitor by platform. */
const input = defineConfig({
  grains: ['day', 'week'],
  trackingPlan: {
    events: {
      visited: {},
      signed_up: { properties: { method: { type: 'enum', values: ['email', 'apple'] } } },
      paid: {
        properties: {
          amount: { type: 'number' },
          plan: { type: 'enum', values: ['monthly', 'annual'] },
        },
      },
    },
  },
  funnels: {
    signup: {
      title: 'Visit to sign-up',
      steps: [{ event: 'visited' }, { event: 'signed_up' }],
      window: 'P1D',
    },
  },
  breakdowns: {
    method: { property: 'method' },
    platform: { context: 'os.name', values: ['ios', 'android'] },
    plan: { property: 'plan' },
  },
  metrics: {
    signups: {
      kind: 'count',
      title: 'Sign-ups',
      events: ['signed_up'],
      breakdowns: ['method', 'platform'],
      ...common,
    },
    visitors: {
      kind: 'distinct_users',
      title: 'Visitors',
      events: ['visited'],
      breakdowns: ['platform'],
      ...common,
    },
    signup_rate: {
      kind: 'ratio',
      title: 'Sign-ups per visitor',
      numerator: 'signups',
      denominator: 'visitors',
      breakdowns: ['platform'],
      ...common,
    },
    visit_to_signup: {
      kind: 'funnel_conversion',
      title: 'Visit to sign-up',
      funnel: 'signup',
      fromStep: 1,
      toStep: 2,
      breakdowns: ['platform'],
      ...common,
    },
    buyers: {
      kind: 'distinct_users',
      title: 'Buyers',
      events: ['paid'],
      breakdowns: ['plan'],
      ...common,
    },
    revenue: {
      kind: 'sum',
      title: 'Revenue',
      events: ['paid'],
      property: 'amount',
      breakdowns: ['plan'],
      ...common,
    },
  },
  northStar: 'signups',
});
const config = parseConfig(input);
const compiled = compileConfig(config);

const NOW = Date.parse('2026-11-20T12:00:00Z');
const event = (
  name: string,
  at: string,
  properties: Record<string, unknown>,
  userId: string,
  context?: Record<string, unknown>,
) => productEvent({ name, at, properties, userId, ...(context ? { context } : {}), arrivedAt: NOW });

/** Each user's events, one user per batch, summed over users. */
function total(batchesByUser: readonly (readonly ProductEvent[])[]): Deltas {
  const deltas: Deltas = new Map();
  for (const batch of batchesByUser) mergeDeltas(deltas, applyBatches([batch], compiled, NOW).deltas);
  return deltas;
}

/** Each label's value of a metric split by a breakdown, on one item. */
function split(deltas: Deltas, metric: string, by: string, item: string): Record<string, number | null> {
  const breakdown = compiled.breakdowns.find((one) => one.metricId === metric && one.by === by)!;
  const counters = deltas.get(item) ?? new Map<string, number>();
  return Object.fromEntries(
    breakdown.labels.map((label, index) => [label, metricValue(metric, counters, compiled, { by, index })]),
  );
}

describe('breakdowns: a series per value', () => {
  test('It should count each value under its own series, an unlisted one under (other) and a missing one under (none)', () => {
    const deltas = total([
      [
        event('visited', '2026-11-16T08:00:00Z', {}, 'ann', { os: { name: 'ios' } }),
        event('signed_up', '2026-11-16T08:05:00Z', { method: 'email' }, 'ann', { os: { name: 'ios' } }),
      ],
      [
        event('visited', '2026-11-16T09:00:00Z', {}, 'bob', { os: { name: 'android' } }),
        event('visited', '2026-11-16T09:30:00Z', {}, 'bob', { os: { name: 'ios' } }),
        event('signed_up', '2026-11-16T09:05:00Z', { method: 'apple' }, 'bob', { os: { name: 'android' } }),
      ],
      [
        event('visited', '2026-11-16T10:00:00Z', {}, 'cy', { os: { name: 'windows' } }),
        event('signed_up', '2026-11-16T10:05:00Z', {}, 'cy'),
      ],
      [
        event('paid', '2026-11-16T11:00:00Z', { amount: 10, plan: 'monthly' }, 'dan'),
        event('paid', '2026-11-16T12:00:00Z', { amount: 100, plan: 'annual' }, 'dan'),
      ],
      [event('paid', '2026-11-16T13:00:00Z', { amount: 12.5, plan: 'monthly' }, 'eve')],
    ]);
    const day = 'day#2026-11-16';
    expect(split(deltas, 'signups', 'method', day)).toEqual({
      email: 1,
      apple: 1,
      '(other)': 0,
      '(none)': 1,
    });
    // Context read along a dotted path; windows is not listed, cy's sign-up has no context.
    expect(split(deltas, 'signups', 'platform', day)).toEqual({
      ios: 1,
      android: 1,
      '(other)': 0,
      '(none)': 1,
    });
    // A user counts under every value they had an event of: bob under ios and android.
    expect(split(deltas, 'visitors', 'platform', day)).toEqual({
      ios: 2,
      android: 1,
      '(other)': 1,
      '(none)': 0,
    });
    expect(split(deltas, 'signup_rate', 'platform', day)).toEqual({
      ios: 0.5,
      android: 1,
      '(other)': 0,
      '(none)': null,
    });
    expect(split(deltas, 'buyers', 'plan', day)).toEqual({
      monthly: 2,
      annual: 1,
      '(other)': 0,
      '(none)': 0,
    });
    expect(split(deltas, 'revenue', 'plan', 'week#2026-W47')).toEqual({
      monthly: 22.5,
      annual: 100,
      '(other)': 0,
      '(none)': 0,
    });
  });

  test('It should split a funnel conversion by the value on each user’s entry event, and move a user whose earlier entry arrives late', () => {
    const day = 'day#2026-11-16';
    const ann = [
      event('visited', '2026-11-16T08:00:00Z', {}, 'ann', { os: { name: 'ios' } }),
      event('signed_up', '2026-11-16T09:00:00Z', { method: 'email' }, 'ann', { os: { name: 'android' } }),
    ];
    const bob = [event('visited', '2026-11-16T10:00:00Z', {}, 'bob', { os: { name: 'android' } })];
    const first = total([ann, bob]);
    expect(split(first, 'visit_to_signup', 'platform', day)).toEqual({
      ios: 1,
      android: 0,
      '(other)': null,
      '(none)': null,
    });
    // Bob's earlier visit on ios arrives late: he entered on ios, and signs up within the day.
    const late = applyBatches(
      [
        bob,
        [event('visited', '2026-11-16T07:00:00Z', {}, 'bob', { os: { name: 'ios' } })],
        [event('signed_up', '2026-11-16T12:00:00Z', {}, 'bob')],
      ],
      compiled,
      NOW,
    ).deltas;
    const both = mergeDeltas(total([ann]), late);
    expect(split(both, 'visit_to_signup', 'platform', day)).toEqual({
      ios: 1,
      android: null,
      '(other)': null,
      '(none)': null,
    });
  });

  test('It should give per-value counters that add up to the metric’s for counts and sums, and match the reference, for any order, duplicates and batches', () => {
    const contexts = fc.option(
      fc.record({ os: fc.record({ name: fc.constantFrom('ios', 'android', 'tv') }) }, { requiredKeys: [] }),
      { nil: undefined },
    );
    const anEvent = fc
      .record({
        kind: fc.constantFrom('visited', 'signed_up', 'paid'),
        user: fc.constantFrom('ann', 'bob', 'cy'),
        hour: fc.integer({ min: 0, max: 24 * 9 }),
        method: fc.option(fc.constantFrom('email', 'apple'), { nil: undefined }),
        plan: fc.option(fc.constantFrom('monthly', 'annual'), { nil: undefined }),
        amount: fc.integer({ min: 1, max: 500 }),
        context: contexts,
      })
      .map(({ kind, user, hour, method, plan, amount, context }) =>
        event(
          kind,
          new Date(Date.parse('2026-11-12T00:00:00Z') + hour * 3_600_000).toISOString(),
          kind === 'signed_up'
            ? method === undefined
              ? {}
              : { method }
            : kind === 'paid'
              ? { amount: amount / 4, ...(plan === undefined ? {} : { plan }) }
              : {},
          user,
          context,
        ),
      );
    assertMatchesReference(anEvent, compiled, NOW, { numRuns: 100 });
    // The values of a count or a sum add up to the metric on every item.
    fc.assert(
      fc.property(fc.array(anEvent, { minLength: 1, maxLength: 20 }), (events) => {
        const deltas = total(
          [...new Set(events.map((one) => one.userId))].map((user) =>
            events.filter((one) => one.userId === user),
          ),
        );
        for (const [item, counters] of deltas)
          for (const [metric, by] of [
            ['signups', 'method'],
            ['signups', 'platform'],
            ['revenue', 'plan'],
          ] as const) {
            const values = Object.values(split(deltas, metric, by, item)) as number[];
            expect(values.reduce((sum, value) => sum + value, 0)).toBeCloseTo(
              metricValue(metric, counters, compiled)!,
              9,
            );
          }
      }),
      { numRuns: 100 },
    );
  });

  test('It should give a split a version of its own that follows the metric’s and the breakdown’s values', () => {
    const versionOf = (next: unknown) => compileConfig(parseConfig(next)).defIds['breakdown:signups:method'];
    const same = versionOf(input);
    const retitled = versionOf({
      ...input,
      breakdowns: { ...input.breakdowns, method: { property: 'method', title: 'How' } },
    });
    const morePlan = versionOf({
      ...input,
      trackingPlan: {
        events: {
          ...input.trackingPlan.events,
          signed_up: { properties: { method: { type: 'enum', values: ['email', 'apple', 'google'] } } },
        },
      },
    });
    expect(retitled).toBe(same);
    expect(morePlan).not.toBe(same);
    expect(seriesId(same!, 0)).toBe(`${same}~0`);
  });
});

describe('breakdowns: configuration errors that name the path', () => {
  const issuesOf = (next: unknown) => {
    try {
      parseConfig(next);
      return [];
    } catch (error) {
      return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
    }
  };

  test('It should refuse unknown breakdowns, context fields without values, properties the events lack, and a ratio split on one side only', () => {
    const issues = issuesOf({
      ...input,
      breakdowns: {
        ...input.breakdowns,
        device: { context: 'device.type' },
        both: { property: 'plan', context: 'x' },
      },
      metrics: {
        ...input.metrics,
        signups: { ...input.metrics.signups, breakdowns: ['method', 'plan', 'nope'] },
        visitors: { ...input.metrics.visitors, breakdowns: undefined },
      },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^breakdowns\.device\.values: a context field has no values/),
        expect.stringMatching(/^breakdowns\.both: names exactly one of property/),
        'metrics.signups.breakdowns[1]: none of the metric\'s events (signed_up) has property "plan" in the tracking plan',
        'metrics.signups.breakdowns[2]: unknown breakdown "nope": not in breakdowns',
        'metrics.signup_rate.breakdowns[0]: a ratio split by "platform" needs both sides split by it: "visitors" is not',
      ]),
    );
  });

  test('It should cap the series of a metric, naming the metric and the count', () => {
    const values = Array.from({ length: 50 }, (_, index) => `v${index}`);
    const issues = issuesOf({
      ...input,
      grains: ['hour', 'day', 'week', 'month'],
      breakdowns: { ...input.breakdowns, a: { context: 'a', values }, b: { context: 'b', values } },
      metrics: {
        ...input.metrics,
        visitors: { ...input.metrics.visitors, breakdowns: ['platform', 'a', 'b'] },
      },
    });
    expect(issues).toContain(
      'metrics.visitors.breakdowns: metric "visitors" would keep 432 series (values with (other) and (none), times breakdowns, times 4 grains), over the limit of 240',
    );
  });
});
