import { createHash } from 'node:crypto';
import { matchesPattern, productEventsPattern } from '../../domain/bus/rule-patterns.js';
import { BATCH_DETAIL_TYPE, EventBatchDetail, EventBridgeEvent } from '../../domain/events/envelope.js';
import type { ReceivedRecord } from '../ingest/ingest-records.js';

/**
 * One user's part of an archived entry: a batch entry carrying several users' events is split
 * so that each user's events reach one partition. Elements keep their JSON, so each event
 * reads the same as from the whole entry.
 */
export interface PartitionRecord extends ReceivedRecord {
  readonly source: string;
  readonly userId: string;
}

const userOf = (value: unknown) =>
  value !== null && typeof value === 'object' && typeof (value as { userId?: unknown }).userId === 'string'
    ? (value as { userId: string }).userId
    : '';

/**
 * The product-event records of one archive line (`{"arrivedAt", "event"}`), one per user;
 * none for a line that is not a product event or that ingest would reject whole (it counts
 * nothing, and live ingest already quarantined it).
 */
export function recordsOfArchiveLine(line: string, at: string): PartitionRecord[] {
  let json: { arrivedAt?: unknown; event?: unknown };
  try {
    json = JSON.parse(line) as typeof json;
  } catch {
    return [];
  }
  const arrivedAt =
    typeof json?.arrivedAt === 'number' ? json.arrivedAt : Date.parse(String(json?.arrivedAt));
  if (!Number.isFinite(arrivedAt) || !matchesPattern(productEventsPattern, json.event)) return [];
  const envelope = EventBridgeEvent.safeParse(json.event);
  if (!envelope.success) return [];
  const { source, detail } = envelope.data;
  const messageId = envelope.data.id ?? at;
  if (envelope.data['detail-type'] !== BATCH_DETAIL_TYPE)
    return [{ messageId, body: JSON.stringify(json.event), arrivedAt, source, userId: userOf(detail) }];
  const batch = EventBatchDetail.safeParse(detail);
  if (!batch.success) return [];
  const byUser = new Map<string, unknown[]>();
  for (const element of batch.data.events) {
    const userId = userOf(element);
    const events = byUser.get(userId) ?? [];
    events.push(element);
    byUser.set(userId, events);
  }
  return [...byUser].map(([userId, events], index) => ({
    messageId: `${messageId}#${index}`,
    body: JSON.stringify({ ...(json.event as object), detail: { ...detail, events } }),
    arrivedAt,
    source,
    userId,
  }));
}

/** The partition of a (Source, userId): every event of a user is counted by one worker, in arrival order. */
export function partitionOf(source: string, userId: string, partitions: number): number {
  return createHash('sha256').update(`${source}\n${userId}`).digest().readUInt32BE(0) % partitions;
}

/** A partition file's line: the queue message as ingest takes it. */
export function partitionLine(record: ReceivedRecord): string {
  return JSON.stringify({ arrivedAt: record.arrivedAt, messageId: record.messageId, body: record.body });
}

export function readPartitionLine(line: string): ReceivedRecord {
  const { arrivedAt, messageId, body } = JSON.parse(line) as ReceivedRecord;
  return { arrivedAt, messageId, body };
}
