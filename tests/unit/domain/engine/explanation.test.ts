import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { explainMove, type SeriesPoint } from '../../../../shared/domain/engine/explanation.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const common = { owner, cadence: 'weekly', definition: 'A test metric.', grain: 'week' } as const;
const compiled = compileConfig(
  parseConfig(
    defineConfig({
      grains: ['week'],
      trackingPlan: {
        events: {
          visited: {},
          signed_up: { properties: { method: { type: 'enum', values: ['email', 'apple'] } } },
        },
      },
      breakdowns: {
        method: { title: 'Sign-up method', property: 'method' },
        platform: { title: 'Platform', context: 'platform', values: ['web', 'android'] },
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
          title: 'Sign-up rate',
          numerator: 'signups',
          denominator: 'visitors',
          breakdowns: ['platform'],
          ...common,
        },
      },
      northStar: 'signups',
    }),
  ),
);

/** Observed and expected per metric, breakdown and value; the rest of the values 0. */
function lookupOf(points: Record<string, Record<string, Record<string, [number, number]>>>) {
  return (metricId: string, by: string, label: string): SeriesPoint => {
    const [value, expected] = points[metricId]?.[by]?.[label] ?? [0, 0];
    return { value, expected };
  };
}

describe('explainMove', () => {
  test('It should name the one value that moved, with its share, and rank its breakdown first', () => {
    // Sign-ups with Apple fell from 100 to 10; email flat; both platforms lost alike.
    const explanation = explainMove(
      compiled,
      'signups',
      210,
      300,
      lookupOf({
        signups: {
          method: { email: [200, 200], apple: [10, 100] },
          platform: { web: [105, 150], android: [105, 150] },
        },
      }),
    )!;
    expect(explanation.headline).toBe('100% of the drop: method = apple');
    expect(explanation.breakdowns.map((one) => one.by)).toEqual(['method', 'platform']);
    expect(explanation.breakdowns[0]!.values[0]).toEqual({
      value: 'apple',
      observed: 10,
      expected: 100,
      share: 1,
    });
    // Shares over one breakdown's values sum to 1.
    for (const breakdown of explanation.breakdowns)
      expect(breakdown.values.reduce((sum, one) => sum + one.share, 0)).toBeCloseTo(1, 12);
  });

  test('It should name no value when the move is spread evenly over all of them', () => {
    const explanation = explainMove(
      compiled,
      'signups',
      210,
      300,
      lookupOf({
        signups: {
          method: { email: [140, 200], apple: [70, 100] },
          platform: { web: [105, 150], android: [105, 150] },
        },
      }),
    )!;
    expect(explanation.headline).toBeNull();
    for (const breakdown of explanation.breakdowns) expect(breakdown.concentration).toBeCloseTo(0, 12);
  });

  test('It should report a ratio whose visitors moved to a low-converting platform, each rate flat, as mix', () => {
    // Web converts 20%, android 5%, before and after; visitors went from 800/200 to 400/600.
    const explanation = explainMove(
      compiled,
      'signup_rate',
      0.11,
      0.17,
      lookupOf({
        signups: { platform: { web: [80, 160], android: [30, 10] } },
        visitors: { platform: { web: [400, 800], android: [600, 200] } },
        signup_rate: { platform: { web: [0.2, 0.2], android: [0.05, 0.05] } },
      }),
    )!;
    const platform = explanation.breakdowns[0]!;
    expect(platform.ratio!.mix).toBeCloseTo(1, 12);
    expect(platform.ratio!.rate).toBeCloseTo(0, 12);
    expect(explanation.headline).toMatch(/^100% of the drop is the mix of platform/);
  });

  test('It should report a ratio whose rate fell within one platform, visitors as before, as rate', () => {
    const explanation = explainMove(
      compiled,
      'signup_rate',
      0.13,
      0.17,
      lookupOf({
        signups: { platform: { web: [120, 160], android: [10, 10] } },
        visitors: { platform: { web: [800, 800], android: [200, 200] } },
      }),
    )!;
    expect(explanation.breakdowns[0]!.ratio).toEqual({ mix: 0, rate: 1 });
    expect(explanation.headline).toBe(
      '100% of the drop is the rates within platform; 100% of the drop: platform = web',
    );
  });

  test('It should explain nothing for a metric without breakdowns or a period without an expectation', () => {
    expect(explainMove(compiled, 'visitors', 1, null, lookupOf({}))).toBeUndefined();
  });
});
