import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './backoff.js';

export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './backoff.js';

/** Per-entry codes PutEvents documents as worth another try; the others are final. */
export const RETRYABLE_ENTRY_CODES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
]);

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const FINAL_NAMES = new Set(['CredentialsProviderError', 'ValidationException', 'AccessDeniedException']);

/** Throttling, 5xx answers and network failures are retried; a refused request is not. */
export function isRetryableError(error: unknown): boolean {
  const failure = error as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  } | null;
  if (!failure || typeof failure !== 'object') return false;
  if (failure.name && FINAL_NAMES.has(failure.name)) return false;
  if (failure.$retryable) return true;
  if (failure.name && RETRYABLE_NAMES.has(failure.name)) return true;
  const status = failure.$metadata?.httpStatusCode;
  if (status === undefined) return true; // no answer at all: connection refused, reset, DNS
  return status >= 500 || status === 429;
}

export interface SendableEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface EntryFailure<E> {
  readonly entry: E;
  readonly errorCode: string;
  readonly message: string;
}

export interface CallOutcome<E> {
  readonly accepted: E[];
  /** Refused for good (e.g. `MalformedDetail`, `AccessDeniedException`). */
  readonly rejected: EntryFailure<E>[];
  /** Still failing after the last attempt. */
  readonly exhausted: EntryFailure<E>[];
  readonly attempts: number;
}

export interface PutOptions {
  readonly eventBusName?: string;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one PutEvents call (at most 10 entries) and retries the entries that failed
 * for a passing reason, whole-call failures included, until none is left or the
 * attempts are spent. Never throws: every entry ends accepted, rejected or exhausted.
 */
export async function putEntries<E extends SendableEntry>(
  client: EventBridgeClient,
  entries: readonly E[],
  options: PutOptions = {},
): Promise<CallOutcome<E>> {
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const sleep = options.sleep ?? defaultSleep;
  const accepted: E[] = [];
  const rejected: EntryFailure<E>[] = [];
  let pending: EntryFailure<E>[] = entries.map((entry) => ({ entry, errorCode: '', message: '' }));
  let attempts = 0;
  while (pending.length > 0 && attempts < maxAttempts) {
    if (attempts > 0) await sleep(backoffDelay(attempts - 1, options.retry, options.random));
    attempts++;
    const batch = pending;
    pending = [];
    try {
      const answer = await client.send(
        new PutEventsCommand({
          Entries: batch.map(({ entry }) => ({
            Source: entry.Source,
            DetailType: entry.DetailType,
            Detail: entry.Detail,
            ...(options.eventBusName ? { EventBusName: options.eventBusName } : {}),
          })),
        }),
      );
      batch.forEach(({ entry }, index) => {
        const result = answer.Entries?.[index];
        if (!result?.ErrorCode) {
          accepted.push(entry);
          return;
        }
        const failure = { entry, errorCode: result.ErrorCode, message: result.ErrorMessage ?? '' };
        if (RETRYABLE_ENTRY_CODES.has(result.ErrorCode)) pending.push(failure);
        else rejected.push(failure);
      });
    } catch (error) {
      const name = (error as Error)?.name ?? 'Error';
      const message = (error as Error)?.message ?? String(error);
      const failures = batch.map(({ entry }) => ({ entry, errorCode: name, message }));
      if (isRetryableError(error)) pending.push(...failures);
      else rejected.push(...failures);
    }
  }
  return { accepted, rejected, exhausted: pending, attempts };
}
