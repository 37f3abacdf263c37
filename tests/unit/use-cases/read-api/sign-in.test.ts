import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { oidcIdTokenVerifier } from '../../../../shared/adapters/jwt/oidc-id-token-verifier.js';
import {
  type ApiRequest,
  type ApiResponse,
  createReadApi,
  type ReadApiDeps,
} from '../../../../shared/use-cases/read-api/read-api.js';
import { SignInInfo } from '../../../../shared/use-cases/read-api/routes-sign-in.js';
import { ApiErrorBody } from '../../../../shared/use-cases/read-api/schemas.js';
import { SignInSettings } from '../../../../shared/use-cases/read-api/sign-in.js';
import { weeklySignups } from '../../../support/weekly-signups.js';

const ISSUER = 'https://issuer.example.com/pool-1';
const CLIENT_ID = 'northstar-dashboard';
const NOW_S = Math.floor(Date.now() / 1000);

const compiled = weeklySignups({ grains: ['day', 'week'] });

let issuerKey: CryptoKey;
let otherKey: CryptoKey;
let api: (request: ApiRequest) => Promise<ApiResponse>;
let open: (request: ApiRequest) => Promise<ApiResponse>;
/** Acknowledgements that reached the store: a refused write never does. */
const acknowledged: string[] = [];
/** Who each acknowledgement that reached the store names. */
const acknowledgedBy: string[] = [];

/** An ID token as the issuer would sign it, with `claims` laid over a valid reader's. */
function idToken(claims: JWTPayload = {}, key: CryptoKey = issuerKey): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    aud: CLIENT_ID,
    sub: 'user-1',
    iat: NOW_S - 60,
    exp: NOW_S + 300,
    email: 'reader@example.com',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key === issuerKey ? 'issuer-key' : 'other-key' })
    .sign(key);
}

const get = (path: string, authorization?: string) =>
  api({ method: 'GET', path, query: {}, ...(authorization ? { authorization } : {}) });
const acknowledge = (authorization?: string) =>
  api({
    method: 'POST',
    path: '/api/alerts/v1:week:2026-W48/ack',
    query: {},
    body: { by: 'Ann', note: 'known: campaign ended' },
    ...(authorization ? { authorization } : {}),
  });

function refusal(response: ApiResponse, status: 401 | 403) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return ApiErrorBody.parse(response.body).error;
}

beforeAll(async () => {
  const issuer = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  issuerKey = issuer.privateKey;
  otherKey = other.privateKey;
  const keys = createLocalJWKSet({
    keys: [{ ...(await exportJWK(issuer.publicKey)), kid: 'issuer-key', alg: 'RS256' }],
  });
  const deps: ReadApiDeps = {
    compiled,
    rollups: { latestRollups: async () => [], rollupRange: async () => [] },
    alerts: {
      listAlerts: async () => [],
      acknowledgeAlert: async (_key, alertId, acknowledgement) => {
        acknowledged.push(alertId);
        acknowledgedBy.push(acknowledgement.by);
        return undefined;
      },
    },
    digests: { listDigests: async () => [] },
    counters: { readCounters: async () => new Map() } as unknown as ReadApiDeps['counters'],
    quarantine: { listQuarantine: async () => [] } as unknown as ReadApiDeps['quarantine'],
    freshness: { readLatest: async () => undefined },
    runs: { lastRunAt: async () => undefined },
    recompute: async () => {
      throw new Error('not in these tests');
    },
    clock: () => NOW_S * 1000,
  };
  const settings = SignInSettings.parse({ issuer: ISSUER, clientId: CLIENT_ID });
  api = createReadApi({
    ...deps,
    signIn: { settings, verifier: oidcIdTokenVerifier({ issuer: ISSUER, audience: CLIENT_ID, keys }) },
  });
  open = createReadApi(deps);
});

