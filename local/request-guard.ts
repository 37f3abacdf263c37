import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a request must show before the local runtime serves it. A web page on another origin
 * can make the owner's browser send requests here: writes must be JSON (a cross-site form or
 * `text/plain` fetch cannot set that without a preflight, which is never granted), and a
 * request whose `Origin` or `Host` is not the runtime's own is refused (DNS rebinding points
 * another name at 127.0.0.1; the `Host` header still says that name).
 */
export interface GuardRefusal {
  readonly status: 403 | 415;
  readonly code: 'forbidden_host' | 'forbidden_origin' | 'unsupported_media_type';
  readonly message: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A bound address as it appears in `Host`: an IPv6 address in brackets. */
const hostName = (boundHost: string) =>
  boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost.toLowerCase();

/** Whether a bind address is this machine only (`127.0.0.1`, `127.x.y.z`, `localhost`, `::1`). */
export function isLoopbackHost(boundHost: string): boolean {
  const name = hostName(boundHost);
  return LOOPBACK_NAMES.includes(name) || name.startsWith('127.');
}

/** The `host:port` values this server answers to: the bound address, and the loopback names when bound to loopback. */
export function ownHosts(boundHost: string, port: number): Set<string> {
  const name = hostName(boundHost);
  const names = [name, ...(isLoopbackHost(boundHost) ? LOOPBACK_NAMES : [])];
  // On port 80 a browser leaves the port out of Host and Origin.
  return new Set([...names.map((host) => `${host}:${port}`), ...(port === 80 ? names : [])]);
}

/** Every `Host` is served; an `Origin`, when sent, must be the request's own host. */
export const ANY_HOST = 'any';

/** The `host:port` values a server answers to, or `ANY_HOST`. */
export type ServedHosts = ReadonlySet<string> | typeof ANY_HOST;

/**
 * The hosts a server bound to `boundHost` answers to. On loopback: its own names only, so a
 * DNS name rebound to 127.0.0.1 is refused. Bound to another address, other machines reach it
 * by addresses and names it cannot know (a LAN address when bound to 0.0.0.0, the machine's
 * name), so every `Host` is served: such a runtime takes nothing that holds data without its
 * token (`startHttpServer` refuses to start without one), and a rebound page never has it.
 */
export function servedHosts(boundHost: string, port: number): ServedHosts {
  return isLoopbackHost(boundHost) ? ownHosts(boundHost, port) : ANY_HOST;
}

/** Why a request is refused, or undefined when it may be served. */
export function refusal(
  method: string,
  headers: IncomingHttpHeaders,
  hosts: ServedHosts,
  isPutEvents: boolean,
): GuardRefusal | undefined {
  const host = (headers.host ?? '').toLowerCase();
  const served = (name: string) => (hosts === ANY_HOST ? name !== '' && name === host : hosts.has(name));
  if (!served(host))
    return {
      status: 403,
      code: 'forbidden_host',
      message: `requests for host "${host}" are not served here`,
    };
  const origin = headers.origin;
  if (origin !== undefined && !served(originHost(origin)))
    return { status: 403, code: 'forbidden_origin', message: `requests from ${origin} are not served here` };
  // PutEvents speaks the AWS JSON protocol, with its own content type and a header a page cannot send unasked.
  if (WRITE_METHODS.has(method.toUpperCase()) && !isPutEvents && !isJson(headers['content-type']))
    return {
      status: 415,
      code: 'unsupported_media_type',
      message: `${method} takes content-type: application/json, not ${headers['content-type'] ?? 'none'}`,
    };
  return undefined;
}

function originHost(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' ? url.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Sent with every answer: the dashboard runs only its own scripts, is never framed, sniffs nothing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
