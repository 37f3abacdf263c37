/**
 * The OAuth 2.0 authorization code flow with PKCE (S256) for a public client in the browser,
 * as OIDC describes it: discovery, the authorization request, and the token endpoint's two
 * grants (code, refresh token). No secret: the code verifier proves the code is this tab's.
 */

/** The part of an issuer's discovery document the dashboard uses. */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint?: string;
  readonly revocation_endpoint?: string;
}

/** What the token endpoint answers; a refresh may leave out the refresh token (Cognito keeps the old one). */
export interface TokenResponse {
  readonly id_token: string;
  readonly refresh_token?: string;
}

/** The claims of an ID token the dashboard reads: it never verifies one, the read API does. */
export interface IdClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly sub: string;
  readonly exp: number;
  readonly iat?: number;
  readonly nonce?: string;
  readonly [claim: string]: unknown;
}

/** The token endpoint refused the grant: the code or refresh token is no longer good. */
export class TokenGrantError extends Error {
  override readonly name = 'TokenGrantError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function discover(issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const metadata = (await response.json()) as Partial<ProviderMetadata>;
  if (metadata.issuer !== issuer)
    throw new Error(`${url} names the issuer ${metadata.issuer}, not ${issuer}`);
  if (typeof metadata.authorization_endpoint !== 'string' || typeof metadata.token_endpoint !== 'string')
    throw new Error(`${url} has no authorization or token endpoint`);
  return metadata as ProviderMetadata;
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** 32 random bytes, base64url: a state, a nonce or a code verifier. */
export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 code challenge of a code verifier. */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string;
  readonly nonce: string;
  readonly codeChallenge: string;
}

export function authorizationUrl(metadata: ProviderMetadata, request: AuthorizationRequest): string {
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(' '),
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

async function tokenGrant(metadata: ProviderMetadata, form: Record<string, string>): Promise<TokenResponse> {
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new TokenGrantError(
      String(body.error ?? response.status),
      `the sign-in service refused: ${String(body.error_description ?? body.error ?? `HTTP ${response.status}`)}`,
    );
  if (typeof body.id_token !== 'string')
    throw new TokenGrantError('no_id_token', 'the sign-in service sent no ID token');
  return {
    id_token: body.id_token,
    ...(typeof body.refresh_token === 'string' ? { refresh_token: body.refresh_token } : {}),
  };
}

export function exchangeCode(
  metadata: ProviderMetadata,
  grant: { clientId: string; code: string; redirectUri: string; codeVerifier: string },
): Promise<TokenResponse> {
  return tokenGrant(metadata, {
    grant_type: 'authorization_code',
    client_id: grant.clientId,
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  });
}

export function refreshTokens(
  metadata: ProviderMetadata,
  grant: { clientId: string; refreshToken: string },
): Promise<TokenResponse> {
  return tokenGrant(metadata, {
    grant_type: 'refresh_token',
    client_id: grant.clientId,
    refresh_token: grant.refreshToken,
  });
}

/** The payload of a JWT, unverified: for what the page shows and schedules, never for access. */
export function decodeClaims(token: string): IdClaims {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (character) => character.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as IdClaims;
}
