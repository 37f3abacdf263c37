import type { IncomingMessage, ServerResponse } from 'node:http';
import { packCalls } from '../client/pack-entries.js';
import { createRateLimiter } from '../shared/domain/collector/rate-limit.js';
import type { CollectorSettings } from '../shared/domain/config/schema.js';
import type { PutBusEntries } from '../shared/ports/bus-entries.js';
import type { IdentityLinks } from '../shared/ports/identity-links.js';
import {
  createTrackingApi,
  type RequestHead,
  type TrackingApiAnswer,
} from '../shared/use-cases/collector/tracking-api.js';
import { WriteKeysUnavailableError } from '../shared/use-cases/collector/write-keys.js';
import { openWriteKeys, type WriteKeyOptions } from './collector-keys.js';
import { readBody } from './collector-request.js';
import type { PutEventsCall } from './event-bus.js';

/**
 * The collector on the local runtime: the Segment HTTP tracking API (`/v1/batch`, `/v1/track`,
 * `/v1/identify`, `/v1/page`, `/v1/screen`, their one-letter aliases that analytics.js uses,
 * and `group`/`alias`, taken and ignored) for apps that hold a public write key. The tracking
 * API itself is shared with the Lambda function; here it is served over node:http and its
 * entries go through the runtime's own PutEvents in process. A call is answered 200 only once
 * its entries were taken.
 */

export interface CollectorOptions extends WriteKeyOptions {
  readonly settings: CollectorSettings;
  /** The configuration's `ingest.maxEventBytes`. */
  readonly maxEventBytes: number;
  /** The runtime's PutEvents, in process: the same checks, admission and log as over HTTP. */
  readonly putEvents: PutEventsCall;
  /** Where identify links are kept: the runtime's table. */
  readonly identityLinks: IdentityLinks;
  /** The pipeline's clock, for the time a call was received (the demo's moves through history). */
  readonly clock: () => number;
}

export type CollectorHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** The paths the collector owns on the runtime's port. */
export const isCollectorPath = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

/**
 * Entries through the runtime's PutEvents; busy when the pipeline pushes back (its backlog is
 * full). Calls taken before a push-back come again with the SDK's retry, as duplicates.
 */
function runtimePutEvents(putEvents: PutEventsCall): PutBusEntries {
  return async function putThroughRuntime(entries) {
    for (const call of packCalls(entries)) {
      const answer = await putEvents(call);
      if (answer.status === 400 && answer.type === 'ThrottlingException') return { busy: true };
      if (answer.status !== 200)
        throw new Error(`PutEvents refused the collector's entries: ${answer.message}`);
      if (answer.body.FailedEntryCount > 0)
        throw new Error(`PutEvents refused ${answer.body.FailedEntryCount} of the collector's entries`);
    }
    return { busy: false, put: entries.length, retried: 0, kept: 0 };
  };
}

function headOf(request: IncomingMessage): RequestHead {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return {
    method: request.method ?? 'GET',
    path: (request.url ?? '/').split('?', 1)[0] ?? '/',
    headers,
  };
}

function send(response: ServerResponse, answer: TrackingApiAnswer): void {
  response.writeHead(answer.status, {
    ...answer.headers,
    ...(answer.closeConnection ? { connection: 'close' } : {}),
  });
  response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
}

/** Builds the collector's request handler; the write keys are read first, so bad ones stop the start. */
export async function createCollector(options: CollectorOptions): Promise<CollectorHandler> {
  const { settings, putEvents, clock } = options;
  const api = createTrackingApi({
    settings,
    keys: await openWriteKeys(settings, options),
    limiter: createRateLimiter(),
    maxEventBytes: options.maxEventBytes,
    identityLinks: options.identityLinks,
    putEntries: runtimePutEvents(putEvents),
    clock,
  });

  return async function handleCollectorRequest(request, response) {
    const head = headOf(request);
    try {
      const opened = api.open(head);
      if ('answer' in opened) {
        request.resume();
        send(response, opened.answer);
        return;
      }
      const served = await api.serve(head, opened.route, await readBody(request, opened.maxBytes));
      if (served.error && !(served.error instanceof WriteKeysUnavailableError))
        console.error(`collector: ${served.error.message}`);
      send(response, served.answer);
    } catch (error) {
      // Reading the request failed: nothing was answered 200, so the SDK sends the calls again.
      if (response.headersSent) {
        response.destroy();
        return;
      }
      console.error(`collector: ${(error as Error).message}`);
      send(response, api.unavailable(head, error as Error));
    }
  };
}
