/**
 * The batch entry's DetailType, as in `shared/domain/events/envelope.ts` (a test holds them
 * equal): the client imports nothing of the pipeline's, so an app's bundle stays free of it.
 */
export const BATCH_DETAIL_TYPE = 'Northstar Event Batch';

/** EventBridge bills an entry per 64 KB: a batch entry is filled up to this. */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** PutEvents takes at most 10 entries a call. */
export const MAX_CALL_ENTRIES = 10;
/**
 * PutEvents takes at most 256 KB of entries a call, each counted by `putEventsEntrySize`
 * (not the HTTP body, which JSON escaping makes larger); so one entry is at most that too.
 * The local endpoint enforces this same number.
 */
export const MAX_CALL_BYTES = 256 * 1024;

/** One product event as a batch entry carries it (SEMANTICS.md section 1). */
export interface BatchEvent {
  readonly name: string;
  readonly eventId: string;
  readonly userId: string;
  readonly occurredAt: string;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, unknown>>;
}

/** A PutEvents entry, with what it carries for reporting. */
export interface PackedEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  /** Number of product events in the entry. */
  readonly events: number;
  /** Size as EventBridge counts it (`putEventsEntrySize`): UTF-8 bytes of Source, DetailType and Detail. */
  readonly bytes: number;
}

export interface PackResult {
  readonly entries: PackedEntry[];
  /** Events too large for one entry on their own: they cannot be sent. */
  readonly oversized: BatchEvent[];
}

const encoder = new TextEncoder();
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** What EventBridge counts of a PutEvents entry; typed loosely so an unchecked request entry fits. */
export interface CountedEntryFields {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly Time?: unknown;
  readonly Resources?: unknown;
}

const countedBytes = (value: unknown): number => (typeof value === 'string' ? utf8Bytes(value) : 0);

/**
 * Size of a PutEvents entry as EventBridge counts it ("Calculating PutEvents event entry
 * size"): 14 bytes for `Time` when given, and the UTF-8 bytes of `Source`, `DetailType`,
 * `Detail` and each `Resources` entry. Fields that are not strings count nothing: the
 * endpoint refuses those entries on their own. The client packs with it and the local
 * endpoint limits with it, so both stop at the same byte.
 */
export function putEventsEntrySize(entry: CountedEntryFields): number {
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  size += countedBytes(entry.Source) + countedBytes(entry.DetailType) + countedBytes(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += countedBytes(resource);
  return size;
}

function entry(Source: string, DetailType: string, Detail: string, events: number): PackedEntry {
  return { Source, DetailType, Detail, events, bytes: putEventsEntrySize({ Source, DetailType, Detail }) };
}

/**
 * Packs events of one source into `Northstar Event Batch` entries, in order, each filled
 * up to `maxBytes` counted exactly: `{"events":[` + the events joined by commas + `]}`.
 * `maxBytes` is capped at `MAX_CALL_BYTES`, the most one entry can be.
 */
export function packBatchEntries(
  source: string,
  events: readonly BatchEvent[],
  maxBytes: number = MAX_ENTRY_BYTES,
): PackResult {
  const budget = Math.min(maxBytes, MAX_CALL_BYTES);
  const entries: PackedEntry[] = [];
  const oversized: BatchEvent[] = [];
  const fixed = utf8Bytes(source) + utf8Bytes(BATCH_DETAIL_TYPE) + utf8Bytes('{"events":[]}');
  let chunk: string[] = [];
  let bytes = fixed;
  const close = () => {
    if (chunk.length === 0) return;
    entries.push(entry(source, BATCH_DETAIL_TYPE, `{"events":[${chunk.join(',')}]}`, chunk.length));
    chunk = [];
    bytes = fixed;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = utf8Bytes(json);
    if (fixed + size > budget) {
      oversized.push(event);
      continue;
    }
    const added = size + (chunk.length > 0 ? 1 : 0);
    if (bytes + added > budget) close();
    bytes += size + (chunk.length > 0 ? 1 : 0);
    chunk.push(json);
  }
  close();
  return { entries, oversized };
}

/** One entry per event, `DetailType` = the event name: for apps whose own rules route by name. */
export function packSingleEntries(
  source: string,
  events: readonly BatchEvent[],
  maxBytes: number = MAX_ENTRY_BYTES,
): PackResult {
  const budget = Math.min(maxBytes, MAX_CALL_BYTES);
  const entries: PackedEntry[] = [];
  const oversized: BatchEvent[] = [];
  for (const { name, ...detail } of events) {
    const packed = entry(source, name, JSON.stringify(detail), 1);
    if (packed.bytes > budget) oversized.push({ name, ...detail });
    else entries.push(packed);
  }
  return { entries, oversized };
}

/**
 * Size of an entry inside the PutEvents request body (its JSON, escapes included), for
 * reports only: neither EventBridge nor the packing limits by it (`putEventsEntrySize` does).
 */
export function requestBytes(entry: Pick<PackedEntry, 'Source' | 'DetailType' | 'Detail'>): number {
  return utf8Bytes(
    JSON.stringify({ Source: entry.Source, DetailType: entry.DetailType, Detail: entry.Detail }),
  );
}

/**
 * Groups entries, in order, into PutEvents calls of at most `maxEntries` entries and
 * `maxBytes` counted by `putEventsEntrySize` (both capped at PutEvents' own limits, the
 * defaults): each call is filled until the next entry would pass either limit. An entry
 * over `maxBytes` on its own goes alone, and PutEvents refuses that call
 * (`ValidationException`); the packers never make one.
 */
export function packCalls<E extends CountedEntryFields>(
  entries: readonly E[],
  limits: { maxEntries?: number; maxBytes?: number } = {},
): E[][] {
  const maxEntries = Math.min(limits.maxEntries ?? MAX_CALL_ENTRIES, MAX_CALL_ENTRIES);
  const maxBytes = Math.min(limits.maxBytes ?? MAX_CALL_BYTES, MAX_CALL_BYTES);
  const calls: E[][] = [];
  let call: E[] = [];
  let bytes = 0;
  for (const one of entries) {
    const size = putEventsEntrySize(one);
    if (call.length > 0 && (call.length >= maxEntries || bytes + size > maxBytes)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(one);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}
