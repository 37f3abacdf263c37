import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BATCH_DETAIL_TYPE,
  type BatchEvent,
  MAX_ENTRY_BYTES,
  packBatchEntries,
  putEventsEntrySize,
  utf8Bytes,
} from '../../../client/pack-entries.js';
import type { BusEntry } from '../../../shared/ports/bus-entries.js';
import {
  MAX_MESSAGE_BYTES,
  putQueued,
  queuedMessages,
  repackQueued,
} from '../../../shared/use-cases/collector/repack.js';

/** A request's events as the collector packs them: entries of one source. */
const requestEntries = (source: string, events: readonly BatchEvent[]): BusEntry[] =>
  packBatchEntries(source, events).entries.map(({ Source, DetailType, Detail }) => ({
    Source,
    DetailType,
    Detail,
  }));

const eventsOf = (entries: readonly BusEntry[]) =>
  entries.flatMap((entry) =>
    (JSON.parse(entry.Detail) as { events: BatchEvent[] }).events.map((event) => ({
      source: entry.Source,
      event,
    })),
  );

const request = fc.record({
  source: fc.constantFrom('app.web', 'app.ios', 'app.android'),
  events: fc.array(
    fc.record({
      name: fc.constantFrom('signed_up', 'lesson_completed'),
      eventId: fc.uuid(),
      userId: fc.constantFrom('ann', 'bob', 'cid', 'dee'),
      occurredAt: fc.constant('2026-10-07T11:00:00.000Z'),
      properties: fc.record({ note: fc.string({ maxLength: 4000 }) }),
    }),
    { minLength: 1, maxLength: 40 },
  ),
});

describe('the collector queue and its packer', () => {
  test('It should put every queued event in exactly one full entry of its source, each naming the messages it holds', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 30 }), (requests) => {
        const records = requests.flatMap(({ source, events }, index) =>
          queuedMessages(requestEntries(source, events)).map((message, part) => ({
            messageId: `m${index}-${part}`,
            body: message.body,
            sent: eventsOf(message.entries),
          })),
        );
        for (const { body } of records) expect(utf8Bytes(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);

        const { entries, invalid } = repackQueued(records);

        expect(invalid).toEqual([]);
        const key = ({ source, event }: { source: string; event: BatchEvent }) =>
          `${source}/${event.eventId}`;
        const put = entries.flatMap(({ entry }) => eventsOf([entry]));
        expect(put.map(key).sort()).toEqual(records.flatMap(({ sent }) => sent.map(key)).sort());
        for (const { entry, messageIds } of entries) {
          expect(entry.DetailType).toBe(BATCH_DETAIL_TYPE);
          expect(putEventsEntrySize(entry)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
          // An entry names exactly the messages its events came in.
          const from = new Set(
            eventsOf([entry]).map(
              (one) => records.find(({ sent }) => sent.some((event) => key(event) === key(one)))!.messageId,
            ),
          );
          expect([...messageIds].sort()).toEqual([...from].sort());
        }
        // Per source, no two entries could have been one: the packing is full.
        const sources = new Set(requests.map(({ source }) => source));
        for (const source of sources) {
          const own = put.filter((one) => one.source === source).map(({ event }) => event);
          expect(entries.filter(({ entry }) => entry.Source === source)).toHaveLength(
            packBatchEntries(source, own).entries.length,
          );
        }
      }),
      { seed: 20261202, numRuns: 60 },
    );
  });

  test('It should fail the messages of an entry left unput, and those that are not the collector’s', async () => {
    const a = queuedMessages(
      requestEntries('app.web', [
        { name: 'signed_up', eventId: 'e1', userId: 'ann', occurredAt: '2026-10-07T11:00:00.000Z' },
      ]),
    );
    const b = queuedMessages(
      requestEntries('app.ios', [
        { name: 'signed_up', eventId: 'e2', userId: 'bob', occurredAt: '2026-10-07T11:00:00.000Z' },
      ]),
    );
    const records = [
      { messageId: 'web', body: a[0]!.body },
      { messageId: 'ios', body: b[0]!.body },
      { messageId: 'foreign', body: '{"entries":[{"Source":"x","DetailType":"Other","Detail":"{}"}]}' },
    ];

    const summary = await putQueued(records, async (entries) =>
      entries.filter((entry) => entry.Source === 'app.ios'),
    );

    expect(summary).toMatchObject({ messages: 3, events: 2, entriesPut: 1 });
    expect([...summary.failedMessageIds].sort()).toEqual(['foreign', 'ios']);
    expect(summary.invalid.map(({ messageId }) => messageId)).toEqual(['foreign']);
  });
});
