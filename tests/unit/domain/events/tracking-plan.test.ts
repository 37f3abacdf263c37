import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import demo from '../../../../config/demo.config.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import {
  BATCH_DETAIL_TYPE,
  type Rejection,
  RejectionReason,
} from '../../../../shared/domain/events/envelope.js';
import { parseEntry, trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import { batchEntry, singleEntry, type TestEvent } from '../../../support/entries.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

const config = parseConfig(structuredClone(demo));
const compiled = compileConfig(config);
const ARRIVED_AT = Date.parse('2026-11-25T12:00:00Z');
const context = { compiled, schemas: trackingPlanSchemas(config), arrivedAt: ARRIVED_AT };

const parse = (body: string) => parseEntry(body, context);
const isoAt = (epochMs: number) => new Date(epochMs).toISOString();

/** An EventBridge event as the rule puts it on the queue, with full control over every field. */
function entryOf(detailType: string, detail: unknown, source = 'app.web'): string {
  return JSON.stringify({
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2026-11-25T11:59:58Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });
}

const signUpDetail = (change: Record<string, unknown> = {}) => ({
  eventId: 'evt-1',
  userId: 'learner-1',
  occurredAt: '2026-11-25T10:00:00Z',
  properties: { method: 'email' },
  ...change,
});

function withoutField(detail: Record<string, unknown>, field: string): Record<string, unknown> {
  const { [field]: _dropped, ...rest } = detail;
  return rest;
}

/** Where the rejection's raw payload comes from: the whole entry, the event of a single entry, or one batch element. */
type RawHolds = { of: 'entry' } | { of: 'event' } | { of: 'batch element'; index: number };

interface BadInput {
  readonly title: string;
  readonly body: string;
  readonly reason: RejectionReason;
  /** Text the message must contain: the field (or the limit) it is about. */
  readonly names: string;
  readonly raw: RawHolds;
}

const corpus: readonly BadInput[] = [
  {
    title: 'an entry that is not JSON',
    body: '{"version":"0","detail-type":',
    reason: 'malformed_entry',
    names: 'JSON',
    raw: { of: 'entry' },
  },
  {
    title: 'JSON that is not an EventBridge event',
    body: JSON.stringify(signUpDetail()),
    reason: 'malformed_entry',
    names: 'detail-type',
    raw: { of: 'entry' },
  },
  {
    title: 'an EventBridge event whose detail is not an object',
    body: entryOf('signed_up', 'signed up!'),
    reason: 'malformed_entry',
    names: 'detail',
    raw: { of: 'entry' },
  },
  {
    title: 'a batch entry without an events array',
    body: entryOf(BATCH_DETAIL_TYPE, { items: [signUpDetail()] }),
    reason: 'malformed_batch',
    names: 'events',
    raw: { of: 'entry' },
  },
  {
    title: 'a batch entry with an empty events array',
    body: entryOf(BATCH_DETAIL_TYPE, { events: [] }),
    reason: 'malformed_batch',
    names: 'events',
    raw: { of: 'entry' },
  },
  {
    title: 'a source with the reserved prefix',
    body: entryOf('signed_up', signUpDetail(), 'northstar.x'),
    reason: 'reserved_source',
    names: 'source',
    raw: { of: 'entry' },
  },
  {
    title: 'an event name not in the tracking plan',
    body: entryOf('course_abandoned', signUpDetail()),
    reason: 'unknown_event',
    names: 'course_abandoned',
    raw: { of: 'event' },
  },
  {
    title: 'an event without eventId',
    body: entryOf('signed_up', withoutField(signUpDetail(), 'eventId')),
    reason: 'missing_field',
    names: 'eventId',
    raw: { of: 'event' },
  },
  {
    title: 'an event without userId',
    body: entryOf('signed_up', withoutField(signUpDetail(), 'userId')),
    reason: 'missing_field',
    names: 'userId',
    raw: { of: 'event' },
  },
  {
    title: 'an event without occurredAt',
    body: entryOf('signed_up', withoutField(signUpDetail(), 'occurredAt')),
    reason: 'missing_field',
    names: 'occurredAt',
    raw: { of: 'event' },
  },
  {
    title: 'a batch event without a name',
    body: entryOf(BATCH_DETAIL_TYPE, { events: [signUpDetail()] }),
    reason: 'missing_field',
    names: 'name',
    raw: { of: 'batch element', index: 0 },
  },
  {
    title: 'an eventId of 129 characters',
    body: entryOf('signed_up', signUpDetail({ eventId: 'e'.repeat(129) })),
    reason: 'malformed_field',
    names: 'eventId',
    raw: { of: 'event' },
  },
  {
    title: 'a userId of 257 characters',
    body: entryOf('signed_up', signUpDetail({ userId: 'u'.repeat(257) })),
    reason: 'malformed_field',
    names: 'userId',
    raw: { of: 'event' },
  },
  {
    title: 'an occurredAt without offset',
    body: entryOf('signed_up', signUpDetail({ occurredAt: '2026-11-25T10:00:00' })),
    reason: 'malformed_field',
    names: 'occurredAt',
    raw: { of: 'event' },
  },
  {
    title: 'an occurredAt that is not a timestamp',
    body: entryOf('signed_up', signUpDetail({ occurredAt: 'yesterday' })),
    reason: 'malformed_field',
    names: 'occurredAt',
    raw: { of: 'event' },
  },
  {
    title: 'a missing required property',
    body: entryOf('signed_up', signUpDetail({ properties: {} })),
    reason: 'invalid_property',
    names: 'properties.method',
    raw: { of: 'event' },
  },
  {
    title: 'a property of the wrong type',
    body: entryOf(
      'lesson_completed',
      signUpDetail({ properties: { courseId: 'ts-101', lessonId: 'l1', durationSeconds: '600' } }),
    ),
    reason: 'invalid_property',
    names: 'properties.durationSeconds',
    raw: { of: 'event' },
  },
  {
    title: 'an enum property with a value the plan does not allow',
    body: entryOf('signed_up', signUpDetail({ properties: { method: 'facebook' } })),
    reason: 'invalid_property',
    names: 'properties.method',
    raw: { of: 'event' },
  },
  {
    title: 'properties that are not an object',
    body: entryOf('signed_up', signUpDetail({ properties: 'email' })),
    reason: 'invalid_property',
    names: 'properties',
    raw: { of: 'event' },
  },
  {
    title: 'an event over the size limit',
    body: entryOf(
      'page_viewed',
      signUpDetail({ properties: { path: '/', note: 'x'.repeat(config.ingest.maxEventBytes) } }),
    ),
    reason: 'too_large',
    names: String(config.ingest.maxEventBytes),
    raw: { of: 'event' },
  },
  {
    title: 'an event later than arrival plus the clock skew',
    body: entryOf('signed_up', signUpDetail({ occurredAt: isoAt(ARRIVED_AT + 5 * MINUTE + SECOND) })),
    reason: 'future_event',
    names: 'occurredAt',
    raw: { of: 'event' },
  },
  {
    title: 'an event older than the maximum lateness',
    body: entryOf('signed_up', signUpDetail({ occurredAt: isoAt(ARRIVED_AT - 7 * DAY - SECOND) })),
    reason: 'too_late',
    names: 'occurredAt',
    raw: { of: 'event' },
  },
];

function expectRawToHold(rejection: Rejection, body: string, raw: RawHolds): void {
  if (raw.of === 'entry') {
    expect(rejection.raw).toBe(body);
    return;
  }
  const sent = JSON.parse(body) as { source: string; 'detail-type': string; detail: { events?: unknown[] } };
  if (raw.of === 'event') {
    // A single-event entry is kept whole, envelope and all.
    expect(rejection.raw).toBe(body);
  } else {
    expect(JSON.parse(rejection.raw)).toEqual({
      source: sent.source,
      event: sent.detail.events?.[raw.index],
    });
  }
}

/** The per-event cases, sent inside a batch entry instead: the batch element carries the name. */
function asBatch(body: string): string {
  const sent = JSON.parse(body) as { source: string; 'detail-type': string; detail: Record<string, unknown> };
  return entryOf(BATCH_DETAIL_TYPE, { events: [{ name: sent['detail-type'], ...sent.detail }] }, sent.source);
}

describe('parseEntry: rejections', () => {
  test('It should cover every rejection reason decided at parse time', () => {
    // Prepare: queue_expired is decided later, from the time spent in the queue.
    const decidedLater: RejectionReason[] = ['queue_expired'];

    // Act
    const covered = new Set(corpus.map((input) => input.reason));

    // Assess
    expect([...covered, ...decidedLater].sort()).toEqual([...RejectionReason.options].sort());
  });

  test.each(corpus)(
    'It should reject $title as $reason, name $names and keep the raw payload',
    ({ body, reason, names, raw }) => {
      // Prepare
      const entry = body;

      // Act
      const { events, rejections } = parse(entry);

      // Assess
      expect(events).toEqual([]);
      expect(rejections).toHaveLength(1);
      const [rejection] = rejections as [Rejection];
      expect(rejection.reason).toBe(reason);
      expect(rejection.message).toContain(names);
      expect(rejection.arrivedAt).toBe(ARRIVED_AT);
      expectRawToHold(rejection, entry, raw);
    },
  );

  test.each(corpus.filter((input) => input.raw.of === 'event'))(
    'It should reject $title inside a batch entry as $reason too',
    ({ body, reason, names }) => {
      // Prepare
      const entry = asBatch(body);

      // Act
      const { events, rejections } = parse(entry);

      // Assess
      expect(events).toEqual([]);
      expect(rejections.map((rejection) => rejection.reason)).toEqual([reason]);
      expect(rejections[0]?.message).toContain(names);
      expectRawToHold(rejections[0]!, entry, { of: 'batch element', index: 0 });
    },
  );

  test('It should tell who sent a rejected event: source, name, eventId and userId', () => {
    // Prepare
    const entry = entryOf('signed_up', signUpDetail({ properties: { method: 'facebook' } }), 'app.ios');

    // Act
    const { rejections } = parse(entry);

    // Assess
    expect(rejections[0]).toMatchObject({
      source: 'app.ios',
      name: 'signed_up',
      eventId: 'evt-1',
      userId: 'learner-1',
    });
  });
});

describe('parseEntry: limits that still accept', () => {
  test('It should accept an eventId of exactly 128 characters', () => {
    // Prepare
    const entry = entryOf('signed_up', signUpDetail({ eventId: 'e'.repeat(128) }));

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    expect(events[0]?.eventId).toHaveLength(128);
  });

  test('It should accept an event exactly at arrival plus the clock skew', () => {
    // Prepare
    const entry = entryOf('signed_up', signUpDetail({ occurredAt: isoAt(ARRIVED_AT + 5 * MINUTE) }));

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    expect(events[0]?.occurredAt).toBe(ARRIVED_AT + 5 * MINUTE);
  });

  test('It should accept an event exactly the maximum lateness old', () => {
    // Prepare
    const entry = entryOf('signed_up', signUpDetail({ occurredAt: isoAt(ARRIVED_AT - 7 * DAY) }));

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    expect(events[0]?.occurredAt).toBe(ARRIVED_AT - 7 * DAY);
  });

  test('It should read an occurredAt with a numeric offset as the instant it names', () => {
    // Prepare: 11:00 at +01:00 is 10:00 UTC.
    const entry = entryOf('signed_up', signUpDetail({ occurredAt: '2026-11-25T11:00:00+01:00' }));

    // Act
    const { events } = parse(entry);

    // Assess
    expect(events[0]?.occurredAt).toBe(Date.parse('2026-11-25T10:00:00Z'));
  });

  test('It should accept unknown extra properties and keep them', () => {
    // Prepare
    const properties = {
      path: '/pricing',
      channel: 'paid',
      experiment: 'pricing-b',
      nested: { depth: 2, tags: ['a'] },
    };
    const entry = entryOf('page_viewed', signUpDetail({ properties }));

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    expect(events[0]?.properties).toEqual(properties);
  });

  test('It should accept an event without properties when the plan requires none', () => {
    // Prepare: every demo event requires a property, so add one that requires none.
    const draft = structuredClone(demo);
    const withOptional = parseConfig({
      ...draft,
      trackingPlan: { events: { ...draft.trackingPlan.events, app_opened: {} } },
    });
    const optionalContext = {
      compiled: compileConfig(withOptional),
      schemas: trackingPlanSchemas(withOptional),
      arrivedAt: ARRIVED_AT,
    };
    const entry = entryOf('app_opened', withoutField(signUpDetail(), 'properties'));

    // Act
    const { events, rejections } = parseEntry(entry, optionalContext);

    // Assess
    expect(rejections).toEqual([]);
    expect(events[0]?.properties).toEqual({});
  });
});

describe('parseEntry: batch entries', () => {
  test('It should accept the good events of a batch and reject only the bad ones, each with its own raw payload', () => {
    // Prepare
    const good1: TestEvent = {
      name: 'signed_up',
      eventId: 'good-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:00:00Z',
      properties: { method: 'email' },
    };
    const unknown = { ...good1, name: 'course_abandoned', eventId: 'bad-unknown' };
    const { name: _name, ...nameless } = { ...good1, eventId: 'bad-nameless' };
    const invalid = { ...good1, eventId: 'bad-invalid', properties: { method: 'fax' } };
    const good2: TestEvent = {
      name: 'page_viewed',
      eventId: 'good-2',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:05:00Z',
      properties: { path: '/' },
    };
    const entry = batchEntry([good1, unknown, nameless as TestEvent, invalid, good2]);

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(events.map((event) => event.eventId)).toEqual(['good-1', 'good-2']);
    expect(rejections.map((rejection) => rejection.reason)).toEqual([
      'unknown_event',
      'missing_field',
      'invalid_property',
    ]);
    expect(rejections.map((rejection) => JSON.parse(rejection.raw).event.eventId)).toEqual([
      'bad-unknown',
      'bad-nameless',
      'bad-invalid',
    ]);
  });

  test('It should not reject the good neighbours of a batch element that is not an object', () => {
    // Prepare
    const good: TestEvent = {
      name: 'signed_up',
      eventId: 'good-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:00:00Z',
      properties: { method: 'email' },
    };
    const entry = entryOf(BATCH_DETAIL_TYPE, { events: [good, null, 'signed_up', 42, ['x']] });

    // Act
    const { events, rejections } = parse(entry);

    // Assess: the good event is accepted; each of the four bad elements is rejected on its own.
    expect(events.map((event) => event.eventId)).toEqual(['good-1']);
    expect(rejections).toHaveLength(4);
  });

  test('It should give an event the same key and payload hash as a single entry and inside a batch entry', () => {
    // Prepare
    const event: TestEvent = {
      name: 'payment_succeeded',
      eventId: 'pay-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:00:00Z',
      properties: { amount: 19.99, currency: 'EUR', plan: 'annual' },
      context: { platform: 'web', appVersion: '4.2.0' },
    };
    const neighbour: TestEvent = {
      name: 'page_viewed',
      eventId: 'pv-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T09:00:00Z',
      properties: { path: '/' },
    };

    // Act
    const single = parse(singleEntry(event)).events[0];
    const batched = parse(batchEntry([neighbour, event])).events[1];

    // Assess
    expect(single).toBeDefined();
    expect(batched).toEqual(single);
  });

  test('It should give any valid event the same key and payload hash in both entry forms', () => {
    const anEvent = fc.record({
      eventId: fc.string({ minLength: 1, maxLength: 128 }),
      userId: fc.string({ minLength: 1, maxLength: 256 }),
      occurredAt: fc.integer({ min: ARRIVED_AT - 7 * DAY, max: ARRIVED_AT + 5 * MINUTE }).map(isoAt),
      path: fc.string({ maxLength: 40 }),
      channel: fc.option(fc.constantFrom('organic', 'paid', 'referral', 'email', 'direct'), {
        nil: undefined,
      }),
      extra: fc.dictionary(
        fc
          .string({ minLength: 1, maxLength: 8 })
          .filter((key) => !['path', 'channel', '__proto__'].includes(key)),
        fc.jsonValue(),
        {
          maxKeys: 3,
        },
      ),
      source: fc.constantFrom('app.web', 'app.ios', 'com.example.learn'),
    });
    fc.assert(
      fc.property(anEvent, ({ eventId, userId, occurredAt, path, channel, extra, source }) => {
        // Prepare
        const properties = { ...extra, path, ...(channel === undefined ? {} : { channel }) };
        const event: TestEvent = { name: 'page_viewed', eventId, userId, occurredAt, properties };

        // Act
        const single = parse(singleEntry(event, source));
        const batched = parse(batchEntry([event], source));

        // Assess
        expect(single.rejections).toEqual([]);
        expect(batched.events[0]?.key).toBe(single.events[0]?.key);
        expect(batched.events[0]?.payloadHash).toBe(single.events[0]?.payloadHash);
      }),
      { numRuns: 300 },
    );
  });

  test('It should keep the key but change the payload hash when the payload of the same eventId changes', () => {
    // Prepare
    const event: TestEvent = {
      name: 'signed_up',
      eventId: 'evt-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:00:00Z',
      properties: { method: 'email' },
    };

    // Act
    const first = parse(singleEntry(event)).events[0];
    const changed = parse(singleEntry({ ...event, properties: { method: 'google' } })).events[0];

    // Assess
    expect(changed?.key).toBe(first?.key);
    expect(changed?.payloadHash).not.toBe(first?.payloadHash);
  });

  test('It should give the same eventId from another source another key', () => {
    // Prepare
    const event: TestEvent = {
      name: 'signed_up',
      eventId: 'evt-1',
      userId: 'learner-1',
      occurredAt: '2026-11-25T10:00:00Z',
      properties: { method: 'email' },
    };

    // Act
    const web = parse(singleEntry(event, 'app.web')).events[0];
    const ios = parse(singleEntry(event, 'app.ios')).events[0];

    // Assess
    expect(web?.key).not.toBe(ios?.key);
  });
});

describe('parseEntry: hostile property names', () => {
  const PROTO_PROPERTIES =
    '{"path":"/","__proto__":{"polluted":true,"method":"email"},"constructor":{"prototype":{"polluted":true}},"hasOwnProperty":"nope","toString":1}';

  function rawEntry(detailType: string, detailJson: string): string {
    return `{"version":"0","id":"x","detail-type":"${detailType}","source":"app.web","account":"123456789012","time":"2026-11-25T11:59:58Z","region":"us-east-1","resources":[],"detail":${detailJson}}`;
  }

  test('It should accept __proto__, constructor and other prototype names as properties without polluting prototypes', () => {
    // Prepare
    const entry = rawEntry(
      'page_viewed',
      `{"eventId":"evt-1","userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z","properties":${PROTO_PROPERTIES}}`,
    );

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    const properties = events[0]?.properties as Record<string, unknown>;
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect('polluted' in properties).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(typeof ({} as { hasOwnProperty: unknown }).hasOwnProperty).toBe('function');
  });

  test('It should accept __proto__ and constructor properties inside a batch without polluting prototypes', () => {
    // Prepare
    const entry = rawEntry(
      BATCH_DETAIL_TYPE,
      `{"events":[{"name":"page_viewed","eventId":"evt-1","userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z","properties":${PROTO_PROPERTIES}}]}`,
    );

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(rejections).toEqual([]);
    expect(events).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('It should not take a required property from a __proto__ key', () => {
    // Prepare: method is only present under __proto__.
    const entry = rawEntry(
      'signed_up',
      '{"eventId":"evt-1","userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z","properties":{"__proto__":{"method":"email"}}}',
    );

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(events).toEqual([]);
    expect(rejections[0]).toMatchObject({ reason: 'invalid_property' });
    expect(rejections[0]?.message).toContain('properties.method');
  });

  test('It should not take an envelope field from a __proto__ key of the detail', () => {
    // Prepare
    const entry = rawEntry(
      'signed_up',
      '{"__proto__":{"eventId":"evt-1"},"userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z","properties":{"method":"email"}}',
    );

    // Act
    const { events, rejections } = parse(entry);

    // Assess
    expect(events).toEqual([]);
    expect(rejections[0]).toMatchObject({ reason: 'missing_field', message: 'eventId is required' });
  });

  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'It should reject an event named %s as unknown',
    (name) => {
      // Prepare
      const single = rawEntry(
        name,
        '{"eventId":"evt-1","userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z"}',
      );
      const batched = rawEntry(
        BATCH_DETAIL_TYPE,
        `{"events":[{"name":"${name}","eventId":"evt-2","userId":"learner-1","occurredAt":"2026-11-25T10:00:00Z"}]}`,
      );

      // Act
      const reasons = [single, batched].flatMap((entry) =>
        parse(entry).rejections.map((rejection) => rejection.reason),
      );

      // Assess
      expect(reasons).toEqual(['unknown_event', 'unknown_event']);
    },
  );
});
