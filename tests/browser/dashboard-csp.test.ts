import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dashboardContentSecurityPolicy } from '../../infra/dashboard-site.js';
import { policyAllows } from '../support/csp-sources.js';
import { type Browser, launchChromium } from './chromium.js';

/**
 * The dashboard's content security policy as chromium applies it: the page on its CloudFront
 * domain fetches what sign-in needs of Cognito (the discovery document under the pool's issuer,
 * the keys, the token endpoint on the hosted domain). Every request is answered by the test,
 * none leaves the machine. The policy reader the infra tests use must agree with chromium.
 */

const PAGE = 'https://d1234abcd.cloudfront.net/';
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123XYZ';
const HOSTED_DOMAIN = 'https://northstar-111111111111.auth.eu-west-1.amazoncognito.com';
const SIGN_IN_CALLS = [
  `${ISSUER}/.well-known/openid-configuration`,
  `${ISSUER}/.well-known/jwks.json`,
  `${HOSTED_DOMAIN}/oauth2/token`,
];

let browser: Browser;
let page: Page;

/** Opens the page under `policy` and fetches each URL; true where the response reached the page. */
async function fetchesUnder(policy: string, urls: readonly string[]): Promise<boolean[]> {
  await page.route(PAGE, (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'content-security-policy': policy },
      body: '<!doctype html><title>dashboard</title>',
    }),
  );
  await page.goto(PAGE);
  await page.unroute(PAGE);
  return page.evaluate(
    (targets) =>
      Promise.all(
        targets.map((target) =>
          fetch(target, { method: target.endsWith('/token') ? 'POST' : 'GET' }).then(
            (response) => response.ok,
            () => false,
          ),
        ),
      ),
    [...urls],
  );
}

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.context.newPage();
  // Every other host answers, so that only the policy can stop a fetch.
  await browser.context.route(
    (url) => url.href !== PAGE,
    (route) =>
      route.fulfill({
        contentType: 'application/json',
        headers: { 'access-control-allow-origin': '*' },
        body: '{}',
      }),
  );
});

afterAll(() => browser?.close());

describe('Dashboard content security policy in chromium', () => {
  test('CSP: It should let the page reach the discovery document, keys and token endpoint through the Cognito origins', async () => {
    const policy = dashboardContentSecurityPolicy([
      'https://cognito-idp.eu-west-1.amazonaws.com',
      HOSTED_DOMAIN,
    ]);
    expect(await fetchesUnder(policy, SIGN_IN_CALLS)).toEqual([true, true, true]);
    expect(SIGN_IN_CALLS.map((url) => policyAllows(policy, 'connect-src', url, PAGE))).toEqual([
      true,
      true,
      true,
    ]);
  });

  test('CSP: It should be blocked by a source that carries the issuer path, and the policy reader should say so too', async () => {
    const policy = dashboardContentSecurityPolicy([ISSUER, HOSTED_DOMAIN]);
    const urls = [...SIGN_IN_CALLS, 'https://elsewhere.example.com/steal'];
    const chromium = await fetchesUnder(policy, urls);
    expect(chromium).toEqual([false, false, true, false]);
    expect(urls.map((url) => policyAllows(policy, 'connect-src', url, PAGE))).toEqual(chromium);
  });
});
