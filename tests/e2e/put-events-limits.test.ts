import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { parseConfig } from '../../shared/domain/config/validate.js';

// EventBridge's limit, written out here rather than imported: the test holds the code to the number.
const LIMIT = 262_144;
// A reserved source that no rule routes to ingest: these calls test the endpoint, not the pipeline.
const SOURCE = 'northstar.limits-test';
const DETAIL_TYPE = 'Limits Test';
/** Text that JSON escapes (quotes, backslashes, a tab) and multi-byte UTF-8 (2, 3 and 4 bytes). */
const AWKWARD = 'say "hi" \\ C:\\dir\\file\t é € 😀 ';

let runtime: Runtime;
let apps: EventBridgeClient;
/** Byte length of the body of each PutEvents request the SDK sent, in order. */
const bodies: number[] = [];

beforeAll(async () => {
  runtime = await startRuntime({
    config: parseConfig({ ...demo, grains: ['day', 'week', 'month'] }),
    port: 0,
    recomputeEveryMs: 0,
  });
  apps = eventBridgeClient(runtime.url);
  apps.middlewareStack.add(
    (next) =>
      async function recordBodySize(args) {
        const { body } = args.request as { body?: unknown };
        if (typeof body === 'string') bodies.push(Buffer.byteLength(body, 'utf8'));
        else if (body instanceof Uint8Array) bodies.push(body.byteLength);
        else bodies.push(Number.NaN);
        return next(args);
      },
    { step: 'finalizeRequest', name: 'recordBodySize' },
  );
});

afterAll(async () => {
  apps?.destroy();
  await runtime?.stop();
});

/** The size of an entry as the EventBridge user guide counts it, computed apart from the code under test. */
function countedBytes(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    Buffer.byteLength(entry.Source ?? '', 'utf8') +
    Buffer.byteLength(entry.DetailType ?? '', 'utf8') +
    Buffer.byteLength(entry.Detail ?? '', 'utf8') +
    (entry.Resources ?? []).reduce((sum, resource) => sum + Buffer.byteLength(resource, 'utf8'), 0)
  );
}

/**
 * A Detail of exactly `bytes` UTF-8 bytes, mostly `AWKWARD` text, JSON whitespace (newlines,
 * which the request body escapes) and ASCII padding to land on the byte.
 */
function detailOf(bytes: number, eventId: string): string {
  const empty = JSON.stringify({ eventId, text: '', pad: '' });
  const piece = Buffer.byteLength(JSON.stringify(AWKWARD), 'utf8') - 2;
  const room = bytes - Buffer.byteLength(empty, 'utf8');
  const text = AWKWARD.repeat(Math.floor((room * 0.6) / piece));
  const newlines = '\n'.repeat(Math.floor(room * 0.2));
  const base = `${JSON.stringify({ eventId, text, pad: '' })}${newlines}`;
  const pad = bytes - Buffer.byteLength(base, 'utf8');
  const detail = `${JSON.stringify({ eventId, text, pad: 'x'.repeat(pad) })}${newlines}`;
  expect(Buffer.byteLength(detail, 'utf8')).toBe(bytes);
  return detail;
}

/**
 * Four entries, one with `Time` and one with multi-byte `Resources`, whose sizes as counted
 * add up to `total`; the last entry's Detail takes up the difference.
 */
function callOf(total: number): PutEventsRequestEntry[] {
  const entries: PutEventsRequestEntry[] = [
    { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: detailOf(60_000, 'a'), Time: new Date() },
    {
      Source: SOURCE,
      DetailType: DETAIL_TYPE,
      Detail: detailOf(60_000, 'b'),
      Resources: ['arn:aws:s3:::bücher-😀', 'arn:aws:s3:::café'],
    },
    { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: detailOf(60_000, 'c') },
  ];
  const fixed = countedBytes({ Source: SOURCE, DetailType: DETAIL_TYPE, Detail: '' });
  const used = entries.reduce((sum, entry) => sum + countedBytes(entry), 0);
  entries.push({ Source: SOURCE, DetailType: DETAIL_TYPE, Detail: detailOf(total - used - fixed, 'd') });
  expect(entries.reduce((sum, entry) => sum + countedBytes(entry), 0)).toBe(total);
  return entries;
}

