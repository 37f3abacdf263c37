import type { Clock } from '../shared/ports/clock.js';
import type { DeadLetters } from '../shared/ports/dead-letters.js';
import type { IngestBacklog } from '../shared/ports/ingest-backlog.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { deliverToHandler, type SqsHandler } from './local-queue.js';

export interface IngestPumpOptions {
  readonly handler: SqsHandler;
  readonly deadLetters: DeadLetters;
  readonly clock: Clock;
  /** Messages per ingest invocation. */
  readonly batchSize: number;
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
}

export interface IngestPump {
  /** Queues records as the bus rule's SQS target would; ingest follows in the background. */
  enqueue(records: readonly ReceivedRecord[]): void;
  /** Hands records to the ingest handler now, as the queue would. */
  deliver(records: readonly ReceivedRecord[]): Promise<void>;
  /** Waits until every queued record has been ingested or dead-lettered. */
  drained(): Promise<void>;
  /** What is queued or being ingested now, and since when the oldest of it waits. */
  backlog(): IngestBacklog;
}

/** The queue between the bus rule and ingest: batches, concurrent invocations, receives and dead letters. */
export function createIngestPump(options: IngestPumpOptions): IngestPump {
  let queued: ReceivedRecord[] = [];
  /** The records the pump is delivering now. */
  let delivering: readonly ReceivedRecord[] = [];
  let queuedBytes = 0;
  let deliveringBytes = 0;
  const bytesOf = (records: readonly ReceivedRecord[]) =>
    records.reduce((sum, record) => sum + record.body.length, 0);
  let pumping: Promise<void> = Promise.resolve();
  let invocationError = '';
  const onError =
    options.onError ??
    ((error: unknown) => console.error('ingest delivery failed; it is tried again:', error));

  /** Messages that failed every receive are kept with the last error, as a dead-letter queue would. */
  async function deadLetter(records: readonly ReceivedRecord[]): Promise<void> {
    for (const record of records) {
      options.onDeadLetter?.();
      await options.deadLetters.putDeadLetter({
        messageId: record.messageId,
        deadLetteredAt: new Date(options.clock()).toISOString(),
        body: record.body,
        error: options.lastError() || invocationError || 'failed every receive',
        receives: options.maxReceives,
      });
    }
  }

  async function deliver(records: readonly ReceivedRecord[]): Promise<void> {
    const givenUp = await deliverToHandler(options.handler, records, {
      batchSize: options.batchSize,
      workers: 4,
      maxReceives: options.maxReceives,
      timeoutMs: options.invocationTimeoutMs ?? 60_000,
      onInvocationError: (error) => {
        invocationError = String((error as Error)?.message ?? error);
      },
    });
    await deadLetter(givenUp);
  }

  // The chain never rejects: a failed delivery puts its records back (ingest is idempotent),
  // so one failure neither stops ingest for good nor loses what was acknowledged.
  const pump = () => {
    pumping = pumping.then(async () => {
      while (queued.length > 0) {
        const batch = queued;
        queued = [];
        delivering = batch;
        deliveringBytes = queuedBytes;
        queuedBytes = 0;
        try {
          await deliver(batch);
          delivering = [];
          deliveringBytes = 0;
        } catch (error) {
          queued = [...batch, ...queued];
          queuedBytes += deliveringBytes;
          delivering = [];
          deliveringBytes = 0;
          onError(error);
          await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
        }
      }
    });
    return pumping;
  };

  return {
    enqueue(records) {
      if (records.length === 0) return;
      queued.push(...records);
      queuedBytes += bytesOf(records);
      void pump();
    },
    deliver,
    async drained() {
      while (queued.length > 0) await pump();
      await pumping;
    },
    backlog() {
      // Records queue in arrival order (a failed batch goes back in front): the first waits longest.
      const oldest = delivering[0]?.arrivedAt ?? queued[0]?.arrivedAt;
      return {
        entries: delivering.length + queued.length,
        bytes: deliveringBytes + queuedBytes,
        oldestArrivedAt: oldest,
      };
    },
  };
}
