/**
 * Exponential backoff with full jitter, shared by the server and browser clients; no SDK
 * import, so the browser build can take it. Attempt n waits a random time in
 * [0, min(max, base * 2^n)).
 */
export interface RetryPolicy {
  /** Calls per entry, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** @default 100 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 20_000 };

export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
): number {
  const base = policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.floor(random() * Math.min(max, base * 2 ** attempt));
}