async function send(entries: PutEventsRequestEntry[]): Promise<PutEventsCommandOutput> {
  return apps.send(new PutEventsCommand({ Entries: entries }));
}

/** PutEvents over plain fetch, for requests the SDK would refuse to build. */
async function sendRaw(body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(runtime.url, {
    method: 'POST',
    headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
    body,
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

const valid = (eventId: string): PutEventsRequestEntry => ({
  Source: SOURCE,
  DetailType: DETAIL_TYPE,
  Detail: JSON.stringify({ eventId }),
});

/** Detail text nested `levels` deep: an object holding arrays. */
const nested = (levels: number) => `{"p":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('PutEvents entry size, counted as EventBridge counts it', () => {
  test('It should accept a call whose entries total exactly 256 KB as counted, though its body is far larger', async () => {
    const entries = callOf(LIMIT);
    const sent = bodies.length;
    const answer = await send(entries);
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.every((entry) => typeof entry.EventId === 'string')).toBe(true);
    // Quotes, backslashes and newlines escaped in the body: a body limit would have refused it.
    expect(bodies.slice(sent)).toHaveLength(1);
    expect(bodies[sent]!).toBeGreaterThan(LIMIT * 1.3);
  });

  test('It should refuse a call one byte over 256 KB as counted with ValidationException, whole', async () => {
    await expect(send(callOf(LIMIT + 1))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('It should count one entry alone the same way: 256 KB taken, one byte more refused', async () => {
    const alone = (bytes: number): PutEventsRequestEntry => {
      const fixed = countedBytes({ Source: SOURCE, DetailType: DETAIL_TYPE, Detail: '' });
      return { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: detailOf(bytes - fixed, 'alone') };
    };
    expect((await send([alone(LIMIT)])).FailedEntryCount).toBe(0);
    await expect(send([alone(LIMIT + 1)])).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('malformed PutEvents calls', () => {
  test('It should answer an entry that is not an object with a 400 ValidationException', async () => {
    const answer = await sendRaw('{"Entries":[null]}');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ __type: 'ValidationException' });
    const mixed = await sendRaw(JSON.stringify({ Entries: [valid('before-string'), 'text'] }));
    expect(mixed.status).toBe(400);
    expect(mixed.body).toMatchObject({ __type: 'ValidationException' });
  });

  test('It should answer a Time that is not a timestamp with a 400 ValidationException', async () => {
    for (const time of ['1e300', '"yesterday"', '-1e300']) {
      const answer = await sendRaw(
        `{"Entries":[{"Source":"${SOURCE}","DetailType":"${DETAIL_TYPE}","Detail":"{}","Time":${time}}]}`,
      );
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ __type: 'ValidationException' });
    }
  });

  test('It should refuse a Detail nested past 1,100 levels in its place (MalformedDetail) and take its neighbours', async () => {
    // Brackets inside a string, after an escaped quote, are text: they do not nest.
    const inString = JSON.stringify({ text: `\\"${'['.repeat(5_000)}`, p: JSON.parse(nested(1_099)) });
    const answer = await send([
      valid('next-to-deep'),
      { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: nested(1_100) },
      { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: nested(1_101) },
      { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: nested(100_000) },
      { Source: SOURCE, DetailType: DETAIL_TYPE, Detail: inString },
    ]);
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'ok',
      'MalformedDetail',
      'MalformedDetail',
      'ok',
    ]);
  });

  test('It should keep serving after the malformed calls', async () => {
    const answer = await send([valid('after-1'), valid('after-2')]);
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.map((entry) => typeof entry.EventId)).toEqual(['string', 'string']);
  });
});
