import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { snsPublisher } from '../../shared/adapters/sns/publish-to-topic.js';
import { digestTopicsFromEnv, once } from '../../shared/compose/lambda-env.js';
import type { DigestTopics } from '../../shared/domain/review/digest-delivery.js';
import { deliverDigest, type PublishToTopic } from '../../shared/use-cases/review/deliver-digests.js';

/**
 * `Metric Review Digest` event -> the digest's plain text on the team's topic. An SNS target
 * cannot carry it: an input transformer writes a multi-line value as a quoted JSON string.
 * A failure is thrown, so Lambda retries the invocation and then dead-letters it.
 */
export function createReviewDigestHandler(
  topics: () => DigestTopics,
  publish: PublishToTopic,
  logger: Logger,
) {
  return middy(async function publishReviewDigest(event: EventBridgeEvent<string, unknown>): Promise<void> {
    await deliverDigest(event.detail, {
      topics: topics(),
      publish,
      onPublished: (delivery) => logger.info('digest published', delivery),
    });
  }).use(injectLambdaContext(logger));
}

export const handler = createReviewDigestHandler(
  once(() => digestTopicsFromEnv(process.env)),
  snsPublisher(new SNSClient({})),
  new Logger({ serviceName: 'northstar-review-digest' }),
);
