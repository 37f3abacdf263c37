/**
 * The batch entry's DetailType, as in `shared/domain/events/envelope.ts` (a test holds them
 * equal): the client imports nothing of the pipeline's, so an app's bundle stays free of it.
 */
export const BATCH_DETAIL_TYPE = 'Northstar Event Batch';

/** EventBridge bills an entry per 64 KB: a batch entry is filled up to this. */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** PutEvents takes at most 10 entries a call. */
export const MAX_CALL_ENTRIES = 10;
/** PutEvents takes at most 256 KB a call; the margin covers the request's own JSON. */
export const MAX_CALL_BYTES = 256 * 1024 - 2048;

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
  /** Size as EventBridge counts it: UTF-8 bytes of Source, DetailType and Detail. */
  readonly bytes: number;
}

export interface PackResult {
  readonly entries: PackedEntry[];
  /** Events too large for one entry on their own: they cannot be sent. */
  readonly oversized: BatchEvent[];
}

const encoder = new TextEncoder();
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

function entry(Source: string, DetailType: string, Detail: string, events: number): PackedEntry {
  return {
    Source,
    DetailType,
    Detail,
    events,
    bytes: utf8Bytes(Source) + utf8Bytes(DetailType) + utf8Bytes(Detail),
  };
}

/**
 * Packs events of one source into `Northstar Event Batch` entries, in order, each filled
 * up to `maxBytes` counted exactly: `{"events":[` + the events joined by commas + `]}`.
 */
export function packBatchEntries(
  source: string,
  events: readonly BatchEvent[],
  maxBytes: number = MAX_ENTRY_BYTES,
): PackResult {
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
    if (fixed + size > maxBytes) {
      oversized.push(event);
      continue;
    }
    const added = size + (chunk.length > 0 ? 1 : 0);
    if (bytes + added > maxBytes) close();
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
  const entries: PackedEntry[] = [];
  const oversized: BatchEvent[] = [];
  for (const { name, ...detail } of events) {
    const packed = entry(source, name, JSON.stringify(detail), 1);
    if (packed.bytes > maxBytes) oversized.push({ name, ...detail });
    else entries.push(packed);
  }
  return { entries, oversized };
}

/** Size of an entry inside the PutEvents request body (its JSON, escapes included). */
export function requestBytes(entry: Pick<PackedEntry, 'Source' | 'DetailType' | 'Detail'>): number {
  return utf8Bytes(
    JSON.stringify({ Source: entry.Source, DetailType: entry.DetailType, Detail: entry.Detail }),
  );
}

/** Groups entries, in order, into PutEvents calls of at most 10 entries and 256 KB. */
export function packCalls<E extends Pick<PackedEntry, 'Source' | 'DetailType' | 'Detail'>>(
  entries: readonly E[],
  limits: { maxEntries?: number; maxBytes?: number } = {},
): E[][] {
  const maxEntries = limits.maxEntries ?? MAX_CALL_ENTRIES;
  const maxBytes = limits.maxBytes ?? MAX_CALL_BYTES;
  const calls: E[][] = [];
  let call: E[] = [];
  let bytes = 0;
  for (const one of entries) {
    const size = requestBytes(one);
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
