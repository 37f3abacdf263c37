import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface LocalQueueOptions {
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** Invocations at once. @default 4 */
  readonly workers?: number;
  /** Receives before a message is given up on (the dead-letter store comes with the local runtime). @default 5 */
  readonly maxReceives?: number;
}

const localContext = {
  functionName: 'northstar-ingest',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

export function sqsRecord(record: ReceivedRecord, receiveCount: number): SQSRecord {
  return {
    messageId: record.messageId,
    receiptHandle: record.messageId,
    body: record.body,
    attributes: {
      SentTimestamp: String(record.arrivedAt),
      ApproximateReceiveCount: String(receiveCount),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(record.arrivedAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:northstar-ingest',
    awsRegion: 'local',
  };
}

/**
 * Hands records to the handler as an SQS event source would: in batches, several
 * invocations at once, failed messages again until they pass or run out of receives.
 * Returns the messages given up on.
 */
export async function deliverToHandler(
  handler: SqsHandler,
  records: readonly ReceivedRecord[],
  options: LocalQueueOptions = {},
): Promise<ReceivedRecord[]> {
  const batchSize = options.batchSize ?? 10;
  const maxReceives = options.maxReceives ?? 5;
  const batches: ReceivedRecord[][] = [];
  for (let start = 0; start < records.length; start += batchSize)
    batches.push(records.slice(start, start + batchSize));
  const givenUp: ReceivedRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = batches[next++]!;
      for (let receive = 1; pending.length > 0 && receive <= maxReceives; receive++) {
        const response = await handler(
          { Records: pending.map((record) => sqsRecord(record, receive)) },
          localContext,
        );
        const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        pending = pending.filter((record) => failed.has(record.messageId));
      }
      givenUp.push(...pending);
    }
  };
  await Promise.all(Array.from({ length: options.workers ?? 4 }, worker));
  return givenUp;
}
