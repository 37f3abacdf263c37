import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { discover } from '../../../web/src/oidc.js';

/** The dashboard's discovery of its sign-in provider, against an issuer that answers on this machine. */

let server: Server;
let base: string;
/** The issuer the discovery document names. */
let namedIssuer = '';
const requested: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        issuer: namedIssuer,
        authorization_endpoint: `${base}/tenant/authorize`,
        token_endpoint: `${base}/tenant/oauth/token`,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Dashboard sign-in discovery', () => {
  test('Issuer: It should discover an issuer whose URL ends in a slash (Auth0), without a double slash, and keep it as stated', async () => {
    namedIssuer = `${base}/tenant/`;
    requested.length = 0;
    const metadata = await discover(`${base}/tenant/`);
    expect(metadata.issuer).toBe(`${base}/tenant/`);
    expect(requested).toEqual(['/tenant/.well-known/openid-configuration']);
  });

  test('Issuer: It should refuse a document that names the issuer with a slash more or less', async () => {
    namedIssuer = `${base}/tenant`;
    await expect(discover(`${base}/tenant/`)).rejects.toThrow(/names the issuer/);
    namedIssuer = `${base}/tenant/`;
    await expect(discover(`${base}/tenant`)).rejects.toThrow(/names the issuer/);
  });
});
