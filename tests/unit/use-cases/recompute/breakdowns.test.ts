import { describe, expect, test } from 'vitest';
import { DeviationAlert } from '../../../../shared/domain/alerts/deviation-alert.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import type { AlertBus } from '../../../../shared/ports/alert-bus.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { createReadApi, type ReadApiDeps } from '../../../../shared/use-cases/read-api/read-api.js';
import { MetricBreakdown } from '../../../../shared/use-cases/read-api/schemas.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import { entriesOf } from '../../../support/daily-activity.js';
import { memoryStores } from '../../../support/memory-stores.js';
import {
  methodIncidentConfig as config,
  LAST_MONDAY as LAST,
  MONDAYS,
  mondaySignups,
  INCIDENT_NOW as NOW,
} from '../../../support/method-incident.js';

const DAY = 86_400_000;

async function pipeline() {
  const compiled = compileConfig(config);
  const stores = memoryStores();
  const published: DeviationAlert[] = [];
  const bus: AlertBus = {
    publish: async (alerts) => void published.push(...alerts),
    publishDigests: async () => {},
  };
  for (const [week, monday] of MONDAYS.entries()) {
    const arrived = monday + 18 * 3_600_000;
    await ingestRecords(entriesOf(mondaySignups(week), arrived, `w${week}`), {
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

  test('It should explain the deviation alert by the value that moved: method = apple first, with most of the drop', async () => {
    const { published } = await pipeline();
    const alerts = published.filter((event) => event.kind === 'detected');
    const last = new Date(LAST).toISOString().slice(0, 10);
    const alert = alerts.find((one) => one.period === last)!;
    expect(alert, JSON.stringify(alerts.map((one) => one.period))).toBeDefined();
    const { explanation } = DeviationAlert.parse(alert);
    expect(explanation!.breakdowns.map((one) => one.by)).toEqual(['method', 'platform']);
    const [top] = explanation!.breakdowns[0]!.values;
    expect(top).toMatchObject({ value: 'apple', observed: 10 });
    expect(top!.share).toBeGreaterThanOrEqual(0.8);
    expect(explanation!.headline).toMatch(/^\d+% of the drop: method = apple$/);
    // Platforms lost alike: their shares follow their weights, and the split ranks second.
    expect(explanation!.breakdowns[1]!.concentration).toBeLessThan(0.05);
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
        message: 'by: metric "signups" is split by method, platform, not "plan"',
      },
    });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: { parameter: 'by' } });
  });
});
