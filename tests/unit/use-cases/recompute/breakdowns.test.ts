import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import type { AlertBus } from '../../../../shared/ports/alert-bus.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { createReadApi, type ReadApiDeps } from '../../../../shared/use-cases/read-api/read-api.js';
import { MetricBreakdown } from '../../../../shared/use-cases/read-api/schemas.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import { entriesOf } from '../../../support/daily-activity.js';
import type { TestEvent } from '../../../support/entries.js';
import { memoryStores } from '../../../support/memory-stores.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const config = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    trackingPlan: {
      events: {
        signed_up: { properties: { method: { type: 'enum', values: ['email', 'google', 'apple'] } } },
      },
    },
    breakdowns: { method: { title: 'Sign-up method', property: 'method' } },
    metrics: {
      signups: {
        kind: 'count',
        title: 'Daily sign-ups',
        definition: 'Sign-ups in the day.',
        events: ['signed_up'],
        breakdowns: ['method'],
        grain: 'day',
        cadence: 'daily',
        owner,
      },
    },
    northStar: 'signups',
  }),
);

const DAY = 86_400_000;
/** Five Mondays: four steady ones, then one on which sign-ups with Apple fall by 90%. */
const MONDAYS = [0, 1, 2, 3, 4].map((week) => Date.parse('2026-10-19T00:00:00Z') + week * 7 * DAY);
const LAST = MONDAYS.at(-1)!;
const NOW = LAST + DAY + 2 * 3_600_000;

function mondayEvents(monday: number, week: number): TestEvent[] {
  const counts = { email: 200 + week, google: 50, apple: monday === LAST ? 10 : 100 - week };
  return Object.entries(counts).flatMap(([method, count]) =>
    Array.from({ length: count }, (_, n) => ({
      name: 'signed_up',
      eventId: `${week}-${method}-${n}`,
      userId: `u-${week}-${method}-${n}`,
      occurredAt: new Date(monday + 9 * 3_600_000 + n * 60_000).toISOString(),
      properties: { method },
    })),
  );
}

async function pipeline() {
  const compiled = compileConfig(config);
  const stores = memoryStores();
  const published: unknown[] = [];
  const bus: AlertBus = { publish: async (event) => void published.push(event) };
  for (const [week, monday] of MONDAYS.entries()) {
    const arrived = monday + 18 * 3_600_000;
    await ingestRecords(entriesOf(mondayEvents(monday, week), arrived, `w${week}`), {
      ...stores,
      compiled,
      schemas: trackingPlanSchemas(config),
      clock: () => arrived,
    });
  }
  await recompute(
    { ...stores, compiled, bus, clock: () => NOW, oldestWaiting: async () => undefined },
    { since: MONDAYS[0]! },
  );
  const api = createReadApi({
    ...stores,
    compiled,
    recompute: async () => {
      throw new Error('not called');
    },
    clock: () => NOW,
  } as unknown as ReadApiDeps);
  return { compiled, stores, api, published };
}

describe('recompute and read API of a breakdown', () => {
  test('It should roll up each value with its own band, and judge the value that moved as deviating', async () => {
    const { api } = await pipeline();

    const response = await api({
      method: 'GET',
      path: '/api/metrics/signups/breakdown',
      query: {
        by: 'method',
        from: new Date(MONDAYS[0]!).toISOString(),
        to: new Date(LAST + DAY).toISOString(),
      },
    });

    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const breakdown = MetricBreakdown.parse(response.body);
    expect(breakdown.breakdown).toMatchObject({ id: 'method', title: 'Sign-up method', property: 'method' });
    expect(breakdown.values.map((one) => one.value)).toEqual([
      'email',
      'google',
      'apple',
      '(other)',
      '(none)',
    ]);
    const on = (value: string, period: string) =>
      breakdown.values.find((one) => one.value === value)!.points.find((point) => point.period === period);
    const last = new Date(LAST).toISOString().slice(0, 10);
    // Every Monday's value as sent; days between have counters of no value but zero.
    expect(MONDAYS.map((monday) => on('apple', new Date(monday).toISOString().slice(0, 10))?.value)).toEqual([
      100, 99, 98, 97, 10,
    ]);
    expect(on('apple', last)).toMatchObject({ status: 'deviating', settled: true });
    expect(on('apple', last)!.expected).toBeCloseTo(98.5, 6);
    expect(on('email', last)).toMatchObject({ value: 204, status: 'normal' });
    expect(on('google', last)).toMatchObject({ value: 50, status: 'normal' });
    expect(on('(none)', last)).toMatchObject({ value: 0 });
  });

  test('It should refuse a breakdown the metric is not split by, and a missing one, naming the parameter', async () => {
    const { api } = await pipeline();
    const plan = await api({ method: 'GET', path: '/api/metrics/signups/breakdown', query: { by: 'plan' } });
    const none = await api({ method: 'GET', path: '/api/metrics/signups/breakdown', query: {} });
    expect(plan.status).toBe(400);
    expect(plan.body).toMatchObject({
      error: {
        code: 'invalid_parameter',
        parameter: 'by',
        message: 'by: metric "signups" is split by method, not "plan"',
      },
    });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: { parameter: 'by' } });
  });
});
