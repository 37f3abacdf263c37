import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_CALL_BYTES, MAX_CALL_ENTRIES, putEventsEntrySize } from '../client/pack-entries.js';
import { MAX_DETAIL_DEPTH, nestingDepth } from '../shared/domain/bus/detail-depth.js';

/** An event as EventBridge delivers it to a rule's target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

export interface LocalEventBus {
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LocalEventBusOptions {
  /** @default a free port */
  readonly port?: number;
  /** @default '127.0.0.1': nothing on the network reaches the bus unless asked for. */
  readonly host?: string;
  /** Receives the accepted events of each PutEvents call, as a rule target would. */
  readonly onEvents: (events: BusEvent[]) => Promise<void> | void;
}

/**
 * A body past this cannot hold a call within `MAX_CALL_BYTES`: JSON escaping writes at most
 * 6 bytes per counted byte (`\u0001`), and 6 x 256 KB is 1.5 MiB. Such a body is refused
 * without being kept; any smaller one is judged by its entries, as EventBridge counts them.
 */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const OVER_THE_LIMIT = 'Total size of the entries in the request is over the limit.';

interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
  response.end(JSON.stringify(body));
}

/** An error as the AWS JSON protocol sends it: its type in the body and in `x-amzn-errortype`. */
function fail(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { __type: type, message }, { 'x-amzn-errortype': type });
}

/** The body, or undefined when it is over the guard: the rest is read and dropped, so the caller can still answer. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES ? MAX_BODY_BYTES + 1 : 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function parseRequest(raw: string): { Entries?: unknown } | undefined {
  try {
    const body: unknown = JSON.parse(raw);
    return body !== null && typeof body === 'object' ? (body as { Entries?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `Time` is absent, or seconds since the epoch that make a date (the AWS JSON protocol's timestamp). */
const isTimestamp = (time: unknown): boolean =>
  time === undefined ||
  time === null ||
  (typeof time === 'number' && Number.isFinite(new Date(time * 1000).getTime()));

const isResourceList = (resources: unknown): boolean =>
  resources === undefined ||
  resources === null ||
  (Array.isArray(resources) && resources.every((resource) => typeof resource === 'string'));

function parseDetail(detail: string): unknown {
  try {
    return JSON.parse(detail);
  } catch {
    return undefined;
  }
}

const constraint = (at: string, rule: string) =>
  `1 validation error detected: Value at '${at}' failed to satisfy constraint: ${rule}`;

/**
 * The checks of the request's shape and size, refused whole with one `ValidationException`
 * as EventBridge does: 1-10 entries, each an object with a valid `Time` and `Resources`,
 * and at most `MAX_CALL_BYTES` of entries as EventBridge counts them. What is wrong inside
 * an entry's own fields is answered in its place afterwards (`admitEntry`).
 */
function checkCall(entries: unknown): { error: string } | { entries: PutEventsEntry[] } {
  const list = Array.isArray(entries) ? (entries as unknown[]) : [];
  if (list.length < 1 || list.length > MAX_CALL_ENTRIES)
    return { error: constraint('entries', `Member must have length between 1 and ${MAX_CALL_ENTRIES}`) };
  let bytes = 0;
  for (const [index, entry] of list.entries()) {
    const at = `entries.${index + 1}.member`;
    if (!isObject(entry)) return { error: constraint(at, 'Member must be a PutEventsRequestEntry object') };
    if (!isTimestamp(entry.Time))
      return { error: constraint(`${at}.time`, 'Member must be a timestamp in seconds since the epoch') };
    if (!isResourceList(entry.Resources))
      return { error: constraint(`${at}.resources`, 'Member must be a list of strings') };
    bytes += putEventsEntrySize(entry);
  }
  if (bytes > MAX_CALL_BYTES) return { error: OVER_THE_LIMIT };
  return { entries: list as PutEventsEntry[] };
}

export interface EntryError {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/**
 * An entry's parsed `Detail`, or its own fault, answered in its place with
 * `FailedEntryCount` as EventBridge does: a missing field, or a `Detail` PutEvents cannot
 * process (not a JSON object, or nested past `MAX_DETAIL_DEPTH`). Its neighbours still go.
 */
function admitEntry(entry: PutEventsEntry): { error: EntryError } | { detail: Record<string, unknown> } {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || (entry[field] as string).length === 0) {
      return {
        error: {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        },
      };
    }
  }
  const detail = parseDetail(entry.Detail as string);
  if (!isObject(detail))
    return { error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
  if (nestingDepth(entry.Detail as string) > MAX_DETAIL_DEPTH)
    return {
      error: {
        ErrorCode: 'MalformedDetail',
        ErrorMessage: `Detail is malformed: it nests deeper than ${MAX_DETAIL_DEPTH} levels.`,
      },
    };
  return { detail };
}

