import { packBatchEntries } from '../../../client/pack-entries.js';
import type { RateLimiter } from '../../domain/collector/rate-limit.js';
import { collectSegmentCalls, type RefusedCall } from '../../domain/collector/segment-calls.js';
import type { CollectorSettings } from '../../domain/config/schema.js';
import type { PutBusEntries } from '../../ports/bus-entries.js';
import type { IdentityLinks } from '../../ports/identity-links.js';
import { standingLinks } from './link-forward.js';
import {
  ALLOWED_HEADERS,
  basicUser,
  batchCalls,
  PREFLIGHT_MAX_AGE_SECONDS,
  parseBody,
  ROUTES,
  type Route,
  sizedCalls,
} from './segment-request.js';
import { type WriteKeyBook, WriteKeysUnavailableError } from './write-keys.js';

/**
 * The Segment HTTP tracking API without its transport: the local runtime's HTTP server and
 * the Lambda function behind API Gateway both hand it a request and send back its answer.
 * Accepted calls become product events in `Northstar Event Batch` entries of the write key's
 * source; a request is answered 200 only once every entry was put on the bus or kept.
 */

export interface RequestHead {
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface TrackingApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** A JSON value; none for a preflight. */
  readonly body?: unknown;
  /** Refused before its body was read: a transport that keeps connections open closes this one. */
  readonly closeConnection?: boolean;
}

/** A request's head decides it (`answer`), or its body is to be read, up to `maxBytes`. */
export type Opened =
  | { readonly answer: TrackingApiAnswer }
  | { readonly route: Route; readonly maxBytes: number };

/** What one request's calls became, for metrics. */
export interface CallTally {
  readonly calls: number;
  readonly refusedCalls: number;
  readonly events: number;
  readonly entriesPut: number;
  readonly entriesRetried: number;
  readonly entriesKept: number;
}

export interface Served {
  readonly answer: TrackingApiAnswer;
  /** Present once the request's calls were read. */
  readonly tally?: CallTally;
  /** Why it was answered 503. */
  readonly error?: Error;
}

export interface TrackingApi {
  open(head: RequestHead): Opened;
  /** The answer to a POST once its body is read: undefined when it was over `maxBytes`. Never throws. */
  serve(head: RequestHead, route: Route, body: string | undefined): Promise<Served>;
  /** The answer when the transport failed to read the request. */
  unavailable(head: RequestHead, error: Error): TrackingApiAnswer;
}

export interface TrackingApiDeps {
  readonly settings: CollectorSettings;
  readonly keys: WriteKeyBook;
  readonly limiter: RateLimiter;
  readonly putEntries: PutBusEntries;
  /** Where `identify` links anonymous ids to user ids: later calls under the anonymous id alone are the user's. */
  readonly identityLinks: IdentityLinks;
  /** The configuration's `ingest.maxEventBytes`: a call whose event is larger is refused. */
  readonly maxEventBytes: number;
  /** When a call was received: device clocks are corrected against it. */
  readonly clock: () => number;
}

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
  readonly refused?: readonly RefusedCall[];
  readonly closeConnection?: boolean;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const UNAUTHORIZED = { 'www-authenticate': 'Basic realm="northstar-collector"' };

