import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BusEntry, KeptEntries, PutBusEntries } from '../../ports/bus-entries.js';
import { queuedMessages } from '../../use-cases/collector/repack.js';

export interface QueuedEntriesOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Where a request's entries go when the queue did not take them after the SDK's retries. */
  readonly keeper: KeptEntries;
}

/**
 * The collector's entries on AWS go to a queue, not to the bus: the packer behind it packs the
 * events of many requests into full entries, so that device traffic (a few events a request)
 * costs what server traffic does. The request is answered once its messages are in the queue,
 * or kept for replay when the queue is down.
 */
export function queuedEntries({ client, queueUrl, keeper }: QueuedEntriesOptions): PutBusEntries {
  return async function queue(entries) {
    const left: BusEntry[] = [];
    let error: Error | undefined;
    for (const message of queuedMessages(entries)) {
      if (!error)
        try {
          await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.body }));
          continue;
        } catch (caught) {
          error = caught instanceof Error ? caught : new Error(String(caught));
        }
      // Once the SDK gave up on the queue, the rest is kept unsent: the request must end in time.
      left.push(...message.entries);
    }
    if (left.length > 0)
      await keeper.keep(
        left.map((entry) => ({
          ...entry,
          ErrorCode: error?.name ?? 'Unknown',
          ErrorMessage: error?.message ?? '',
        })),
      );
    return { busy: false, put: entries.length - left.length, retried: 0, kept: left.length };
  };
}
