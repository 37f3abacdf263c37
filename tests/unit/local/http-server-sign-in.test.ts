import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type HttpServer, startHttpServer } from '../../../local/http-server.js';
import type { ApiRequest, ApiResponse } from '../../../shared/use-cases/read-api/read-api.js';

const TOKEN = 'runtime-token-7d1e5a93c2b8f046';
const ISSUER = 'https://issuer.example.com/pool-1';
/** What reached the read API: the server passes the bearer on and says when it was the runtime's token. */
const reached: ApiRequest[] = [];
let server: HttpServer;

async function readApi(request: ApiRequest): Promise<ApiResponse> {
  reached.push(request);
  return { status: 200, body: { ok: true } };
}

beforeAll(async () => {
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    signInIssuer: ISSUER,
    putEvents: async (_request, response) => {
      response.end();
    },
    readApi: () => readApi,
    dashboard: async (_request, response) => {
      response.end('dashboard');
    },
  });
});

afterAll(() => server?.close());

describe('local HTTP server behind sign-in', () => {
  test('Sign-in: It should leave the bearer to the read API, marking the runtime token as an operator', async () => {
    reached.length = 0;
    await fetch(`${server.url}/api/metrics`, { headers: { authorization: 'Bearer an.id.token' } });
    await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(`${server.url}/api/metrics`);
    expect(reached.map(({ authorization, operator }) => ({ authorization, operator }))).toEqual([
      { authorization: 'Bearer an.id.token', operator: undefined },
      { authorization: `Bearer ${TOKEN}`, operator: true },
      { authorization: undefined, operator: undefined },
    ]);
  });

  test('Sign-in: It should let the dashboard connect to the issuer and nowhere else', async () => {
    const policy = (await fetch(`${server.url}/`)).headers.get('content-security-policy');
    expect(policy).toContain("connect-src 'self' https://issuer.example.com;");
  });
});

describe('local HTTP server with a token and no sign-in', () => {
  test('Token: It should serve GET /api/sign-in without the token, and nothing else', async () => {
    const open = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      putEvents: async (_request, response) => {
        response.end();
      },
      readApi: () => readApi,
      dashboard: async (_request, response) => {
        response.end();
      },
    });
    try {
      expect((await fetch(`${open.url}/api/sign-in`)).status).toBe(200);
      expect((await fetch(`${open.url}/api/metrics`)).status).toBe(401);
      expect((await fetch(`${open.url}/`)).headers.get('content-security-policy')).toContain(
        "connect-src 'self';",
      );
    } finally {
      await open.close();
    }
  });
});
