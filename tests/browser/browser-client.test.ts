import type { Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import {
  collectorProductConfig,
  distinctEvents,
  expectAllCounted,
  type SourcedEvent,
} from '../support/collector-product.js';
import { type Browser, launchChromium } from './chromium.js';
import { type PageServer, startPageServer } from './page-server.js';

const WRITE_KEY = 'browser-key-3b7d1e90';
const MINUTE = 60_000;

/**
 * The page's script: the browser build of the typed client, imported by its package name as an
 * app imports it, bundled by esbuild. `sendJourneys` plays one visitor per tracker (anonymous
 * visits, identify, sign-up, lessons, a visit after), then sends a quarter of the events again
 * with their eventId, as an app that re-tracks would; `trackAndLeave` only tracks, with timers
 * too long to fire, so only a flush on page hide can send.
 */
const PAGE_SCRIPT = `
import { createBrowserTracker } from 'northstar/client/browser';

const MINUTE = 60000;
window.sendJourneys = async ({ host, writeKey, starts }) => {
  const sent = [];
  const errors = [];
  const resend = [];
  const trackers = starts.map((start, user) => {
    const tracker = createBrowserTracker({
      writeKey, host, anonymousId: 'anon-' + user, flushAtEvents: 3, flushIntervalMs: 50,
      retry: { baseDelayMs: 100 },
      onError: (error) => errors.push(error.code + ': ' + error.message),
    });
    const at = (minutes) => new Date(start + minutes * MINUTE).toISOString();
    const track = (name, minutes) => {
      const occurredAt = at(minutes);
      const eventId = tracker.track(name, {}, { occurredAt });
      const event = { name, eventId, userId: tracker.userId ?? tracker.anonymousId, occurredAt };
      sent.push(event);
      if (sent.length % 4 === 1) resend.push([tracker, event]);
    };
    track('visited', 0);
    if (user % 3 !== 0) track('visited', 5);
    if (user % 4 !== 3) {
      tracker.identify('web-user-' + user, { plan: 'free' });
      track('signed_up', 11);
      if (user % 2 === 0) track('lesson_completed', 30);
      track('visited', 40);
    }
    return tracker;
  });
  for (const [tracker, event] of resend) {
    tracker.track(event.name, {}, { eventId: event.eventId, occurredAt: event.occurredAt, userId: event.userId });
    sent.push(event);
  }
  await Promise.all(trackers.map((tracker) => tracker.flush()));
  return { sent, errors, stats: trackers.map((tracker) => tracker.stats()) };
};

window.trackAndLeave = ({ host, writeKey, start, users }) => {
  // The real sendBeacon still sends; each call is noted where the next page of the origin can read it.
  const sendBeacon = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (url, body) => {
    const queued = sendBeacon(url, body);
    const notes = JSON.parse(localStorage.getItem('beacons') ?? '[]');
    notes.push({ queued, calls: JSON.parse(body).batch.length });
    localStorage.setItem('beacons', JSON.stringify(notes));
    return queued;
  };
  const tracker = createBrowserTracker({ writeKey, host, flushAtEvents: 1000, flushIntervalMs: 600000 });
  const sent = [];
  for (let user = 0; user < users; user++) {
    const occurredAt = new Date(start + user * MINUTE).toISOString();
    const userId = 'leaving-' + start + '-' + user;
    for (const name of ['visited', 'signed_up']) sent.push({ name, eventId: tracker.track(name, {}, { userId, occurredAt }), userId, occurredAt });
  }
  window.leaving = tracker;
  return sent;
};
`;

let pages: PageServer;
let runtime: Runtime;
let browser: Browser;
const taken: SourcedEvent[] = [];

beforeAll(async () => {
  pages = await startPageServer(PAGE_SCRIPT);
  const config = collectorProductConfig({
    writeKeys: { [WRITE_KEY]: { source: 'app.web' } },
    allowedOrigins: [pages.origin],
  });
  [runtime, browser] = await Promise.all([
    startRuntime({ config, port: 0, recomputeEveryMs: 0 }),
    launchChromium({ width: 800, height: 600 }),
  ]);
  // Nothing leaves the machine: a request to any other host fails at once.
  await browser.context.route(/^(?!http:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  await pages?.close();
});

interface SentEvent {
  name: string;
  eventId: string;
  userId: string;
  occurredAt: string;
}

const sourced = (events: readonly SentEvent[]): SourcedEvent[] =>
  events.map(({ name, eventId, userId, occurredAt }) => ({
    source: 'app.web',
    name,
    eventId,
    userId,
    occurredAt,
  }));

/** Every event taken so far, counted exactly. */
async function expectCounted(events: readonly SourcedEvent[]) {
  taken.push(...events);
  await expectAllCounted(runtime, taken);
}

/** Track calls a /v1/batch body carries: the events it brings to the collector. */
const trackCalls = (request: Request): number =>
  (JSON.parse(request.postData() ?? '{"batch":[]}') as { batch: { type: string }[] }).batch.filter(
    (call) => call.type === 'track',
  ).length;

type Fault = 'taken, then 503' | 'connection reset' | '429, Retry-After 1' | 'taken, then 500';
/** By request number: the collector takes the first and the fifth, but the page hears a failure. */
const FAULTS: Readonly<Record<number, Fault>> = {
  1: 'taken, then 503',
  2: 'connection reset',
  3: '429, Retry-After 1',
  5: 'taken, then 500',
};

describe('the browser build of the typed client, against the real collector in chromium', () => {
  test('It should count generated events with duplicates, retries after 503, 500, a reset and a 429 exactly', async () => {
    // Prepare: faults injected between the page and the collector; everything else goes through.
    const page: Page = await browser.context.newPage();
    const pageErrors: string[] = [];
    const requests: { method: string; contentType: string | undefined }[] = [];
    const faked = new Set<Request>();
    let arrived = 0;
    let numbered = 0;
    const used: Fault[] = [];
    const cors = {
      'access-control-allow-origin': pages.origin,
      'access-control-expose-headers': 'Retry-After',
    };
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      if (request.url().startsWith(runtime.url))
        requests.push({ method: request.method(), contentType: request.headers()['content-type'] });
    });
    page.on('response', (response) => {
      const request = response.request();
      if (request.url() === `${runtime.url}/v1/batch` && !faked.has(request) && response.status() === 200)
        arrived += trackCalls(request);
    });
    await page.route(`${runtime.url}/v1/batch`, async (route: Route) => {
      const fault = FAULTS[++numbered];
      if (!fault) return route.continue();
      used.push(fault);
      faked.add(route.request());
      if (fault === 'connection reset') return route.abort('connectionreset');
      if (fault === '429, Retry-After 1')
        return route.fulfill({
          status: 429,
          headers: { ...cors, 'retry-after': '1' },
          body: '{"error":{"code":"rate_limited"}}',
        });
      const real = await route.fetch();
      if (real.status() === 200) arrived += trackCalls(route.request());
      return route.fulfill({
        status: fault === 'taken, then 503' ? 503 : 500,
        headers: cors,
        body: '{"error":{"code":"unavailable"}}',
      });
    });
    const now = Date.now();
    const first = Math.floor((now - 3 * 24 * 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE + 30_000;
    const starts = Array.from(
      { length: 12 },
      (_, user) => first + user * 5 * 60 * MINUTE + (user % 4) * 13 * MINUTE,
    );

    try {
      // Act
      await page.goto(pages.origin);
      const duplicatesBefore = runtime.totals.duplicates;
      const { sent, errors, stats } = (await page.evaluate(
        (options) =>
          (window as unknown as { sendJourneys: (o: unknown) => Promise<unknown> }).sendJourneys(options),
        { host: runtime.url, writeKey: WRITE_KEY, starts },
      )) as {
        sent: SentEvent[];
        errors: string[];
        stats: { sent: number; failed: number; buffered: number }[];
      };

      // Assess: every fault happened, the page heard of no loss, and no request needed a preflight.
      expect(pageErrors).toEqual([]);
      expect(errors).toEqual([]);
      expect(used.sort()).toEqual(Object.values(FAULTS).sort());
      expect(stats.every((one) => one.failed === 0 && one.buffered === 0)).toBe(true);
      expect(requests.length).toBeGreaterThan(12);
      expect(
        requests.every((request) => request.method === 'POST' && request.contentType === 'text/plain'),
      ).toBe(true);
      const events = sourced(sent);
      await expectCounted(events);
      // Every arrival past the first of an event is a duplicate: the app's own resends, and the
      // calls of the two batches the collector took whose answers the page never saw.
      expect(arrived).toBeGreaterThan(sent.length);
      expect(runtime.totals.duplicates - duplicatesBefore).toBe(arrived - distinctEvents(events).length);
    } finally {
      await page.close();
    }
  });

  test('It should send what is still queued with sendBeacon when the tab is closed, and when the page is left', async () => {
    for (const leave of ['close the tab', 'go to another page'] as const) {
      // Prepare: events queued with timers too long to fire.
      const page = await browser.context.newPage();
      const posts: string[] = [];
      // On the context: a beacon leaves as its page goes, when the page no longer reports requests.
      const onRequest = (request: Request) => {
        if (request.method() === 'POST' && request.url() === `${runtime.url}/v1/batch`)
          posts.push(request.resourceType());
      };
      browser.context.on('request', onRequest);
      await page.goto(pages.origin);
      const start = Date.now() - 30 * MINUTE - (leave === 'close the tab' ? 0 : 10 * MINUTE);
      const sent = (await page.evaluate(
        (options) => (window as unknown as { trackAndLeave: (o: unknown) => unknown }).trackAndLeave(options),
        { host: runtime.url, writeKey: WRITE_KEY, start, users: 5 },
      )) as SentEvent[];
      const queued = await page.evaluate(() =>
        (
          window as unknown as { leaving: { stats(): { buffered: number; requests: number } } }
        ).leaving.stats(),
      );
      expect(queued).toMatchObject({ buffered: 10, requests: 0 });

      // Act: the page goes away; visibilitychange (hidden) and pagehide fire as it unloads.
      if (leave === 'close the tab') await page.close({ runBeforeUnload: true });
      else await page.goto(`${pages.origin}/next`);

      // Assess: one beacon carried all of it, counted exactly.
      await expectCounted(sourced(sent));
      browser.context.off('request', onRequest);
      const reader = leave === 'close the tab' ? await browser.context.newPage() : page;
      if (reader !== page) await reader.goto(pages.origin);
      const beacons = await reader.evaluate(() => {
        const notes = JSON.parse(localStorage.getItem('beacons') ?? '[]') as unknown;
        localStorage.removeItem('beacons');
        return notes;
      });
      expect(beacons).toEqual([{ queued: true, calls: 10 }]);
      // Playwright does not always see a request its page sends while going; any it saw is the beacon.
      expect(posts.filter((type) => type !== 'ping')).toEqual([]);
      await reader.close();
    }
  });
});
