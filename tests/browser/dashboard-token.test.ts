import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from './chromium.js';
import { type FixtureRuntime, startFixtureAndBrowser } from './fixture.js';

const TOKEN = 'browser-token-2c7e9a41f0d3b685';
let fixture: FixtureRuntime;
let browser: Browser;
let url: string;
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

beforeAll(async () => {
  ({ fixture, browser } = await startFixtureAndBrowser({ token: TOKEN }));
  url = fixture.runtime.url;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

describe('dashboard of a runtime with a token, in chromium', () => {
  test('Token: It should load its data when opened with #token=, and take the token out of the address bar', async () => {
    // Prepare
    const page = await newPage();
    try {
      // Act: the URL npm start prints.
      await page.goto(`${url}/#token=${encodeURIComponent(TOKEN)}`);
      await page.locator('[data-view="overview"]').waitFor();

      // Assess: the read API's numbers, the token kept for the tab and gone from the address.
      expect((await page.locator('[data-testid=headline-settled]').textContent())?.trim()).toBe('1');
      expect(page.url()).toBe(`${url}/`);
      expect(await page.evaluate(() => sessionStorage.getItem('northstar.token'))).toBe(TOKEN);
      // Another view of the same tab still carries it.
      await page.goto(`${url}/#/alerts`);
      await page.locator('[data-view="alerts"]').waitFor();
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('Token: It should say how to get in when the tab has no token', async () => {
    const page = await newPage();
    try {
      await page.goto(`${url}/`);
      const message = page.locator('#main [data-state=error]');
      await message.waitFor();
      expect(await message.textContent()).toContain(
        'this runtime needs its token: open the URL npm start printed',
      );
    } finally {
      await page.close();
    }
  });
});
