import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReadApiClient, targetOf } from '../../cli/targets.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
let server: Server;
let url: string;
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '.' };

describe('read API requests on AWS', () => {
  test('It should sign requests with SigV4 for the lambda service, so a function URL with IAM auth accepts them', async () => {
    const target = targetOf({ 'api-url': url, region: 'eu-west-1' }, io);
    const api = new ReadApiClient(target, { sign: true, credentials });

    await api.post('/api/alerts/a%3Aday%3A2026-11-24/ack', { by: 'Ann', note: 'known' });
    await api.get('/api/metrics/weekly_learners/series', { grain: 'week', from: '2026-11-01T00:00:00.000Z' });

    const [post, get] = received;
    expect(post!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(post!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(post!.body).toBe('{"by":"Ann","note":"known"}');
    expect(get!.url).toBe('/api/metrics/weekly_learners/series?grain=week&from=2026-11-01T00%3A00%3A00.000Z');
    // The server side recomputes the signature from what it received: it must match.
    const signer = new SignatureV4({ service: 'lambda', region: 'eu-west-1', sha256: Sha256, credentials });
    const amzDate = String(post!.headers['x-amz-date']);
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(post!.headers.authorization))![1]!.split(';');
    const again = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: Number(new URL(url).port),
        path: '/api/alerts/a%3Aday%3A2026-11-24/ack',
        query: {},
        headers: Object.fromEntries(signedHeaders.map((name) => [name, String(post!.headers[name])])),
        body: post!.body,
      },
      { signingDate },
    );
    expect(again.headers.authorization).toBe(post!.headers.authorization);
  });

  test('It should not sign requests to the local runtime and should need a region elsewhere', async () => {
    expect(() => new ReadApiClient(targetOf({ 'api-url': 'https://example.com' }, io))).toThrow(
      '--region is needed',
    );
    expect(
      () => new ReadApiClient(targetOf({ 'api-url': 'https://abc.lambda-url.eu-west-1.on.aws' }, io)),
    ).not.toThrow();
    expect(() => new ReadApiClient(targetOf({}, io))).not.toThrow();

    // Prepare: the recording server stands in for the local runtime on 127.0.0.1. A region and
    // session credentials are at hand, so nothing but the address keeps the client from signing.
    const target = targetOf({ 'api-url': url, region: 'eu-west-1' }, io);
    const sessionCredentials = { ...credentials, sessionToken: 'session-token-example' };
    const local = new ReadApiClient(target, { credentials: sessionCredentials });
    const forcedToSign = new ReadApiClient(target, { sign: true, credentials: sessionCredentials });
    const from = received.length;

    // Act
    await local.post('/api/alerts/a%3Aday%3A2026-11-24/ack', { by: 'Ann' });
    await local.get('/api/metrics/weekly_learners/series', { grain: 'week' });
    await forcedToSign.get('/api/metrics/weekly_learners/series', { grain: 'week' });

    // Assess: the local requests reach the server whole, with no SigV4 header at all (no
    // authorization, x-amz-date or x-amz-security-token) ...
    const [localPost, localGet, signedGet] = received.slice(from);
    const sigV4Headers = (request: Received | undefined) =>
      Object.keys(request?.headers ?? {}).filter(
        (name) => name === 'authorization' || name.startsWith('x-amz-'),
      );
    expect(received.slice(from).map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /api/alerts/a%3Aday%3A2026-11-24/ack',
      'GET /api/metrics/weekly_learners/series?grain=week',
      'GET /api/metrics/weekly_learners/series?grain=week',
    ]);
    expect(localPost!.body).toBe('{"by":"Ann"}');
    expect(localPost!.headers['content-type']).toBe('application/json');
    expect(sigV4Headers(localPost)).toEqual([]);
    expect(sigV4Headers(localGet)).toEqual([]);
    // ... while the same request signed on purpose carries every one of them.
    expect(signedGet!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=\S*x-amz-date\S*, Signature=[0-9a-f]{64}$/,
    );
    expect(signedGet!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(signedGet!.headers['x-amz-security-token']).toBe('session-token-example');
  });
});
