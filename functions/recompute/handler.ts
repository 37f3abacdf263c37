import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { once, recomputeFromEnv } from '../../shared/compose/lambda-env.js';
import {
  type RecomputeDeps,
  type RecomputeSummary,
  recompute,
} from '../../shared/use-cases/recompute/recompute.js';

/** What an invocation may ask for: the schedule sends nothing; the local runtime's history load sends `since`. */
export const RecomputeRequest = z.object({ since: z.number().int().nonnegative().optional() }).nullish();
export type RecomputeRequest = z.infer<typeof RecomputeRequest>;

export interface RecomputeObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * One recompute run, from EventBridge Scheduler (an asynchronous invocation) or on demand.
 * On AWS `deps` plans the definition versions first: the recompute is their one planner.
 * Each metric's latest value becomes a CloudWatch metric (`MetricValue`, dimension `metric`).
 * A failure is thrown: Lambda retries the invocation, then hands it to the dead-letter queue.
 */
export function createRecomputeHandler(
  deps: () => RecomputeDeps | Promise<RecomputeDeps>,
  { logger, metrics }: RecomputeObservability,
) {
  return middy(async function recomputeRun(event: unknown): Promise<RecomputeSummary> {
    const request = RecomputeRequest.parse(typeof event === 'object' ? event : undefined);
    const { latestValues, ...summary } = await recompute(await deps(), request ?? {});
    for (const { metricId, value } of latestValues) {
      const single = metrics.singleMetric();
      single.addDimension('metric', metricId);
      single.addMetric('MetricValue', MetricUnit.NoUnit, value);
    }
    metrics.addMetric('PeriodsRecomputed', MetricUnit.Count, summary.periods);
    metrics.addMetric('AlertsDetected', MetricUnit.Count, summary.detected);
    metrics.addMetric('AlertsResolved', MetricUnit.Count, summary.resolved);
    metrics.addMetric('RecomputeRuns', MetricUnit.Count, 1);
    logger.info('recompute finished', { ...summary });
    return summary;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

const plannedRecompute = once(() => recomputeFromEnv(process.env));

export const handler = createRecomputeHandler(() => plannedRecompute()(), {
  logger: new Logger({ serviceName: 'northstar-recompute' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-recompute' }),
});
