import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { exportJWK, generateKeyPair } from 'jose';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import type { AlertList } from '../../shared/use-cases/read-api/schemas.js';
import { FIRST_MONDAY, smallProductWeek, WEEKS, wednesday } from '../support/small-product.js';
import { type Browser, launchChromium } from './chromium.js';
import { FIXTURE_NOW, fixtureConfig } from './fixture.js';

/**
 * The whole sign-in flow in chromium: a real OIDC server (oidc-provider, its development
 * login and consent pages), a runtime behind sign-in with it, and the dashboard signing in
 * with the authorization code flow and PKCE, refreshing, refusing a reader's write, and out.
 */

const CLIENT_ID = 'northstar-dashboard';
/** Short, so the dashboard refreshes within the test (it does so at three quarters of the life). */
const ID_TOKEN_SECONDS = 20;
const ACCOUNTS: Readonly<Record<string, { name: string; email: string; groups: string[] }>> = {
  ada: { name: 'Ada Admin', email: 'ada@example.com', groups: ['admin'] },
  rex: { name: 'Rex Reader', email: 'rex@example.com', groups: ['readers'] },
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The little of oidc-provider this test uses; the package ships no types. */
interface OidcProvider {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}
type OidcProviderClass = new (issuer: string, configuration: object) => OidcProvider;

interface SeenRequest {
  readonly url: URL;
  readonly method: string;
  readonly authorization: string | undefined;
  readonly body: string | null;
}

let issuerServer: Server;
let issuer: string;
let runtime: Runtime;
let browser: Browser;
let page: Page;
let url: string;
const seen: SeenRequest[] = [];
const pageErrors: string[] = [];

/** The claims of a JWT, unverified: to see whose token a request carried. */
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
const bearerOf = (request: SeenRequest) => /^Bearer (\S+)$/.exec(request.authorization ?? '')?.[1];
/** Read API calls the page made, but for the public sign-in route. */
const apiCalls = (from = 0) =>
  seen
    .slice(from)
    .filter(
      ({ url: at }) => at.origin === url && at.pathname.startsWith('/api/') && at.pathname !== '/api/sign-in',
    );

async function poll(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An OIDC issuer on a free port: the server listens first, so the runtime can be told its URL. */
async function listenForIssuer(): Promise<{
  server: Server;
  url: string;
  serve: (provider: OidcProvider) => void;
}> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server = createServer((request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    serve: (provider) => {
      handler = provider.callback();
    },
  };
}

async function startProvider(issuerUrl: string, dashboardUrl: string): Promise<OidcProvider> {
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(/* @vite-ignore */ moduleName)) as {
    default: OidcProviderClass;
  };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return new Provider(issuerUrl, {
    clients: [
      {
        client_id: CLIENT_ID,
        // A public client: no secret, so PKCE is what binds the code to the tab.
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${dashboardUrl}/`],
        post_logout_redirect_uris: [`${dashboardUrl}/`],
      },
    ],
    pkce: { required: () => true },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['sign-in-test-cookie-key'] },
    async findAccount(_context: unknown, id: string) {
      const account = ACCOUNTS[id];
      return account && { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    claims: { openid: ['sub', 'groups'], email: ['email'], profile: ['name'] },
    // Code flow: the claims go in the ID token too, not only to userinfo, so the API sees the groups.
    conformIdTokenClaims: false,
    // A refresh token with every code, without offline_access (Cognito's way); rotated for a public client.
    issueRefreshToken: async (_context: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ttl: {
      IdToken: ID_TOKEN_SECONDS,
      AccessToken: ID_TOKEN_SECONDS,
      RefreshToken: 3600,
      Session: 3600,
      Grant: 3600,
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
    },
  });
}

/** The small product's five weeks through PutEvents, each recomputed once settled: alerts to acknowledge. */
async function sendHistory(clock: { now: number }): Promise<void> {
  const apps = eventBridgeClient(runtime.url);
  try {
    for (let week = 0; week < WEEKS; week++) {
      clock.now = wednesday(week) + 12 * HOUR;
      const detail = JSON.stringify({ events: smallProductWeek(week) });
      await apps.send(
        new PutEventsCommand({
          Entries: [{ Source: 'app.web', DetailType: BATCH_DETAIL_TYPE, Detail: detail }],
        }),
      );
      await runtime.drained();
      clock.now = week === WEEKS - 1 ? FIXTURE_NOW : FIRST_MONDAY + (week + 1) * 7 * DAY + HOUR + 60_000;
      await runtime.recomputeNow();
    }
  } finally {
    apps.destroy();
  }
}

/** From the dashboard's sign-in view through the issuer's login and consent, back to `view`. */
async function signInAs(login: string, view: string): Promise<void> {
  await page.locator('[data-testid=sign-in]').click();
  await page.waitForURL((at) => at.origin === issuer);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  // The first authorization of the client asks for consent.
  const consent = page.locator('input[name=prompt][value=consent] ~ button[type=submit]');
  await Promise.race([consent.waitFor(), page.waitForURL((at) => at.origin === url)]);
  if (new URL(page.url()).origin === issuer) await consent.click();
  await page.locator(`[data-view="${view}"]`).waitFor();
}

beforeAll(async () => {
  const listening = await listenForIssuer();
  issuerServer = listening.server;
  issuer = listening.url;
  const clock = { now: FIRST_MONDAY };
  [runtime, browser] = await Promise.all([
    startRuntime({
      config: fixtureConfig,
      port: 0,
      clock: () => clock.now,
      recomputeEveryMs: 0,
      signIn: { issuer, clientId: CLIENT_ID, groupsClaim: 'groups' },
    }),
    launchChromium(),
  ]);
  url = runtime.url;
  listening.serve(await startProvider(issuer, url));
  await sendHistory(clock);
  page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  browser.context.on('request', (request: Request) => {
    void request.allHeaders().then((headers) =>
      seen.push({
        url: new URL(request.url()),
        method: request.method(),
        authorization: headers.authorization,
        body: request.postData(),
      }),
    );
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  await new Promise<void>((resolve) => (issuerServer ? issuerServer.close(() => resolve()) : resolve()));
});

describe('dashboard behind sign-in, in chromium, with a real OIDC server', () => {
  test('Sign-in route: It should say how to sign in to anyone, and refuse the data without a token', async () => {
    const signIn = await fetch(`${url}/api/sign-in`);
    expect(await signIn.json()).toMatchObject({
      required: true,
      issuer,
      clientId: CLIENT_ID,
      groupsClaim: 'groups',
    });
    const refused = await fetch(`${url}/api/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    // The dashboard may fetch the issuer's discovery document and tokens.
    expect((await fetch(`${url}/`)).headers.get('content-security-policy')).toContain(
      `connect-src 'self' ${issuer}`,
    );
  }, 30_000);

  test('Sign-in: It should ask to sign in, run the code flow with PKCE, land on the view it left with data, and send the ID token on every call', async () => {
    await page.goto(`${url}/#/alerts`);
    await page.locator('[data-view="sign-in"]').waitFor();
    expect(apiCalls()).toEqual([]);

    await signInAs('rex', 'alerts');

    // Back where it started, the code and state gone from the address.
    expect(page.url()).toBe(`${url}/#/alerts`);
    expect(await page.locator('[data-alert-id]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=signed-in-as]').textContent()).toBe('Signed in as Rex Reader');
    const authorize = seen.find(({ url: at }) => at.origin === issuer && at.pathname.endsWith('/auth'));
    expect(authorize?.url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize?.url.searchParams.get('state')).toBeTruthy();
    expect(authorize?.url.searchParams.get('nonce')).toBeTruthy();
    const exchange = seen.find(
      ({ url: at, method }) => at.origin === issuer && method === 'POST' && at.pathname.endsWith('/token'),
    );
    expect(new URLSearchParams(exchange?.body ?? '').get('code_verifier')).toBeTruthy();
    // Every call carried rex's ID token for this client.
    const calls = apiCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const token = bearerOf(call);
      expect(token, call.url.pathname).toBeDefined();
      expect(claimsOf(token!)).toMatchObject({
        sub: 'rex',
        aud: CLIENT_ID,
        iss: issuer,
        groups: ['readers'],
      });
    }
    // The tokens stay in this tab: sessionStorage, never localStorage.
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('northstar.sign-in.session'),
      local: Object.keys(localStorage).map((key) => localStorage.getItem(key) ?? ''),
    }));
    expect(stored.session).toContain('refreshToken');
    expect(stored.local.join(' ')).not.toMatch(/eyJ/);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  test('Refresh: It should refresh the ID token before it expires, without a reload, and go on reading with the new one', async () => {
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const first = bearerOf(apiCalls().at(-1)!);
    const from = seen.length;
    await poll('a refresh at the token endpoint', () =>
      seen
        .slice(from)
        .some(
          ({ url: at, body }) =>
            at.origin === issuer && new URLSearchParams(body ?? '').get('grant_type') === 'refresh_token',
        ),
    );
    // Live mode reads again every 10 s: those calls carry the new token, and the API takes it.
    await poll('a call with the refreshed token', () =>
      apiCalls(from).some((call) => bearerOf(call) !== first),
    );
    const refreshed = bearerOf(apiCalls(from).find((call) => bearerOf(call) !== first)!)!;
    expect(claimsOf(refreshed).exp as number).toBeGreaterThan(claimsOf(first!).exp as number);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    const answer = await fetch(`${url}/api/metrics`, { headers: { authorization: `Bearer ${refreshed}` } });
    expect(answer.status).toBe(200);
    await page.locator('[data-view="alerts"]').waitFor();
  }, 120_000);

  test('Refusal: It should refresh once and call again when the API answers 401 to a token it had', async () => {
    let refusals = 0;
    await page.route('**/api/status', async (route) => {
      if (refusals++ > 0) return route.continue();
      return route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'unauthorized', message: 'the ID token has expired' } }),
      });
    });
    try {
      const from = seen.length;
      await page.locator('#refresh-now').click();
      await poll('the status read again after a refresh', () => refusals >= 2);
      const refreshedAt = seen.findIndex(
        ({ body }, index) =>
          index >= from && new URLSearchParams(body ?? '').get('grant_type') === 'refresh_token',
      );
      expect(refreshedAt).toBeGreaterThanOrEqual(from);
      await poll(
        'the freshness bar',
        async () => (await page.locator('#freshness').getAttribute('data-state')) !== null,
      );
      expect(await page.locator('#freshness').getAttribute('data-state')).not.toBe('unknown');
      expect(await page.locator('[data-testid=signed-in-as]').count()).toBe(1);
    } finally {
      await page.unroute('**/api/status');
    }
  }, 60_000);

  test('Reader: It should show the clear refusal, naming the admin group, when a reader acknowledges an alert', async () => {
    const card = page.locator('[data-state=open]').first();
    const alertId = await card.getAttribute('data-alert-id');
    await card.locator('input[name=by]').fill('Rex');
    await card.locator('input[name=note]').fill('looked at it');
    await card.locator('button[type=submit]').click();
    const message = card.locator('.form-error');
    await poll('the refusal', async () => ((await message.textContent()) ?? '') !== '');
    expect(await message.textContent()).toContain(
      'Only members of the "admin" group may acknowledge an alert: you are signed in as rex@example.com, in "readers"',
    );
    expect(await page.locator(`[data-alert-id="${alertId}"]`).getAttribute('data-state')).toBe('open');
  }, 60_000);

  test('Sign-out: It should forget the tokens, end the issuer session and ask to sign in again', async () => {
    await page.locator('[data-testid=sign-out]').click();
    // The issuer asks to confirm its own sign-out.
    await page.waitForURL((at) => at.origin === issuer);
    const from = seen.length;
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.locator('[data-view="sign-in"]').waitFor();
    expect(page.url()).toBe(`${url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('northstar.sign-in.session'))).toBeNull();
    expect(await page.locator('[data-testid=signed-in-as]').count()).toBe(0);
    // A refresh asked for reads nothing: no call goes out without a session.
    await page.keyboard.press('r');
    await page.locator('[data-view="sign-in"]').waitFor();
    expect(apiCalls(from).filter((call) => call.authorization !== undefined)).toEqual([]);
    expect(apiCalls(from)).toEqual([]);
  }, 60_000);

  test('Admin: It should let a member of the admin group acknowledge an alert', async () => {
    await page.goto(`${url}/#/alerts`);
    await page.locator('[data-view="sign-in"]').waitFor();
    // The issuer session ended: the login is asked for again.
    await signInAs('ada', 'alerts');
    expect(await page.locator('[data-testid=signed-in-admin]').textContent()).toBe('admin');
    const card = page.locator('[data-state=open]').first();
    const alertId = (await card.getAttribute('data-alert-id'))!;
    // Whatever the form says, the ID token says who acknowledged.
    await card.locator('input[name=by]').fill('Someone else');
    await card.locator('input[name=note]').fill('known: campaign ended');
    await card.locator('button[type=submit]').click();
    await page.locator(`[data-alert-id="${alertId}"][data-state=acknowledged]`).waitFor();
    const token = bearerOf(apiCalls().at(-1)!)!;
    const list = (await (
      await fetch(`${url}/api/alerts`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as AlertList;
    expect(list.alerts.find((alert) => alert.alertId === alertId)?.acknowledgement).toMatchObject({
      by: ACCOUNTS.ada!.email,
      note: 'known: campaign ended',
    });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
