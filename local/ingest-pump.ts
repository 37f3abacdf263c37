import type { Clock } from '../shared/ports/clock.js';
import type { DeadLetters } from '../shared/ports/dead-letters.js';
import type { IngestBacklog } from '../shared/ports/ingest-backlog.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { deliverToHandler, receiveBatch, type SqsHandler } from './local-queue.js';

/** A queued message; `logAt` is where its entry's line starts in the log, when there is one. */
export interface QueuedRecord extends ReceivedRecord {
  readonly logAt?: number;
}

export interface IngestPumpOptions {
  readonly handler: SqsHandler;
  readonly deadLetters: DeadLetters;
  readonly clock: Clock;
  /** Messages per ingest invocation. */
  readonly batchSize: number;
  /** Message bytes per invocation, as Lambda bounds an SQS batch's payload. @default 6 MiB */
  readonly maxBatchBytes?: number;
  /** Invocations at once. @default 4 */
  readonly workers?: number;
  /**
   * How long an invocation waits for a full batch when fewer messages wait, as the
   * event source mapping's `MaximumBatchingWindowInSeconds` does: fewer, fuller batches,
   * so concurrent invocations meet on the same users less often. @default 0
   */
  readonly batchingWindowMs?: number;
  /** Receives before a message goes to the dead-letter store. */
  readonly maxReceives: number;
  /** The error of the latest failed receive, kept with what is dead-lettered. */
  readonly lastError: () => string;
  readonly onDeadLetter?: () => void;
  /** An ingest invocation still running after this long fails its batch, which is received again. @default 60000 */
  readonly invocationTimeoutMs?: number;
  /** After a delivery failed as a whole (the dead-letter store unreachable), the next try waits this long. @default 1000 */
  readonly retryDelayMs?: number;
  /** Sees failures the pump recovers from. @default console.error */
  readonly onError?: (error: unknown) => void;
  /**
   * Sees the log position before which every entry is done (ingested or dead-lettered),
   * each time it moves forward.
   */
  readonly onConfirmed?: (position: number) => void;
}

export interface IngestPump {
  /**
   * Queues records as the bus rule's SQS target would; ingest follows in the background.
   * `logEnd` is the log offset after the entries they came from (with the entries that
   * went to no queue), confirmed once everything before it is done.
   */
  enqueue(records: readonly QueuedRecord[], logEnd?: number): void;
  /** Hands records to the ingest handler now, as the queue would. */
  deliver(records: readonly ReceivedRecord[]): Promise<void>;
  /** Waits until every queued record has been ingested or dead-lettered, or the pump stopped. */
  drained(): Promise<void>;
  /** Resolves when a batch finishes (or the pump stops): the moment to look at the backlog again. */
  progressed(): Promise<void>;
  /** What is queued or being ingested now, and since when the oldest of it waits. */
  backlog(): IngestBacklog;
  /**
   * Takes no more batches and waits up to `graceMs` for those in ingest. What is not done
   * stays after the confirmed position, for the next start.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Bytes of message bodies, as the backlog bounds count them. */
export const bytesOf = (records: readonly { readonly body: string }[]) =>
  records.reduce((sum, record) => sum + record.body.length, 0);

/**
 * The queue between the bus rule and ingest, as SQS and Lambda's event source mapping run it:
 * a few invocations at once, each taking the next bounded batch as soon as it is free,
 * failed messages received again, dead letters after the last receive.
 */
export function createIngestPump(options: IngestPumpOptions): IngestPump {
  const workers = options.workers ?? 4;
  const maxBatchBytes = options.maxBatchBytes ?? 6 * 1024 * 1024;
  let queued: QueuedRecord[] = [];
  /** Where the next batch starts in `queued`: taking from the front copies nothing. */
  let head = 0;
  let queuedBytes = 0;
  const inFlight = new Set<readonly QueuedRecord[]>();
  let inFlightEntries = 0;
  let inFlightBytes = 0;
  let running = 0;
  let stopped = false;
  let logEnd = 0;
  let confirmed = -1;
  let waiters: (() => void)[] = [];
  let invocationError = '';
  const onError =
    options.onError ??
    ((error: unknown) => console.error('ingest delivery failed; it is tried again:', error));
  const receiveOptions = {
    maxReceives: options.maxReceives,
    timeoutMs: options.invocationTimeoutMs ?? 60_000,
    onInvocationError: (error: unknown) => {
      invocationError = String((error as Error)?.message ?? error);
    },
  };

  const waiting = () => queued.length - head;
  const notify = () => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };

