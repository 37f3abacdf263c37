import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { RollupStore } from '../../shared/adapters/dynamodb/rollup-store.js';
import { EventBridgeAlertBus } from '../../shared/adapters/eventbridge/alert-bus.js';
import {
  dynamoClient,
  eventBridgeClient,
  loadConfigFile,
  parseRecomputeEnv,
  storeFor,
} from '../../shared/compose/settings.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import {
  type RecomputeDeps,
  type RecomputeSummary,
  recompute,
} from '../../shared/use-cases/recompute/recompute.js';

export interface RecomputeObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Each metric's latest period value so far as a CloudWatch metric (`MetricValue`, dimension
 * `metric`), for the operations dashboard; one query per metric and run.
 */
async function publishMetricValues(deps: RecomputeDeps, metrics: Metrics): Promise<void> {
  const { config, defIds } = deps.compiled;
  for (const [id, metric] of Object.entries(config.metrics)) {
    const defId = defIds[`metric:${id}`];
    if (defId === undefined) continue;
    const [latest] = await deps.rollups.latestRollups(defId, metric.grain, 1);
    if (latest?.value === null || latest?.value === undefined) continue;
    const single = metrics.singleMetric();
    single.addDimension('metric', id);
    single.addMetric('MetricValue', MetricUnit.NoUnit, latest.value);
  }
}

/**
 * One recompute run, from EventBridge Scheduler (an asynchronous invocation) or on demand. A
 * failure is thrown: Lambda retries the invocation, then hands it to the dead-letter queue.
 */
export function createRecomputeHandler(
  deps: () => RecomputeDeps,
  { logger, metrics }: RecomputeObservability,
) {
  return middy(async function recomputeRun(): Promise<RecomputeSummary> {
    const summary = await recompute(deps());
    await publishMetricValues(deps(), metrics);
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

let lambdaDeps: RecomputeDeps | undefined;

function depsFromEnvironment(): RecomputeDeps {
  if (!lambdaDeps) {
    const env = parseRecomputeEnv(process.env);
    const config = loadConfigFile(env.NORTHSTAR_CONFIG_FILE);
    const client = dynamoClient(env.DYNAMODB_ENDPOINT);
    lambdaDeps = {
      compiled: compileConfig(config),
      rollups: new RollupStore(client, env.TABLE_NAME),
      ingest: storeFor(config, client, env.TABLE_NAME),
      bus: new EventBridgeAlertBus(eventBridgeClient(env.EVENTBRIDGE_ENDPOINT), env.EVENT_BUS_NAME),
      clock: Date.now,
    };
  }
  return lambdaDeps;
}

export const handler = createRecomputeHandler(depsFromEnvironment, {
  logger: new Logger({ serviceName: 'northstar-recompute' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-recompute' }),
});
