import { describe, expect, test } from 'vitest';
import { collectSegmentCalls, correctedTime } from '../../../../shared/domain/collector/segment-calls.js';

const RECEIVED = Date.parse('2026-12-02T10:00:00.000Z');

describe('Segment calls to product events', () => {
  test('It should map a track call: name through the map, messageId as eventId, properties and the app context', () => {
    const { events, refused } = collectSegmentCalls(
      [
        {
          type: 'track',
          event: 'Course Completed',
          messageId: 'm-1',
          userId: 'ann',
          anonymousId: 'anon-1',
          timestamp: '2026-12-02T09:59:00.000Z',
          properties: { courseId: 'c1' },
          context: {
            library: { name: 'analytics-node' },
            app: { version: '2.1' },
            ip: '203.0.113.9',
            locale: 'de-DE',
          },
        },
      ],
      { receivedAt: RECEIVED, names: { 'Course Completed': 'course_completed' } },
    );
    expect(refused).toEqual([]);
    expect(events).toEqual([
      {
        name: 'course_completed',
        eventId: 'm-1',
        userId: 'ann',
        occurredAt: '2026-12-02T09:59:00.000Z',
        properties: { courseId: 'c1' },
        // The IP address is not kept.
        context: { library: { name: 'analytics-node' }, app: { version: '2.1' }, locale: 'de-DE' },
      },
    ]);
  });

  test("It should correct the device's clock by sentAt against the time received", () => {
    // The device's clock runs an hour ahead: it says it sent at 11:00 what happened at 10:59.
    expect(correctedTime('2026-12-02T10:59:00.000Z', '2026-12-02T11:00:00.000Z', RECEIVED)).toBe(
      Date.parse('2026-12-02T09:59:00.000Z'),
    );
    expect(correctedTime('2026-12-02T09:58:00.000Z', undefined, RECEIVED)).toBe(
      Date.parse('2026-12-02T09:58:00.000Z'),
    );
    expect(correctedTime(undefined, '2026-12-02T11:00:00.000Z', RECEIVED)).toBe(RECEIVED);
    expect(correctedTime('yesterday', undefined, RECEIVED)).toBeUndefined();
    // A batch's sentAt applies to each of its calls.
    const { events } = collectSegmentCalls(
      [
        {
          type: 'track',
          event: 'signed_up',
          messageId: 'm',
          anonymousId: 'a',
          timestamp: '2026-12-02T10:59:30.000Z',
        },
      ],
      { receivedAt: RECEIVED, sentAt: '2026-12-02T11:00:00.000Z' },
    );
    expect(events[0]?.occurredAt).toBe('2026-12-02T09:59:30.000Z');
  });

  test('It should count an anonymous user by anonymousId, and keep identify calls as identities, not events', () => {
    const { events, identities } = collectSegmentCalls(
      [
        { type: 'track', event: 'page_viewed', messageId: 'm-1', anonymousId: 'anon-1' },
        { type: 'identify', userId: 'ann', anonymousId: 'anon-1', traits: { plan: 'pro' }, messageId: 'm-2' },
      ],
      { receivedAt: RECEIVED },
    );
    expect(events.map((event) => [event.name, event.userId, event.occurredAt])).toEqual([
      ['page_viewed', 'anon-1', new Date(RECEIVED).toISOString()],
    ]);
    expect(identities).toEqual([{ anonymousId: 'anon-1', userId: 'ann' }]);
  });

  test('It should make page and screen calls events only when the map names them, and ignore group and alias', () => {
    const calls = [
      { type: 'page', name: 'Pricing', messageId: 'p-1', userId: 'ann', properties: { path: '/pricing' } },
      { type: 'screen', name: 'Home', messageId: 's-1', userId: 'ann' },
      { type: 'group', groupId: 'g', messageId: 'g-1', userId: 'ann' },
      { type: 'alias', previousId: 'x', messageId: 'a-1', userId: 'ann' },
    ];
    const unnamed = collectSegmentCalls(calls, { receivedAt: RECEIVED });
    expect(unnamed.events).toEqual([]);
    expect(unnamed.ignored).toBe(4);
    const named = collectSegmentCalls(calls, { receivedAt: RECEIVED, names: { page: 'page_viewed' } });
    expect(named.events.map((event) => [event.name, event.eventId, event.properties])).toEqual([
      ['page_viewed', 'p-1', { path: '/pricing' }],
    ]);
    expect(named.ignored).toBe(3);
  });

  test('It should refuse each bad call with its position and why, and take its neighbours', () => {
    const { events, refused } = collectSegmentCalls(
      [
        'not a call',
        { type: 'track', event: 'signed_up', userId: 'ann' },
        { type: 'track', event: 'signed_up', messageId: 'm-3' },
        { type: 'track', event: 'signed_up', messageId: 'm-4', userId: 'ann', timestamp: 'soon' },
        { type: 'track', messageId: 'm-5', userId: 'ann' },
        { type: 'launch', messageId: 'm-6', userId: 'ann' },
        { type: 'track', event: 'signed_up', messageId: 'm-7', userId: 'ann' },
      ],
      { receivedAt: RECEIVED },
    );
    expect(events.map((event) => event.eventId)).toEqual(['m-7']);
    expect(refused.map(({ index, reason }) => [index, reason.split(':')[0]])).toEqual([
      [0, 'call'],
      [1, 'messageId is required'],
      [2, 'a call needs a userId or an anonymousId'],
      [3, 'timestamp "soon" is not a date'],
      [4, 'a track call needs an event name'],
      [5, 'calls of type "launch" are not taken'],
    ]);
  });

  test("It should keep the device's time as it is when its clock is within the tolerance, so a retry carries the same time", () => {
    // Sent again 3 s later with a new sentAt, as an SDK retries: received 40 ms after each send.
    const first = correctedTime(
      '2026-12-02T09:59:00.000Z',
      '2026-12-02T10:00:00.000Z',
      RECEIVED + 40,
      10_000,
    );
    const retry = correctedTime(
      '2026-12-02T09:59:00.000Z',
      '2026-12-02T10:00:03.000Z',
      RECEIVED + 3040,
      10_000,
    );
    expect(first).toBe(Date.parse('2026-12-02T09:59:00.000Z'));
    expect(retry).toBe(first);
    // Without a tolerance each send moves the time by its own delay.
    expect(correctedTime('2026-12-02T09:59:00.000Z', '2026-12-02T10:00:00.000Z', RECEIVED + 40)).toBe(
      Date.parse('2026-12-02T09:59:00.040Z'),
    );
    // Past the tolerance the clock is corrected as before: an hour ahead.
    expect(correctedTime('2026-12-02T10:59:00.000Z', '2026-12-02T11:00:00.000Z', RECEIVED, 10_000)).toBe(
      Date.parse('2026-12-02T09:59:00.000Z'),
    );
  });
});
