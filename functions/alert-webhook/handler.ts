import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { postJson } from '../../shared/adapters/http/post-json.js';
import { once, webhookRoutesFromEnv } from '../../shared/compose/lambda-env.js';
import type { WebhookRoutes } from '../../shared/domain/alerts/webhook-routes.js';
import { MESSAGE_KIND_ATTRIBUTE } from '../../shared/domain/review/digest-delivery.js';
import { type Post, postAlerts } from '../../shared/use-cases/alert-webhook/post-alerts.js';

/**
 * SNS alert or review digest message -> POST `{ text }` to the team's chat webhooks. A failed POST is
 * thrown, so Lambda retries the invocation and then dead-letters it.
 */
export function createAlertWebhookHandler(routes: () => WebhookRoutes, post: Post, logger: Logger) {
  return middy(async function postAlertMessages(event: SNSEvent): Promise<void> {
    const messages = event.Records.map(({ Sns }) => {
      const kind = Sns.MessageAttributes?.[MESSAGE_KIND_ATTRIBUTE]?.Value;
      return {
        topicArn: Sns.TopicArn,
        messageId: Sns.MessageId,
        message: Sns.Message,
        ...(kind ? { kind } : {}),
      };
    });
    await postAlerts(messages, {
      routes: routes(),
      post,
      onPosted: (delivery) => logger.info('alert posted', delivery),
    });
  }).use(injectLambdaContext(logger));
}

export const handler = createAlertWebhookHandler(
  once(() => webhookRoutesFromEnv(process.env)),
  postJson,
  new Logger({ serviceName: 'northstar-alert-webhook' }),
);
