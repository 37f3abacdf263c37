import { describe, expect, test } from 'vitest';
import { createRateLimiter } from '../../../../shared/domain/collector/rate-limit.js';

const LIMIT = { eventsPerSecond: 10, burst: 20 };

describe('per-key rate limit', () => {
  test('It should take a burst at once, then refuse with the whole seconds until it refills', () => {
    let now = 0;
    const limiter = createRateLimiter(() => now);
    expect(limiter.take('k', LIMIT, 20)).toEqual({ taken: true });
    // 5 events need half a second at 10/s: Retry-After rounds up to 1 s.
    expect(limiter.take('k', LIMIT, 5)).toEqual({ taken: false, retryAfterSeconds: 1 });
    now = 500;
    expect(limiter.take('k', LIMIT, 5)).toEqual({ taken: true });
    expect(limiter.take('k', LIMIT, 20)).toEqual({ taken: false, retryAfterSeconds: 2 });
  });

  test('It should keep each key to its own allowance', () => {
    const limiter = createRateLimiter(() => 0);
    expect(limiter.take('a', LIMIT, 20)).toEqual({ taken: true });
    expect(limiter.take('b', LIMIT, 20)).toEqual({ taken: true });
    expect(limiter.take('a', LIMIT, 1).taken).toBe(false);
  });

  test('It should take a request larger than the burst once the bucket is full, and make the next ones wait for it', () => {
    let now = 0;
    const limiter = createRateLimiter(() => now);
    expect(limiter.take('k', LIMIT, 50)).toEqual({ taken: true });
    // 30 in debt and 1 wanted: 3.1 s at 10/s.
    expect(limiter.take('k', LIMIT, 1)).toEqual({ taken: false, retryAfterSeconds: 4 });
    now = 3100;
    expect(limiter.take('k', LIMIT, 1)).toEqual({ taken: true });
  });
});
