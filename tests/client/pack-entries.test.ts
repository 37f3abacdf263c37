import { describe, expect, test } from 'vitest';
import {
  type BatchEvent,
  MAX_CALL_BYTES,
  MAX_ENTRY_BYTES,
  packBatchEntries,
  packCalls,
  packSingleEntries,
  putEventsEntrySize,
  utf8Bytes,
} from '../../client/pack-entries.js';
import { batchEntries } from '../../local/entries.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';

const event = (i: number, padding = 0): BatchEvent => ({
  name: 'lesson_started',
  eventId: `e-${i}`,
  userId: `user-${i % 7}`,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  // Multi-byte characters: the budget counts UTF-8 bytes, not characters.
  properties: { courseId: 'c1', lessonId: `l${i}`, note: 'é'.repeat(padding) },
});

describe('packing events into entries', () => {
  test('It should fill batch entries up to 64 KB of UTF-8 exactly, keep every event once and in order', () => {
    const events = Array.from({ length: 400 }, (_, i) => event(i, 200));
    const { entries, oversized } = packBatchEntries('app.web', events);
    expect(oversized).toEqual([]);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) {
      expect(entry.DetailType).toBe(BATCH_DETAIL_TYPE);
      expect(entry.bytes).toBe(utf8Bytes('app.web') + utf8Bytes(BATCH_DETAIL_TYPE) + utf8Bytes(entry.Detail));
      expect(entry.bytes).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    }
    // Full entries: adding the next event would have crossed the budget.
    expect(entries[0]!.bytes + utf8Bytes(JSON.stringify(events[0])) + 1).toBeGreaterThan(MAX_ENTRY_BYTES);
    const unpacked = entries.flatMap(
      (entry) => (JSON.parse(entry.Detail) as { events: BatchEvent[] }).events,
    );
    expect(unpacked).toEqual(events);
    expect(entries.reduce((sum, entry) => sum + entry.events, 0)).toBe(400);
  });

  test('It should set aside an event larger than one entry', () => {
    const { entries, oversized } = packBatchEntries('app.web', [event(1), event(2, 40_000), event(3)]);
    expect(oversized.map((one) => one.eventId)).toEqual(['e-2']);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.events).toBe(2);
  });

  test('It should make one entry per event named by the event in single mode', () => {
    const { entries } = packSingleEntries('app.ios', [event(1), event(2)]);
    expect(entries.map((entry) => entry.DetailType)).toEqual(['lesson_started', 'lesson_started']);
    expect(JSON.parse(entries[0]!.Detail)).toEqual({ ...event(1), name: undefined });
  });

  test('It should group entries into calls of at most 10 entries and 256 KB of request', () => {
    const small = packSingleEntries(
      'app.web',
      Array.from({ length: 25 }, (_, i) => event(i)),
    ).entries;
    expect(packCalls(small).map((call) => call.length)).toEqual([10, 10, 5]);
    const big = packBatchEntries(
      'app.web',
      Array.from({ length: 2000 }, (_, i) => event(i, 300)),
    ).entries;
    const calls = packCalls(big);
    expect(calls.flat()).toEqual(big);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(call.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0)).toBeLessThanOrEqual(
        MAX_CALL_BYTES,
      );
    }
  });

  test('It should keep the local packing per app and user on the shared code', () => {
    const apps = Array.from({ length: 30 }, (_, i) => ({ source: 'app.web', ...event(i), properties: {} }));
    const entries = batchEntries(apps);
    expect(entries).toHaveLength(7);
    const events = entries.flatMap((entry) => (JSON.parse(entry.Detail) as { events: BatchEvent[] }).events);
    expect(events.map((one) => one.eventId).sort()).toEqual(apps.map((one) => one.eventId).sort());
    expect(entries.map((entry) => entry.lastAt)).toEqual([...entries.map((entry) => entry.lastAt)].sort());
  });
});
