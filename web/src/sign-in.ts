import type { SignInInfo } from '../../shared/use-cases/read-api/routes-sign-in.js';
import {
  authorizationUrl,
  codeChallenge,
  decodeClaims,
  discover,
  exchangeCode,
  type IdClaims,
  type ProviderMetadata,
  randomToken,
  refreshTokens,
  TokenGrantError,
} from './oidc.js';

/**
 * The dashboard's sign-in, when the read API says it needs one (`GET /api/sign-in`): the
 * tokens live in this tab only (memory and sessionStorage, never localStorage), the ID token
 * goes with every API call, and it is refreshed with the refresh token before it expires.
 */

type Required = Extract<SignInInfo, { required: true }>;

interface Session {
  readonly idToken: string;
  readonly refreshToken?: string;
  readonly claims: IdClaims;
}

/** What the authorization request must find again when the issuer sends the browser back. */
interface Pending {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly returnTo: string;
}

const SESSION_KEY = 'northstar.sign-in.session';
const PENDING_KEY = 'northstar.sign-in.pending';
/** Refresh this long before the ID token expires, or at three quarters of its life when shorter. */
const REFRESH_AHEAD_MS = 60_000;
/** A scheduled refresh that failed for want of the network is tried again after this long. */
const RETRY_MS = 10_000;

