import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(body));
}

function fail(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { __type: type, message });
}

/** The body, or undefined when it is over the limit: the rest is read and dropped, so the caller can still answer. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function parseRequest(raw: string): { Entries?: PutEventsEntry[] } | undefined {
  try {
    const body: unknown = JSON.parse(raw);
    return body !== null && typeof body === 'object' ? (body as { Entries?: PutEventsEntry[] }) : undefined;
  } catch {
    return undefined;
  }
}

function entryError(entry: PutEventsEntry): { ErrorCode: string; ErrorMessage: string } | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || (entry[field] as string).length === 0) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail as string);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
      throw new TypeError('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * The PutEvents operation of EventBridge's AWS JSON 1.1 protocol, so apps and the
 * pipeline use the real `@aws-sdk/client-eventbridge` with a local endpoint.
 */
export function createPutEventsHandler(onEvents: LocalEventBusOptions['onEvents']): RequestHandler {
  return async (request, response) => {
    try {
      const target = request.headers['x-amz-target'];
      if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
        fail(response, 400, 'UnknownOperationException', `operation ${String(target)} is not served here`);
        return;
      }
      const raw = await readBody(request);
      if (raw === undefined) {
        fail(
          response,
          400,
          'ValidationException',
          'Total size of the entries in the request is over the limit.',
        );
        return;
      }
      const body = parseRequest(raw);
      if (!body) {
        fail(response, 400, 'SerializationException', 'The request body is not a JSON object.');
        return;
      }
      const entries = Array.isArray(body.Entries) ? body.Entries : [];
      if (entries.length < 1 || entries.length > MAX_ENTRIES) {
        fail(
          response,
          400,
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
        );
        return;
      }
      const accepted: BusEvent[] = [];
      const results = entries.map((entry) => {
        const error = entryError(entry);
        if (error) return error;
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
          detail: JSON.parse(entry.Detail as string),
        });
        return { EventId: id };
      });
      if (accepted.length > 0) await onEvents(accepted);
      send(response, 200, { FailedEntryCount: entries.length - accepted.length, Entries: results });
    } catch (error) {
      fail(response, 500, 'InternalException', (error as Error).message);
    }
  };
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
