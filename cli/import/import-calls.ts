import { backoffDelay } from '../../client/backoff.js';
import type { PackedEntry } from '../../client/pack-entries.js';
import type { CallOutcome } from '../../client/put-events.js';
import type { PutCall } from '../replay/send-input.js';
import { type ReadApiClient, ReadApiError } from '../targets.js';

/**
 * A history import's calls on AWS: each call's entries go to the read API
 * (`POST /api/imports/{id}/events`), which validates them and keeps them as history. A refusal
 * (4xx) is the call's: its entries are reported refused; anything else is retried with backoff.
 */
export function importCalls(
  api: Pick<ReadApiClient, 'post'>,
  importId: string,
  maxAttempts: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
): PutCall {
  const path = `/api/imports/${encodeURIComponent(importId)}/events`;
  return async (call: PackedEntry[]): Promise<CallOutcome<PackedEntry>> => {
    const entries = call.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail }));
    let failure: { errorCode: string; message: string } = { errorCode: '', message: '' };
    for (let attempt = 0; attempt < Math.max(1, maxAttempts); attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt - 1));
      try {
        await api.post(path, { entries });
        return { accepted: call, rejected: [], exhausted: [], attempts: attempt + 1 };
      } catch (error) {
        const status = error instanceof ReadApiError ? error.status : undefined;
        failure = {
          errorCode: status === undefined ? 'unreachable' : `http_${status}`,
          message: (error as Error).message,
        };
        if (status !== undefined && status >= 400 && status < 500 && status !== 429)
          return {
            accepted: [],
            rejected: call.map((entry) => ({ entry, ...failure })),
            exhausted: [],
            attempts: attempt + 1,
          };
      }
    }
    return {
      accepted: [],
      rejected: [],
      exhausted: call.map((entry) => ({ entry, ...failure })),
      attempts: maxAttempts,
    };
  };
}
