import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTracker, type TrackerError, uuid7Time } from '../../client/index.js';
import { MAX_CALL_BYTES, MAX_ENTRY_BYTES, putEventsEntrySize, utf8Bytes } from '../../client/pack-entries.js';
import { backoffDelay } from '../../client/put-events.js';
import type { TrackerClock } from '../../client/tracker.js';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import {
  eventIdsOf,
  failedEntries,
  type ProxyAction,
  type PutEventsProxy,
  serverError,
  startPutEventsProxy,
  until,
} from './put-events-proxy.js';

const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
type Demo = typeof demo;

let runtime: Runtime;
const proxies: PutEventsProxy[] = [];
let users = 0;

// Starting DynamoDB Local can take a while on a busy machine.
beforeAll(async () => {
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
}, 120_000);

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await runtime.stop();
});

async function proxy(
  decide: (
    call: number,
    request: Parameters<Parameters<typeof startPutEventsProxy>[1]>[1],
  ) => ProxyAction = () => ({ kind: 'forward' }),
) {
  const started = await startPutEventsProxy(runtime.url, decide);
  proxies.push(started);
  return started;
}

/** Accepted counts only move once ingest has run: wait for the queue, then read. */
async function acceptedSoFar(): Promise<number> {
  await runtime.drained();
  return runtime.totals.accepted;
}

/**
 * Time that moves only when the test says so: the clock stands at `startAt` (a little in the
 * past, so an event stamped by the real clock would show), the flush interval fires on `tick()`,
 * and backoff waits are recorded and end at once.
 */
