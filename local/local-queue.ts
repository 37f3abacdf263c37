import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NorthstarError } from '../shared/domain/errors.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface LocalQueueOptions {
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** Message bytes per invocation, as Lambda bounds an SQS batch's payload. @default 6 MiB */
  readonly maxBatchBytes?: number;
  /** Invocations at once. @default 4 */
  readonly workers?: number;
  /** Receives before a message is given up on (the dead-letter store comes with the local runtime). @default 5 */
  readonly maxReceives?: number;
  /**
   * An invocation still running after this long fails its batch, which is received again,
   * as SQS does once the visibility timeout passes. @default 60000
   */
  readonly timeoutMs?: number;
  /** Sees why an invocation failed as a whole (it threw, or ran out of time). */
  readonly onInvocationError?: (error: unknown) => void;
}

export class InvocationTimeoutError extends NorthstarError {
  override readonly name = 'InvocationTimeoutError';

  constructor(timeoutMs: number) {
    super(
      'invocation_timeout',
      `an ingest invocation ran over ${timeoutMs} ms; its messages are received again`,
    );
  }
}

function localContext(timeoutMs: number, startedAt: number): Context {
  return {
    functionName: 'northstar-ingest',
    awsRequestId: 'local',
    getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutMs - Date.now()),
  } as unknown as Context;
}

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

/** Batches of at most `size` records and `maxBytes` of bodies (a larger record goes alone). */
export function batchesOf(
  records: readonly ReceivedRecord[],
  size: number,
  maxBytes: number,
): ReceivedRecord[][] {
  const batches: ReceivedRecord[][] = [];
  let batch: ReceivedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const recordBytes = Buffer.byteLength(record.body);
    if (batch.length > 0 && (batch.length === size || bytes + recordBytes > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += recordBytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * One invocation's failed message ids. An invocation that throws or runs out of time fails
 * its whole batch; one that finishes late is ignored, and its failure reported, never thrown.
 */
async function invoke(
  handler: SqsHandler,
  batch: readonly ReceivedRecord[],
  receive: number,
  timeoutMs: number,
  onError: (error: unknown) => void,
): Promise<Set<string>> {
  const all = new Set(batch.map((record) => record.messageId));
  const running = handler(
    { Records: batch.map((record) => sqsRecord(record, receive)) },
    localContext(timeoutMs, Date.now()),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([running, timedOut]);
    if (result === 'timeout') {
      running.catch(onError);
      onError(new InvocationTimeoutError(timeoutMs));
      return all;
    }
    return new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
  } catch (error) {
    onError(error);
    return all;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One batch through its receives: what fails is received again until it passes or runs out
 * of receives. Returns the records given up on; `stopping` ends the receives early, and the
 * records still failing are returned with `stopped` so the caller keeps them.
 */
export async function receiveBatch(
  handler: SqsHandler,
  batch: readonly ReceivedRecord[],
  options: LocalQueueOptions & { readonly stopping?: () => boolean } = {},
): Promise<{ givenUp: ReceivedRecord[]; stopped: boolean }> {
  const maxReceives = options.maxReceives ?? 5;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const onError = options.onInvocationError ?? (() => undefined);
  let pending = [...batch];
  for (let receive = 1; pending.length > 0 && receive <= maxReceives; receive++) {
    if (receive > 1 && options.stopping?.()) return { givenUp: pending, stopped: true };
    const failed = await invoke(handler, pending, receive, timeoutMs, onError);
    pending = pending.filter((record) => failed.has(record.messageId));
  }
  return { givenUp: pending, stopped: false };
}

/**
 * Hands records to the handler as an SQS event source would: in bounded batches, several
 * invocations at once, failed messages again until they pass or run out of receives.
 * Returns the messages given up on.
 */
export async function deliverToHandler(
  handler: SqsHandler,
  records: readonly ReceivedRecord[],
  options: LocalQueueOptions = {},
): Promise<ReceivedRecord[]> {
  const batches = batchesOf(records, options.batchSize ?? 10, options.maxBatchBytes ?? 6 * 1024 * 1024);
  const givenUp: ReceivedRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length)
      givenUp.push(...(await receiveBatch(handler, batches[next++]!, options)).givenUp);
  };
  await Promise.all(Array.from({ length: options.workers ?? 4 }, worker));
  return givenUp;
}
