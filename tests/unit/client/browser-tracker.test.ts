import { describe, expect, test } from 'vitest';
import { createBrowserTracker, type TrackerError } from '../../../client/browser.js';
import { judgeAnswer, retryAfterMs } from '../../../client/collector-sender.js';
import { failure, fakePage, ok, settle } from '../../support/fake-page.js';

const WRITE_KEY = 'web-key-7f3a9c21';
const HOST = 'https://collect.example.com';

function tracker(
  page: ReturnType<typeof fakePage>,
  options: Parameters<typeof createBrowserTracker>[0] | object = {},
) {
  const errors: TrackerError[] = [];
  const made = createBrowserTracker({
    writeKey: WRITE_KEY,
    host: HOST,
    environment: page.environment,
    onError: (error) => errors.push(error),
    ...options,
  });
  return { tracker: made, errors };
}

const trackMany = (made: ReturnType<typeof tracker>['tracker'], count: number, from = 0) =>
  Array.from({ length: count }, (_, index) => made.track('lesson_completed', { lesson: from + index })!);

describe('browser tracker: calls', () => {
  test('It should send Segment track calls with a messageId, the anonymous id, the time and the context', async () => {
    // Prepare
    const page = fakePage();
    const { tracker: made } = tracker(page, { context: { app: { name: 'web', version: '4.2.0' } } });

    // Act
    const eventId = made.track('signed_up', { method: 'email' });
    await made.flush();

    // Assess
    expect(page.posts).toHaveLength(1);
    const [body] = page.posts;
    expect(body).toMatchObject({ writeKey: WRITE_KEY, sentAt: '2026-11-25T10:00:00.000Z' });
    expect(body!.batch).toEqual([
      {
        type: 'track',
        event: 'signed_up',
        properties: { method: 'email' },
        messageId: eventId,
        anonymousId: made.anonymousId,
        timestamp: '2026-11-25T10:00:00.000Z',
        context: {
          library: { name: 'northstar-browser' },
          locale: 'en-GB',
          timezone: 'Europe/Berlin',
          app: { name: 'web', version: '4.2.0' },
        },
      },
    ]);
    expect(made.stats()).toMatchObject({ tracked: 1, sent: 1, buffered: 0, failed: 0, requests: 1 });
  });

  test('It should keep the anonymous id across page loads, carry the user id after identify, and forget it on reset', async () => {
    const page = fakePage();
    const first = tracker(page).tracker;
    const anonymousId = first.anonymousId;
    first.track('visited', {});
    first.identify('user-7', { plan: 'free' });
    first.track('lesson_completed', {}, { eventId: 'resent-1', occurredAt: '2026-11-25T09:59:00.000Z' });
    await first.flush();

    // A second load of the page finds both ids in storage.
    const second = tracker(page).tracker;
    second.track('visited', {});
    await second.flush();
    second.reset();
    second.track('visited', {});
    await second.flush();

    const calls = page.posts.flatMap((body) => body.batch);
    expect(calls.map(({ type, userId, anonymousId: id }) => ({ type, userId, id }))).toEqual([
      { type: 'track', userId: undefined, id: anonymousId },
      { type: 'identify', userId: 'user-7', id: anonymousId },
      { type: 'track', userId: 'user-7', id: anonymousId },
      { type: 'track', userId: 'user-7', id: anonymousId },
      { type: 'track', userId: undefined, id: second.anonymousId },
    ]);
    expect(second.anonymousId).not.toBe(anonymousId);
    expect(calls[1]).toMatchObject({ traits: { plan: 'free' } });
    expect(calls[2]).toMatchObject({ messageId: 'resent-1', timestamp: '2026-11-25T09:59:00.000Z' });
    expect(page.storage.get('northstar.userId')).toBeUndefined();
  });

  test('It should refuse a call over maxCallBytes and a call without a name, and report each', async () => {
    const page = fakePage();
    const { tracker: made, errors } = tracker(page, { maxCallBytes: 1024 });
    expect(made.track('visited', { note: 'x'.repeat(2000) })).toBeUndefined();
    expect(made.track('', {})).toBeUndefined();
    await made.flush();
    expect(errors.map((error) => error.code)).toEqual(['too_large', 'invalid_event']);
    expect(page.posts).toEqual([]);
    expect(made.stats()).toMatchObject({ tracked: 0, failed: 2 });
  });

  test('It should not take a host with a path, or no write key', () => {
    expect(() =>
      createBrowserTracker({ writeKey: WRITE_KEY, host: 'https://collect.example.com/v1' }),
    ).toThrow(TypeError);
    expect(() => createBrowserTracker({ writeKey: '', host: HOST })).toThrow(TypeError);
  });
});