function manualClock(startAt = Date.now() - 30_000) {
  const intervals: { flushDue: () => void; ms: number; stopped: boolean }[] = [];
  const waits: number[] = [];
  const clock: TrackerClock = {
    now: () => startAt,
    setInterval: (flushDue, ms) => intervals.push({ flushDue, ms, stopped: false }) - 1,
    clearInterval: (timer) => {
      const interval = intervals[timer as number];
      if (interval) interval.stopped = true;
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
  const tick = () => {
    for (const interval of intervals) if (!interval.stopped) interval.flushDue();
  };
  return { clock, startAt, intervals, waits, tick };
}

function tracker(endpoint: string, options: Partial<Parameters<typeof createTracker>[0]> = {}) {
  const errors: TrackerError[] = [];
  const time = manualClock();
  const instance = createTracker<Demo>({
    source: 'app.web',
    endpoint,
    flushIntervalMs: 3_600_000,
    retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 40 },
    onError: (error) => errors.push(error),
    clock: time.clock,
    ...options,
  });
  return { instance, errors, time };
}

const view = (path = '/') => ({ path });
const user = () => `tracker-user-${++users}`;

describe('track() against the local runtime', () => {
  test('It should send buffered events on its interval, in one batch entry, counted once by the pipeline', async () => {
    const before = await acceptedSoFar();
    const through = await proxy();
    const { instance, errors, time } = tracker(through.url, { flushIntervalMs: 50 });
    const userId = user();
    const ids = [
      instance.track('page_viewed', view('/a'), { userId }),
      instance.track('signed_up', { method: 'email' }, { userId }),
    ];

    // Buffered until the interval is due ...
    expect(time.intervals.map((interval) => interval.ms)).toEqual([50]);
    expect(instance.stats()).toMatchObject({ tracked: 2, buffered: 2, sent: 0, calls: 0 });
    expect(through.requests).toHaveLength(0);
    // ... and sent when it is.
    time.tick();
    await until(() => through.forwarded.length === 1, 'the interval flush');
    await until(async () => (await acceptedSoFar()) === before + 2, 'ingest of both events');

    expect(through.requests[0]!.Entries).toHaveLength(1);
    expect(through.requests[0]!.Entries[0]!.DetailType).toBe(BATCH_DETAIL_TYPE);
    expect(through.requests[0]!.Entries[0]!.EventBusName).toBe('northstar');
    const detail = JSON.parse(through.requests[0]!.Entries[0]!.Detail) as {
      events: Record<string, unknown>[];
    };
    expect(detail.events.map((event) => event.eventId)).toEqual(ids);
    expect(detail.events[0]).toMatchObject({ name: 'page_viewed', userId, properties: { path: '/a' } });
    expect(Date.parse(detail.events[0]!.occurredAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(detail.events[0]!.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Stamped by the tracker's clock, the time of the track() call: occurredAt and the eventId's time.
    expect(detail.events.map((event) => event.occurredAt)).toEqual([
      new Date(time.startAt).toISOString(),
      new Date(time.startAt).toISOString(),
    ]);
    expect(ids.map((id) => uuid7Time(id!))).toEqual([time.startAt, time.startAt]);
    await instance.shutdown();
    expect(time.intervals.map((interval) => interval.stopped)).toEqual([true]);
    expect(errors).toEqual([]);
  });

  test('It should send at once when the buffer reaches its size, without waiting for the interval', async () => {
    const through = await proxy();
    // The test's clock never ticks: the interval cannot send, only the size can.
    const { instance } = tracker(through.url, { flushAtEvents: 5 });
    const userId = user();
    const ids = Array.from({ length: 4 }, (_, i) => instance.track('page_viewed', view(`/${i}`), { userId }));
    expect(through.requests).toHaveLength(0);
    expect(instance.stats()).toMatchObject({ tracked: 4, buffered: 4, calls: 0 });
    ids.push(instance.track('page_viewed', view('/4'), { userId }));
    await until(() => through.forwarded.length === 1, 'the size flush');
    expect(eventIdsOf(through.forwarded)).toHaveLength(5);
    expect(eventIdsOf(through.requests)).toEqual(ids);
    await instance.shutdown();
    // One call took all five: none went at four, and none was left over for shutdown to send.
    expect(through.requests).toHaveLength(1);
  });

  test('It should keep sending after a flush with nothing buffered', async () => {
    const through = await proxy();
    const { instance } = tracker(through.url);
    // Twice on an empty buffer: each must finish, and leave no pass behind it.
    await instance.flush();
    await instance.flush();
    const userId = user();
    const id = instance.track('page_viewed', view(), { userId });
    await instance.flush();
    expect(eventIdsOf(through.requests)).toEqual([id]);
    await instance.shutdown();
  });

  test('It should send single-event entries named by the event when asked', async () => {
    const through = await proxy();
    const { instance } = tracker(through.url, { entries: 'single' });
    const userId = user();
    instance.track('page_viewed', view(), { userId });
    instance.track('signed_up', { method: 'google' }, { userId });
    await instance.flush();
    expect(through.requests[0]!.Entries.map((entry) => entry.DetailType)).toEqual([
      'page_viewed',
      'signed_up',
    ]);
    await instance.shutdown();
  });

  test('It should fill entries up to 64 KB and calls up to 10 entries and 256 KB', async () => {
    const before = await acceptedSoFar();
    const through = await proxy();
    const { instance, errors } = tracker(through.url);
    const userId = user();
    for (let i = 0; i < 600; i++)
      instance.track('page_viewed', view(`/${i}/${'x'.repeat(1000)}`), { userId });
    await instance.shutdown();
    const entries = through.requests.flatMap((request) => request.Entries);
    for (const entry of entries)
      expect(
        utf8Bytes(entry.Source) + utf8Bytes(entry.DetailType) + utf8Bytes(entry.Detail),
      ).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    for (const request of through.requests) {
      expect(request.Entries.length).toBeLessThanOrEqual(10);
      // As EventBridge counts a call: its entries, not the JSON body.
      expect(request.Entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0)).toBeLessThanOrEqual(
        MAX_CALL_BYTES,
      );
    }
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(new Set(eventIdsOf(through.requests)).size).toBe(600);
    await until(async () => (await acceptedSoFar()) === before + 600, 'ingest of 600 events');
    expect(errors).toEqual([]);
  });

  test('It should retry throttled entries, 5xx answers and dropped connections until every event is in, exactly once', async () => {
    const before = await acceptedSoFar();
    const duplicatesBefore = runtime.totals.duplicates;
    const through = await proxy((call, request) =>
      call === 1
        ? failedEntries(request, 'ThrottlingException')
        : call === 2
          ? serverError
          : call === 3
            ? { kind: 'destroy' }
            : { kind: 'forward' },
    );
    const { instance, errors, time } = tracker(through.url);
    const userId = user();
    const ids = Array.from({ length: 7 }, (_, i) => instance.track('page_viewed', view(`/${i}`), { userId }));
    await instance.flush();
    expect(through.requests).toHaveLength(4);
    // A wait before each retry, below base x 2^n and the cap (5, 10, 20 ms with base 5 and cap 40).
    expect(time.waits.map((wait, n) => wait >= 0 && wait < Math.min(40, 5 * 2 ** n))).toEqual([
      true,
      true,
      true,
    ]);
    expect(eventIdsOf(through.forwarded)).toEqual(ids);
    expect(instance.stats()).toMatchObject({ tracked: 7, sent: 7, failed: 0, calls: 4 });
    await until(async () => (await acceptedSoFar()) === before + 7, 'ingest after retries');
    expect(runtime.totals.duplicates).toBe(duplicatesBefore);
    expect(errors).toEqual([]);
    await instance.shutdown();
  });

  test('It should resend only the entries that failed in a partly failed call', async () => {
    let first = true;
    const through = await proxy((_call, request) => {
      if (!first) return { kind: 'forward' };
      first = false;
      // The first entry throttled, the others refused for good: only the first comes back.
      return {
        kind: 'answer',
        status: 200,
        body: {
          FailedEntryCount: request.Entries.length,
          Entries: request.Entries.map((_, index) =>
            index === 0
              ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
              : { ErrorCode: 'MalformedDetail', ErrorMessage: 'injected' },
          ),
        },
      };
    });
    const { instance, errors, time } = tracker(through.url, { entries: 'single' });
    const userId = user();
    const ids = [1, 2, 3].map((i) => instance.track('page_viewed', view(`/${i}`), { userId }));
    await instance.flush();
    expect(through.requests.map((request) => request.Entries.length)).toEqual([3, 1]);
    expect(time.waits).toHaveLength(1);
    expect(eventIdsOf(through.forwarded)).toEqual([ids[0]]);
    expect(errors.map((error) => [error.code, error.events, error.errorCode])).toEqual([
      ['rejected', 2, 'MalformedDetail'],
    ]);
    await instance.shutdown();
  });

  test('It should give up after its attempts with backoff, report the events and never throw', async () => {
    const through = await proxy(() => serverError);
    const { instance, errors, time } = tracker(through.url, {
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 20 },
    });
    const userId = user();
    instance.track('page_viewed', view(), { userId });
    instance.track('page_viewed', view(), { userId });
    const startedAt = Date.now();
    await expect(instance.flush()).resolves.toBeUndefined();
    expect(through.requests).toHaveLength(3);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    // Three attempts, so two backoff waits, each a full-jitter draw below the 20 ms cap.
    expect(time.waits).toHaveLength(2);
    for (const wait of time.waits) {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(20);
    }
    expect(errors.map((error) => [error.code, error.events])).toEqual([['retries_exhausted', 2]]);
    expect(instance.stats()).toMatchObject({ sent: 0, failed: 2 });
    await instance.shutdown();
  });

  test('It should bound its buffer, drop the newest events and report how many', async () => {
    const before = await acceptedSoFar();
    const through = await proxy();
    const { instance, errors } = tracker(through.url, { maxBufferedEvents: 10, flushAtEvents: 1000 });
    const userId = user();
    const ids = Array.from({ length: 15 }, (_, i) =>
      instance.track('page_viewed', view(`/${i}`), { userId }),
    );
    expect(ids.slice(10)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    await instance.flush();
    expect(errors.map((error) => [error.code, error.events])).toEqual([['buffer_full', 5]]);
    expect(eventIdsOf(through.forwarded)).toEqual(ids.slice(0, 10));
    expect(instance.stats()).toMatchObject({ tracked: 10, dropped: 5, sent: 10 });
    await until(async () => (await acceptedSoFar()) === before + 10, 'ingest of the kept events');
    await instance.shutdown();
  });

  test('It should report bad calls, calls after shutdown and a throwing error handler without throwing at the app', async () => {
    const through = await proxy();
    const seen: string[] = [];
    const instance = createTracker<Demo>({
      source: 'app.web',
      endpoint: through.url,
      onError: (error) => {
        seen.push(error.code);
        throw new Error('a careless handler');
      },
    });
    const untyped = instance as unknown as { track: (...args: unknown[]) => unknown };
    expect(untyped.track('page_viewed', { path: '/' }, { userId: '' })).toBeUndefined();
    expect(untyped.track('page_viewed', { path: '/' }, undefined)).toBeUndefined();
    expect(instance.track('page_viewed', view('x'.repeat(70_000)), { userId: 'u' })).toBeUndefined();
    await instance.shutdown();
    expect(instance.track('page_viewed', view(), { userId: 'u' })).toBeUndefined();
    expect(seen).toEqual(['invalid_event', 'invalid_event', 'too_large', 'closed']);
    expect(through.requests).toHaveLength(0);
  });
});

describe('backoff', () => {
  test('It should wait a random time below base x 2^attempt, capped at the maximum (full jitter)', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy, () => 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    const delays = Array.from({ length: 200 }, () => backoffDelay(2, policy));
    expect(Math.max(...delays)).toBeLessThan(400);
    expect(new Set(delays).size).toBeGreaterThan(20);
  });
});
