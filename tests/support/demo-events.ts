import fc from 'fast-check';
import type { TestEvent } from './entries.js';

/** Valid properties for each event of the demo tracking plan. */
export const demoProperties: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  page_viewed: fc.record({
    path: fc.constantFrom('/', '/courses', '/pricing'),
    channel: fc.constantFrom('organic', 'paid', 'email'),
  }),
  signed_up: fc.record({ method: fc.constantFrom('email', 'google', 'apple') }),
  lesson_started: fc.record({
    courseId: fc.constantFrom('c1', 'c2'),
    lessonId: fc.constantFrom('l1', 'l2', 'l3'),
  }),
  lesson_completed: fc.record({
    courseId: fc.constantFrom('c1', 'c2'),
    lessonId: fc.constantFrom('l1', 'l2'),
    durationSeconds: fc.integer({ min: 10, max: 3600 }),
  }),
  course_completed: fc.record({ courseId: fc.constantFrom('c1', 'c2'), certificate: fc.boolean() }),
  payment_succeeded: fc.record({
    amount: fc.constantFrom(9.99, 19.99, 120, 0.1, 0.2),
    currency: fc.constantFrom('USD', 'EUR'),
    plan: fc.constantFrom('monthly', 'annual'),
  }),
};

/** The app's context: a listed platform, one outside the list, none, or no context at all. */
const demoContext = fc.option(
  fc.record({ platform: fc.constantFrom('web', 'ios', 'android', 'tv') }, { requiredKeys: [] }),
  { nil: undefined },
);

export const DEMO_NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

/** Events of a few users over the last six days: small enough to collide on users and periods. */
export function demoEventSet(
  options: { minEvents?: number; maxEvents?: number; users?: number } = {},
): fc.Arbitrary<TestEvent[]> {
  const event = fc
    .record({
      name: fc.constantFrom(...Object.keys(demoProperties)),
      user: fc.integer({ min: 1, max: options.users ?? 5 }),
      hoursAgo: fc.integer({ min: 0, max: 6 * 24 - 1 }),
      minute: fc.integer({ min: 0, max: 59 }),
      context: demoContext,
    })
    .chain(({ name, user, hoursAgo, minute, context }) =>
      demoProperties[name]!.map((properties) => ({
        name,
        userId: `u${user}`,
        occurredAt: new Date(DEMO_NOW - hoursAgo * HOUR - minute * 60_000).toISOString(),
        properties,
        ...(context ? { context } : {}),
      })),
    );
  return fc
    .array(event, { minLength: options.minEvents ?? 1, maxLength: options.maxEvents ?? 40 })
    .map((events) => events.map((e, index) => ({ ...e, eventId: `e${index}` })));
}