  /** Messages that failed every receive are kept with the last error, as a dead-letter queue would. */
  async function deadLetter(records: readonly ReceivedRecord[]): Promise<void> {
    for (const record of records) {
      await options.deadLetters.putDeadLetter({
        messageId: record.messageId,
        deadLetteredAt: new Date(options.clock()).toISOString(),
        body: record.body,
        error: options.lastError() || invocationError || 'failed every receive',
        receives: options.maxReceives,
      });
      options.onDeadLetter?.();
    }
  }

  /** The earliest line not done yet, or the end of what was queued when everything is done. */
  function confirm(): void {
    if (!options.onConfirmed) return;
    let position = logEnd;
    for (const batch of inFlight)
      for (const record of batch) position = Math.min(position, record.logAt ?? position);
    if (waiting() > 0) position = Math.min(position, queued[head]!.logAt ?? position);
    if (position > confirmed) {
      confirmed = position;
      options.onConfirmed(position);
    }
  }

  function take(): QueuedRecord[] {
    const batch: QueuedRecord[] = [];
    let bytes = 0;
    while (head < queued.length && batch.length < options.batchSize) {
      const record = queued[head]!;
      const recordBytes = record.body.length;
      if (batch.length > 0 && bytes + recordBytes > maxBatchBytes) break;
      batch.push(record);
      bytes += recordBytes;
      head++;
    }
    if (head > 4096 && head * 2 > queued.length) {
      queued = queued.slice(head);
      head = 0;
    }
    queuedBytes -= bytes;
    return batch;
  }

  /** A batch that could not be finished goes back in front, in log order, for the next try. */
  function putBack(batch: readonly QueuedRecord[]): void {
    queued = [...batch, ...queued.slice(head)];
    head = 0;
    queuedBytes += bytesOf(batch);
    if (batch.some((record) => record.logAt !== undefined))
      queued.sort((a, b) => (a.logAt ?? 0) - (b.logAt ?? 0));
  }

  // A worker never rejects: a batch that fails as a whole goes back (ingest is idempotent), so
  // one failure neither stops ingest for good nor loses what was acknowledged.
  async function work(): Promise<void> {
    running++;
    try {
      while (!stopped && waiting() > 0) {
        if (waiting() < options.batchSize && (options.batchingWindowMs ?? 0) > 0) {
          await new Promise((resolve) => setTimeout(resolve, options.batchingWindowMs).unref());
          if (stopped || waiting() === 0) break;
        }
        const batch = take();
        const bytes = bytesOf(batch);
        inFlight.add(batch);
        inFlightEntries += batch.length;
        inFlightBytes += bytes;
        let done = false;
        try {
          const { givenUp, stopped: cut } = await receiveBatch(options.handler, batch, {
            ...receiveOptions,
            stopping: () => stopped,
          });
          if (!cut) {
            await deadLetter(givenUp);
            done = true;
          }
        } catch (error) {
          onError(error);
        }
        inFlight.delete(batch);
        inFlightEntries -= batch.length;
        inFlightBytes -= bytes;
        if (!done) {
          putBack(batch);
          if (!stopped) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
        }
        confirm();
        notify();
      }
    } finally {
      running--;
      notify();
    }
  }

  const idle = () => stopped || (waiting() === 0 && inFlight.size === 0);

  return {
    enqueue(records, end) {
      if (end !== undefined) logEnd = Math.max(logEnd, end);
      if (records.length > 0) {
        queued.push(...records);
        queuedBytes += bytesOf(records);
        if (!stopped) while (running < workers && waiting() > 0) void work();
      }
      confirm();
    },
    async deliver(records) {
      await deadLetter(
        await deliverToHandler(options.handler, records, {
          ...receiveOptions,
          batchSize: options.batchSize,
          maxBatchBytes,
          workers,
        }),
      );
    },
    async drained() {
      while (!idle()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    progressed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    backlog() {
      // In log order (a failed batch goes back in front): the earliest record waits longest.
      let oldest: number | undefined;
      for (const batch of inFlight)
        if (batch[0] && (oldest === undefined || batch[0].arrivedAt < oldest)) oldest = batch[0].arrivedAt;
      const next = queued[head]?.arrivedAt;
      if (next !== undefined && (oldest === undefined || next < oldest)) oldest = next;
      return {
        entries: inFlightEntries + waiting(),
        bytes: inFlightBytes + queuedBytes,
        oldestArrivedAt: oldest,
      };
    },
    async stop(graceMs = 3000) {
      stopped = true;
      notify();
      const deadline = Date.now() + graceMs;
      while (running > 0 && Date.now() < deadline)
        await Promise.race([
          new Promise<void>((resolve) => waiters.push(resolve)),
          new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()),
        ]);
    },
  };
}
