import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { retriedPutEvents } from '../adapters/eventbridge/bus-entries.js';
import type { SecretText } from '../adapters/secrets-manager/secret-text.js';
import { queuedEntries } from '../adapters/sqs/queued-entries.js';
import { createRateLimiter } from '../domain/collector/rate-limit.js';
import type { CollectorSettings } from '../domain/config/schema.js';
import type { BusEntry, KeptEntries } from '../ports/bus-entries.js';
import type { IdentityLinks } from '../ports/identity-links.js';
import type { PutOrLeave } from '../use-cases/collector/repack.js';
import { createTrackingApi, type TrackingApi } from '../use-cases/collector/tracking-api.js';
import { cachedWriteKeys, mergeWriteKeys, parseWriteKeys } from '../use-cases/collector/write-keys.js';

export interface CollectorParts {
  readonly settings: CollectorSettings;
  /** The configuration's `ingest.maxEventBytes`. */
  readonly maxEventBytes: number;
  /** The queue between the collector and its packer. */
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** The secret's text: write keys as JSON, read again once `cacheMs` passed. */
  readonly readSecret: SecretText;
  readonly cacheMs: number;
  /** Where a request's entries go that the queue did not take after retries. */
  readonly keeper: KeptEntries;
  /** The identify links, in the pipeline's table. */
  readonly identityLinks: IdentityLinks;
  /** Where it says that write keys cannot be read, and that they can again. */
  readonly log: (message: string) => void;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * The tracking API as the Lambda function serves it: keys from the configuration and the
 * secret together, a rate limiter of this instance, identify links in the table, each
 * request's entries to the packer's queue (or kept).
 */
export function composeCollector(parts: CollectorParts): TrackingApi {
  const { settings } = parts;
  const listed = new Map(Object.entries(settings.writeKeys ?? {}));
  return createTrackingApi({
    settings,
    keys: cachedWriteKeys({
      read: async () =>
        mergeWriteKeys([listed, parseWriteKeys(await parts.readSecret(), 'the write keys secret')]),
      cacheMs: parts.cacheMs,
      log: parts.log,
    }),
    limiter: createRateLimiter(),
    maxEventBytes: parts.maxEventBytes,
    identityLinks: parts.identityLinks,
    putEntries: queuedEntries({ client: parts.client, queueUrl: parts.queueUrl, keeper: parts.keeper }),
    clock: parts.clock ?? Date.now,
  });
}

/**
 * The packer's PutEvents: each entry PutEvents refuses retried with backoff; what is left
 * after the retries is answered, so its messages are received again rather than kept.
 */
export function packerPut(client: EventBridgeClient, busName: string): PutOrLeave {
  return async (entries) => {
    const left: BusEntry[] = [];
    await retriedPutEvents({
      client,
      busName,
      keeper: {
        async keep(kept) {
          left.push(...kept);
        },
      },
    })(entries);
    return left;
  };
}
