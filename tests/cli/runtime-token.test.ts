import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { busClient, ReadApiClient, targetOf } from '../../cli/targets.js';

const TOKEN = 'cli-token-0123456789abcdef';
const received: IncomingHttpHeaders[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  // A recording server stands in for a runtime started with a token.
  server = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const io = (env: Record<string, string> = {}) => ({
  stdout: { write: () => true },
  stderr: { write: () => true },
  env,
  cwd: '.',
});

describe('the token of a local runtime', () => {
  test('It should come from --token, else from NORTHSTAR_TOKEN; an empty one is none', () => {
    expect(targetOf({}, io({ NORTHSTAR_TOKEN: TOKEN })).token).toBe(TOKEN);
    expect(targetOf({ token: 'from-the-flag-123456' }, io({ NORTHSTAR_TOKEN: TOKEN })).token).toBe(
      'from-the-flag-123456',
    );
    expect(targetOf({}, io({ NORTHSTAR_TOKEN: '' })).token).toBeUndefined();
    expect(targetOf({}, io()).token).toBeUndefined();
  });

  test('It should go to the read API as a bearer header, not as a SigV4 signature, even on another machine', async () => {
    const from = received.length;
    await new ReadApiClient(targetOf({ 'api-url': url }, io({ NORTHSTAR_TOKEN: TOKEN }))).get('/api/status');
    await new ReadApiClient(targetOf({ 'api-url': url }, io())).get('/api/status');
    const [withToken, without] = received.slice(from);
    expect(withToken?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(withToken?.['x-amz-date']).toBeUndefined();
    expect(without?.authorization).toBeUndefined();
    // A runtime on another machine: no region needed, since nothing is signed for AWS.
    expect(
      () => new ReadApiClient(targetOf({ 'api-url': 'http://192.168.1.20:4000', token: TOKEN }, io())),
    ).not.toThrow();
    expect(() => new ReadApiClient(targetOf({ 'api-url': 'http://192.168.1.20:4000' }, io()))).toThrow(
      /--region is needed .*give its token instead: --token or NORTHSTAR_TOKEN/,
    );
  });

  test('It should be the secret access key PutEvents calls are signed with', async () => {
    for (const endpoint of [url, 'http://192.168.1.20:4000']) {
      const client = busClient(targetOf({ endpoint, token: TOKEN }, io()));
      try {
        expect(await client.config.credentials()).toMatchObject({
          accessKeyId: 'northstar',
          secretAccessKey: TOKEN,
        });
        expect(await client.config.region()).toBe('us-east-1');
      } finally {
        client.destroy();
      }
    }
  });
});