describe('browser tracker: batching', () => {
  test('It should send at once when flushAtEvents calls wait, and no more than that in one request', async () => {
    const page = fakePage();
    const { tracker: made } = tracker(page, { flushAtEvents: 5 });
    trackMany(made, 4);
    await settle();
    expect(page.posts).toHaveLength(0);
    trackMany(made, 8, 4);
    await settle();
    // The fifth call makes a batch due; the next five go as soon as it is answered.
    expect(page.posts.map((body) => body.batch.length)).toEqual([5, 5]);
    await page.time.advance(2000);
    expect(page.posts.map((body) => body.batch.length)).toEqual([5, 5, 2]);
  });

  test('It should send a call once it has waited flushIntervalMs, counted from the oldest call', async () => {
    const page = fakePage();
    const { tracker: made } = tracker(page, { flushIntervalMs: 1000 });
    made.track('visited', {});
    await page.time.advance(600);
    made.track('visited', {});
    await page.time.advance(399);
    expect(page.posts).toHaveLength(0);
    await page.time.advance(1);
    expect(page.posts.map((body) => body.batch.length)).toEqual([2]);
    expect(page.time.waiting()).toEqual([]);
  });

  test('It should keep each request under maxBatchBytes', async () => {
    const page = fakePage();
    const { tracker: made } = tracker(page, { maxBatchBytes: 4000, flushAtEvents: 100 });
    for (let index = 0; index < 30; index++) made.track('visited', { note: 'y'.repeat(300) });
    await made.flush();
    expect(page.posts.length).toBeGreaterThan(2);
    for (const body of page.posts)
      expect(new TextEncoder().encode(JSON.stringify(body)).length).toBeLessThanOrEqual(4000);
    expect(page.posts.flatMap((body) => body.batch)).toHaveLength(30);
  });

  test('It should drop the newest calls once maxBufferedEvents wait, and report how many', async () => {
    const page = fakePage({ script: ['network'] });
    const { tracker: made, errors } = tracker(page, { maxBufferedEvents: 3, flushAtEvents: 3 });
    const ids = trackMany(made, 5);
    expect(ids.slice(3)).toEqual([undefined, undefined]);
    await page.time.advance(60_000);
    expect(errors.map((error) => [error.code, error.events])).toEqual([['buffer_full', 2]]);
    expect(made.stats()).toMatchObject({ dropped: 2, sent: 3 });
  });
});

