import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHttpServer } from '../../local/http-server.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { runCli } from '../cli/cli-runner.js';
import {
  config,
  DAY,
  dayEvents,
  entriesOf,
  FIRST_DAY,
  INCIDENT,
  settledAfter,
} from '../support/daily-activity.js';
import { rawRequest } from '../support/raw-request.js';

const TOKEN = 'e2e-token-5f3a9c1d7b2e4f60';
let runtime: Runtime;
let now = settledAfter(INCIDENT) + 60_000;

const send = (path: string, options?: Parameters<typeof rawRequest>[2]) =>
  rawRequest(runtime.url, path, options);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const signUp = (eventId: string): PutEventsRequestEntry => ({
  Source: 'app.web',
  DetailType: 'signed_up',
  Detail: JSON.stringify({ eventId, userId: `user-${eventId}`, occurredAt: new Date(now).toISOString() }),
});

/** PutEvents as the AWS JSON protocol carries it, with the headers the test gives. */
const putEventsRaw = (entries: PutEventsRequestEntry[], headers: Record<string, string> = {}) =>
  send('/', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
      ...headers,
    },
    body: JSON.stringify({ Entries: entries }),
  });

beforeAll(async () => {
  // Prepare: a runtime on every interface, with a token, and a clock the history can follow.
  runtime = await startRuntime({
    config,
    port: 0,
    host: '0.0.0.0',
    token: TOKEN,
    recomputeEveryMs: 0,
    clock: () => now,
  });
});

afterAll(() => runtime?.stop());

