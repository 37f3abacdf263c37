import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { z } from 'zod';
import { chatWebhookBody } from '../../shared/domain/alerts/alert-message.js';

/** Which chat webhooks each owner team's topic posts to; from the metric configuration. */
export const WebhookRoutes = z.array(
  z.object({ topicArn: z.string().min(1), urls: z.array(z.url()).min(1) }),
);
export type WebhookRoutes = z.infer<typeof WebhookRoutes>;

export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  readonly reason = 'webhook_delivery_failed';
}

export type Post = (url: string, body: string) => Promise<{ status: number }>;

/**
 * SNS alert message -> POST `{ text }` to the team's chat webhooks. A failed POST is
 * thrown, so Lambda retries the invocation and then dead-letters it.
 */
export function createAlertWebhookHandler(routes: () => WebhookRoutes, post: Post, logger: Logger) {
  return middy(async function postAlerts(event: SNSEvent): Promise<void> {
    for (const record of event.Records) {
      const urls = routes().find((route) => route.topicArn === record.Sns.TopicArn)?.urls;
      if (!urls) throw new WebhookDeliveryError(`No webhook is configured for ${record.Sns.TopicArn}`);
      const body = JSON.stringify(chatWebhookBody(record.Sns.Message));
      for (const url of urls) {
        const { status } = await post(url, body).catch((cause: unknown) => {
          throw new WebhookDeliveryError(`POST to ${new URL(url).host} failed`, { cause });
        });
        if (status < 200 || status >= 300)
          throw new WebhookDeliveryError(`POST to ${new URL(url).host} answered ${status}`);
        logger.info('alert posted', { host: new URL(url).host, messageId: record.Sns.MessageId });
      }
    }
  }).use(injectLambdaContext(logger));
}

let parsedRoutes: WebhookRoutes | undefined;

function routesFromEnvironment(): WebhookRoutes {
  parsedRoutes ??= WebhookRoutes.parse(JSON.parse(z.string().min(2).parse(process.env.WEBHOOK_ROUTES)));
  return parsedRoutes;
}

async function postJson(url: string, body: string): Promise<{ status: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status };
}

export const handler = createAlertWebhookHandler(
  routesFromEnvironment,
  postJson,
  new Logger({ serviceName: 'northstar-alert-webhook' }),
);
