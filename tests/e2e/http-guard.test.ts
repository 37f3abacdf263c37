import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { config } from '../support/daily-activity.js';
import { rawRequest } from '../support/raw-request.js';

let runtime: Runtime;

const send = (path: string, options?: Parameters<typeof rawRequest>[2]) =>
  rawRequest(runtime.url, path, options);

beforeAll(async () => {
  // A small configuration: its recompute on an empty table stays quick.
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
});

afterAll(() => runtime.stop());

describe('local runtime HTTP guard', () => {
  test('It should refuse a request for another host name, as DNS rebinding sends it', async () => {
    const rebound = await send('/api/status', {
      headers: { host: `attacker.example:${new URL(runtime.url).port}` },
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'forbidden_host' } });
    expect((await send('/api/status')).status).toBe(200);
  });

  test('It should refuse a write that is not JSON before reading it, and one from another origin', async () => {
    const recompute = (headers: Record<string, string>) =>
      send('/api/recompute', { method: 'POST', headers, body: '{}' });
    expect((await recompute({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await recompute({})).status).toBe(415);
    expect(
      (await recompute({ 'content-type': 'application/json', origin: 'http://attacker.example' })).status,
    ).toBe(403);
    expect((await recompute({ 'content-type': 'application/json', origin: runtime.url })).status).toBe(200);
  });

  test('It should send the security headers with every answer: API, dashboard, PutEvents and refusals', async () => {
    const answers = await Promise.all([
      send('/api/status'),
      send('/'),
      send('/', {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
        body: '{"Entries":[]}',
      }),
      send('/api/status', { headers: { host: 'attacker.example' } }),
    ]);
    for (const answer of answers) {
      expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  test('It should answer /api with a JSON 404, not the dashboard, and refuse a repeated query parameter', async () => {
    const bare = await send('/api');
    expect(bare.status).toBe(404);
    expect(bare.headers['content-type']).toContain('application/json');
    const repeated = await send('/api/alerts?from=2026-11-01T00:00:00Z&from=2026-11-02T00:00:00Z');
    expect(repeated.status).toBe(400);
    expect(JSON.parse(repeated.body)).toEqual({
      error: {
        code: 'invalid_parameter',
        parameter: 'from',
        message: 'from: is given more than once; give it once',
      },
    });
  });
});