describe('local runtime on 0.0.0.0 with a token', () => {
  test('It should refuse the read API without its token or with another (401, WWW-Authenticate: Bearer), and serve it with it', async () => {
    const without = await send('/api/status');
    expect(without.status).toBe(401);
    expect(without.headers['www-authenticate']).toBe('Bearer');
    expect(without.headers['content-type']).toBe('application/json');
    expect(JSON.parse(without.body)).toEqual({
      error: { code: 'unauthorized', message: expect.stringContaining('needs its token') },
    });
    const wrong = await send('/api/status', { headers: bearer(`${TOKEN}-not`) });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await send('/api/status', { headers: bearer(TOKEN) })).status).toBe(200);

    // Writes too; and a refusal comes before the body is read.
    const recompute = (headers: Record<string, string>) =>
      send('/api/recompute', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    expect((await recompute({})).status).toBe(401);
    expect((await recompute(bearer(TOKEN))).status).toBe(200);
  });

  test('It should answer to the names other machines use for it, since the token guards it', async () => {
    const port = new URL(runtime.url).port;
    for (const host of [`192.168.1.20:${port}`, `my-machine.lan:${port}`]) {
      expect((await send('/api/status', { headers: { host, ...bearer(TOKEN) } })).status, host).toBe(200);
      expect((await send('/api/status', { headers: { host } })).status, host).toBe(401);
    }
    // A page of another site still cannot write, with or without the token.
    const crossSite = await send('/api/recompute', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://attacker.example', ...bearer(TOKEN) },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
  });

  test('It should serve the dashboard files without a token: they hold no data', async () => {
    const page = await send('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<title>Northstar</title>');
    const script = /src="\.(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await send(script!)).status).toBe(200);
  });

  test('It should take PutEvents signed with the token as the secret, refuse a wrong secret as EventBridge does, and ingest only what it took', async () => {
    // Prepare
    const before = runtime.totals.accepted;
    const apps = eventBridgeClient(runtime.url, TOKEN);
    const intruder = eventBridgeClient(runtime.url, 'not-the-token-of-this-runtime');
    try {
      // Act: the real SDK client, signing with SigV4.
      const answer = await apps.send(new PutEventsCommand({ Entries: [signUp('signed-1')] }));
      const refused = await intruder.send(new PutEventsCommand({ Entries: [signUp('refused-1')] })).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(answer.FailedEntryCount).toBe(0);
      expect(refused).toMatchObject({
        name: 'InvalidSignatureException',
        message: expect.stringContaining('The request signature we calculated does not match'),
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      apps.destroy();
      intruder.destroy();
    }
    // Unsigned, and with a wrong bearer: refused; with the right bearer: taken.
    const unsigned = await putEventsRaw([signUp('refused-2')]);
    expect(unsigned.status).toBe(400);
    expect(unsigned.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(JSON.parse(unsigned.body)).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const wrongBearer = await putEventsRaw([signUp('refused-3')], bearer(`${TOKEN}-not`));
    expect(JSON.parse(wrongBearer.body)).toMatchObject({ __type: 'UnrecognizedClientException' });
    const withBearer = await putEventsRaw([signUp('bearer-1')], bearer(TOKEN));
    expect(withBearer.status).toBe(200);
    expect(JSON.parse(withBearer.body)).toMatchObject({ FailedEntryCount: 0 });

    await runtime.drained();
    expect(runtime.totals.accepted - before).toBe(2);
    expect(runtime.totals.quarantined).toBe(0);
  });

  test('It should publish its own alerts through its PutEvents with the token', async () => {
    // Prepare: five weeks of steady history and a day without sign-ups, handed to ingest.
    for (let day = 0; day <= INCIDENT; day++) {
      now = settledAfter(day);
      await runtime.deliver(
        entriesOf(dayEvents(day, 1, day !== INCIDENT), FIRST_DAY + (day + 1) * DAY, `history-${day}`),
      );
    }
    now = settledAfter(INCIDENT) + 60_000;

    // Act
    const summary = await runtime.recomputeNow({ since: FIRST_DAY });

    // Assess: every alert came back through the bus, so the runtime's own client signed them.
    expect(summary.detected).toBeGreaterThan(0);
    expect(runtime.totals.alerts).toBe(summary.detected);
  });
});

describe('northstar CLI against a runtime with a token', () => {
  test('It should send the token to the read API, and say how to give it when it is missing', async () => {
    const withToken = await runCli(['recompute', '--api-url', runtime.url, '--token', TOKEN]);
    expect(withToken).toMatchObject({ code: 0, stderr: '' });
    expect(withToken.stdout).toMatch(/^Recomputed \d+ periods/);
    const without = await runCli(['recompute', '--api-url', runtime.url]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('401 unauthorized');
    expect(without.stderr).toContain('pass --token or set NORTHSTAR_TOKEN');
  });

  test('It should replay through PutEvents signed with the token, and have a replay without it refused', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'northstar-token-replay-'));
    try {
      const file = join(dir, 'events.ndjson');
      const occurredAt = new Date(now).toISOString();
      await writeFile(
        file,
        ['replay-1', 'replay-2']
          .map((eventId) => JSON.stringify({ name: 'signed_up', eventId, userId: eventId, occurredAt }))
          .join('\n'),
      );
      const before = runtime.totals.accepted;
      const replay = (...extra: string[]) =>
        runCli(['replay', file, '--source', 'app.web', '--endpoint', runtime.url, '--restart', ...extra]);

      // Act
      const refused = await replay();
      const sent = await replay('--token', TOKEN);

      // Assess
      expect(refused.code).toBe(1);
      // Without the token the CLI signs as for any local runtime, with a secret that is not the token.
      expect(refused.stderr).toContain('InvalidSignatureException');
      expect(sent).toMatchObject({ code: 0 });
      await runtime.drained();
      expect(runtime.totals.accepted - before).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('local runtime beyond loopback without a token', () => {
  test('It should refuse to start, naming the host and how to give a token', async () => {
    await expect(startRuntime({ config, port: 0, host: '0.0.0.0', recomputeEveryMs: 0 })).rejects.toThrow(
      /Not listening on 0\.0\.0\.0 without a token.*Pass --token <token> or set NORTHSTAR_TOKEN/,
    );
  });

  test('It should refuse a token under 16 characters, saying why', async () => {
    const server = startHttpServer({
      host: '0.0.0.0',
      port: 0,
      token: 'too-short',
      putEvents: async () => {},
      readApi: () => undefined,
      dashboard: async () => {},
    });
    await expect(server).rejects.toMatchObject({
      name: 'AccessTokenError',
      reason: 'token_too_short',
      message: expect.stringMatching(/The token has 9 characters; it needs at least 16, since it is all/),
    });
  });
});
