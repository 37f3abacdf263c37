import type { IncomingMessage, ServerResponse } from 'node:http';
import { packBatchEntries, packCalls } from '../client/pack-entries.js';
import {
  type CollectedEvent,
  collectSegmentCalls,
  type RefusedCall,
} from '../shared/domain/collector/segment-calls.js';
import type { CollectorSettings } from '../shared/domain/config/schema.js';
import { openWriteKeys, type WriteKeyOptions, WriteKeysUnavailableError } from './collector-keys.js';
import {
  basicUser,
  batchCalls,
  parseBody,
  ROUTES,
  type Route,
  readBody,
  sizedCalls,
} from './collector-request.js';
import type { PutEventsCall } from './event-bus.js';
import { createRateLimiter } from './rate-limit.js';

/**
 * The collector on the local runtime: the Segment HTTP tracking API (`/v1/batch`, `/v1/track`,
 * `/v1/identify`, `/v1/page`, `/v1/screen`, their one-letter aliases that analytics.js uses,
 * and `group`/`alias`, taken and ignored) for apps that hold a public write key. Accepted calls
 * become product events in `Northstar Event Batch` entries, put through the runtime's own
 * PutEvents in process; a call is answered 200 only once its entries were taken.
 */

export interface CollectorOptions extends WriteKeyOptions {
  readonly settings: CollectorSettings;
  /** The runtime's PutEvents, in process: the same checks, admission and log as over HTTP. */
  readonly putEvents: PutEventsCall;
  /** The pipeline's clock, for the time a call was received (the demo's moves through history). */
  readonly clock: () => number;
}

export type CollectorHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** The paths the collector owns on the runtime's port. */
export const isCollectorPath = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

/** Headers a page's SDK sends: analytics.js sets `text/plain`, `Authorization` and `X-Retry-Count`. */
const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Retry-Count';

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
  readonly refused?: readonly RefusedCall[];
}

