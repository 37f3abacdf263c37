import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ingestFromEnv, once } from '../../shared/compose/lambda-env.js';
import { ingestIntoScopes, type ScopedIngest } from '../../shared/use-cases/backfill/ingest-scopes.js';
import type { IngestRecordsDeps, IngestSummary } from '../../shared/use-cases/ingest/ingest-records.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Sees every batch's summary; the local runtime shows live counts with it. */
  readonly onSummary?: (summary: IngestSummary) => void;
}

/**
 * SQS batch of EventBridge entries -> counters; failed messages are reported, not thrown.
 * `deps` gives live ingest alone (the local runtime, whose backfills follow its archive), or
 * live ingest and the other namespaces that count live traffic (AWS, from the registry).
 */
export function createIngestHandler(
  deps: () => IngestRecordsDeps | Promise<ScopedIngest>,
  { logger, metrics, onSummary }: Observability,
) {
  return middy(async function ingestBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const records = event.Records.map((record) => ({
      messageId: record.messageId,
      body: record.body,
      arrivedAt: Number(record.attributes.SentTimestamp),
    }));
    const given = await deps();
    const summary = await ingestIntoScopes(records, 'live' in given ? given : { live: given, others: [] });
    onSummary?.(summary);
    const quarantined = Object.values(summary.quarantined).reduce((total, count) => total + count, 0);
    metrics.addMetric('EventsAccepted', MetricUnit.Count, summary.accepted);
    metrics.addMetric('EventsDuplicate', MetricUnit.Count, summary.duplicates);
    metrics.addMetric('EventsConflicting', MetricUnit.Count, summary.conflicts);
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

const scopedIngest = once(() => ingestFromEnv(process.env));

export const handler = createIngestHandler(() => scopedIngest()(), {
  logger: new Logger({ serviceName: 'northstar-ingest' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
});
