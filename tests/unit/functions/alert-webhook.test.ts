import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAlertWebhookHandler } from '../../../functions/alert-webhook/handler.js';
import { WebhookDeliveryError } from '../../../shared/use-cases/alert-webhook/post-alerts.js';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:NorthstarAlertsGrowth';
const URL_A = 'https://chat.example.com/hooks/a';
const URL_B = 'https://chat.example.com/hooks/b';
const context = { functionName: 'alert-webhook', awsRequestId: 'request-1' } as Context;

function snsEvent(topicArn: string, message: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:subscription`,
        Sns: {
          TopicArn: topicArn,
          Message: message,
          MessageId: 'message-1',
        } as SNSEvent['Records'][0]['Sns'],
      },
    ],
  };
}

function recorder(status = 200) {
  const posts: { url: string; body: unknown }[] = [];
  const post = async (url: string, body: string) => {
    posts.push({ url, body: JSON.parse(body) });
    return { status };
  };
  return { posts, post };
}

const logger = new Logger({ serviceName: 'test' });

describe('alert webhook handler', () => {
  it("It should post the alert text to every webhook of the topic's team", async () => {
    const { posts, post } = recorder();
    const handler = createAlertWebhookHandler(
      () => [{ topicArn: TOPIC, urls: [URL_A, URL_B] }],
      post,
      logger,
    );
    await handler(snsEvent(TOPIC, '"Metric Deviation Detected: Weekly sign-ups"\n"Alert id: x"'), context);
    expect(posts).toEqual(
      [URL_A, URL_B].map((url) => ({
        url,
        body: { text: 'Metric Deviation Detected: Weekly sign-ups\nAlert id: x' },
      })),
    );
  });

  it('It should throw when a webhook answers an error, so Lambda retries the post', async () => {
    const { post } = recorder(500);
    const handler = createAlertWebhookHandler(() => [{ topicArn: TOPIC, urls: [URL_A] }], post, logger);
    await expect(handler(snsEvent(TOPIC, '"x"'), context)).rejects.toThrow(WebhookDeliveryError);
  });

  it('It should refuse a topic it has no webhook for instead of posting anywhere', async () => {
    const { posts, post } = recorder();
    const handler = createAlertWebhookHandler(() => [{ topicArn: TOPIC, urls: [URL_A] }], post, logger);
    await expect(handler(snsEvent(`${TOPIC}Other`, '"x"'), context)).rejects.toThrow(/No webhook/);
    expect(posts).toEqual([]);
  });
});
