import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { packCalls } from '../../../client/pack-entries.js';
import type { BusEntry, KeptEntries, KeptEntry, PutBusEntries } from '../../ports/bus-entries.js';

export interface RetriedPutEventsOptions {
  readonly client: EventBridgeClient;
  readonly busName: string;
  /** Where entries go that PutEvents did not take after the retries. */
  readonly keeper: KeptEntries;
  /**
   * Attempts per entry that PutEvents answers in its place (`FailedEntryCount`), which the SDK
   * does not retry. A call the SDK gave up on (it retries throttling and server errors itself)
   * is not tried again here: its entries are kept at once. @default 3
   */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled for each next one, with jitter. @default 100 */
  readonly backoffMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  readonly entry: BusEntry;
  readonly error?: { readonly code: string; readonly message: string };
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * PutEvents for the collector on AWS: entries in calls of at most 10 entries and 256 KB, each
 * entry PutEvents refused retried with backoff, and what is left after the retries kept (the
 * keeper) with its last error. So every entry ends put or kept; the outcome is never busy, and
 * it throws only when keeping failed too.
 */
export function retriedPutEvents(options: RetriedPutEventsOptions): PutBusEntries {
  const { client, busName, keeper } = options;
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 100;
  const sleep = options.sleep ?? wait;

  async function putCall(
    call: readonly BusEntry[],
  ): Promise<{ left: Pending[]; retried: number; down?: Pending['error'] }> {
    let pending: Pending[] = call.map((entry) => ({ entry }));
    let retried = 0;
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        retried += pending.length;
        await sleep(backoffMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
      }
      let results: { ErrorCode?: string; ErrorMessage?: string }[];
      try {
        const answer = await client.send(
          new PutEventsCommand({
            Entries: pending.map(({ entry }) => ({ ...entry, EventBusName: busName })),
          }),
        );
        results = answer.Entries ?? [];
      } catch (caught) {
        const error = { code: (caught as Error).name, message: (caught as Error).message };
        return { left: pending.map(({ entry }) => ({ entry, error })), retried, down: error };
      }
      // Entries are answered in order; one without a result was not confirmed, so it is tried again.
      pending = pending.flatMap(({ entry }, index) => {
        const result = results[index];
        if (result && !result.ErrorCode) return [];
        return [
          {
            entry,
            error: {
              code: result?.ErrorCode ?? 'NoResult',
              message: result?.ErrorMessage ?? 'PutEvents gave no result for the entry',
            },
          },
        ];
      });
    }
    return { left: pending, retried };
  }

  return async function putWithRetries(entries) {
    const left: Pending[] = [];
    let retried = 0;
    let down: Pending['error'];
    for (const call of packCalls(entries)) {
      // Once the SDK gave up on a call, the next ones are kept unsent: the request must end in time.
      if (down) {
        left.push(...call.map((entry) => ({ entry, error: down })));
        continue;
      }
      const outcome = await putCall(call);
      left.push(...outcome.left);
      retried += outcome.retried;
      down = outcome.down;
    }
    if (left.length > 0)
      await keeper.keep(
        left.map(
          ({ entry, error }): KeptEntry => ({
            ...entry,
            ErrorCode: error?.code ?? 'Unknown',
            ErrorMessage: error?.message ?? '',
          }),
        ),
      );
    return { busy: false, put: entries.length - left.length, retried, kept: left.length };
  };
}
