import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAlertWebhookHandler } from '../../../functions/alert-webhook/handler.js';
import { createReviewDigestHandler } from '../../../functions/review-digest/handler.js';
import { REVIEW_DIGEST } from '../../../shared/domain/bus/rule-patterns.js';
import { MESSAGE_KIND_ATTRIBUTE, snsSubject } from '../../../shared/domain/review/digest-delivery.js';
import type { ReviewDigest } from '../../../shared/domain/review/review-digest.js';
import {
  DigestDeliveryError,
  type TopicPublication,
} from '../../../shared/use-cases/review/deliver-digests.js';
import { sampleDigest } from '../../support/sample-digest.js';

const GROWTH_TOPIC = 'arn:aws:sns:us-east-1:111122223333:NorthstarAlertsGrowth';
const REVENUE_TOPIC = 'arn:aws:sns:us-east-1:111122223333:NorthstarAlertsRevenue';
const TOPICS = [
  { team: 'growth', topicArn: GROWTH_TOPIC },
  { team: 'revenue', topicArn: REVENUE_TOPIC },
];
const context = { functionName: 'review-digest', awsRequestId: 'request-1' } as Context;
const logger = new Logger({ serviceName: 'test' });

function digestEvent(detail: unknown): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: 'event-1',
    'detail-type': REVIEW_DIGEST,
    source: 'northstar',
    account: '111122223333',
    time: '2026-11-02T01:01:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

function publisher(fail = false) {
  const published: TopicPublication[] = [];
  const publish = async (publication: TopicPublication) => {
    if (fail) throw new Error('SNS is unreachable');
    published.push(publication);
    return { messageId: `message-${published.length}` };
  };
  return { published, publish };
}

describe('review digest relay', () => {
  it("It should publish the digest's plain text, unquoted, with its subject to its team's topic only", async () => {
    const { published, publish } = publisher();
    const digest = sampleDigest({ team: 'revenue' });
    await createReviewDigestHandler(() => TOPICS, publish, logger)(digestEvent(digest), context);
    expect(published).toEqual([
      {
        topicArn: REVENUE_TOPIC,
        subject: 'Northstar weekly review, revenue: 2026-W44',
        message: digest.text,
        attributes: { [MESSAGE_KIND_ATTRIBUTE]: 'review-digest' },
      },
    ]);
    expect(digest.text.split('\n').length).toBeGreaterThan(5);
    expect(digest.text).not.toMatch(/^"/m);
  });

  it('It should make any subject one SNS accepts: ASCII, one line, under 100 characters', () => {
    expect(snsSubject('Northstar weekly review, growth: 2026-W44')).toBe(
      'Northstar weekly review, growth: 2026-W44',
    );
    expect(snsSubject('Revue de l’équipe “Café” — 2026-W44\nnext')).toBe(
      'Revue de l?equipe ?Cafe? - 2026-W44 next',
    );
    const long = snsSubject(`Northstar monthly review, ${'a-very-long-team-name-'.repeat(8)}: 2026-11`);
    expect(long.length).toBe(99);
    expect(long.endsWith('...')).toBe(true);
  });

  it('It should throw, so Lambda retries and then dead-letters, when SNS fails, the team has no topic or the detail is no digest', async () => {
    const failing = createReviewDigestHandler(() => TOPICS, publisher(true).publish, logger);
    await expect(failing(digestEvent(sampleDigest()), context)).rejects.toThrow(
      /Publishing digest growth#weekly#2026-W44 failed/,
    );
    const { published, publish } = publisher();
    const handler = createReviewDigestHandler(() => TOPICS, publish, logger);
    await expect(handler(digestEvent(sampleDigest({ team: 'courses' })), context)).rejects.toThrow(
      new DigestDeliveryError('No topic is configured for the team courses'),
    );
    const { text: _text, ...withoutText } = sampleDigest();
    await expect(handler(digestEvent(withoutText), context)).rejects.toThrow(/Not a review digest: .*text/s);
    expect(published).toEqual([]);
  });

  it('It should reach a chat webhook as the same plain text, a line in quotes included, while alerts are still decoded', async () => {
    const { published, publish } = publisher();
    const sample = sampleDigest({ title: '"Aha" moments' });
    // A line quoted end to end, which decoding as an alert's would strip.
    const digest: ReviewDigest = { ...sample, text: `${sample.text}\n"Ship it, then measure it"` };
    await createReviewDigestHandler(() => TOPICS, publish, logger)(digestEvent(digest), context);
    const posts: unknown[] = [];
    const post = async (_url: string, body: string) => {
      posts.push(JSON.parse(body));
      return { status: 200 };
    };
    const formatter = createAlertWebhookHandler(
      () => [{ topicArn: GROWTH_TOPIC, urls: ['https://chat.example.com/hooks/growth'] }],
      post,
      logger,
    );
    const [publication] = published;
    if (!publication) throw new Error('nothing was published');
    const record = (message: string, attributes: SNSEvent['Records'][0]['Sns']['MessageAttributes']) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${GROWTH_TOPIC}:subscription`,
      Sns: { TopicArn: GROWTH_TOPIC, Message: message, MessageId: 'm', MessageAttributes: attributes },
    });
    const asDelivered = Object.fromEntries(
      Object.entries(publication.attributes).map(([name, value]) => [name, { Type: 'String', Value: value }]),
    );
    await formatter(
      {
        Records: [
          record(publication.message, asDelivered),
          record('"Metric Deviation Detected: \\"Aha\\" moments"', {}),
        ],
      } as SNSEvent,
      context,
    );
    expect(posts).toEqual([{ text: digest.text }, { text: 'Metric Deviation Detected: "Aha" moments' }]);
  });
});
