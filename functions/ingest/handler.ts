import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FreshnessStore } from '../../shared/adapters/dynamodb/freshness.js';
import { dynamoClient, loadConfigFile, parsePipelineEnv, storeFor } from '../../shared/compose/settings.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import {
  type IngestRecordsDeps,
  type IngestSummary,
  ingestRecords,
} from '../../shared/use-cases/ingest/ingest-records.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Sees every batch's summary; the local runtime shows live counts with it. */
  readonly onSummary?: (summary: IngestSummary) => void;
}

/** SQS batch of EventBridge entries -> counters; failed messages are reported, not thrown. */
export function createIngestHandler(
  deps: () => IngestRecordsDeps,
  { logger, metrics, onSummary }: Observability,
) {
  return middy(async function ingestBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const records = event.Records.map((record) => ({
      messageId: record.messageId,
      body: record.body,
      arrivedAt: Number(record.attributes.SentTimestamp),
    }));
    const summary = await ingestRecords(records, deps());
    onSummary?.(summary);
    metrics.addMetric('EventsAccepted', MetricUnit.Count, summary.accepted);
    metrics.addMetric('EventsDuplicate', MetricUnit.Count, summary.duplicates);
    metrics.addMetric('EventsConflicting', MetricUnit.Count, summary.conflicts);
    const quarantined = Object.values(summary.quarantined).reduce((total, count) => total + count, 0);
    metrics.addMetric('EventsQuarantined', MetricUnit.Count, quarantined);
    metrics.addMetric('MessagesFailed', MetricUnit.Count, summary.failedMessageIds.length);
    for (const error of summary.errors)
      logger.error('ingest step failed; messages go back to the queue', { error });
    if (quarantined > 0) logger.warn('events quarantined', { quarantined: summary.quarantined });
    logger.info('batch ingested', { messages: records.length, ...summary, errors: summary.errors.length });
    return { batchItemFailures: summary.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

let lambdaDeps: IngestRecordsDeps | undefined;

/** Built on first use so that importing this module (tests, local runtime) needs no environment. */
function depsFromEnvironment(): IngestRecordsDeps {
  if (!lambdaDeps) {
    const env = parsePipelineEnv(process.env);
    const config = loadConfigFile(env.NORTHSTAR_CONFIG_FILE);
    const compiled = compileConfig(config);
    const client = dynamoClient(env.DYNAMODB_ENDPOINT);
    lambdaDeps = {
      compiled,
      schemas: trackingPlanSchemas(config),
      store: storeFor(config, client, env.TABLE_NAME),
      freshness: new FreshnessStore(client, env.TABLE_NAME),
      clock: Date.now,
    };
  }
  return lambdaDeps;
}

export const handler = createIngestHandler(depsFromEnvironment, {
  logger: new Logger({ serviceName: 'northstar-ingest' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
});
