import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PutEventsRequest {
  readonly Entries: { Source: string; DetailType: string; Detail: string; EventBusName?: string }[];
}

/** What the proxy does with one call: pass it on, answer in the endpoint's place, or drop the connection. */
export type ProxyAction =
  | { kind: 'forward' }
  | { kind: 'answer'; status: number; body: unknown }
  | { kind: 'destroy' };

export interface PutEventsProxy {
  readonly url: string;
  /** Every PutEvents request that reached the proxy, in order. */
  readonly requests: PutEventsRequest[];
  /** Requests passed on to the endpoint (and so accepted there). */
  readonly forwarded: PutEventsRequest[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An HTTP proxy in front of a PutEvents endpoint that injects failures where a test asks:
 * throttled or failed entries, 5xx answers, dropped connections. The client under test
 * talks real HTTP to it; nothing of the client is mocked.
 */
export async function startPutEventsProxy(
  target: string,
  decide: (call: number, request: PutEventsRequest) => ProxyAction,
): Promise<PutEventsProxy> {
  const requests: PutEventsRequest[] = [];
  const forwarded: PutEventsRequest[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request);
      const body = JSON.parse(text) as PutEventsRequest;
      requests.push(body);
      const action = decide(requests.length, body);
      if (action.kind === 'destroy') {
        request.socket.destroy();
        return;
      }
      if (action.kind === 'answer') {
        response.writeHead(action.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(action.body));
        return;
      }
      forwarded.push(body);
      const answer = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': String(request.headers['x-amz-target']),
        },
        body: text,
      });
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(await answer.text());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    forwarded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every entry failed with the same per-entry code, as PutEvents answers a throttled call. */
export function failedEntries(request: PutEventsRequest, errorCode: string): ProxyAction {
  return {
    kind: 'answer',
    status: 200,
    body: {
      FailedEntryCount: request.Entries.length,
      Entries: request.Entries.map(() => ({ ErrorCode: errorCode, ErrorMessage: `injected ${errorCode}` })),
    },
  };
}

export const serverError: ProxyAction = {
  kind: 'answer',
  status: 500,
  body: { __type: 'InternalException', message: 'injected failure' },
};

/** Polls until the condition holds; fails with the message after the timeout. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Events of the entries of a request, batch or single. */
export function eventIdsOf(requests: readonly PutEventsRequest[]): string[] {
  return requests.flatMap((request) =>
    request.Entries.flatMap((entry) => {
      const detail = JSON.parse(entry.Detail) as { events?: { eventId: string }[]; eventId?: string };
      return detail.events ? detail.events.map((event) => event.eventId) : [detail.eventId ?? ''];
    }),
  );
}
