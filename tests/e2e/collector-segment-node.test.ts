import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import type { WriteKeys } from '../../shared/domain/config/schema.js';
import {
  basicAuth,
  collectorProductConfig,
  distinctEvents,
  numbersAgainstReference,
  type SourcedEvent,
} from '../support/collector-product.js';

const WEB_KEY = 'web-key-7f3a9c21';
const REVOKED_KEY = 'old-key-5d2e8b04';
const BURST_KEY = 'burst-key-91c4e6aa';
const LISTED_ORIGIN = 'http://app.example.test';
const MINUTE = 60_000;
const KEYS: WriteKeys = {
  [WEB_KEY]: { source: 'app.web' },
  [REVOKED_KEY]: { source: 'app.legacy' },
  // Ten events at once, then twenty a second: the SDK's batches of 15 go past it at once.
  [BURST_KEY]: { source: 'app.server', rateLimit: { eventsPerSecond: 20, burst: 10 } },
};

let dir: string;
let keysFile: string;
let runtime: Runtime;
/** Every event an answer of 200 took, duplicates included: the counters must be the reference of these. */
const taken: SourcedEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-collector-'));
  keysFile = join(dir, 'write-keys.json');
  await writeFile(keysFile, JSON.stringify(KEYS));
  const config = collectorProductConfig({ writeKeysFile: keysFile, allowedOrigins: [LISTED_ORIGIN] });
  // With a data directory: an answer of 200 means the entries are in the archive.
  runtime = await startRuntime({ config, port: 0, dataDir: join(dir, 'data'), recomputeEveryMs: 0 });
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The real client, unchanged but for its host and write key; every answer it gets is recorded. */
function segmentClient(writeKey: string) {
  const analytics = new Analytics({ writeKey, host: runtime.url });
  const answers: { status: number; retryAfter?: string }[] = [];
  const failures: unknown[] = [];
  analytics.on('http_response', (response) =>
    answers.push({
      status: response.status,
      ...(response.headers['retry-after'] ? { retryAfter: response.headers['retry-after'] } : {}),
    }),
  );
  analytics.on('error', (error) => failures.push(error));
  return { analytics, answers, failures };
}

/** After drain and a recompute: the store's counters and the read API's metric numbers equal the reference's. */
async function expectReferenceNumbers(): Promise<void> {
  const { counters, reference, charted, differing } = await numbersAgainstReference(runtime, taken);
  expect(counters).toEqual(reference);
  expect(charted).toBeGreaterThan(0);
  expect(differing).toEqual([]);
}

/**
 * Twelve users over the last three days: anonymous visits, identify, sign-ups and lessons
 * under their user id, a visit after sign-up; one call in four sent again with its messageId.
 * Times sit 30 s past a minute, so no call lies near a period's edge.
 */