describe('browser tracker: retries', () => {
  test('It should send the very same calls again after a network error and a 5xx, with growing waits', async () => {
    // Prepare: two failures, then the collector takes the batch.
    const page = fakePage({ script: ['network', failure(503, 'unavailable')] });
    const { tracker: made, errors } = tracker(page, { retry: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    const ids = trackMany(made, 3);

    // Act
    const flushed = made.flush();
    await settle();
    // The first failure waits random x base (random is 0.5 here), the next doubles.
    expect(page.time.waiting()).toEqual([500]);
    await page.time.advance(500);
    expect(page.time.waiting()).toEqual([1000]);
    await page.time.advance(1000);
    await flushed;

    // Assess: three requests, each with the same messageIds; nothing reported.
    expect(page.posts.map(page.messageIds)).toEqual([ids, ids, ids]);
    expect(errors).toEqual([]);
    expect(made.stats()).toMatchObject({ sent: 3, requests: 3, failed: 0 });
  });

  test('It should wait what Retry-After says on 429 and not count it among the attempts', async () => {
    const page = fakePage({
      script: [failure(429, 'rate_limited', '3'), failure(429, 'rate_limited', '3'), 'network'],
    });
    const { tracker: made, errors } = tracker(page, { retry: { maxAttempts: 2, baseDelayMs: 100 } });
    const ids = trackMany(made, 2);
    void made.flush();
    await settle();
    expect(page.time.waiting()).toEqual([3000]);
    await page.time.advance(2999);
    expect(page.posts).toHaveLength(1);
    await page.time.advance(1);
    expect(page.posts).toHaveLength(2);
    await page.time.advance(3000);
    // Two 429s and one network error are one failed attempt of two: the fourth request is taken.
    await page.time.advance(100);
    expect(page.posts.map(page.messageIds)).toEqual([ids, ids, ids, ids]);
    expect(errors).toEqual([]);
    expect(made.stats().sent).toBe(2);
  });

  test('It should never send again a batch answered with a 4xx other than 429, and report the collector code', async () => {
    for (const [status, code] of [
      [400, 'invalid_json'],
      [401, 'invalid_write_key'],
      [403, 'forbidden_origin'],
      [413, 'payload_too_large'],
    ] as const) {
      const page = fakePage({ script: [failure(status, code)] });
      const { tracker: made, errors } = tracker(page);
      trackMany(made, 2);
      await made.flush();
      await page.time.advance(120_000);
      expect(page.posts).toHaveLength(1);
      expect(errors.map((error) => [error.code, error.errorCode, error.events])).toEqual([
        ['rejected', code, 2],
      ]);
      expect(made.stats()).toMatchObject({ sent: 0, failed: 2, buffered: 0 });
    }
  });

  test('It should give up after maxAttempts failed attempts and report the calls, then go on with the next', async () => {
    const page = fakePage({ script: ['network', failure(500, 'unavailable'), failure(502, 'bad_gateway')] });
    const { tracker: made, errors } = tracker(page, {
      retry: { maxAttempts: 3, baseDelayMs: 10 },
      flushAtEvents: 2,
    });
    trackMany(made, 2);
    await page.time.advance(1000);
    trackMany(made, 2, 2);
    await made.flush();
    expect(errors.map((error) => [error.code, error.events])).toEqual([['retries_exhausted', 2]]);
    expect(page.posts.map((body) => body.batch.length)).toEqual([2, 2, 2, 2]);
    expect(made.stats()).toMatchObject({ sent: 2, failed: 2 });
  });

  test('It should report the calls a 200 answer lists as refused, and count the others sent', async () => {
    const page = fakePage({
      script: [
        ok({ success: true, refused: [{ index: 1, reason: 'a call needs a userId or an anonymousId' }] }),
      ],
    });
    const { tracker: made, errors } = tracker(page);
    trackMany(made, 3);
    await made.flush();
    expect(errors.map((error) => [error.code, error.events])).toEqual([['rejected', 1]]);
    expect(made.stats()).toMatchObject({ sent: 2, failed: 1 });
  });

  test('It should read Retry-After as seconds or an HTTP date, and judge answers by status', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Wed, 25 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(judgeAnswer(ok(), now).kind).toBe('taken');
    expect(judgeAnswer(failure(503, 'unavailable'), now)).toMatchObject({ kind: 'retry', counted: true });
    expect(judgeAnswer(failure(429, 'busy', '1'), now)).toMatchObject({
      kind: 'retry',
      counted: false,
      waitMs: 1000,
    });
    expect(judgeAnswer(failure(408, 'timeout'), now)).toMatchObject({
      kind: 'refused',
      errorCode: 'timeout',
    });
  });
});

describe('browser tracker: page hidden', () => {
  test('It should hand every unanswered call to sendBeacon when the page is hidden: queued, waiting for a retry and in flight', async () => {
    // Prepare: the first request fails and waits; the second stays unanswered while the page hides.
    let answer: (value: ReturnType<typeof ok>) => void = () => {};
    const hanging = new Promise<ReturnType<typeof ok>>((resolve) => (answer = resolve));
    const page = fakePage({ script: ['network', hanging] });
    const { tracker: made } = tracker(page, { flushAtEvents: 2, retry: { baseDelayMs: 1000 } });
    const ids = trackMany(made, 2);
    await settle();
    await page.time.advance(1000);
    expect(page.posts).toHaveLength(2); // the retry, now in flight
    const later = trackMany(made, 1, 2);

    // Act
    page.hide();

    // Assess: one beacon with all three, the write key inside (a beacon sends no headers).
    expect(page.beacons).toHaveLength(1);
    expect(page.beacons[0]!.url).toBe(`${HOST}/v1/batch`);
    expect(page.beacons[0]!.body.writeKey).toBe(WRITE_KEY);
    expect(page.messageIds(page.beacons[0]!.body)).toEqual([...ids, ...later]);
    expect(made.stats()).toMatchObject({ beaconed: 3, buffered: 0 });
    // The request in flight then fails: its calls went by beacon, so nothing is sent again.
    answer(failure(503, 'unavailable'));
    await page.time.advance(120_000);
    expect(page.posts).toHaveLength(2);
    page.window.dispatch('pagehide');
    expect(page.beacons).toHaveLength(1);
  });

  test('It should split beacons at 60,000 bytes and keep what the browser refuses for when the page comes back', async () => {
    let accepted = 0;
    const page = fakePage({ beaconAccepts: () => ++accepted <= 2 });
    const { tracker: made } = tracker(page, {
      flushAtEvents: 1000,
      flushIntervalMs: 60_000,
      maxBatchBytes: 500_000,
    });
    // Nothing is due before the page hides.
    for (let index = 0; index < 300; index++) made.track('visited', { note: 'z'.repeat(400) });
    await settle();
    expect(page.posts).toEqual([]);
    page.window.dispatch('pagehide');
    expect(page.beacons).toHaveLength(2);
    for (const beacon of page.beacons) expect(beacon.bytes).toBeLessThanOrEqual(60_000);
    const beaconed = page.beacons.reduce((sum, beacon) => sum + beacon.body.batch.length, 0);
    expect(made.stats()).toMatchObject({ beaconed, buffered: 300 - beaconed });
    // Back on the page: what stayed goes by fetch as usual.
    await made.flush();
    expect(page.posts.reduce((sum, body) => sum + body.batch.length, 0)).toBe(300 - beaconed);
  });

  test('It should stop listening on close(), beaconing what is left, and report later calls', async () => {
    const page = fakePage();
    const { tracker: made, errors } = tracker(page);
    made.track('visited', {});
    expect(page.document.count('visibilitychange')).toBe(1);
    made.close();
    expect(page.document.count('visibilitychange')).toBe(0);
    expect(page.window.count('pagehide')).toBe(0);
    expect(page.beacons).toHaveLength(1);
    made.track('visited', {});
    expect(errors.map((error) => error.code)).toEqual(['closed']);
  });
});
