import { describe, expect, test } from 'vitest';
import { collectSegmentCalls, correctedTime } from '../../../../shared/domain/collector/segment-calls.js';

const RECEIVED = Date.parse('2026-12-02T10:00:00.000Z');
/** A time of the morning the calls are received. */
const AT = (time: string) => `2026-12-02T${time}:00.000Z`;

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

  test('It should count an anonymous user by anonymousId, and keep identify calls as links, not events', () => {
    const { events, identities } = collectSegmentCalls(
      [
        {
          type: 'track',
          event: 'page_viewed',
          messageId: 'm-1',
          anonymousId: 'anon-1',
          timestamp: AT('09:00'),
        },
        {
          type: 'identify',
          userId: 'ann',
          anonymousId: 'anon-1',
          traits: { plan: 'pro' },
          messageId: 'm-2',
          timestamp: AT('09:10'),
        },
      ],
      { receivedAt: RECEIVED },
    );
    expect(events.map((event) => [event.name, event.userId, event.occurredAt])).toEqual([
      ['page_viewed', 'anon-1', AT('09:00')],
    ]);
    expect(identities).toEqual([{ anonymousId: 'anon-1', userId: 'ann', linkedAt: Date.parse(AT('09:10')) }]);
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

describe('Link forward: identify links an anonymous id to a user', () => {
  const anonymousTrack = (messageId: string, anonymousId: string, time: string) => ({
    type: 'track',
    event: 'lesson_completed',
    messageId,
    anonymousId,
    timestamp: AT(time),
    context: { locale: 'de-DE' },
  });
  const identify = (anonymousId: string, userId: string, time: string) => ({
    type: 'identify',
    messageId: `i-${anonymousId}-${userId}`,
    anonymousId,
    userId,
    timestamp: AT(time),
  });
  const users = (events: readonly { eventId: string; userId: string; context?: unknown }[]) =>
    events.map(({ eventId, userId, context }) => [eventId, userId, context]);

  test('It should send the calls of a linked anonymous id under its user, keeping the anonymous id in the context', () => {
    const links = new Map([
      ['anon-1', { anonymousId: 'anon-1', userId: 'ann', linkedAt: Date.parse(AT('09:10')) }],
    ]);
    const { events, anonymousIds } = collectSegmentCalls(
      [anonymousTrack('m-1', 'anon-1', '09:20'), anonymousTrack('m-2', 'anon-2', '09:20')],
      { receivedAt: RECEIVED, links },
    );
    expect(users(events)).toEqual([
      ['m-1', 'ann', { locale: 'de-DE', anonymousId: 'anon-1' }],
      // Not linked: it stays anonymous, as it was sent.
      ['m-2', 'anon-2', { locale: 'de-DE' }],
    ]);
    expect(anonymousIds).toEqual(['anon-1', 'anon-2']);
  });

  test('It should leave the events before the identify under the anonymous id, whenever they arrive', () => {
    // A resend of a call made before the identify, received after it: the same event again.
    const links = new Map([
      ['anon-1', { anonymousId: 'anon-1', userId: 'ann', linkedAt: Date.parse(AT('09:10')) }],
    ]);
    const { events } = collectSegmentCalls(
      [anonymousTrack('m-1', 'anon-1', '09:05'), anonymousTrack('m-2', 'anon-1', '09:10')],
      { receivedAt: RECEIVED, links },
    );
    // At the identify's very time counts as after it.
    expect(users(events)).toEqual([
      ['m-1', 'anon-1', { locale: 'de-DE' }],
      ['m-2', 'ann', { locale: 'de-DE', anonymousId: 'anon-1' }],
    ]);
  });

  test('It should link the later calls of a batch to an identify earlier in the same batch', () => {
    const { events, identities } = collectSegmentCalls(
      [
        anonymousTrack('m-1', 'anon-1', '09:00'),
        identify('anon-1', 'ann', '09:10'),
        anonymousTrack('m-2', 'anon-1', '09:20'),
        // A call that carries its user id keeps it.
        { ...anonymousTrack('m-3', 'anon-1', '09:30'), userId: 'bob' },
      ],
      { receivedAt: RECEIVED },
    );
    expect(users(events)).toEqual([
      ['m-1', 'anon-1', { locale: 'de-DE' }],
      ['m-2', 'ann', { locale: 'de-DE', anonymousId: 'anon-1' }],
      ['m-3', 'bob', { locale: 'de-DE' }],
    ]);
    expect(identities).toEqual([{ anonymousId: 'anon-1', userId: 'ann', linkedAt: Date.parse(AT('09:10')) }]);
  });

  test('It should keep the first link of an anonymous id: a later identify to another user moves nothing', () => {
    const recorded = new Map([
      ['anon-1', { anonymousId: 'anon-1', userId: 'ann', linkedAt: Date.parse(AT('09:10')) }],
    ]);
    const later = collectSegmentCalls(
      [identify('anon-1', 'bob', '09:00'), anonymousTrack('m-1', 'anon-1', '09:30')],
      { receivedAt: RECEIVED, links: recorded },
    );
    expect(users(later.events)).toEqual([['m-1', 'ann', { locale: 'de-DE', anonymousId: 'anon-1' }]]);
    // Within one batch the first identify of an anonymous id is its link.
    const batch = collectSegmentCalls(
      [
        identify('anon-2', 'cat', '09:10'),
        identify('anon-2', 'dan', '09:15'),
        anonymousTrack('m-2', 'anon-2', '09:30'),
      ],
      { receivedAt: RECEIVED },
    );
    expect(users(batch.events)).toEqual([['m-2', 'cat', { locale: 'de-DE', anonymousId: 'anon-2' }]]);
  });

  test('It should link nothing for an identify without both ids, and refuse one whose timestamp is not a date', () => {
    const { events, identities, refused } = collectSegmentCalls(
      [
        { type: 'identify', messageId: 'i-1', userId: 'ann' },
        { type: 'identify', messageId: 'i-2', anonymousId: 'anon-1' },
        { ...identify('anon-1', 'ann', '09:10'), timestamp: 'soon' },
        anonymousTrack('m-1', 'anon-1', '09:30'),
      ],
      { receivedAt: RECEIVED },
    );
    expect(identities).toEqual([]);
    expect(refused).toEqual([
      { index: 2, messageId: 'i-anon-1-ann', reason: 'timestamp "soon" is not a date' },
    ]);
    expect(users(events)).toEqual([['m-1', 'anon-1', { locale: 'de-DE' }]]);
  });
});
