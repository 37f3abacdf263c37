import type { IncomingMessage } from 'node:http';
import type { RefusedCall } from '../shared/domain/collector/segment-calls.js';
import { MAX_DETAIL_DEPTH, nestingDepth } from './event-bus.js';

/** How the collector reads a Segment tracking API request: its route, write key, body and calls. */

export type Route = { readonly batch: true } | { readonly batch: false; readonly type: string };
const BATCH: Route = { batch: true };
const single = (type: string): Route => ({ batch: false, type });
export const ROUTES: Readonly<Record<string, Route>> = {
  '/v1/batch': BATCH,
  '/v1/b': BATCH,
  '/v1/import': BATCH,
  '/v1/track': single('track'),
  '/v1/t': single('track'),
  '/v1/identify': single('identify'),
  '/v1/i': single('identify'),
  '/v1/page': single('page'),
  '/v1/p': single('page'),
  '/v1/screen': single('screen'),
  '/v1/s': single('screen'),
  '/v1/group': single('group'),
  '/v1/g': single('group'),
  '/v1/alias': single('alias'),
  '/v1/a': single('alias'),
};

/** A call's fields sit two levels deeper in a batch entry's `Detail`: `{"events":[{...}]}`. */
const MAX_CALL_DEPTH = MAX_DETAIL_DEPTH - 2;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The user name of `Authorization: Basic base64(user:password)`, Segment's place for the write key. */
export function basicUser(authorization: string | undefined): string | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const user = Buffer.from(encoded, 'base64').toString('utf8').split(':', 1)[0];
  return user ? user : undefined;
}

/** The body, or undefined once it passes `maxBytes` (the rest is read and dropped, so the answer still arrives). */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks).toString('utf8');
}

export function parseBody(raw: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(raw);
    return isObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/** Calls a batch holds, with the batch's own `context` under each call's. */
export function batchCalls(body: Record<string, unknown>): unknown[] | undefined {
  if (!Array.isArray(body.batch)) return undefined;
  const shared = isObject(body.context) ? body.context : undefined;
  if (!shared) return body.batch;
  return body.batch.map((one) =>
    isObject(one) ? { ...one, context: { ...shared, ...(isObject(one.context) ? one.context : {}) } } : one,
  );
}

/** Calls over the per-call limits, refused in their place before mapping; the others, with where they were. */
export function sizedCalls(calls: readonly unknown[], maxCallBytes: number) {
  const kept: { call: unknown; index: number }[] = [];
  const refused: RefusedCall[] = [];
  calls.forEach((one, index) => {
    const json = JSON.stringify(one) ?? '';
    const messageId = isObject(one) && typeof one.messageId === 'string' ? { messageId: one.messageId } : {};
    if (Buffer.byteLength(json) > maxCallBytes)
      refused.push({ index, ...messageId, reason: `the call is over ${maxCallBytes} bytes` });
    else if (nestingDepth(json) > MAX_CALL_DEPTH)
      refused.push({ index, ...messageId, reason: `the call nests deeper than ${MAX_CALL_DEPTH} levels` });
    else kept.push({ call: one, index });
  });
  return { kept, refused };
}
