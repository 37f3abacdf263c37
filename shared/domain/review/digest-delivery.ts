import { z } from 'zod';

/** Which SNS topic each owner team's digests go to: its alert topic, built from the configuration. */
export const DigestTopics = z.array(z.object({ team: z.string().min(1), topicArn: z.string().min(1) }));
export type DigestTopics = z.infer<typeof DigestTopics>;

/**
 * The SNS message attribute that marks a topic message as a review digest. The chat
 * formatter reads it: a digest's body is plain text already, unlike an alert's, which an
 * input transformer wrote line by line as JSON strings.
 */
export const MESSAGE_KIND_ATTRIBUTE = 'northstar.kind';
export const DIGEST_MESSAGE_KIND = 'review-digest';

/** SNS refuses a subject of 100 characters or more, with a line break, or outside ASCII. */
const SUBJECT_MAX = 99;

/**
 * A subject SNS accepts, as close to the digest's as it allows: accents dropped, other
 * characters outside printable ASCII replaced, cut with an ellipsis at SNS's limit.
 */
export function snsSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2010-\u2015]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return ascii.length > SUBJECT_MAX ? `${ascii.slice(0, SUBJECT_MAX - 3).trimEnd()}...` : ascii;
}
