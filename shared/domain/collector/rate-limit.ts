import type { CollectorRateLimit } from '../config/schema.js';

/** Taken, or refused with the whole seconds to wait before the same request can be taken. */
export type RateDecision =
  | { readonly taken: true }
  | { readonly taken: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes `count` events of `key`'s allowance, or says how long to wait. */
  take(key: string, limit: CollectorRateLimit, count: number): RateDecision;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key: `burst` events at once, refilled at `eventsPerSecond`. A request of
 * more events than the burst is taken once the bucket is full and leaves it in debt, so a big
 * batch is slowed, never refused for good. Runs on the wall clock, whatever the pipeline's says.
 * The buckets live in one process: on AWS each function instance keeps its own, so there the
 * limit is best effort (about the instance count times the limit), behind API Gateway's throttling.
 */
export function createRateLimiter(now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    take(key, limit, count) {
      const at = now();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at };
      bucket.tokens = Math.min(
        limit.burst,
        bucket.tokens + ((at - bucket.at) / 1000) * limit.eventsPerSecond,
      );
      bucket.at = at;
      buckets.set(key, bucket);
      const needed = Math.min(count, limit.burst);
      if (bucket.tokens >= needed) {
        bucket.tokens -= count;
        return { taken: true };
      }
      return {
        taken: false,
        retryAfterSeconds: Math.max(1, Math.ceil((needed - bucket.tokens) / limit.eventsPerSecond)),
      };
    },
  };
}