/** Builds the collector's request handler; the write keys are read first, so bad ones stop the start. */
export async function createCollector(options: CollectorOptions): Promise<CollectorHandler> {
  const { settings, putEvents, clock } = options;
  const keys = await openWriteKeys(settings, options);
  const limiter = createRateLimiter();
  const origins = new Set(settings.allowedOrigins);
  const allowsOrigin = (origin: string) => origins.has('*') || origins.has(origin);

  /**
   * Puts the events of one source on the bus; false when the pipeline pushes back (its backlog
   * is full). Calls taken before a push-back come again with the SDK's retry, as duplicates.
   */
  async function put(source: string, events: readonly CollectedEvent[]): Promise<boolean> {
    const { entries, oversized } = packBatchEntries(source, events);
    // Calls are at most 32 KB and an entry holds 64 KB: never dropped without a word if that changes.
    if (oversized.length > 0) throw new Error(`${oversized.length} events do not fit in a batch entry`);
    for (const callEntries of packCalls(entries)) {
      const answer = await putEvents(
        callEntries.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
      );
      if (answer.status === 400 && answer.type === 'ThrottlingException') return false;
      if (answer.status !== 200)
        throw new Error(`PutEvents refused the collector's entries: ${answer.message}`);
      if (answer.body.FailedEntryCount > 0)
        throw new Error(`PutEvents refused ${answer.body.FailedEntryCount} of the collector's entries`);
    }
    return true;
  }

  /** The answer to one POST, or its refusal. */
  async function serve(
    request: IncomingMessage,
    route: Route,
  ): Promise<Refusal | { refused: RefusedCall[] }> {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity')
      return {
        status: 415,
        code: 'unsupported_encoding',
        message: `content-encoding ${encoding} is not taken; send plain JSON`,
      };
    const maxBytes = route.batch ? settings.maxBatchBytes : settings.maxCallBytes;
    const tooLarge: Refusal = {
      status: 413,
      code: 'payload_too_large',
      message: `the body is over ${maxBytes} bytes, the most a ${route.batch ? 'batch' : 'call'} may be`,
      headers: { connection: 'close' },
    };
    if (Number(request.headers['content-length'] ?? 0) > maxBytes) {
      request.resume();
      return tooLarge;
    }
    const raw = await readBody(request, maxBytes);
    if (raw === undefined) return tooLarge;
    const body = parseBody(raw);
    if (!body) return { status: 400, code: 'invalid_json', message: 'the body is not a JSON object' };

    const key =
      basicUser(request.headers.authorization) ?? (typeof body.writeKey === 'string' ? body.writeKey : '');
    const unauthorized = { 'www-authenticate': 'Basic realm="northstar-collector"' };
    if (!key)
      return {
        status: 401,
        code: 'missing_write_key',
        message: 'send the write key as the Basic auth user name, or as writeKey in the body',
        headers: unauthorized,
      };
    const writeKey = await keys.lookup(key);
    if (!writeKey)
      return {
        status: 401,
        code: 'invalid_write_key',
        message: 'the write key is not known here: wrong, or revoked',
        headers: unauthorized,
      };

    const calls = route.batch ? batchCalls(body) : [{ ...body, type: route.type }];
    if (!calls) return { status: 400, code: 'invalid_batch', message: 'batch must be a list of calls' };
    const rate = limiter.take(key, writeKey.rateLimit ?? settings.rateLimit, calls.length);
    if (!rate.taken)
      return {
        status: 429,
        code: 'rate_limited',
        message: `over the write key's rate limit; try again in ${rate.retryAfterSeconds} s`,
        headers: { 'retry-after': String(rate.retryAfterSeconds) },
      };

    const { kept, refused } = sizedCalls(calls, settings.maxCallBytes);
    const collected = collectSegmentCalls(
      kept.map(({ call }) => call),
      {
        receivedAt: clock(),
        ...(typeof body.sentAt === 'string' ? { sentAt: body.sentAt } : {}),
        names: settings.names,
        clockToleranceMs: settings.deviceClockToleranceSeconds * 1000,
      },
    );
    // Positions as the app sent them, not among the calls kept.
    refused.push(...collected.refused.map((one) => ({ ...one, index: kept[one.index]?.index ?? one.index })));
    refused.sort((a, b) => a.index - b.index);
    if (calls.length > 0 && refused.length === calls.length)
      return {
        status: 400,
        code: 'invalid_calls',
        message: `no call was taken: ${refused[0]?.reason}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}`,
        refused,
      };
    if (collected.events.length > 0 && !(await put(writeKey.source, collected.events)))
      return {
        status: 429,
        code: 'busy',
        message: 'the pipeline is catching up with its backlog; try again shortly',
        headers: { 'retry-after': '1' },
      };
    return { refused };
  }

  return async function handleCollectorRequest(request, response) {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const origin = request.headers.origin;
    const cors: Record<string, string> =
      origin === undefined
        ? {}
        : {
            'access-control-allow-origin': origin,
            'access-control-expose-headers': 'Retry-After',
            vary: 'Origin',
          };
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...cors, ...headers });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const refuse = (refusal: Refusal) => {
      const { status, code, message, headers, refused } = refusal;
      answer(status, { error: { code, message, ...(refused ? { refused } : {}) } }, headers);
    };
    try {
      // A page of an origin not listed is refused before anything of its request is read.
      if (origin !== undefined && !allowsOrigin(origin)) {
        request.resume();
        response.writeHead(403, { 'content-type': 'application/json', connection: 'close' });
        response.end(
          JSON.stringify({
            error: {
              code: 'forbidden_origin',
              message: `pages of ${origin} may not send here: the origin is not in collector.allowedOrigins`,
            },
          }),
        );
        return;
      }
      const route = ROUTES[path];
      if (!route) {
        request.resume();
        refuse({
          status: 404,
          code: 'not_found',
          message: `${request.method} ${path} is not a tracking API route`,
        });
        return;
      }
      if (request.method === 'OPTIONS') {
        request.resume();
        answer(204, undefined, {
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': ALLOWED_HEADERS,
          'access-control-max-age': '600',
          allow: 'POST, OPTIONS',
        });
        return;
      }
      if (request.method !== 'POST') {
        request.resume();
        refuse({
          status: 405,
          code: 'method_not_allowed',
          message: `${path} takes POST`,
          headers: { allow: 'POST, OPTIONS' },
        });
        return;
      }
      const served = await serve(request, route);
      if ('status' in served) refuse(served);
      else answer(200, { success: true, ...(served.refused.length > 0 ? { refused: served.refused } : {}) });
    } catch (error) {
      // Nothing was answered 200: the SDK keeps the calls and sends them again.
      const unavailable = error instanceof WriteKeysUnavailableError;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (!unavailable) console.error(`collector: ${(error as Error).message}`);
      refuse({
        status: 503,
        code: unavailable ? 'write_keys_unavailable' : 'unavailable',
        message: `the calls were not taken; send them again: ${(error as Error).message}`,
        headers: { 'retry-after': '1' },
      });
    }
  };
}
