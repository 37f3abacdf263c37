import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { BATCH_DETAIL_TYPE } from '../../../client/pack-entries.js';
import { createCollector } from '../../../local/collector.js';
import type { PutEventsAnswer, PutEventsCall } from '../../../local/event-bus.js';
import { CollectorSettings } from '../../../shared/domain/config/schema.js';
import type { IdentityLinks } from '../../../shared/ports/identity-links.js';
import { memoryIdentityLinks } from '../../support/memory-identity-links.js';

const KEY = 'unit-key-0001';
const RECEIVED = Date.parse('2026-12-02T10:00:00.000Z');
const auth = { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` };
const ok = (entries: unknown): PutEventsAnswer => ({
  status: 200,
  body: { FailedEntryCount: 0, Entries: (entries as unknown[]).map((_, i) => ({ EventId: `e${i}` })) },
});

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** The collector on a port of its own, with a PutEvents the test plays. */
async function collectorWith(
  putEvents: PutEventsCall,
  fields: Record<string, unknown> = {},
  identityLinks: IdentityLinks = memoryIdentityLinks(),
): Promise<string> {
  const handler = await createCollector({
    settings: CollectorSettings.parse({
      writeKeys: { [KEY]: { source: 'app.web' } },
      names: { 'Signed Up': 'signed_up', page: 'visited' },
      ...fields,
    }),
    maxEventBytes: 16_384,
    putEvents,
    identityLinks,
    clock: () => RECEIVED,
  });
  server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const track = (messageId: string, userId: string) => ({
  type: 'track',
  event: 'Signed Up',
  messageId,
  userId,
  timestamp: '2026-12-02T09:00:00.000Z',
});

describe('collector', () => {
  test('It should pack many users of a batch into batch entries of the key source, names mapped, messageId as eventId', async () => {
    // Prepare
    const calls: unknown[] = [];
    const url = await collectorWith(async (entries) => {
      calls.push(entries);
      return ok(entries);
    });

    // Act
    const answer = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        batch: [
          track('m1', 'ann'),
          track('m2', 'bob'),
          { type: 'page', messageId: 'm3', anonymousId: 'anon-1', timestamp: '2026-12-02T09:30:00.000Z' },
          { type: 'identify', userId: 'ann', anonymousId: 'anon-1', messageId: 'm4' },
        ],
      }),
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ success: true });
    expect(calls).toHaveLength(1);
    const [entry, ...others] = calls[0] as { Source: string; DetailType: string; Detail: string }[];
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ Source: 'app.web', DetailType: BATCH_DETAIL_TYPE });
    expect(
      JSON.parse(entry!.Detail).events.map((event: Record<string, string>) => [
        event.name,
        event.eventId,
        event.userId,
      ]),
    ).toEqual([
      ['signed_up', 'm1', 'ann'],
      ['signed_up', 'm2', 'bob'],
      ['visited', 'm3', 'anon-1'],
    ]);
  });

  test('It should answer a call only once PutEvents took its entries', async () => {
    // Prepare
    let release: (() => void) | undefined;
    const url = await collectorWith(
      (entries) => new Promise((resolve) => (release = () => resolve(ok(entries)))),
    );
    let answered = false;

    // Act
    const answer = fetch(`${url}/v1/track`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(track('m1', 'ann')),
    }).then((response) => {
      answered = true;
      return response;
    });
    for (let i = 0; i < 50 && !release; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = answered;
    release?.();

    // Assess
    expect(release, 'PutEvents was called').toBeDefined();
    expect(before).toBe(false);
    expect((await answer).status).toBe(200);
  });

  test('It should answer 503 when taking fails and 429 when the pipeline pushes back, so the SDK sends again', async () => {
    const failing = await collectorWith(async () => {
      throw new Error('disk full');
    });
    const refused = await fetch(`${failing}/v1/t`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(track('m1', 'ann')),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    await new Promise((resolve) => server?.close(resolve));

    const busy = await collectorWith(async () => ({
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
    }));
    const pushedBack = await fetch(`${busy}/v1/t`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(track('m1', 'ann')),
    });
    expect(pushedBack.status).toBe(429);
    expect(pushedBack.headers.get('retry-after')).toBe('1');
    expect(((await pushedBack.json()) as { error: { code: string } }).error.code).toBe('busy');
  });

  test('It should refuse what it cannot take with a JSON error naming why', async () => {
    const put: unknown[] = [];
    const url = await collectorWith(async (entries) => {
      put.push(entries);
      return ok(entries);
    });
    const post = (path: string, body: string, headers: Record<string, string> = auth) =>
      fetch(`${url}${path}`, { method: 'POST', headers, body });
    const errorOf = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: { code: string } }).error.code,
    ];

    expect(await errorOf(await post('/v1/teleport', '{}'))).toEqual([404, 'not_found']);
    expect(await errorOf(await fetch(`${url}/v1/track`, { headers: auth }))).toEqual([
      405,
      'method_not_allowed',
    ]);
    expect(await errorOf(await post('/v1/track', '{"event": '))).toEqual([400, 'invalid_json']);
    expect(await errorOf(await post('/v1/batch', '{"batch": {}}'))).toEqual([400, 'invalid_batch']);
    expect(await errorOf(await post('/v1/track', '{}', { ...auth, 'content-encoding': 'gzip' }))).toEqual([
      415,
      'unsupported_encoding',
    ]);
    const none = await post(
      '/v1/batch',
      JSON.stringify({ batch: [{ type: 'track', event: 'Signed Up', userId: 'ann' }] }),
    );
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({
      error: {
        code: 'invalid_calls',
        message: 'no call was taken: messageId is required: it is the event id that makes retries count once',
        refused: [
          { index: 0, reason: 'messageId is required: it is the event id that makes retries count once' },
        ],
      },
    });
    // A screen the name map does not name, an identify, a group: taken, and no event.
    for (const [path, body] of [
      ['/v1/s', { messageId: 's1', userId: 'ann', name: 'Home' }],
      ['/v1/identify', { messageId: 'i1', userId: 'ann', anonymousId: 'anon-1' }],
      ['/v1/group', { messageId: 'g1', userId: 'ann', groupId: 'team' }],
    ] as const)
      expect((await post(path, JSON.stringify(body))).status).toBe(200);
    expect(put).toEqual([]);
  });

  test('It should refuse in its place a call whose event is over the pipeline limit, which ingest would quarantine', async () => {
    const put: string[] = [];
    const url = await collectorWith(async (entries) => {
      for (const entry of entries as { Detail: string }[])
        put.push(...JSON.parse(entry.Detail).events.map((e: { eventId: string }) => e.eventId));
      return ok(entries);
    });
    // Under the call limit (32 KB), over the event limit (16 KB).
    const large = { ...track('large-1', 'ann'), properties: { note: 'x'.repeat(20_000) } };

    const answer = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ batch: [track('small-1', 'ann'), large] }),
    });

    expect(answer.status).toBe(200);
    const { refused } = (await answer.json()) as {
      refused: { index: number; messageId: string; reason: string }[];
    };
    expect(refused).toEqual([
      {
        index: 1,
        messageId: 'large-1',
        reason: expect.stringMatching(
          /^the event is 20\d{3} bytes, over the pipeline's limit of 16384 \(ingest\.maxEventBytes\)$/,
        ),
      },
    ]);
    expect(put).toEqual(['small-1']);
  });

  test("It should keep the device's time when its clock is within the tolerance, and correct it past that", async () => {
    const details: string[] = [];
    const url = await collectorWith(async (entries) => {
      details.push(...(entries as { Detail: string }[]).map((entry) => entry.Detail));
      return ok(entries);
    });
    const send = (sentAt: string) =>
      fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ batch: [track('m1', 'ann')], sentAt }),
      });
    await send('2026-12-02T10:00:04.000Z'); // 4 s off: within the default 10 s
    await send('2026-12-02T11:00:00.000Z'); // an hour ahead
    expect(details.map((detail) => JSON.parse(detail).events[0].occurredAt)).toEqual([
      '2026-12-02T09:00:00.000Z',
      '2026-12-02T08:00:00.000Z',
    ]);
  });

  test('It should send the calls of an identified anonymous id under its user from the identify on, and the same on every retry', async () => {
    // Prepare
    const sent: { eventId: string; userId: string; context?: Record<string, unknown> }[] = [];
    const url = await collectorWith(async (entries) => {
      for (const entry of entries as { Detail: string }[]) sent.push(...JSON.parse(entry.Detail).events);
      return ok(entries);
    });
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    const page = (messageId: string, timestamp: string) => ({
      type: 'page',
      messageId,
      anonymousId: 'anon-1',
      timestamp,
    });
    const identify = (userId: string, timestamp: string) => ({
      type: 'identify',
      messageId: `i-${userId}`,
      anonymousId: 'anon-1',
      userId,
      timestamp,
    });
    const visit = {
      batch: [page('p1', '2026-12-02T09:00:00.000Z'), identify('ann', '2026-12-02T09:10:00.000Z')],
    };

    // Act: a visit and the identify, sent twice (a retry); later visits under the anonymous id
    // alone, one after an identify of the same anonymous id to another user.
    const answers = [
      await post('/v1/batch', visit),
      await post('/v1/batch', visit),
      await post('/v1/page', page('p2', '2026-12-02T09:20:00.000Z')),
      await post('/v1/identify', identify('bob', '2026-12-02T09:25:00.000Z')),
      await post('/v1/page', page('p3', '2026-12-02T09:30:00.000Z')),
    ];

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(sent.map(({ eventId, userId, context }) => [eventId, userId, context?.anonymousId])).toEqual([
      ['p1', 'anon-1', undefined],
      ['p1', 'anon-1', undefined],
      ['p2', 'ann', 'anon-1'],
      ['p3', 'ann', 'anon-1'],
    ]);
  });

  test('It should answer 503 when the identify links cannot be read, so the SDK sends the calls again', async () => {
    // Prepare
    const put: unknown[] = [];
    const down: IdentityLinks = {
      linkAnonymous: async () => Promise.reject(new Error('injected: the table cannot be reached')),
      linksFor: async () => Promise.reject(new Error('injected: the table cannot be reached')),
    };
    const url = await collectorWith(
      async (entries) => {
        put.push(entries);
        return ok(entries);
      },
      {},
      down,
    );
    const post = (body: unknown) =>
      fetch(`${url}/v1/batch`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

    // Act
    const anonymous = await post({
      batch: [
        { type: 'page', messageId: 'p1', anonymousId: 'anon-1', timestamp: '2026-12-02T09:00:00.000Z' },
      ],
    });
    const known = await post({ batch: [track('m1', 'ann')] });

    // Assess: calls that carry their user id need no link, and are taken.
    expect(anonymous.status).toBe(503);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect(known.status).toBe(200);
    expect(put).toHaveLength(1);
  });
});
