import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NorthstarError } from '../shared/domain/errors.js';

/**
 * The local runtime's access token: a shared secret that every request for data must carry
 * when the runtime listens beyond loopback (and on loopback when one is given). The read API
 * takes it as `Authorization: Bearer <token>`; PutEvents as the secret access key of a SigV4
 * signature (`put-events-authorizer.ts`) or as the same bearer header.
 */

/** Shorter tokens are refused: on the network, the token is all that keeps others out. */
export const MIN_TOKEN_LENGTH = 16;
/** Sent in an HTTP header and a URL fragment: printable ASCII without spaces. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;
const HOW_TO_MAKE_ONE = 'e.g. from `openssl rand -hex 24`';

export class AccessTokenError extends NorthstarError {
  override readonly name = 'AccessTokenError';

  constructor(
    reason: 'token_required' | 'token_too_short' | 'token_malformed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason, message, options);
  }
}

/**
 * Throws unless the runtime may listen on `host` with this token: a host other than loopback
 * needs one, and a token given anywhere must be long enough to guard it.
 */
export function checkAccessToken(host: string, token: string | undefined, loopback: boolean): void {
  if (token === undefined) {
    if (loopback) return;
    throw new AccessTokenError(
      'token_required',
      `Not listening on ${host} without a token: anyone on the network could read the metrics and send events. Pass --token <token> or set NORTHSTAR_TOKEN (at least ${MIN_TOKEN_LENGTH} characters, ${HOW_TO_MAKE_ONE}), or listen on 127.0.0.1`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH)
    throw new AccessTokenError(
      'token_too_short',
      `The token has ${token.length} characters; it needs at least ${MIN_TOKEN_LENGTH}, since it is all that keeps others on the network from reading the metrics and sending events: pass a longer --token or NORTHSTAR_TOKEN (${HOW_TO_MAKE_ONE})`,
    );
  if (!TOKEN_CHARACTERS.test(token))
    throw new AccessTokenError(
      'token_malformed',
      `The token must be printable ASCII without spaces (it travels in an HTTP header and in the dashboard URL): pass another --token or NORTHSTAR_TOKEN (${HOW_TO_MAKE_ONE})`,
    );
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Whether `given` is the token, in time that does not depend on where they differ (or on their lengths). */
export function isToken(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/** The credentials of an `Authorization: Bearer <credentials>` header, or undefined for any other header. */
export function bearerCredentials(authorization: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
}

export interface TokenRefusal {
  readonly status: 401;
  readonly code: 'unauthorized';
  readonly message: string;
}

/** Why a read API request is refused for want of the token, or undefined when it carries it. */
export function bearerRefusal(headers: IncomingHttpHeaders, token: string): TokenRefusal | undefined {
  const given = bearerCredentials(headers.authorization);
  if (given === undefined)
    return {
      status: 401,
      code: 'unauthorized',
      message:
        'this runtime needs its token: send Authorization: Bearer <token>, the token npm start was given (--token or NORTHSTAR_TOKEN)',
    };
  if (!isToken(given, token))
    return {
      status: 401,
      code: 'unauthorized',
      message: "the bearer token is not this runtime's token",
    };
  return undefined;
}
