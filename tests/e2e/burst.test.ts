import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { startRuntime } from '../../local/runtime.js';
import { statusTimesDuring } from '../../scripts/status-times.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import type { TestEvent } from '../support/entries.js';
import { referenceOf } from '../support/reference.js';

const config = parseConfig(demo);
const compiled = compileConfig(config);
/** The bound this test holds npm start's memory to while a burst far above its backlog bound comes in. */
const MAX_RSS_BYTES = 512 * 1024 * 1024;
const EVENTS = 4000;
const EVENTS_PER_ENTRY = 40;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Sign-ups and page views of 200 users in the last hours: server-packed, many events per entry. */
function burstCalls(): { events: TestEvent[]; calls: PutEventsRequestEntry[][] } {
  const now = Date.now();
  const events: TestEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    name: i % 4 === 0 ? 'signed_up' : 'page_viewed',
    eventId: `b${i}`,
    userId: `u${i % 200}`,
    occurredAt: new Date(now - (i % 180) * 60_000).toISOString(),
    properties: i % 4 === 0 ? { method: 'email' } : { path: '/pricing', channel: 'organic' },
  }));
  const entries: PutEventsRequestEntry[] = [];
  for (let i = 0; i < events.length; i += EVENTS_PER_ENTRY)
    entries.push({
      Source: 'app.server',
      DetailType: BATCH_DETAIL_TYPE,
      Detail: JSON.stringify({ events: events.slice(i, i + EVENTS_PER_ENTRY) }),
    });
  const calls: PutEventsRequestEntry[][] = [];
  for (let i = 0; i < entries.length; i += 10) calls.push(entries.slice(i, i + 10));
  return { events, calls };
}

async function startNpmStart(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/start.ts',
      '--no-demo',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--max-backlog-entries',
      '50',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it served`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /Northstar on (http:\/\/[\d.]+:\d+)/.exec(line);
      if (found) resolve(found[1]!);
    });
  });
  return { child, url };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

describe('npm start under a burst', () => {
  test('It should throttle a burst above its backlog bound, count every acknowledged event once, keep answering status and stay small, and stop on Ctrl-C within 5 s', async () => {
    // Prepare
    const { events, calls } = burstCalls();
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-burst-'));
    dirs.push(dataDir);
    const { child, url } = await startNpmStart(dataDir);
    const apps = eventBridgeClient(url);
    let throttled = 0;
    apps.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if ((error as Error).name === 'ThrottlingException') throttled++;
          throw error;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'countThrottles' },
    );

    // Act: eight senders, each call sent again until it is acknowledged, as a server's client does.
    // Status is read from a process of its own: the times are the runtime's, not the senders'.
    let peakRss = 0;
    let loading = true;
    const watching = (async () => {
      while (loading) {
        peakRss = Math.max(peakRss, await rssOf(child.pid!));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let next = 0;
    const loadStartedAt = performance.now();
    const [, statusTimes] = await statusTimesDuring(url, () =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < calls.length) {
            const call = calls[next++]!;
            for (;;) {
              const answer = await apps.send(new PutEventsCommand({ Entries: call })).catch(() => undefined);
              if (answer?.FailedEntryCount === 0) break;
            }
          }
        }),
      ),
    );
    const loadMs = performance.now() - loadStartedAt;
    loading = false;
    await watching;
    const backlog = ((await (await fetch(`${url}/api/status`)).json()) as { backlog: { entries: number } })
      .backlog.entries;
    const signalledAt = Date.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const stoppedInMs = Date.now() - signalledAt;
    apps.destroy();

    // Assess: the next start ingests what the stop left in the log; every number is the reference's.
    const runtime = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0 });
    try {
      await runtime.drained();
      const reference = referenceOf(events, compiled);
      const counters: Record<string, Record<string, number>> = {};
      for (const item of Object.keys(reference))
        counters[item] = Object.fromEntries(await runtime.stores.counters.readCounters(item));
      expect(counters).toEqual(reference);
    } finally {
      await runtime.stop();
    }
    expect(throttled, 'the burst went past the backlog bound').toBeGreaterThan(0);
    expect(stoppedInMs).toBeLessThan(5000);
    expect(peakRss).toBeLessThan(MAX_RSS_BYTES);
    // Reads answer from memory, never behind the drain's writes (which took seconds and
    // timed out before). How fast they are is the benchmark's to measure (npm run bench --
    // local-runtime): here other test files share the cores, so the slowest read is held
    // against the burst it ran beside, measured in the same run, not against a fixed time: a
    // read queued behind a drain that runs all through the burst would wait most of it.
    const sorted = [...statusTimes].sort((a, b) => a - b);
    expect(
      sorted.every((time) => time >= 0),
      'every status read answered',
    ).toBe(true);
    expect(sorted.length, 'status was read all through the burst').toBeGreaterThan(loadMs / 1000);
    expect(sorted.at(-1), 'no status read waited a large part of the burst').toBeLessThan(loadMs / 2);
    console.info(
      `burst: ${calls.length} calls in ${(loadMs / 1000).toFixed(1)} s, ${throttled} throttled; status p95 ${sorted[Math.floor(sorted.length * 0.95)]!.toFixed(0)} ms, at most ${sorted.at(-1)!.toFixed(0)} ms over ${statusTimes.length} reads; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; backlog at Ctrl-C ${backlog}; stopped in ${stoppedInMs} ms`,
    );
  }, 180_000);
});