export function createTrackingApi(deps: TrackingApiDeps): TrackingApi {
  const { settings, keys, limiter, putEntries, clock } = deps;
  const origins = new Set(settings.allowedOrigins);
  const allowsOrigin = (origin: string) => origins.has('*') || origins.has(origin);

  const corsOf = (head: RequestHead): Record<string, string> => {
    const origin = head.headers.origin;
    return origin === undefined
      ? {}
      : {
          'access-control-allow-origin': origin,
          'access-control-expose-headers': 'Retry-After',
          vary: 'Origin',
        };
  };
  const answer = (
    head: RequestHead,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => ({
    status,
    headers: { ...JSON_TYPE, ...corsOf(head), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const refuse = (head: RequestHead, refusal: Refusal): TrackingApiAnswer => {
    const { status, code, message, headers, refused, closeConnection } = refusal;
    return {
      ...answer(head, status, { error: { code, message, ...(refused ? { refused } : {}) } }, headers),
      ...(closeConnection ? { closeConnection } : {}),
    };
  };
  const tooLarge = (route: Route, maxBytes: number): Refusal => ({
    status: 413,
    code: 'payload_too_large',
    message: `the body is over ${maxBytes} bytes, the most a ${route.batch ? 'batch' : 'call'} may be`,
    closeConnection: true,
  });
  const unavailable = (head: RequestHead, error: Error) => {
    const keysUnavailable = error instanceof WriteKeysUnavailableError;
    return refuse(head, {
      status: 503,
      code: keysUnavailable ? 'write_keys_unavailable' : 'unavailable',
      message: `the calls were not taken; send them again: ${error.message}`,
      headers: { 'retry-after': '1' },
    });
  };

  function open(head: RequestHead): Opened {
    const origin = head.headers.origin;
    // A page of an origin not listed is refused before anything of its request is read, with no CORS headers.
    if (origin !== undefined && !allowsOrigin(origin))
      return {
        answer: {
          status: 403,
          headers: JSON_TYPE,
          body: {
            error: {
              code: 'forbidden_origin',
              message: `pages of ${origin} may not send here: the origin is not in collector.allowedOrigins`,
            },
          },
          closeConnection: true,
        },
      };
    const route = ROUTES[head.path];
    if (!route)
      return {
        answer: refuse(head, {
          status: 404,
          code: 'not_found',
          message: `${head.method} ${head.path} is not a tracking API route`,
        }),
      };
    if (head.method === 'OPTIONS')
      return {
        answer: answer(head, 204, undefined, {
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
          allow: 'POST, OPTIONS',
        }),
      };
    if (head.method !== 'POST')
      return {
        answer: refuse(head, {
          status: 405,
          code: 'method_not_allowed',
          message: `${head.path} takes POST`,
          headers: { allow: 'POST, OPTIONS' },
        }),
      };
    const encoding = head.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity')
      return {
        answer: refuse(head, {
          status: 415,
          code: 'unsupported_encoding',
          message: `content-encoding ${encoding} is not taken; send plain JSON`,
        }),
      };
    const maxBytes = route.batch ? settings.maxBatchBytes : settings.maxCallBytes;
    if (Number(head.headers['content-length'] ?? 0) > maxBytes)
      return { answer: refuse(head, tooLarge(route, maxBytes)) };
    return { route, maxBytes };
  }

  /** The calls of one POST taken, or its refusal. */
  async function take(
    head: RequestHead,
    route: Route,
    raw: string | undefined,
  ): Promise<{ refusal: Refusal; tally?: CallTally } | { refused: RefusedCall[]; tally: CallTally }> {
    if (raw === undefined)
      return { refusal: tooLarge(route, route.batch ? settings.maxBatchBytes : settings.maxCallBytes) };
    const body = parseBody(raw);
    if (!body)
      return { refusal: { status: 400, code: 'invalid_json', message: 'the body is not a JSON object' } };

    const key =
      basicUser(head.headers.authorization) ?? (typeof body.writeKey === 'string' ? body.writeKey : '');
    if (!key)
      return {
        refusal: {
          status: 401,
          code: 'missing_write_key',
          message: 'send the write key as the Basic auth user name, or as writeKey in the body',
          headers: UNAUTHORIZED,
        },
      };
    const writeKey = await keys.lookup(key);
    if (!writeKey)
      return {
        refusal: {
          status: 401,
          code: 'invalid_write_key',
          message: 'the write key is not known here: wrong, or revoked',
          headers: UNAUTHORIZED,
        },
      };

    const calls = route.batch ? batchCalls(body) : [{ ...body, type: route.type }];
    if (!calls)
      return { refusal: { status: 400, code: 'invalid_batch', message: 'batch must be a list of calls' } };
    const rate = limiter.take(key, writeKey.rateLimit ?? settings.rateLimit, calls.length);
    if (!rate.taken)
      return {
        refusal: {
          status: 429,
          code: 'rate_limited',
          message: `over the write key's rate limit; try again in ${rate.retryAfterSeconds} s`,
          headers: { 'retry-after': String(rate.retryAfterSeconds) },
        },
      };

    const { kept, refused } = sizedCalls(calls, settings.maxCallBytes);
    const keptCalls = kept.map(({ call }) => call);
    const options = {
      receivedAt: clock(),
      maxEventBytes: deps.maxEventBytes,
      ...(typeof body.sentAt === 'string' ? { sentAt: body.sentAt } : {}),
      names: settings.names,
      clockToleranceMs: settings.deviceClockToleranceSeconds * 1000,
    };
    let collected = collectSegmentCalls(keptCalls, options);
    // Calls under an anonymous id alone, or identify calls: mapped again with the links that stand.
    if (collected.anonymousIds.length > 0) {
      const links = await standingLinks(deps.identityLinks, writeKey.source, collected);
      collected = collectSegmentCalls(keptCalls, { ...options, links });
    }
    // Positions as the app sent them, not among the calls kept.
    refused.push(...collected.refused.map((one) => ({ ...one, index: kept[one.index]?.index ?? one.index })));
    refused.sort((a, b) => a.index - b.index);
    const tally = { calls: calls.length, refusedCalls: refused.length, events: 0 };
    const none = { entriesPut: 0, entriesRetried: 0, entriesKept: 0 };
    if (calls.length > 0 && refused.length === calls.length)
      return {
        refusal: {
          status: 400,
          code: 'invalid_calls',
          message: `no call was taken: ${refused[0]?.reason}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}`,
          refused,
        },
        tally: { ...tally, ...none },
      };
    if (collected.events.length === 0) return { refused, tally: { ...tally, ...none } };

    const { entries, oversized } = packBatchEntries(writeKey.source, collected.events);
    // Calls are at most 32 KB and an entry holds 64 KB: never dropped without a word if that changes.
    if (oversized.length > 0) throw new Error(`${oversized.length} events do not fit in a batch entry`);
    const outcome = await putEntries(
      entries.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
    );
    if (outcome.busy)
      return {
        refusal: {
          status: 429,
          code: 'busy',
          message: 'the pipeline is catching up with its backlog; try again shortly',
          headers: { 'retry-after': '1' },
        },
        tally: { ...tally, ...none },
      };
    return {
      refused,
      tally: {
        ...tally,
        events: collected.events.length,
        entriesPut: outcome.put,
        entriesRetried: outcome.retried,
        entriesKept: outcome.kept,
      },
    };
  }

  return {
    open,
    async serve(head, route, raw) {
      try {
        const taken = await take(head, route, raw);
        const tally = taken.tally ? { tally: taken.tally } : {};
        if ('refusal' in taken) return { answer: refuse(head, taken.refusal), ...tally };
        const { refused } = taken;
        return {
          answer: answer(head, 200, { success: true, ...(refused.length > 0 ? { refused } : {}) }),
          ...tally,
        };
      } catch (caught) {
        // Nothing was answered 200: the SDK keeps the calls and sends them again.
        const error = caught instanceof Error ? caught : new Error(String(caught));
        return { answer: unavailable(head, error), error };
      }
    },
    unavailable,
  };
}