function generatedStream(now: number) {
  const start = Math.floor((now - 3 * 24 * 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE + 30_000;
  type Call =
    | { kind: 'page'; anonymousId?: string; userId?: string; messageId: string; at: number }
    | { kind: 'identify'; anonymousId: string; userId: string; messageId: string; at: number }
    | { kind: 'track'; event: string; userId: string; messageId: string; at: number };
  const calls: Call[] = [];
  for (let user = 0; user < 12; user++) {
    const userId = `user-${user}`;
    const anonymousId = `anon-${user}`;
    const t0 = start + user * 5 * 60 * MINUTE + (user % 4) * 13 * MINUTE;
    calls.push({ kind: 'page', anonymousId, messageId: `p1-${user}`, at: t0 });
    if (user % 3 !== 0)
      calls.push({ kind: 'page', anonymousId, messageId: `p2-${user}`, at: t0 + 5 * MINUTE });
    if (user % 4 === 3) continue; // a visitor who never signs up
    calls.push({ kind: 'identify', anonymousId, userId, messageId: `i-${user}`, at: t0 + 10 * MINUTE });
    calls.push({ kind: 'track', event: 'Signed Up', userId, messageId: `s-${user}`, at: t0 + 11 * MINUTE });
    if (user % 2 === 0)
      calls.push({
        kind: 'track',
        event: 'Lesson Completed',
        userId,
        messageId: `l-${user}`,
        at: t0 + 30 * MINUTE,
      });
    calls.push({ kind: 'page', userId, messageId: `p3-${user}`, at: t0 + 40 * MINUTE });
  }
  calls.push({
    kind: 'track',
    event: 'Video Played',
    userId: 'user-1',
    messageId: 'v-1',
    at: start + 90 * MINUTE,
  });
  const resent = calls.filter((_, index) => index % 4 === 1);
  return [...calls, ...resent];
}

describe('collector with the real @segment/analytics-node', () => {
  test('It should count a generated stream of track, page and identify calls with duplicates exactly, in the counters and the read API', async () => {
    // Prepare
    const { analytics, answers, failures } = segmentClient(WEB_KEY);
    const stream = generatedStream(Date.now());

    // Act
    for (const call of stream) {
      const timestamp = new Date(call.at);
      if (call.kind === 'page')
        analytics.page({
          ...(call.userId ? { userId: call.userId } : { anonymousId: call.anonymousId! }),
          name: 'Pricing',
          properties: { path: '/pricing' },
          messageId: call.messageId,
          timestamp,
        });
      else if (call.kind === 'identify')
        analytics.identify({
          userId: call.userId,
          anonymousId: call.anonymousId,
          traits: { plan: 'free' },
          messageId: call.messageId,
          timestamp,
        });
      else
        analytics.track({
          userId: call.userId,
          event: call.event,
          properties: { courseId: 'c1' },
          messageId: call.messageId,
          timestamp,
        });
    }
    await analytics.closeAndFlush();

    // Assess: before identify a visitor counts under the anonymousId, after it under the user id.
    expect(failures).toEqual([]);
    expect(answers.length).toBeGreaterThan(1);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const names: Record<string, string> = {
      'Signed Up': 'signed_up',
      'Lesson Completed': 'lesson_completed',
    };
    for (const call of stream) {
      if (call.kind === 'identify' || call.messageId === 'v-1') continue;
      taken.push({
        source: 'app.web',
        name: call.kind === 'page' ? 'visited' : names[call.event]!,
        eventId: call.messageId,
        userId: call.kind === 'page' ? (call.userId ?? call.anonymousId!) : call.userId,
        occurredAt: new Date(call.at).toISOString(),
      });
    }
    await expectReferenceNumbers();
    // Each resent call was answered once and is a plain duplicate: no retry changed its time.
    expect(runtime.totals.duplicates).toBe(taken.length - distinctEvents(taken).length);
    expect(runtime.totals.duplicates).toBeGreaterThan(0);
    // The event the tracking plan does not know is quarantined with its reason each time it came, not counted.
    expect(runtime.totals.quarantined).toBe(stream.filter((call) => call.messageId === 'v-1').length);
    const today = new Date().toISOString().slice(0, 10);
    const [quarantined] = await runtime.stores.quarantine.listQuarantine(today);
    expect(quarantined).toMatchObject({ reason: 'unknown_event', eventId: 'v-1', source: 'app.web' });
  });

  test('It should count the anonymous calls of an identified visitor under the user from the identify on, and the earlier ones under the anonymous id, however late they come', async () => {
    // Prepare: a visitor browses, identifies and signs up (one app); later a server sends
    // calls with the anonymous id alone, among them a resend of a visit from before the
    // identify, and an identify of the same anonymous id to another user.
    const hour = 60 * MINUTE;
    const t0 = Math.floor((Date.now() - 4 * hour) / hour) * hour + 30_000;
    const anonymousId = 'anon-forward-1';
    const userId = 'user-forward-1';
    const at = (minutes: number) => new Date(t0 + minutes * MINUTE);
    const visit = (messageId: string, minutes: number, id = anonymousId) => ({
      anonymousId: id,
      name: 'Pricing',
      properties: { path: '/pricing' },
      messageId,
      timestamp: at(minutes),
    });
    const app = segmentClient(WEB_KEY);
    const server = segmentClient(WEB_KEY);
    const duplicatesBefore = runtime.totals.duplicates;

    // Act: the app's calls go in one batch, so its identify links its later calls in the same batch.
    app.analytics.page(visit('fwd-p1', 0));
    app.analytics.page(visit('fwd-p2', 5));
    app.analytics.identify({
      anonymousId,
      userId,
      traits: { plan: 'free' },
      messageId: 'fwd-i1',
      timestamp: at(10),
    });
    app.analytics.track({
      userId,
      event: 'Signed Up',
      properties: { courseId: 'c1' },
      messageId: 'fwd-s1',
      timestamp: at(11),
    });
    app.analytics.page(visit('fwd-p3', 15));
    await app.analytics.closeAndFlush();
    server.analytics.identify({
      anonymousId,
      userId: 'user-forward-2',
      messageId: 'fwd-i2',
      timestamp: at(18),
    });
    server.analytics.track({
      anonymousId,
      event: 'Lesson Completed',
      properties: { courseId: 'c1' },
      messageId: 'fwd-l1',
      timestamp: at(20),
    });
    server.analytics.page(visit('fwd-p4', 25));
    server.analytics.page(visit('fwd-p1', 0));
    server.analytics.page(visit('fwd-p5', 25, 'anon-forward-9'));
    await server.analytics.closeAndFlush();

    // Assess: before the identify under the anonymous id, from it on under the first user it named.
    expect([...app.failures, ...server.failures]).toEqual([]);
    expect(app.answers).toHaveLength(1);
    expect([...app.answers, ...server.answers].every((answer) => answer.status === 200)).toBe(true);
    const expected: [string, string, string, number][] = [
      ['visited', 'fwd-p1', anonymousId, 0],
      ['visited', 'fwd-p2', anonymousId, 5],
      ['signed_up', 'fwd-s1', userId, 11],
      ['visited', 'fwd-p3', userId, 15],
      ['lesson_completed', 'fwd-l1', userId, 20],
      ['visited', 'fwd-p4', userId, 25],
      // The resend of the first visit: the same event again, under the same anonymous id.
      ['visited', 'fwd-p1', anonymousId, 0],
      // An anonymous id no identify linked stays anonymous.
      ['visited', 'fwd-p5', 'anon-forward-9', 25],
    ];
    for (const [name, eventId, user, minutes] of expected)
      taken.push({ source: 'app.web', name, eventId, userId: user, occurredAt: at(minutes).toISOString() });
    await expectReferenceNumbers();
    expect(runtime.totals.duplicates - duplicatesBefore).toBe(1);
    // The second identify linked nothing: no event counts under the user it named.
    expect([...(await runtime.stores.users.getUsers([userId, 'user-forward-2'])).keys()]).toEqual([userId]);
  });

  test('It should refuse a wrong key, a missing key and a revoked key with 401, and count nothing of theirs', async () => {
    // Prepare: the revoked key works until it is taken out of the keys file.
    const before = segmentClient(REVOKED_KEY);
    const at = new Date(Date.now() - 2 * MINUTE);
    before.analytics.track({
      userId: 'legacy-1',
      event: 'Signed Up',
      messageId: 'legacy-s-1',
      timestamp: at,
    });
    await before.analytics.closeAndFlush();
    expect(before.answers.map((answer) => answer.status)).toEqual([200]);
    taken.push({
      source: 'app.legacy',
      name: 'signed_up',
      eventId: 'legacy-s-1',
      userId: 'legacy-1',
      occurredAt: at.toISOString(),
    });
    const { [REVOKED_KEY]: _revoked, ...kept } = KEYS;

    // Act: revoke it, without a restart.
    await writeFile(keysFile, JSON.stringify(kept));
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${runtime.url}/v1/track`, { method: 'POST', headers, body: JSON.stringify(body) });
    const call = {
      event: 'Signed Up',
      userId: 'legacy-2',
      messageId: 'legacy-s-2',
      timestamp: at.toISOString(),
    };
    // Polled: the collector reads the file again at most once a second.
    let revoked = await post({ authorization: basicAuth(REVOKED_KEY) }, call);
    for (const deadline = Date.now() + 5000; revoked.status === 200 && Date.now() < deadline; ) {
      // Taken while the old file was still in use: counted, as its answer said.
      taken.push({
        source: 'app.legacy',
        name: 'signed_up',
        userId: 'legacy-2',
        eventId: 'legacy-s-2',
        occurredAt: call.timestamp,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      revoked = await post({ authorization: basicAuth(REVOKED_KEY) }, call);
    }
    const wrong = segmentClient('not-a-write-key');
    wrong.analytics.track({ userId: 'x-1', event: 'Signed Up', messageId: 'wrong-1' });
    await wrong.analytics.closeAndFlush();
    const after = segmentClient(REVOKED_KEY);
    after.analytics.track({ userId: 'legacy-3', event: 'Signed Up', messageId: 'legacy-s-3' });
    await after.analytics.closeAndFlush();
    const missing = await post({}, call);
    const inBody = await post({}, { ...call, writeKey: 'not-a-write-key' });

    // Assess
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({
      error: { code: 'invalid_write_key', message: 'the write key is not known here: wrong, or revoked' },
    });
    expect(wrong.answers.map((answer) => answer.status)).toEqual([401]);
    expect(wrong.failures).toHaveLength(1);
    expect(after.answers.map((answer) => answer.status)).toEqual([401]);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('missing_write_key');
    expect(inBody.status).toBe(401);
    await expectReferenceNumbers();
  });

  test('It should refuse an over-size body with 413, and an over-size call inside a batch in its place', async () => {
    // Prepare
    const at = new Date(Date.now() - MINUTE).toISOString();
    const small = {
      type: 'track',
      event: 'Signed Up',
      userId: 'size-1',
      messageId: 'size-s-1',
      timestamp: at,
    };
    const big = {
      ...small,
      userId: 'size-2',
      messageId: 'size-s-2',
      properties: { note: 'x'.repeat(40_000) },
    };
    const headers = { authorization: basicAuth(WEB_KEY), 'content-type': 'application/json' };
    const post = (path: string, body: unknown) =>
      fetch(`${runtime.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

    // Act
    const hugeBatch = await post('/v1/batch', {
      batch: Array.from({ length: 14 }, (_, i) => ({ ...big, messageId: `huge-${i}` })),
    });
    const bigCall = await post('/v1/track', big);
    const mixed = await post('/v1/batch', { batch: [small, big] });

    // Assess
    expect(hugeBatch.status).toBe(413);
    expect(((await hugeBatch.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect(bigCall.status).toBe(413);
    expect(await bigCall.json()).toEqual({
      error: { code: 'payload_too_large', message: 'the body is over 32768 bytes, the most a call may be' },
    });
    expect(mixed.status).toBe(200);
    expect(await mixed.json()).toEqual({
      success: true,
      refused: [{ index: 1, messageId: 'size-s-2', reason: 'the call is over 32768 bytes' }],
    });
    taken.push({
      source: 'app.web',
      name: 'signed_up',
      eventId: 'size-s-1',
      userId: 'size-1',
      occurredAt: at,
    });
    await expectReferenceNumbers();
  });

  test('It should answer a burst past the rate limit 429 with Retry-After, and lose nothing once the SDK retried', async () => {
    // Prepare
    const { analytics, answers, failures } = segmentClient(BURST_KEY);
    const now = Date.now();
    const events = Array.from({ length: 60 }, (_, i) => ({
      userId: `burst-${i % 7}`,
      event: i % 3 === 0 ? 'Lesson Completed' : 'Signed Up',
      messageId: `burst-${i}`,
      timestamp: new Date(now - (i + 1) * MINUTE - 30_000),
    }));

    // Act
    for (const event of events) analytics.track(event);
    await analytics.closeAndFlush();

    // Assess
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
    expect(answers.at(-1)?.status).toBe(200);
    expect(failures).toEqual([]);
    for (const event of events)
      taken.push({
        source: 'app.server',
        name: event.event === 'Signed Up' ? 'signed_up' : 'lesson_completed',
        eventId: event.messageId,
        userId: event.userId,
        occurredAt: event.timestamp.toISOString(),
      });
    await expectReferenceNumbers();
  });

  test('It should grant a CORS preflight from a listed origin and refuse one, and its calls, from any other', async () => {
    // Prepare
    const preflight = (origin: string) =>
      fetch(`${runtime.url}/v1/batch`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const call = {
      writeKey: WEB_KEY,
      event: 'Signed Up',
      userId: 'cors-1',
      messageId: 'cors-s-1',
      timestamp: new Date(Date.now() - MINUTE).toISOString(),
    };
    const send = (origin: string) =>
      fetch(`${runtime.url}/v1/track`, {
        method: 'POST',
        headers: { origin, 'content-type': 'text/plain' },
        body: JSON.stringify(call),
      });

    // Act
    const listed = await preflight(LISTED_ORIGIN);
    const unlisted = await preflight('http://elsewhere.example.test');
    const refusedCall = await send('http://elsewhere.example.test');
    const takenCall = await send(LISTED_ORIGIN);

    // Assess
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
    expect(listed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(listed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(unlisted.status).toBe(403);
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await unlisted.json()) as { error: { code: string } }).error.code).toBe('forbidden_origin');
    expect(refusedCall.status).toBe(403);
    expect(takenCall.status).toBe(200);
    expect(takenCall.headers.get('access-control-allow-origin')).toBe(LISTED_ORIGIN);
    expect(takenCall.headers.get('access-control-expose-headers')).toContain('Retry-After');
    taken.push({
      source: 'app.web',
      name: 'signed_up',
      eventId: 'cors-s-1',
      userId: 'cors-1',
      occurredAt: call.timestamp,
    });
    await expectReferenceNumbers();
  });
});
