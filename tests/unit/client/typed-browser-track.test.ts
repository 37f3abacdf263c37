import { describe, expect, test } from 'vitest';
import { type BrowserTracker, createBrowserTracker } from '../../../client/browser.js';
import type demo from '../../../config/demo.config.js';
import { fakePage } from '../../support/fake-page.js';

// Type-checked by `tsc --noEmit` (npm test): each `@ts-expect-error` line must stay an error, so
// a browser tracker that stopped checking names or property types against the plan fails the build.
type Demo = typeof demo;

function typedUsage(tracker: BrowserTracker<Demo>): void {
  tracker.track('page_viewed', { path: '/pricing', channel: 'paid' });
  tracker.track('payment_succeeded', { amount: 19, currency: 'EUR', plan: 'annual' }, { eventId: 'p-1' });
  tracker.track('lesson_completed', { courseId: 'c1', lessonId: 'l1' }, { context: { app: { build: 7 } } });
}

/** Never called: only its type errors matter. */
function wrongUsage(tracker: BrowserTracker<Demo>): void {
  // @ts-expect-error an event name that is not in the tracking plan
  tracker.track('page_visited', { path: '/' });
  // @ts-expect-error a number property given a string
  tracker.track('payment_succeeded', { amount: '19', currency: 'EUR', plan: 'annual' });
  // @ts-expect-error a value outside the enum
  tracker.track('payment_succeeded', { amount: 19, currency: 'GBP', plan: 'annual' });
  // @ts-expect-error a required property missing
  tracker.track('signed_up', {});
  // @ts-expect-error a property the plan does not have
  tracker.track('signed_up', { method: 'email', referrer: 'x' });
}

describe('typed track() in the browser build', () => {
  test('It should take events typed by the tracking plan', async () => {
    const page = fakePage();
    const tracker = createBrowserTracker<Demo>({
      writeKey: 'web-key-7f3a9c21',
      host: 'https://collect.example.com',
      environment: page.environment,
    });
    typedUsage(tracker);
    await tracker.flush();
    expect(page.posts.flatMap((body) => body.batch.map((call) => call.event))).toEqual([
      'page_viewed',
      'payment_succeeded',
      'lesson_completed',
    ]);
    expect(wrongUsage).toBeTypeOf('function');
  });
});