/** A call refused before it is read for events: its status and AWS JSON error type. */
export interface PutEventsRefusal {
  readonly status: 400 | 403;
  readonly type: string;
  readonly message: string;
}

/**
 * Decides whether the caller may put events, from the request and its body as sent (a SigV4
 * signature covers the body's hash); undefined lets the call through.
 */
export type PutEventsAuthorizer = (
  request: IncomingMessage,
  rawBody: string,
) => Promise<PutEventsRefusal | undefined>;

/** Answers one PutEvents request; the server that fronts it may pass who is allowed to call. */
export type PutEventsHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  authorize?: PutEventsAuthorizer,
) => Promise<void>;

/** What a PutEvents call is answered: its entries' results, or the whole call refused. */
export type PutEventsAnswer =
  | {
      readonly status: 200;
      readonly body: { FailedEntryCount: number; Entries: ({ EventId: string } | EntryError)[] };
    }
  | { readonly status: 400; readonly type: string; readonly message: string };

/**
 * A PutEvents call made in process, checked, admitted and taken exactly as one over HTTP
 * (the collector's way onto the bus); it throws when taking the entries failed.
 */
export type PutEventsCall = (entries: unknown) => Promise<PutEventsAnswer>;

/** The HTTP endpoint, and the same operation in process. */
export type LocalPutEvents = PutEventsHandler & { readonly call: PutEventsCall };

/**
 * The PutEvents operation of EventBridge's AWS JSON 1.1 protocol, so apps and the
 * pipeline use the real `@aws-sdk/client-eventbridge` with a local endpoint.
 *
 * `admit` decides whether the endpoint takes a call's accepted events now; when it says no,
 * the call answers `ThrottlingException`, as EventBridge does under load, and the SDK and
 * the typed client retry it with backoff instead of the endpoint queueing without bound.
 *
 * `authorize`, given per request by the server, is asked once the body is read (within the
 * 2 MiB guard) and before anything else: a refused call is answered with its error and no
 * entry of it is looked at. A body over the guard is refused unread before it, since nothing
 * of it is taken.
 */
export function createPutEventsHandler(
  onEvents: LocalEventBusOptions['onEvents'],
  admit: (events: readonly BusEvent[]) => boolean = () => true,
): LocalPutEvents {
  const call: PutEventsCall = async (entries) => {
    const checked = checkCall(entries);
    if ('error' in checked) return { status: 400, type: 'ValidationException', message: checked.error };
    const accepted: BusEvent[] = [];
    const results = checked.entries.map((entry) => {
      const admitted = admitEntry(entry);
      if ('error' in admitted) return admitted.error;
      const id = randomUUID();
      accepted.push({
        version: '0',
        id,
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account: '000000000000',
        time:
          typeof entry.Time === 'number'
            ? new Date(entry.Time * 1000).toISOString()
            : new Date().toISOString(),
        region: 'local',
        resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
        detail: admitted.detail,
      });
      return { EventId: id };
    });
    if (accepted.length > 0 && !admit(accepted))
      return { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    if (accepted.length > 0) await onEvents(accepted);
    return { status: 200, body: { FailedEntryCount: results.length - accepted.length, Entries: results } };
  };
  const handler: PutEventsHandler = async (request, response, authorize) => {
    try {
      const raw = await readBody(request);
      if (raw === undefined) {
        fail(response, 400, 'ValidationException', OVER_THE_LIMIT);
        return;
      }
      const refusal = authorize ? await authorize(request, raw) : undefined;
      if (refusal) {
        fail(response, refusal.status, refusal.type, refusal.message);
        return;
      }
      const target = request.headers['x-amz-target'];
      if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
        fail(response, 400, 'UnknownOperationException', `operation ${String(target)} is not served here`);
        return;
      }
      const body = parseRequest(raw);
      if (!body) {
        fail(response, 400, 'SerializationException', 'The request body is not a JSON object.');
        return;
      }
      const answer = await call(body.Entries);
      if (answer.status === 200) send(response, 200, answer.body);
      else fail(response, answer.status, answer.type, answer.message);
    } catch (error) {
      fail(response, 500, 'InternalException', (error as Error).message);
    }
  };
  return Object.assign(handler, { call });
}

/** A PutEvents endpoint on its own port, for tests of the pipeline without the whole runtime. */
export async function startLocalEventBus(options: LocalEventBusOptions): Promise<LocalEventBus> {
  const handle = createPutEventsHandler(options.onEvents);
  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port, address } = server.address() as AddressInfo;
  return {
    endpoint: `http://${address}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
