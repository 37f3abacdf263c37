import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import type { TestEvent } from '../support/entries.js';
import { seededRandom } from '../support/faults.js';
import { referenceOf } from '../support/reference.js';
import { kill9, startChild } from '../support/runtime-child.js';
import { sampledEvents } from '../support/sampled-events.js';

// The child runs the same configuration (tests/support/runtime-process.ts).
const compiled = compileConfig(parseConfig({ ...demo, grains: ['day', 'week', 'month'] }));
/** A fresh seed each run, printed with any failure: CRASH_SEED=<seed> repeats that run. */
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Events of 80 users over the last day; every event is sent twice, in different calls. */
const eventSet = (seed: number, count: number) => sampledEvents({ count, users: 80, days: 1, seed });

/** PutEvents calls of up to 10 entries: batch entries of 1-20 events and single-event entries, mixed. */
function callsOf(events: readonly TestEvent[], random: () => number): PutEventsRequestEntry[][] {
  const entries: PutEventsRequestEntry[] = [];
  for (let i = 0; i < events.length; ) {
    const take = random() < 0.3 ? 1 : 1 + Math.floor(random() * 20);
    const slice = events.slice(i, i + take);
    i += take;
    if (slice.length === 1) {
      const { name, ...detail } = slice[0]!;
      entries.push({ Source: 'app.web', DetailType: name, Detail: JSON.stringify(detail) });
    } else
      entries.push({
        Source: 'app.web',
        DetailType: BATCH_DETAIL_TYPE,
        Detail: JSON.stringify({ events: slice }),
      });
  }
  const calls: PutEventsRequestEntry[][] = [];
  for (let i = 0; i < entries.length; i += 10) calls.push(entries.slice(i, i + 10));
  return calls;
}

/**
 * Sends the calls from four senders; resolves with the indexes of the calls answered with
 * success. A call the kill cut off is not acknowledged: the sender would send it again.
 */
async function send(
  url: string,
  calls: readonly PutEventsRequestEntry[][],
  indexes: readonly number[],
  onAcknowledged: (count: number) => void = () => undefined,
) {
  const apps = eventBridgeClient(url);
  const acknowledged: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < indexes.length) {
        const index = indexes[next++]!;
        try {
          const answer = await apps.send(new PutEventsCommand({ Entries: calls[index]! }));
          if (answer.FailedEntryCount === 0) {
            acknowledged.push(index);
            onAcknowledged(acknowledged.length);
          }
        } catch {
          // The runtime is gone: stop sending.
          next = indexes.length;
        }
      }
    }),
  );
  apps.destroy();
  return acknowledged;
}

async function countersIn(dataDir: string, items: readonly string[]) {
  const runtime = await startRuntime({
    config: parseConfig({ ...demo, grains: ['day', 'week', 'month'] }),
    port: 0,
    dataDir,
    recomputeEveryMs: 0,
  });
  try {
    await runtime.drained();
    const counters: Record<string, Record<string, number>> = {};
    for (const item of items)
      counters[item] = Object.fromEntries(await runtime.stores.counters.readCounters(item));
    return counters;
  } finally {
    await runtime.stop();
  }
}

describe(`local runtime killed with kill -9 (CRASH_SEED=${SEED})`, () => {
  test('It should lose no acknowledged event and count none twice, killed during a load, during a drain, and with a torn last line', async () => {
    // Prepare: every event twice, the second copies shuffled into other calls.
    const random = seededRandom(SEED);
    const events = eventSet(SEED, 600);
    const calls = callsOf([...events, ...[...events].sort(() => random() - 0.5)], random);
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-crash-'));
    dirs.push(dataDir);
    const unsent = new Set(calls.map((_, index) => index));
    const resend = async (url: string, onAcknowledged?: (count: number) => void) => {
      for (const index of await send(url, calls, [...unsent], onAcknowledged)) unsent.delete(index);
    };

    // Act 1: killed at a random moment while the load is going on: after 10-60% of the calls.
    let child = await startChild(dataDir);
    const killAfter = Math.ceil(calls.length * (0.1 + random() * 0.5));
    let killed: Promise<void> | undefined;
    await resend(child.url, (count) => {
      if (count === killAfter) killed = kill9(child, dataDir);
    });
    await killed;
    expect(unsent.size, 'the kill came before the load was over').toBeGreaterThan(0);

    // Act 2: restarted on the same directory; the rest is sent, and it is killed while ingest drains.
    child = await startChild(dataDir);
    await resend(child.url);
    expect(unsent.size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, random() * 300));
    const status = (await (await fetch(`${child.url}/api/status`)).json()) as {
      backlog: { entries: number };
    };
    await kill9(child, dataDir);
    // Act 3: a write cut short by a crash, never answered: a torn last line in the log.
    await appendFile(
      join(dataDir, 'archive.ndjson'),
      '{"arrivedAt":"2026-12-02T00:00:00.000Z","event":{"ver',
    );

    // Act 4: a restart finishes the drain and stops as Ctrl-C does.
    child = await startChild(dataDir);
    await child.ask('drained');
    const stopped = await child.ask('stop');

    // Assess: every number equals the reference over the distinct events, with all the
    // duplicates, resends and replays in between.
    const reference = referenceOf(events, compiled);
    expect(await countersIn(dataDir, Object.keys(reference))).toEqual(reference);
    expect(stopped.stoppedInMs).toBeLessThan(5000);
    // Not an assertion on timing: the drain test is only a drain test when something waited.
    console.info(`crash test ${SEED}: backlog at the second kill: ${status.backlog.entries} entries`);
  }, 120_000);
});
