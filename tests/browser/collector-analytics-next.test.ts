import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { collectorProductConfig, expectAllCounted, type SourcedEvent } from '../support/collector-product.js';
import { type Browser, launchChromium } from './chromium.js';

const WRITE_KEY = 'browser-key-3b7d1e90';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The page's script: the real @segment/analytics-next from npm, loaded with its settings given
 * (no CDN), sending to the collector; it makes the calls it is given, in order, and returns
 * what each call sent.
 */
const PAGE_SCRIPT = `
import { AnalyticsBrowser } from '@segment/analytics-next';
window.sendCalls = async ({ writeKey, apiHost, batching, calls }) => {
  const segment = { apiKey: writeKey, apiHost, protocol: 'http' };
  if (batching) segment.deliveryStrategy = { strategy: 'batching', config: { size: 3, timeout: 200 } };
  const [analytics] = await AnalyticsBrowser.load(
    { writeKey, cdnSettings: { integrations: { 'Segment.io': segment }, metrics: { sampleRate: 0 } } },
    { disableClientPersistence: true },
  );
  const sent = [];
  for (const [method, ...args] of calls) {
    const ctx = await analytics[method](...args);
    const { type, event, messageId, userId, anonymousId, timestamp } = ctx.event;
    sent.push({ type, event, messageId, userId, anonymousId, timestamp: new Date(timestamp).toISOString() });
  }
  return sent;
};
`;

let pages: Server;
let pageOrigin: string;
let runtime: Runtime;
let browser: Browser;
const taken: SourcedEvent[] = [];

/** Serves the test page and its bundle from an origin of its own, so every call is cross-origin. */
async function startPageServer(): Promise<void> {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  pages = createServer((request, response) => {
    if (request.url === '/analytics.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>App</title><script src="/analytics.js"></script>');
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await startPageServer();
  const config = collectorProductConfig({
    writeKeys: { [WRITE_KEY]: { source: 'app.web' } },
    allowedOrigins: [pageOrigin],
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
  await new Promise((resolve) => pages?.close(resolve));
});

interface SentCall {
  type: string;
  event?: string;
  messageId: string;
  userId?: string | null;
  anonymousId: string;
  timestamp: string;
}

/** Opens the page, makes the calls with analytics-next, and records every answer the collector gave it. */
async function sendFromPage(batching: boolean, calls: unknown[][]) {
  const page: Page = await browser.context.newPage();
  const answers: { path: string; status: number }[] = [];
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === runtime.url) answers.push({ path: url.pathname, status: response.status() });
  });
  try {
    await page.goto(pageOrigin);
    const sent = (await page.evaluate(
      (options) => (window as unknown as { sendCalls: (o: unknown) => Promise<unknown> }).sendCalls(options),
      { writeKey: WRITE_KEY, apiHost: `${new URL(runtime.url).host}/v1`, batching, calls },
    )) as SentCall[];
    return { sent, answers, errors, page };
  } catch (error) {
    await page.close();
    throw error;
  }
}

/** What the collector should count of the calls: before identify under the anonymousId, after it under the user id. */
function expectedEvents(sent: readonly SentCall[]): SourcedEvent[] {
  const names: Record<string, string> = { 'Signed Up': 'signed_up', 'Lesson Completed': 'lesson_completed' };
  return sent
    .filter((call) => call.type === 'page' || call.type === 'track')
    .map((call) => ({
      source: 'app.web',
      name: call.type === 'page' ? 'visited' : names[call.event!]!,
      eventId: call.messageId,
      userId: call.userId ?? call.anonymousId,
      occurredAt: call.timestamp,
    }));
}

/** Every event taken so far, counted exactly. */
async function expectCounted(events: readonly SourcedEvent[]) {
  taken.push(...events);
  await expectAllCounted(runtime, taken);
}

const journey = (user: string) => [
  ['page'],
  ['track', 'Signed Up', { method: 'email' }],
  ['identify', user, { plan: 'free' }],
  ['track', 'Lesson Completed', { courseId: 'c1' }],
  ['page'],
];

describe('collector with the real @segment/analytics-next in chromium', () => {
  test('It should count the calls a page sends one by one (/v1/p, /v1/t, /v1/i), across origins, exactly', async () => {
    // Act
    const { sent, answers, errors, page } = await sendFromPage(false, journey('web-user-1'));
    try {
      // Assess
      expect(errors).toEqual([]);
      expect(sent.map((call) => call.type)).toEqual(['page', 'track', 'identify', 'track', 'page']);
      expect(sent[1]?.userId ?? null).toBeNull();
      expect(sent[3]?.userId).toBe('web-user-1');
      await expectCounted(expectedEvents(sent));
      expect(answers.map((answer) => answer.path).sort()).toEqual([
        '/v1/i',
        '/v1/p',
        '/v1/p',
        '/v1/t',
        '/v1/t',
      ]);
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
    } finally {
      await page.close();
    }
  });

  test('It should count the calls a page sends in batches (/v1/b) exactly', async () => {
    const { sent, answers, errors, page } = await sendFromPage(true, [
      ...journey('web-user-2'),
      ['page'],
      ['page'],
    ]);
    try {
      expect(errors).toEqual([]);
      await expectCounted(expectedEvents(sent));
      expect(answers.length).toBeGreaterThan(1);
      expect(answers.every((answer) => answer.path === '/v1/b' && answer.status === 200)).toBe(true);
    } finally {
      await page.close();
    }
  });
});
