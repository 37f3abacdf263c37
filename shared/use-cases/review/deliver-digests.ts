import { z } from 'zod';
import { NorthstarError } from '../../domain/errors.js';
import {
  DIGEST_MESSAGE_KIND,
  type DigestTopics,
  MESSAGE_KIND_ATTRIBUTE,
  snsSubject,
} from '../../domain/review/digest-delivery.js';
import { ReviewDigest } from '../../domain/review/review-digest.js';

export class DigestDeliveryError extends NorthstarError {
  override readonly name = 'DigestDeliveryError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('digest_delivery_failed', message, options);
  }
}

/** One message for a team's topic: what email shows as is, and what the chat formatter reads. */
export interface TopicPublication {
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Publishes to an SNS topic: the SNS client in the function, a recorder in tests. */
export type PublishToTopic = (publication: TopicPublication) => Promise<{ messageId?: string }>;

export interface DeliverDigestDeps {
  readonly topics: DigestTopics;
  readonly publish: PublishToTopic;
  readonly onPublished?: (delivery: { digestId: string; team: string; messageId?: string }) => void;
}

/**
 * A `Metric Review Digest` event's detail -> its plain-text body on the team's topic, with the
 * digest's subject. A detail that is not a digest, or a team without a topic, throws: the
 * invocation is retried and then dead-lettered, so nothing is dropped unseen.
 */
export async function deliverDigest(detail: unknown, deps: DeliverDigestDeps): Promise<void> {
  const parsed = ReviewDigest.safeParse(detail);
  if (!parsed.success)
    throw new DigestDeliveryError(`Not a review digest: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  const digest = parsed.data;
  const topicArn = deps.topics.find((route) => route.team === digest.team)?.topicArn;
  if (!topicArn) throw new DigestDeliveryError(`No topic is configured for the team ${digest.team}`);
  const { messageId } = await deps
    .publish({
      topicArn,
      subject: snsSubject(digest.subject),
      message: digest.text,
      attributes: { [MESSAGE_KIND_ATTRIBUTE]: DIGEST_MESSAGE_KIND },
    })
    .catch((cause: unknown) => {
      throw new DigestDeliveryError(`Publishing digest ${digest.digestId} failed`, { cause });
    });
  deps.onPublished?.({ digestId: digest.digestId, team: digest.team, ...(messageId ? { messageId } : {}) });
}
