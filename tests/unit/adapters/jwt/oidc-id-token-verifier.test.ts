import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  oidcIdTokenVerifier,
  SignInDiscoveryError,
} from '../../../../shared/adapters/jwt/oidc-id-token-verifier.js';
import { IdTokenRejectedError } from '../../../../shared/ports/id-tokens.js';

const CLIENT_ID = 'northstar-dashboard';
let server: Server;
let issuer: string;
let privateKey: CryptoKey;
let jwks: object;
/** Paths the issuer was asked for, in order. */
const requested: string[] = [];
/** The issuer its discovery document names; another one for the mismatch test. */
let namedIssuer = '';

const idToken = (claims: Record<string, unknown> = {}) =>
  new SignJWT({
    sub: 'user-1',
    iss: issuer,
    aud: CLIENT_ID,
    exp: Math.floor(Date.now() / 1000) + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(privateKey);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    response.setHeader('content-type', 'application/json');
    if (request.url?.endsWith('/.well-known/openid-configuration'))
      response.end(JSON.stringify({ issuer: namedIssuer, jwks_uri: `${issuer}/jwks` }));
    else if (request.url?.endsWith('/jwks')) response.end(JSON.stringify(jwks));
    else response.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool`;
  namedIssuer = issuer;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('OIDC ID token verifier', () => {
  test('Discovery: It should find the keys through the discovery document once, and keep them', async () => {
    requested.length = 0;
    const verifier = oidcIdTokenVerifier({ issuer, audience: CLIENT_ID });
    expect((await verifier.verify(await idToken())).sub).toBe('user-1');
    expect((await verifier.verify(await idToken({ sub: 'user-2' }))).sub).toBe('user-2');
    expect(requested).toEqual(['/pool/.well-known/openid-configuration', '/pool/jwks']);
  });

  test('Discovery: It should fail as the service, not the caller, when the document names another issuer', async () => {
    namedIssuer = 'https://elsewhere.example.com';
    try {
      const verifier = oidcIdTokenVerifier({ issuer, audience: CLIENT_ID });
      const failure = await verifier.verify(await idToken()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SignInDiscoveryError);
      expect(failure).not.toBeInstanceOf(IdTokenRejectedError);
    } finally {
      namedIssuer = issuer;
    }
  });

  test('Issuer: It should take the tokens of an issuer whose URL ends in a slash, as Auth0 states it, finding its document without a double slash', async () => {
    const slashed = `${issuer}/`;
    namedIssuer = slashed;
    requested.length = 0;
    try {
      const verifier = oidcIdTokenVerifier({ issuer: slashed, audience: CLIENT_ID });
      expect((await verifier.verify(await idToken({ iss: slashed }))).sub).toBe('user-1');
      expect(requested[0]).toBe('/pool/.well-known/openid-configuration');
    } finally {
      namedIssuer = issuer;
    }
  });

  test('Issuer: It should compare `iss` exactly, a trailing slash more or less being another issuer', async () => {
    const slashed = `${issuer}/`;
    namedIssuer = slashed;
    try {
      const withSlash = oidcIdTokenVerifier({ issuer: slashed, audience: CLIENT_ID });
      const failure = await withSlash.verify(await idToken({ iss: issuer })).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(IdTokenRejectedError);
      expect((failure as IdTokenRejectedError).message).toContain('"iss"');
    } finally {
      namedIssuer = issuer;
    }
    const withoutSlash = oidcIdTokenVerifier({ issuer, audience: CLIENT_ID });
    await expect(withoutSlash.verify(await idToken({ iss: `${issuer}/` }))).rejects.toBeInstanceOf(
      IdTokenRejectedError,
    );
  });

  test('Algorithms: It should refuse an unsigned token', async () => {
    const verifier = oidcIdTokenVerifier({ issuer, audience: CLIENT_ID });
    const body = Buffer.from(JSON.stringify({ sub: 'x', iss: issuer, aud: CLIENT_ID, exp: 9e9 })).toString(
      'base64url',
    );
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    await expect(verifier.verify(unsigned)).rejects.toBeInstanceOf(IdTokenRejectedError);
  });
});
