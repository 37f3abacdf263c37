import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { once, packerFromEnv } from '../../shared/compose/lambda-env.js';
import { PACKER_METRICS, PACKER_SERVICE } from '../../shared/use-cases/collector/call-metrics.js';
import { type PutOrLeave, putQueued } from '../../shared/use-cases/collector/repack.js';
import type { Observability } from './handler.js';

/**
 * The collector's queue -> the bus: many requests' events packed again into full entries.
 * Messages whose events are not all on the bus are reported, so SQS delivers them again and,
 * after its last receive, moves them to the dead-letter queue.
 */
export function createPackerHandler(put: () => PutOrLeave, { logger, metrics }: Observability) {
  return middy(async function pack(event: SQSEvent): Promise<SQSBatchResponse> {
    const summary = await putQueued(
      event.Records.map(({ messageId, body }) => ({ messageId, body })),
      put(),
    );
    metrics.addMetric(PACKER_METRICS.messages, MetricUnit.Count, summary.messages);
    metrics.addMetric(PACKER_METRICS.events, MetricUnit.Count, summary.events);
    metrics.addMetric(PACKER_METRICS.entriesPut, MetricUnit.Count, summary.entriesPut);
    metrics.addMetric(PACKER_METRICS.messagesFailed, MetricUnit.Count, summary.failedMessageIds.length);
    for (const { messageId, reason } of summary.invalid)
      logger.error('a queued message is not the collector’s; it goes to the dead-letter queue', {
        messageId,
        reason,
      });
    if (summary.failedMessageIds.length > summary.invalid.length)
      logger.warn('PutEvents did not take every entry after retries; their messages are received again', {
        failed: summary.failedMessageIds.length,
      });
    return { batchItemFailures: summary.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createPackerHandler(
  once(() => packerFromEnv(process.env)),
  {
    logger: new Logger({ serviceName: PACKER_SERVICE }),
    metrics: new Metrics({ namespace: 'Northstar', serviceName: PACKER_SERVICE }),
  },
);
