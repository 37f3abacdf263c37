import { z } from 'zod';
import {
  BATCH_DETAIL_TYPE,
  type BatchEvent,
  packBatchEntries,
  utf8Bytes,
} from '../../../client/pack-entries.js';
import type { BusEntry } from '../../ports/bus-entries.js';

/**
 * The collector's queue between a request and the bus on AWS: a message holds the entries one
 * request became; the packer takes many messages at once and packs their events again, per
 * source, into full entries.
 */

/** Below SQS's 256 KiB message limit, with room for the message's attributes. */
export const MAX_MESSAGE_BYTES = 240 * 1024;

const QueuedMessage = z.object({
  entries: z.array(
    z.object({ Source: z.string().min(1), DetailType: z.literal(BATCH_DETAIL_TYPE), Detail: z.string() }),
  ),
});
const BatchDetail = z.object({ events: z.array(z.record(z.string(), z.unknown())) });

/** The messages a request's entries make: each at most `MAX_MESSAGE_BYTES`, entries in order. */
export function queuedMessages(entries: readonly BusEntry[]): { body: string; entries: BusEntry[] }[] {
  const messages: { body: string; entries: BusEntry[] }[] = [];
  let chunk: BusEntry[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const close = () => {
    if (chunk.length === 0) return;
    messages.push({ body: `{"entries":[${parts.join(',')}]}`, entries: chunk });
    chunk = [];
    parts = [];
    bytes = 0;
  };
  for (const entry of entries) {
    const json = JSON.stringify({ Source: entry.Source, DetailType: entry.DetailType, Detail: entry.Detail });
    // An entry is at most 256 KB, the most PutEvents takes; one alone is always sent.
    if (chunk.length > 0 && bytes + utf8Bytes(json) + 20 > MAX_MESSAGE_BYTES) close();
    chunk.push(entry);
    parts.push(json);
    bytes += utf8Bytes(json) + 1;
  }
  close();
  return messages;
}

export interface QueuedRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface Repacked {
  /** Full entries, per source in the order the messages came. */
  readonly entries: readonly {
    readonly entry: BusEntry;
    /** The product events it holds. */
    readonly events: number;
    readonly messageIds: ReadonlySet<string>;
  }[];
  /** Messages that are not the collector's: they go back to the queue, and so to its DLQ. */
  readonly invalid: readonly { readonly messageId: string; readonly reason: string }[];
}

/** The events of many queued requests packed again into as few entries as fit, each knowing its messages. */
export function repackQueued(records: readonly QueuedRecord[]): Repacked {
  const bySource = new Map<string, { event: BatchEvent; messageId: string }[]>();
  const invalid: { messageId: string; reason: string }[] = [];
  for (const { messageId, body } of records) {
    const events: [string, BatchEvent][] = [];
    try {
      for (const entry of QueuedMessage.parse(JSON.parse(body)).entries)
        for (const event of BatchDetail.parse(JSON.parse(entry.Detail)).events)
          events.push([entry.Source, event as unknown as BatchEvent]);
    } catch (error) {
      invalid.push({ messageId, reason: (error as Error).message.slice(0, 500) });
      continue;
    }
    for (const [source, event] of events) {
      let own = bySource.get(source);
      if (!own) bySource.set(source, (own = []));
      own.push({ event, messageId });
    }
  }
  const entries: { entry: BusEntry; events: number; messageIds: Set<string> }[] = [];
  for (const [source, own] of bySource) {
    const { entries: packed, oversized } = packBatchEntries(
      source,
      own.map(({ event }) => event),
    );
    // Each event came in an entry of its own size or more: it fits one again.
    if (oversized.length > 0)
      throw new Error(`${oversized.length} queued events do not fit in a batch entry`);
    let next = 0;
    for (const { Source, DetailType, Detail, events } of packed) {
      const messageIds = new Set(own.slice(next, next + events).map(({ messageId }) => messageId));
      next += events;
      entries.push({ entry: { Source, DetailType, Detail }, events, messageIds });
    }
  }
  return { entries, invalid };
}

/** Puts entries on the bus with retries; answers the entries it could not put. */
export type PutOrLeave = (entries: readonly BusEntry[]) => Promise<readonly BusEntry[]>;

export interface PackerSummary {
  readonly messages: number;
  readonly events: number;
  readonly entriesPut: number;
  /** Messages whose events are not all on the bus: SQS delivers them again (ingest drops what arrived twice). */
  readonly failedMessageIds: readonly string[];
  readonly invalid: Repacked['invalid'];
}

/** One batch of the packer: repacks the queued requests, puts the entries, and names the messages to receive again. */
export async function putQueued(records: readonly QueuedRecord[], put: PutOrLeave): Promise<PackerSummary> {
  const { entries, invalid } = repackQueued(records);
  const left = await put(entries.map(({ entry }) => entry));
  const leftDetails = new Set(left.map((entry) => entry.Detail));
  const failed = new Set(invalid.map(({ messageId }) => messageId));
  for (const { entry, messageIds } of entries)
    if (leftDetails.has(entry.Detail)) for (const id of messageIds) failed.add(id);
  return {
    messages: records.length,
    events: entries.reduce((sum, { events }) => sum + events, 0),
    entriesPut: entries.length - left.length,
    failedMessageIds: [...failed],
    invalid,
  };
}
