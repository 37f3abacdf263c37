import { randomUUID } from 'node:crypto';
import { BATCH_DETAIL_TYPE } from '../shared/events/envelope.js';
import type { ReceivedRecord } from '../shared/ingest/ingest-records.js';

export interface AppEvent {
  readonly source: string;
  readonly name: string;
  readonly eventId: string;
  readonly userId: string;
  readonly occurredAt: string;
  readonly properties: Record<string, unknown>;
}

/** An entry as the EventBridge rule hands it to the queue. */
export function eventBridgeBody(source: string, detailType: string, detail: unknown, time: number): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: new Date(time).toISOString(),
    region: 'local',
    resources: [],
    detail,
  });
}

/** Entries stay well under EventBridge's 256 KB and the 64 KB batch-entry budget. */
const MAX_ENTRY_BYTES = 60_000;

/**
 * Packs events the way the typed client does: one `Northstar Event Batch` entry per app
 * and user, split at the size budget. Each entry arrives a moment after its last event.
 */
export function packEntries(events: readonly AppEvent[], arrivalDelayMs = 2_000): ReceivedRecord[] {
  const groups = new Map<string, AppEvent[]>();
  for (const event of events) {
    const key = `${event.source}\u0000${event.userId}`;
    const group = groups.get(key) ?? [];
    group.push(event);
    groups.set(key, group);
  }
  const records: ReceivedRecord[] = [];
  for (const group of groups.values()) {
    let chunk: AppEvent[] = [];
    let bytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      const last = Math.max(...chunk.map((event) => Date.parse(event.occurredAt)));
      const detail = { events: chunk.map(({ source: _source, ...event }) => event) };
      records.push({
        messageId: randomUUID(),
        body: eventBridgeBody(chunk[0]!.source, BATCH_DETAIL_TYPE, detail, last),
        arrivedAt: last + arrivalDelayMs,
      });
      chunk = [];
      bytes = 0;
    };
    for (const event of group) {
      const size = JSON.stringify(event).length;
      if (bytes + size > MAX_ENTRY_BYTES) flush();
      chunk.push(event);
      bytes += size;
    }
    flush();
  }
  return records.sort((a, b) => a.arrivedAt - b.arrivedAt);
}
