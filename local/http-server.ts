import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, invalidParameter } from '../shared/use-cases/read-api/api-error.js';
import type { ApiRequest, ApiResponse } from '../shared/use-cases/read-api/read-api.js';
import {
  bearerCredentials,
  bearerRefusal,
  checkAccessToken,
  isToken,
  type TokenRefusal,
} from './access-token.js';
import { type CollectorOptions, createCollector, isCollectorPath } from './collector.js';
import type { PutEventsHandler } from './event-bus.js';
import { readJsonBody } from './http-body.js';
import { putEventsAuthorizer } from './put-events-authorizer.js';
import {
  type GuardRefusal,
  isLoopbackHost,
  refusal,
  SECURITY_HEADERS,
  type ServedHosts,
  servedHosts,
} from './request-guard.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** EventBridge's PutEvents (requests with `x-amz-target`). */
  readonly putEvents: PutEventsHandler;
  /** The read API at `/api/...`; set once the runtime is wired. */
  readonly readApi: () => ((request: ApiRequest) => Promise<ApiResponse>) | undefined;
  /** The built dashboard, for every other path. */
  readonly dashboard: RequestListener;
  /**
   * The secret every request but the dashboard's files must carry: the read API as
   * `Authorization: Bearer <token>`, PutEvents as a SigV4 signature made with it as the
   * secret access key (or the same bearer header). Required on a host other than loopback;
   * at least 16 characters. @default none: on loopback, requests need no token
   */
  readonly token?: string;
  /**
   * The Segment-style collector at `/v1/...`. It answers other origins by its own allow-list
   * and takes write keys instead of the token, which browsers and phones do not hold.
   * @default none: `/v1/...` is the dashboard's, like any other path
   */
  readonly collector?: CollectorOptions;
  /**
   * PutEvents of a history import at `/imports/<id>` (what `northstar import` sends), when
   * the runtime keeps a history. Same protocol and token as PutEvents.
   */
  readonly importPutEvents?: (importId: string) => PutEventsHandler;
  /**
   * The OIDC issuer when the read API is behind sign-in: the dashboard's content security
   * policy lets it connect there, and the read API, not this server, checks the bearer (an
   * ID token; the runtime's token, when given, still passes, as an operator's).
   * @default none: no sign-in
   */
  readonly signInIssuer?: string;
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
  operator: boolean,
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
    const repeated = [...new Set(url.searchParams.keys())].find(
      (name) => url.searchParams.getAll(name).length > 1,
    );
    if (repeated !== undefined) {
      const error = invalidParameter(repeated, 'is given more than once; give it once');
      send(error.status, error.body);
      return;
    }
    const method = request.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(request);
    const answer = await readApi({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(body === undefined ? {} : { body }),
      ...(request.headers.authorization === undefined
        ? {}
        : { authorization: request.headers.authorization }),
      ...(operator ? { operator } : {}),
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

/** PutEvents of an import, or 404 where the runtime takes none. */
async function importPutEvents(
  options: HttpServerOptions,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
  authorize: Parameters<PutEventsHandler>[2],
): Promise<void> {
  const id = /^\/imports\/([^/]+)\/?$/.exec(path)?.[1];
  if (id === undefined || !options.importPutEvents) {
    request.resume();
    response.writeHead(404, { 'content-type': 'application/json', connection: 'close' });
    response.end(
      JSON.stringify({
        error: {
          code: 'not_found',
          message: options.importPutEvents
            ? `${path} is not an import: send to /imports/<id>`
            : 'this runtime takes no history import: start it with a data directory',
        },
      }),
    );
    return;
  }
  await options.importPutEvents(decodeURIComponent(id))(request, response, authorize);
}

/** Answers a refused request without reading its body, and closes the connection. */
function refuse(
  request: IncomingMessage,
  response: ServerResponse,
  refused: GuardRefusal | TokenRefusal,
): void {
  request.resume();
  response.writeHead(refused.status, {
    'content-type': 'application/json',
    connection: 'close',
    ...(refused.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  response.end(JSON.stringify({ error: { code: refused.code, message: refused.message } }));
}

const isSignInRoute = (request: IncomingMessage, path: string) =>
  request.method === 'GET' && /^\/api\/sign-in\/?$/.test(path);

/** The security headers; with sign-in, the dashboard may also connect to the issuer (discovery, tokens). */
function securityHeaders(signInIssuer: string | undefined): Readonly<Record<string, string>> {
  if (signInIssuer === undefined) return SECURITY_HEADERS;
  const policy = SECURITY_HEADERS['content-security-policy'] ?? '';
  return {
    ...SECURITY_HEADERS,
    'content-security-policy': policy.replace(
      "connect-src 'self'",
      `connect-src 'self' ${new URL(signInIssuer).origin}`,
    ),
  };
}

/**
 * One HTTP server for PutEvents, the collector, the read API and the dashboard, as API Gateway
 * and CloudFront would front them. With a token, the read API and PutEvents take only requests that carry it;
 * the dashboard's files, which hold no data, are served to anyone the guard lets through.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port, token } = options;
  checkAccessToken(host, token, isLoopbackHost(host));
  const authorizePutEvents = token === undefined ? undefined : putEventsAuthorizer(token);
  // Built before listening: write keys that cannot be read stop the start, naming the setting.
  const collector = options.collector ? await createCollector(options.collector) : undefined;
  let hosts: ServedHosts = new Set();
  const headers = securityHeaders(options.signInIssuer);
  const server: Server = createServer((request, response) => {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const isPutEvents = request.headers['x-amz-target'] !== undefined;
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const isApi = !isPutEvents && (path === '/api' || path.startsWith('/api/'));
    const isCollector = collector !== undefined && !isPutEvents && isCollectorPath(path);
    // The runtime's own token, when sent: an operator's call, which sign-in lets through as admin.
    const given = bearerCredentials(request.headers.authorization);
    const operator = token !== undefined && given !== undefined && isToken(given, token);
    // With sign-in the read API judges the bearer; the sign-in route is for anyone, so a tab learns what to do.
    const tokenChecked =
      isApi && token !== undefined && !options.signInIssuer && !isSignInRoute(request, path);
    // Of the guard, the collector keeps the Host check only: origins and content types are its own to judge.
    const refused = isCollector
      ? refusal(request.method ?? 'GET', { host: request.headers.host }, hosts, true)
      : (refusal(request.method ?? 'GET', request.headers, hosts, isPutEvents) ??
        (tokenChecked ? bearerRefusal(request.headers, token) : undefined));
    if (refused) refuse(request, response, refused);
    else if (isPutEvents && path.startsWith('/imports/'))
      void importPutEvents(options, path, request, response, authorizePutEvents);
    else if (isPutEvents) void options.putEvents(request, response, authorizePutEvents);
    else if (isCollector) void collector(request, response);
    else if (isApi) void serveApi(options.readApi(), request, response, operator);
    else void options.dashboard(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new Error(`Cannot listen on ${host}:${port}: ${cause.message}; choose another port`, { cause })),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  hosts = servedHosts(host, address.port);
  const name = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${name}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