let info: Required | undefined;
let metadata: ProviderMetadata | undefined;
let session: Session | undefined;
/** Why the tab is not signed in, when it was or tried to be. */
let problem: string | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | undefined;
const listeners: (() => void)[] = [];

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function read<T>(key: string): T | undefined {
  try {
    const text = storage()?.getItem(key);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** This page without its query or fragment: where the issuer sends the browser back, and signs out to. */
const redirectUri = () => `${location.origin}${location.pathname}`;

const notify = () => {
  for (const listener of listeners) listener();
};

/** Calls `listener` whenever the tab signs in, refreshes into a new session, or signs out. */
export function onSessionChange(listener: () => void): void {
  listeners.push(listener);
}

function keep(tokens: { id_token: string; refresh_token?: string }, previous?: Session): void {
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  session = {
    idToken: tokens.id_token,
    ...(refreshToken ? { refreshToken } : {}),
    claims: decodeClaims(tokens.id_token),
  };
  problem = undefined;
  storage()?.setItem(SESSION_KEY, JSON.stringify({ idToken: session.idToken, refreshToken }));
  scheduleRefresh();
}

function end(reason: string | undefined): void {
  session = undefined;
  problem = reason;
  clearTimeout(refreshTimer);
  storage()?.removeItem(SESSION_KEY);
  notify();
}

function scheduleRefresh(delayMs?: number): void {
  clearTimeout(refreshTimer);
  if (!session?.refreshToken) return;
  const { exp, iat } = session.claims;
  const lifetimeMs = (exp - (iat ?? exp - 3600)) * 1000;
  const at = exp * 1000 - Math.min(REFRESH_AHEAD_MS, lifetimeMs / 4);
  refreshTimer = setTimeout(
    () => {
      void refresh().then((done) => {
        if (!done && session) scheduleRefresh(RETRY_MS);
      });
    },
    delayMs ?? Math.max(0, at - Date.now()),
  );
}

/**
 * A new ID token from the refresh token, once at a time. False when there is none to be had
 * now; a refresh token the issuer refused ends the session.
 */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = session;
    if (!info || !metadata || !current?.refreshToken) return false;
    try {
      keep(
        await refreshTokens(metadata, { clientId: info.clientId, refreshToken: current.refreshToken }),
        current,
      );
      return true;
    } catch (error) {
      if (error instanceof TokenGrantError) end('Your session has ended: sign in again.');
      return false;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** The issuer sent the browser back with a code (or an error): the session starts, or says why not. */
async function completeSignIn(params: URLSearchParams): Promise<void> {
  const pending = read<Pending>(PENDING_KEY);
  storage()?.removeItem(PENDING_KEY);
  history.replaceState(history.state, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (!info || !metadata) return;
  if (!pending || params.get('state') !== pending.state) {
    problem = 'The sign-in answer did not match the request this tab made: sign in again.';
    return;
  }
  const issuer = params.get('iss');
  if (issuer !== null && issuer !== info.issuer) {
    problem = `The sign-in answer came from ${issuer}, not ${info.issuer}: sign in again.`;
    return;
  }
  const refused = params.get('error');
  if (refused !== null) {
    problem = `Sign-in did not complete: ${params.get('error_description') ?? refused}.`;
    return;
  }
  try {
    const tokens = await exchangeCode(metadata, {
      clientId: info.clientId,
      code: params.get('code') ?? '',
      redirectUri: pending.redirectUri,
      codeVerifier: pending.codeVerifier,
    });
    const claims = decodeClaims(tokens.id_token);
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
    if (claims.nonce !== pending.nonce || claims.iss !== info.issuer || !audiences.includes(info.clientId)) {
      problem = 'The ID token was not issued for this sign-in: sign in again.';
      return;
    }
    keep(tokens);
  } catch (error) {
    problem = `Sign-in did not complete: ${(error as Error).message}.`;
  }
}

/**
 * Reads whether the API needs sign-in, before the first render. With sign-in it discovers the
 * issuer, completes a sign-in the issuer sent back, or takes up the session this tab kept.
 */
export async function startSignIn(headers: Record<string, string> = {}): Promise<void> {
  try {
    const response = await fetch('/api/sign-in', { headers: { accept: 'application/json', ...headers } });
    const answer = response.ok ? ((await response.json()) as SignInInfo) : undefined;
    // An API without the route, or one that refuses it, has no sign-in: the views say what else it needs.
    if (!answer?.required) return;
    info = answer;
  } catch {
    return;
  }
  try {
    metadata = await discover(info.issuer);
  } catch (error) {
    problem = `The sign-in service cannot be reached: ${(error as Error).message}.`;
    return;
  }
  const params = new URLSearchParams(location.search);
  if (params.has('state') && (params.has('code') || params.has('error'))) {
    await completeSignIn(params);
    return;
  }
  const kept = read<{ idToken: string; refreshToken?: string }>(SESSION_KEY);
  if (!kept) return;
  try {
    keep({ id_token: kept.idToken, ...(kept.refreshToken ? { refresh_token: kept.refreshToken } : {}) });
  } catch {
    end(undefined);
  }
}

/** Whether the API needs sign-in (known after `startSignIn`). */
export const signInRequired = (): boolean => info !== undefined;

/** Whether API calls can go out: no sign-in needed, or a session. */
export const signedIn = (): boolean => info === undefined || session !== undefined;

/** Why the tab is signed out, when something went wrong or the session ended. */
export const signInProblem = (): string | undefined => problem;

/** Who is signed in, for the header and the acknowledgement's name. */
export function signedInUser(): { name: string; admin: boolean } | undefined {
  if (!info || !session) return undefined;
  const { claims } = session;
  const name = [claims.name, claims.email, claims['cognito:username'], claims.sub].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const groups = claims[info.groupsClaim];
  const admin = Array.isArray(groups) ? groups.includes(info.adminGroup) : groups === info.adminGroup;
  return { name: name ?? claims.sub, admin };
}

/** The ID token to send, refreshed first when it has expired (a timer in a background tab may not have run). */
export async function idToken(): Promise<string | undefined> {
  if (session && session.claims.exp * 1000 <= Date.now() + 5_000) await refresh();
  return session?.idToken;
}

/** After a 401: a refreshed token to retry once with, or the session ends. */
export async function refreshAfterRefusal(): Promise<boolean> {
  if (await refresh()) return true;
  if (session) end('Your sign-in was not accepted any more: sign in again.');
  return false;
}

/** Sends the browser to the issuer to sign in, coming back to this view. */
export async function beginSignIn(): Promise<void> {
  if (!info || !metadata) return;
  const pending: Pending = {
    state: randomToken(),
    nonce: randomToken(),
    codeVerifier: randomToken(),
    redirectUri: redirectUri(),
    returnTo: location.hash,
  };
  storage()?.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(
    authorizationUrl(metadata, {
      clientId: info.clientId,
      redirectUri: pending.redirectUri,
      scopes: info.scopes,
      state: pending.state,
      nonce: pending.nonce,
      codeChallenge: await codeChallenge(pending.codeVerifier),
    }),
  );
}

/**
 * Where the issuer ends its own session, Cognito-style (`/logout?client_id=&logout_uri=`), when
 * its discovery document has no `end_session_endpoint`: the configured endpoint, else the
 * hosted UI's `/logout` for a Cognito domain.
 */
function cognitoLogout(required: Required, provider: ProviderMetadata): string | undefined {
  if (required.logoutEndpoint) return required.logoutEndpoint;
  const authorize = new URL(provider.authorization_endpoint);
  return authorize.hostname.endsWith('.amazoncognito.com') ? `${authorize.origin}/logout` : undefined;
}

/**
 * Forgets the tokens at once (API calls carry none from now), revokes the refresh token where
 * the issuer can, and ends the issuer's session too, coming back to this page.
 */
export function signOut(): void {
  const ended = session;
  end(undefined);
  if (!info || !metadata) return;
  if (metadata.revocation_endpoint && ended?.refreshToken)
    void fetch(metadata.revocation_endpoint, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: info.clientId,
        token: ended.refreshToken,
        token_type_hint: 'refresh_token',
      }),
    }).catch(() => undefined);
  if (metadata.end_session_endpoint) {
    const url = new URL(metadata.end_session_endpoint);
    url.search = new URLSearchParams({
      client_id: info.clientId,
      post_logout_redirect_uri: redirectUri(),
      ...(ended ? { id_token_hint: ended.idToken } : {}),
    }).toString();
    location.assign(url.href);
    return;
  }
  const logout = cognitoLogout(info, metadata);
  if (logout) {
    const url = new URL(logout);
    url.search = new URLSearchParams({ client_id: info.clientId, logout_uri: redirectUri() }).toString();
    location.assign(url.href);
  }
}
