import { describe, expect, test } from 'vitest';
import {
  BATCH_DETAIL_TYPE,
  type BatchEvent,
  MAX_CALL_BYTES,
  MAX_CALL_ENTRIES,
  MAX_ENTRY_BYTES,
  packBatchEntries,
  packCalls,
  packSingleEntries,
  putEventsEntrySize,
} from '../../../client/pack-entries.js';

// EventBridge's limit, written out: the packing must fill calls up to it, as the endpoint enforces it.
const LIMIT = 262_144;

interface Entry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time?: Date;
  readonly Resources?: string[];
}

/** The size of an entry as the EventBridge user guide counts it, computed apart from the code under test. */
function countedBytes(entry: Entry): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    Buffer.byteLength(entry.Source, 'utf8') +
    Buffer.byteLength(entry.DetailType, 'utf8') +
    Buffer.byteLength(entry.Detail, 'utf8') +
    (entry.Resources ?? []).reduce((sum, resource) => sum + Buffer.byteLength(resource, 'utf8'), 0)
  );
}

const callBytes = (call: readonly Entry[]) => call.reduce((sum, entry) => sum + countedBytes(entry), 0);

/** An entry of exactly `bytes` as counted, its Detail full of text JSON escapes and multi-byte characters. */
function entryOf(bytes: number, extra: Pick<Entry, 'Time' | 'Resources'> = {}): Entry {
  const base: Entry = { Source: 'app.web', DetailType: 'page_viewed', Detail: '{"t":""}', ...extra };
  const room = bytes - countedBytes(base);
  const piece = '"\\é😀'; // 1 + 1 + 2 + 4 bytes, escaped in JSON to 2 + 2 + 2 + 4
  const text = piece.repeat(Math.floor(room / 2 / 10));
  const partial: Entry = { ...base, Detail: JSON.stringify({ t: text, pad: '' }) };
  const pad = 'x'.repeat(bytes - countedBytes(partial));
  const entry: Entry = { ...base, Detail: JSON.stringify({ t: text, pad }) };
  expect(countedBytes(entry)).toBe(bytes);
  return entry;
}

/** Events whose sizes vary, with quotes, backslashes and non-ASCII text in their properties. */
const events = (count: number): BatchEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    name: 'lesson_started',
    eventId: `e-${i}`,
    userId: `user-${i % 5}`,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    properties: { note: `${'say "ça" \\ 😀 '.repeat(1 + ((i * 37) % 90))}${'x'.repeat((i * 131) % 700)}` },
  }));

describe('putEventsEntrySize', () => {
  test('It should count Time as 14 bytes and Source, DetailType, Detail and each resource in UTF-8 bytes', () => {
    const entry: Entry = {
      Source: 'app.wéb',
      DetailType: 'page "viewed"',
      Detail: '{"path":"/caf\\u00e9","note":"😀"}',
      Time: new Date(),
      Resources: ['arn:aws:s3:::bücher', 'arn:€'],
    };
    expect(putEventsEntrySize(entry)).toBe(countedBytes(entry));
    expect(putEventsEntrySize({ ...entry, Time: undefined })).toBe(countedBytes(entry) - 14);
    // Escapes in Detail are its own characters; the request body's escaping is not counted.
    expect(putEventsEntrySize({ Source: 'a', DetailType: 'b', Detail: '{"q":"\\""}' })).toBe(2 + 10);
  });

  test('It should count PutEvents limits of 256 KB a call and 10 entries, and 64 KB batch entries', () => {
    expect(MAX_CALL_BYTES).toBe(LIMIT);
    expect(MAX_CALL_ENTRIES).toBe(10);
    expect(MAX_ENTRY_BYTES).toBe(64 * 1024);
  });
});

describe('packCalls', () => {
  test('It should put entries that total exactly 256 KB in one call, and start a new call one byte past it', () => {
    const atLimit = [
      entryOf(70_000, { Time: new Date() }),
      entryOf(70_000, { Resources: ['arn:aws:s3:::bücher-😀'] }),
      entryOf(70_000),
      entryOf(LIMIT - 210_000),
    ];
    expect(callBytes(atLimit)).toBe(LIMIT);
    expect(packCalls(atLimit)).toEqual([atLimit]);
    const overByOne = [...atLimit.slice(0, 3), entryOf(LIMIT - 210_000 + 1)];
    expect(packCalls(overByOne)).toEqual([overByOne.slice(0, 3), overByOne.slice(3)]);
  });

  test('It should never pass 256 KB or 10 entries a call, and close a call only when the next entry would pass one', () => {
    const { entries, oversized } = packBatchEntries('app.web', events(3_000));
    expect(oversized).toEqual([]);
    const calls = packCalls(entries);
    expect(calls.flat()).toEqual(entries);
    expect(calls.length).toBeGreaterThan(3);
    calls.forEach((call, index) => {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(callBytes(call)).toBeLessThanOrEqual(LIMIT);
      const next = calls[index + 1]?.[0];
      if (next) expect(call.length === 10 || callBytes(call) + countedBytes(next) > LIMIT).toBe(true);
    });
  });

  test('It should fill calls of small entries up to 10 entries', () => {
    const { entries } = packSingleEntries('app.ios', events(25));
    expect(packCalls(entries).map((call) => call.length)).toEqual([10, 10, 5]);
  });

  test("It should send the issue's four batch entries of about 59 KB in one call", () => {
    // 236,280 bytes as EventBridge counts them; about 278 KB of request body.
    const four = [59_070, 59_070, 59_070, 59_070].map((bytes) => ({
      ...entryOf(bytes),
      DetailType: BATCH_DETAIL_TYPE,
    }));
    expect(packCalls(four)).toHaveLength(1);
  });

  test('It should cap limits asked for above PutEvents own, and never build an entry over 256 KB', () => {
    const big = [entryOf(200_000), entryOf(200_000)];
    expect(packCalls(big, { maxBytes: 10 * LIMIT, maxEntries: 50 })).toEqual([[big[0]], [big[1]]]);
    const huge: BatchEvent = { ...events(1)[0]!, properties: { note: 'x'.repeat(LIMIT) } };
    expect(packBatchEntries('app.web', [huge], 10 * LIMIT).oversized).toEqual([huge]);
    expect(packSingleEntries('app.web', [huge], 10 * LIMIT).oversized).toEqual([huge]);
  });
});
