import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../shared/use-cases/read-api/api-error.js';
import type { ApiRequest, ApiResponse } from '../shared/use-cases/read-api/read-api.js';
import { readJsonBody } from './http-body.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** EventBridge's PutEvents (requests with `x-amz-target`). */
  readonly putEvents: RequestListener;
  /** The read API at `/api/...`; set once the runtime is wired. */
  readonly readApi: () => ((request: ApiRequest) => Promise<ApiResponse>) | undefined;
  /** The built dashboard, for every other path. */
  readonly dashboard: RequestListener;
}

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The read API on the same origin: `/api/...`, JSON in and out. */
async function serveApi(
  readApi: ((request: ApiRequest) => Promise<ApiResponse>) | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  try {
    const url = new URL(request.url ?? '/', 'http://local');
    if (!url.pathname.startsWith('/api/') || !readApi) {
      send(404, {
        error: { code: 'not_found', message: `${request.method} ${url.pathname} is not served here` },
      });
      return;
    }
    const method = request.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(request);
    const answer = await readApi({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(body === undefined ? {} : { body }),
    });
    send(answer.status, answer.body, answer.headers);
  } catch (error) {
    if (error instanceof ApiError) {
      send(error.status, error.body, { connection: 'close' });
      return;
    }
    send(500, { error: { code: 'internal', message: (error as Error).message } });
  }
}

/** One HTTP server for PutEvents, the read API and the dashboard, as API Gateway and CloudFront would front them. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server: Server = createServer((request, response) => {
    if (request.headers['x-amz-target']) void options.putEvents(request, response);
    else if ((request.url ?? '/').startsWith('/api/')) void serveApi(options.readApi(), request, response);
    else void options.dashboard(request, response);
  });
  const { host, port } = options;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new Error(`Cannot listen on ${host}:${port}: ${cause.message}; choose another port`, { cause })),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
