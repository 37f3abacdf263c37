import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { createIngestPump, type QueuedRecord } from '../../../local/ingest-pump.js';
import { batchesOf, deliverToHandler, InvocationTimeoutError } from '../../../local/local-queue.js';
import type { ReceivedRecord } from '../../../shared/use-cases/ingest/ingest-records.js';
import { memoryStores } from '../../support/memory-stores.js';

const record = (n: number, bytes = 10): ReceivedRecord => ({
  messageId: `m${n}`,
  body: 'x'.repeat(bytes),
  arrivedAt: 1_000 + n,
});
const ok: SQSBatchResponse = { batchItemFailures: [] };

describe('local queue', () => {
  test('It should bound a batch by messages and by bytes, a larger message going alone', () => {
    const records = [record(1, 40), record(2, 40), record(3, 40), record(4, 200), record(5, 10)];
    const ids = (batches: ReceivedRecord[][]) => batches.map((batch) => batch.map((r) => r.messageId));
    expect(ids(batchesOf(records, 10, 100))).toEqual([['m1', 'm2'], ['m3'], ['m4'], ['m5']]);
    expect(ids(batchesOf(records, 2, 1000))).toEqual([['m1', 'm2'], ['m3', 'm4'], ['m5']]);
  });

  test('It should receive again the batch of an invocation past its time limit, and ignore its late answer', async () => {
    // Prepare: the first invocation never answers; later ones do.
    const receives: number[] = [];
    const errors: unknown[] = [];
    const handler = (event: SQSEvent) => {
      receives.push(Number(event.Records[0]!.attributes.ApproximateReceiveCount));
      return receives.length === 1 ? new Promise<SQSBatchResponse>(() => undefined) : Promise.resolve(ok);
    };

    // Act
    const givenUp = await deliverToHandler(handler, [record(1), record(2)], {
      timeoutMs: 50,
      onInvocationError: (error) => errors.push(error),
    });

    // Assess
    expect(givenUp).toEqual([]);
    expect(receives).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InvocationTimeoutError);
  });

  test('It should take an invocation that throws as a failed batch, and give it up after its receives', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const handler = async (): Promise<SQSBatchResponse> => {
      calls++;
      throw new Error('the function crashed');
    };
    const givenUp = await deliverToHandler(handler, [record(1), record(2)], {
      maxReceives: 3,
      onInvocationError: (error) => errors.push(error),
    });
    expect(givenUp.map((r) => r.messageId)).toEqual(['m1', 'm2']);
    expect(calls).toBe(3);
    expect(errors.map((error) => (error as Error).message)).toEqual(Array(3).fill('the function crashed'));
  });
});

describe('ingest pump', () => {
  test('It should keep ingesting after a delivery fails as a whole, losing none of its records', async () => {
    // Prepare: every message fails, and the first dead-letter write fails too.
    const stores = memoryStores();
    let refuse = true;
    const deadLetters = {
      ...stores.deadLetters,
      async putDeadLetter(letter: Parameters<typeof stores.deadLetters.putDeadLetter>[0]) {
        if (refuse) {
          refuse = false;
          throw new Error('the dead-letter store is unreachable');
        }
        await stores.deadLetters.putDeadLetter(letter);
      },
    };
    const errors: unknown[] = [];
    const pump = createIngestPump({
      handler: async (event) => ({
        batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
      }),
      deadLetters,
      clock: () => 0,
      batchSize: 10,
      maxReceives: 2,
      lastError: () => '',
      retryDelayMs: 1,
      onError: (error) => errors.push(error),
    });

    // Act
    pump.enqueue([record(1)]);
    await pump.drained();
    pump.enqueue([record(2)]);
    await pump.drained();

    // Assess: the failed write was tried again, and the next records still went through.
    expect(errors.map((error) => (error as Error).message)).toEqual(['the dead-letter store is unreachable']);
    expect((await stores.deadLetters.listDeadLetters()).map((letter) => letter.messageId)).toEqual([
      'm2',
      'm1',
    ]);
  });
});

describe('ingest pump backlog', () => {
  test('It should count what is queued or being ingested, its bytes and the oldest arrival, and nothing once drained', async () => {
    // Prepare: ingest that waits until the test lets it go.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pump = createIngestPump({
      handler: async () => {
        await held;
        return ok;
      },
      deadLetters: memoryStores().deadLetters,
      clock: () => 0,
      batchSize: 10,
      maxReceives: 1,
      lastError: () => '',
    });
    expect(pump.backlog()).toEqual({ entries: 0, bytes: 0, oldestArrivedAt: undefined });

    // Act: one batch in ingest, two more records queued behind it.
    pump.enqueue([record(3), record(5)]);
    await Promise.resolve();
    pump.enqueue([record(9)]);

    // Assess
    expect(pump.backlog()).toEqual({ entries: 3, bytes: 30, oldestArrivedAt: 1_003 });
    release();
    await pump.drained();
    expect(pump.backlog()).toEqual({ entries: 0, bytes: 0, oldestArrivedAt: undefined });
  });
});

describe('ingest pump confirmed position', () => {
  const logged = (n: number): QueuedRecord => ({ ...record(n), logAt: n * 100 });

  test('It should confirm only up to the earliest record not done, whatever order the batches finish in', async () => {
    // Prepare: batches of one record; each held until the test lets it go.
    const held = new Map<string, () => void>();
    const confirmed: number[] = [];
    const pump = createIngestPump({
      handler: (event) =>
        new Promise<SQSBatchResponse>((resolve) => {
          held.set(event.Records[0]!.messageId, () => resolve(ok));
        }),
      deadLetters: memoryStores().deadLetters,
      clock: () => 0,
      batchSize: 1,
      workers: 3,
      maxReceives: 1,
      lastError: () => '',
      onConfirmed: (position) => confirmed.push(position),
    });
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    // Act: three records in ingest; the last and then the middle one finish first.
    pump.enqueue([logged(1), logged(2), logged(3)], 400);
    await settle();
    held.get('m3')!();
    await settle();
    held.get('m2')!();
    await settle();
    const beforeFirst = [...confirmed];
    held.get('m1')!();
    await pump.drained();

    // Assess: nothing moves past m1 until it is done; then the position is the end of the log.
    expect(beforeFirst.every((position) => position <= 100)).toBe(true);
    expect(confirmed.at(-1)).toBe(400);
  });

  test('It should stop within its grace without taking more batches, leaving them unconfirmed', async () => {
    // Prepare: the first batch is in ingest until the test lets it go.
    const confirmed: number[] = [];
    let calls = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pump = createIngestPump({
      handler: async () => {
        calls++;
        await held;
        return ok;
      },
      deadLetters: memoryStores().deadLetters,
      clock: () => 0,
      batchSize: 1,
      workers: 1,
      maxReceives: 1,
      lastError: () => '',
      onConfirmed: (position) => confirmed.push(position),
    });
    pump.enqueue([logged(1), logged(2), logged(3), logged(4)], 500);

    // Act: stop while the batch is in ingest; it finishes within the grace.
    const stopping = pump.stop(5000);
    release();
    await stopping;

    // Assess: no batch after it; the position stops at the next record's line.
    expect(calls).toBe(1);
    expect(confirmed.at(-1)).toBe(200);
    await pump.drained();
  });
});
