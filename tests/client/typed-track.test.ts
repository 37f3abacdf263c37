import { describe, expect, test } from 'vitest';
import { createTracker, type EventProperties, type Tracker } from '../../client/index.js';
import type demo from '../../config/demo.config.js';

// This file is type-checked by `tsc --noEmit` (npm test): each `@ts-expect-error` line must
// stay an error, so a tracker that stopped checking names or property types fails the build.
type Demo = typeof demo;

function typedUsage(): Tracker<Demo> {
  const tracker = createTracker<Demo>({
    source: 'app.web',
    endpoint: 'http://127.0.0.1:1',
    retry: { maxAttempts: 2, baseDelayMs: 1 },
    onError: () => {},
  });
  tracker.track('page_viewed', { path: '/pricing', channel: 'paid' }, { userId: 'u1' });
  tracker.track('payment_succeeded', { amount: 19, currency: 'EUR', plan: 'annual' }, { userId: 'u1' });
  tracker.track(
    'lesson_completed',
    { courseId: 'c1', lessonId: 'l1' },
    { userId: 'u1', context: { platform: 'web' } },
  );
  return tracker;
}

/** Never called: only its type errors matter. */
function wrongUsage(tracker: Tracker<Demo>): void {
  // @ts-expect-error an event name that is not in the tracking plan
  tracker.track('page_visited', { path: '/' }, { userId: 'u1' });
  // @ts-expect-error a number property given a string
  tracker.track('payment_succeeded', { amount: '19', currency: 'EUR', plan: 'annual' }, { userId: 'u1' });
  // @ts-expect-error a value outside the enum
  tracker.track('payment_succeeded', { amount: 19, currency: 'GBP', plan: 'annual' }, { userId: 'u1' });
  // @ts-expect-error a required property missing
  tracker.track('signed_up', {}, { userId: 'u1' });
  // @ts-expect-error a property the plan does not have
  tracker.track('signed_up', { method: 'email', referrer: 'x' }, { userId: 'u1' });
  // @ts-expect-error a boolean property given a number
  tracker.track('course_completed', { courseId: 'c1', certificate: 1 }, { userId: 'u1' });
  // @ts-expect-error no userId
  tracker.track('signed_up', { method: 'email' }, {});
}

describe('typed track()', () => {
  test('It should take events typed by the tracking plan: required, optional and enum properties', async () => {
    const properties: EventProperties<Demo, 'payment_succeeded'> = {
      amount: 5,
      currency: 'USD',
      plan: 'monthly',
    };
    const optional: EventProperties<Demo, 'page_viewed'> = { path: '/' };
    const tracker = typedUsage();
    expect(tracker.stats().tracked).toBe(3);
    expect(properties.currency).toBe('USD');
    expect(optional.channel).toBeUndefined();
    // Nothing listens on port 1: shutdown still ends, reporting rather than throwing.
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ sent: 0, failed: 3, buffered: 0 });
    // The wrong calls are for tsc only; here they would be taken (types are erased at run time).
    expect(wrongUsage).toBeTypeOf('function');
  });
});
