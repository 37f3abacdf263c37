import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { createRecomputeHandler } from '../../../functions/recompute/handler.js';
import type { DeviationAlert } from '../../../shared/domain/alerts/deviation-alert.js';
import { compileConfig } from '../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../shared/domain/events/tracking-plan.js';
import { ingestRecords } from '../../../shared/use-cases/ingest/ingest-records.js';
import { config, dayEvents, entriesOf, settledAfter } from '../../support/daily-activity.js';
import { memoryStores } from '../../support/memory-stores.js';

const context = { functionName: 'northstar-recompute', awsRequestId: 'request-1' } as Context;

interface RecordedMetric {
  readonly name: string;
  readonly value: number;
  readonly dimensions: Record<string, string>;
}

/** CloudWatch has no local counterpart: the metrics the handler emits are recorded instead. */
class RecordingMetrics extends Metrics {
  constructor(
    readonly recorded: RecordedMetric[] = [],
    private readonly dimensions: Record<string, string> = {},
  ) {
    super({ namespace: 'Northstar', serviceName: 'test' });
  }

  override addDimension(name: string, value: string): this {
    this.dimensions[name] = value;
    return this;
  }

  override addMetric(name: string, _unit: Parameters<Metrics['addMetric']>[1], value: number): this {
    this.recorded.push({ name, value, dimensions: { ...this.dimensions } });
    return this;
  }

  override singleMetric(): Metrics {
    return new RecordingMetrics(this.recorded, {});
  }

  /** Recorded already: nothing is flushed to CloudWatch's log format. */
  override publishStoredMetrics(): this {
    return this;
  }
}

/** Three days of the daily-activity product ingested into in-memory stores, the clock after them. */
async function threeDays() {
  const stores = memoryStores();
  const compiled = compileConfig(config);
  const now = settledAfter(2);
  const ingest = { ...stores, compiled, schemas: trackingPlanSchemas(config), clock: () => now };
  for (let day = 0; day < 3; day++) await ingestRecords(entriesOf(dayEvents(day), now, `d${day}`), ingest);
  const published: DeviationAlert[] = [];
  const bus = {
    publish: async (alerts: readonly DeviationAlert[]) => void published.push(...alerts),
    publishDigests: async () => {},
  };
  return { deps: { ...stores, compiled, bus, clock: () => now }, stores, compiled };
}

describe('recompute handler', () => {
  test('It should run the recompute and emit each metric’s latest value and the run’s counts as metrics', async () => {
    // Prepare
    const { deps } = await threeDays();
    const metrics = new RecordingMetrics();
    const handler = createRecomputeHandler(() => deps, {
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics,
    });

    // Act: the schedule's invocation carries no input.
    const summary = await handler({}, context);

    // Assess: the summary, without the values it published; one value metric per metric.
    expect(Object.keys(summary).sort()).toEqual(
      [
        'detected',
        'digests',
        'offTrack',
        'periods',
        'recoveredRounds',
        'resent',
        'resolved',
        'rollups',
      ].sort(),
    );
    expect(summary.rollups).toBe(summary.periods * Object.keys(config.metrics).length);
    const values = metrics.recorded.filter((metric) => metric.name === 'MetricValue');
    expect(values.map(({ dimensions, value }) => [dimensions.metric, value])).toEqual([
      ['daily_activity', 38],
      ['daily_signups', 19],
      ['daily_lessons', 19],
    ]);
    expect(metrics.recorded.filter((metric) => metric.name !== 'MetricValue')).toEqual([
      { name: 'PeriodsRecomputed', value: summary.periods, dimensions: {} },
      { name: 'AlertsDetected', value: 0, dimensions: {} },
      { name: 'AlertsResolved', value: 0, dimensions: {} },
      { name: 'RecomputeRuns', value: 1, dimensions: {} },
    ]);
  });

  test('It should recompute from `since` when an invocation asks, and refuse a malformed request', async () => {
    // Prepare
    const { deps } = await threeDays();
    const handler = createRecomputeHandler(() => deps, {
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new RecordingMetrics(),
    });

    // Act
    const plain = await handler({}, context);
    const since = await handler({ since: settledAfter(2) - 40 * 86_400_000 }, context);

    // Assess: a run from 40 days back takes in the periods that settled over them; a bad input is refused.
    expect(since.periods).toBeGreaterThan(plain.periods);
    await expect(handler({ since: 'yesterday' }, context)).rejects.toThrow(/since/);
  });
});
