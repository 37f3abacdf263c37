import { MAX_DETAIL_DEPTH, nestingDepth } from '../../domain/bus/detail-depth.js';
import type { RefusedCall } from '../../domain/collector/segment-calls.js';

/** How a Segment tracking API request is read: its route, write key, body and calls, whatever carries it. */

export type Route = { readonly batch: true } | { readonly batch: false; readonly type: string };
const BATCH: Route = { batch: true };
const single = (type: string): Route => ({ batch: false, type });
/** Every route, with the one-letter aliases analytics.js uses; API Gateway's routes are made from it. */
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

/** Headers a page's SDK sends: analytics.js sets `text/plain`, `Authorization` and `X-Retry-Count`. */
export const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'X-Retry-Count'] as const;
/** How long a browser may keep a preflight's answer. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

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
