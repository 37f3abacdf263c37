import { randomUUID } from 'node:crypto';
import { packBatchEntries } from '../client/pack-entries.js';
import { BATCH_DETAIL_TYPE } from '../shared/domain/events/envelope.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';

export interface AppEvent {
  readonly source: string;
  readonly name: string;
  readonly eventId: string;
  readonly userId: string;
  readonly occurredAt: string;
  readonly properties: Record<string, unknown>;
  readonly context?: Readonly<Record<string, unknown>>;
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

/** A PutEvents entry as an app sends it. */
export interface PutEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  /** Time of the last event in the entry. */
  readonly lastAt: number;
}

/**
 * Packs events with the typed client's packing (`client/pack-entries.ts`): one
 * `Northstar Event Batch` entry per app and user, split at the 64 KB entry budget.
 */
export function batchEntries(events: readonly AppEvent[]): PutEntry[] {
  const groups = new Map<string, AppEvent[]>();
  for (const event of events) {
    const key = `${event.source}\u0000${event.userId}`;
    const group = groups.get(key) ?? [];
    group.push(event);
    groups.set(key, group);
  }
  const entries: PutEntry[] = [];
  for (const group of groups.values()) {
    const source = group[0]!.source;
    const { entries: packed, oversized } = packBatchEntries(
      source,
      group.map(({ source: _source, ...event }) => event),
    );
    // An event over the budget still goes, alone, so the pipeline quarantines it with its reason.
    const alone = oversized.map((event) => ({
      Source: source,
      DetailType: BATCH_DETAIL_TYPE,
      Detail: JSON.stringify({ events: [event] }),
    }));
    for (const { Source, DetailType, Detail } of [...packed, ...alone]) {
      const detail = JSON.parse(Detail) as { events: { occurredAt: string }[] };
      const lastAt = Math.max(...detail.events.map((event) => Date.parse(event.occurredAt)));
      entries.push({ Source, DetailType, Detail, lastAt });
    }
  }
  return entries.sort((a, b) => a.lastAt - b.lastAt);
}

/** The same packing as queue records, as the rule would deliver them a moment after the last event. */
export function packEntries(events: readonly AppEvent[], arrivalDelayMs = 2_000): ReceivedRecord[] {
  return batchEntries(events).map((entry) => ({
    messageId: randomUUID(),
    body: eventBridgeBody(entry.Source, entry.DetailType, JSON.parse(entry.Detail), entry.lastAt),
    arrivedAt: entry.lastAt + arrivalDelayMs,
  }));
}