describe('read API behind sign-in', () => {
  test('Sign-in route: It should say, without a token, which issuer, client and scopes to sign in with', async () => {
    const response = await get('/api/sign-in');
    expect(response.status).toBe(200);
    expect(SignInInfo.parse(response.body)).toEqual({
      required: true,
      issuer: ISSUER,
      clientId: CLIENT_ID,
      scopes: ['openid', 'email', 'profile'],
      groupsClaim: 'cognito:groups',
      adminGroup: 'admin',
      logoutEndpoint: null,
    });
  });

  test('Sign-in route: It should say sign-in is not needed when the API has no sign-in setting, and serve reads without a token', async () => {
    const response = await open({ method: 'GET', path: '/api/sign-in', query: {} });
    expect(response.body).toEqual({ required: false });
    expect((await open({ method: 'GET', path: '/api/alerts', query: {} })).status).toBe(200);
  });

  test('Valid token: It should serve a read to anyone signed in', async () => {
    const response = await get('/api/alerts', `Bearer ${await idToken()}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  });

  test('No token: It should answer 401 with WWW-Authenticate invalid_token, naming the issuer', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const response = await get('/api/alerts', authorization);
      const error = refusal(response, 401);
      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain(ISSUER);
      expect(response.headers?.['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    }
  });

  test('Wrong audience: It should answer 401 for a token of another client', async () => {
    const error = refusal(await get('/api/alerts', `Bearer ${await idToken({ aud: 'other-client' })}`), 401);
    expect(error.message).toContain('"aud"');
  });

  test('Wrong issuer: It should answer 401 for a token of another issuer', async () => {
    const error = refusal(
      await get('/api/alerts', `Bearer ${await idToken({ iss: 'https://evil.example.com' })}`),
      401,
    );
    expect(error.message).toContain('"iss"');
  });

  test('Expired: It should answer 401 for a token past its exp and the clock tolerance, and take one within it', async () => {
    const expired = refusal(await get('/api/alerts', `Bearer ${await idToken({ exp: NOW_S - 120 })}`), 401);
    expect(expired.message).toContain('expired');
    // 10 s late is within the 30 s tolerance for clocks apart.
    expect((await get('/api/alerts', `Bearer ${await idToken({ exp: NOW_S - 10 })}`)).status).toBe(200);
    const early = refusal(await get('/api/alerts', `Bearer ${await idToken({ nbf: NOW_S + 600 })}`), 401);
    expect(early.message).toContain('"nbf"');
  });

  test('Tampered: It should answer 401 for a token whose claims were changed or that another key signed', async () => {
    const [header, , signature] = (await idToken()).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        aud: CLIENT_ID,
        sub: 'user-1',
        exp: NOW_S + 300,
        'cognito:groups': ['admin'],
      }),
    ).toString('base64url');
    const changed = refusal(await acknowledge(`Bearer ${header}.${forged}.${signature}`), 401);
    expect(changed.message).toContain('not signed by the issuer');
    const otherSigner = refusal(await get('/api/alerts', `Bearer ${await idToken({}, otherKey)}`), 401);
    expect(otherSigner.message).toContain("none of the issuer's keys");
    refusal(await get('/api/alerts', 'Bearer not-a-jwt'), 401);
    expect(acknowledged).toEqual([]);
  });

  test('No group: It should answer 403 naming the admin group when someone outside it writes, before the store', async () => {
    for (const groups of [undefined, ['readers']]) {
      const token = await idToken(groups ? { 'cognito:groups': groups } : {});
      const response = await acknowledge(`Bearer ${token}`);
      const error = refusal(response, 403);
      expect(error.code).toBe('forbidden');
      expect(error.message).toContain('Only members of the "admin" group may acknowledge an alert');
      expect(error.message).toContain('reader@example.com');
      expect(response.headers?.['www-authenticate']).toMatch(/error="insufficient_scope"/);
    }
    const recompute = await api({
      method: 'POST',
      path: '/api/recompute',
      query: {},
      authorization: `Bearer ${await idToken()}`,
    });
    expect(refusal(recompute, 403).message).toContain('may start a recompute');
    expect(acknowledged).toEqual([]);
  });

  test('Admin: It should let a member of the admin group write', async () => {
    const response = await acknowledge(`Bearer ${await idToken({ 'cognito:groups': ['readers', 'admin'] })}`);
    // The store has no such alert: the request got past the check to the store.
    expect(response.status).toBe(404);
    expect(acknowledged).toEqual(['v1:week:2026-W48']);
    // The token says who acknowledged, not the body ("Ann").
    expect(acknowledgedBy).toEqual(['reader@example.com']);
  });

  test('Operator: It should let a caller the adapter vouches for write without an ID token', async () => {
    const response = await api({
      method: 'POST',
      path: '/api/alerts/v1:week:2026-W49/ack',
      query: {},
      body: { by: 'Ops', note: 'checked' },
      operator: true,
    });
    expect(response.status).toBe(404);
    expect(acknowledged).toContain('v1:week:2026-W49');
    // No token to name the caller: the body's name stands.
    expect(acknowledgedBy.at(-1)).toBe('Ops');
  });

  test('Order: It should refuse a call without a token before it validates the query', async () => {
    const response = await api({ method: 'GET', path: '/api/alerts', query: { nope: '1' } });
    expect(response.status).toBe(401);
  });
});

describe('OpenAPI document of sign-in', () => {
  test('OpenAPI: It should declare the bearer scheme, the public sign-in route, 401 on reads and 403 on writes', async () => {
    const document = (await open({ method: 'GET', path: '/api/openapi.json', query: {} })).body as {
      components: { securitySchemes: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(document.components.securitySchemes.signIn?.scheme).toBe('bearer');
    const signIn = document.paths['/api/sign-in']?.get;
    expect(signIn?.security).toEqual([]);
    expect(Object.keys(signIn?.responses ?? {})).not.toContain('401');
    expect(Object.keys(document.paths['/api/alerts']?.get?.responses ?? {})).toContain('401');
    expect(Object.keys(document.paths['/api/alerts/{id}/ack']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['401', '403']),
    );
  });
});
