import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { retriedPutEvents } from '../adapters/eventbridge/bus-entries.js';
import type { SecretText } from '../adapters/secrets-manager/secret-text.js';
import { createRateLimiter } from '../domain/collector/rate-limit.js';
import type { CollectorSettings } from '../domain/config/schema.js';
import type { KeptEntries } from '../ports/bus-entries.js';
import { createTrackingApi, type TrackingApi } from '../use-cases/collector/tracking-api.js';
import { cachedWriteKeys, mergeWriteKeys, parseWriteKeys } from '../use-cases/collector/write-keys.js';

export interface CollectorParts {
  readonly settings: CollectorSettings;
  readonly client: EventBridgeClient;
  readonly busName: string;
  /** The secret's text: write keys as JSON, read again once `cacheMs` passed. */
  readonly readSecret: SecretText;
  readonly cacheMs: number;
  /** Where entries go that PutEvents did not take after retries. */
  readonly keeper: KeptEntries;
  /** Where it says that write keys cannot be read, and that they can again. */
  readonly log: (message: string) => void;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * The tracking API as the Lambda function serves it: keys from the configuration and the
 * secret together, a rate limiter of this instance, PutEvents with retries and a keeper.
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
    putEntries: retriedPutEvents({ client: parts.client, busName: parts.busName, keeper: parts.keeper }),
    clock: parts.clock ?? Date.now,
  });
}
