import { describe, expect, it } from 'vitest';
import {
  DEVIATION_DETECTED,
  DEVIATION_RESOLVED,
  deviationAlertPattern,
  type EventPattern,
  matchesPattern,
  productEventsPattern,
  RESERVED_SOURCE_PREFIX,
  UnsupportedPatternError,
} from '../../../../shared/domain/bus/rule-patterns.js';

function eventFrom(source: string, detailType = 'lesson_completed', detail: unknown = {}) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source,
    account: '111122223333',
    time: '2026-01-05T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

describe('productEventsPattern', () => {
  it('It should match events from a product app', () => {
    expect(matchesPattern(productEventsPattern, eventFrom('com.example.learn'))).toBe(true);
  });

  it('It should not match events whose source starts with the reserved prefix', () => {
    expect(matchesPattern(productEventsPattern, eventFrom(RESERVED_SOURCE_PREFIX))).toBe(false);
    expect(matchesPattern(productEventsPattern, eventFrom('northstar.replay'))).toBe(false);
    expect(matchesPattern(productEventsPattern, eventFrom('northstarter'))).toBe(false);
  });

  it('It should match a source that only contains the reserved prefix later on', () => {
    expect(matchesPattern(productEventsPattern, eventFrom('app.northstar'))).toBe(true);
  });

  it('It should not match an event without a source', () => {
    const { source: _source, ...withoutSource } = eventFrom('com.example.learn');
    expect(matchesPattern(productEventsPattern, withoutSource)).toBe(false);
  });
});

describe('deviationAlertPattern', () => {
  const alert = (detailType: string, team: string) =>
    eventFrom('northstar', detailType, { metricId: 'weekly_signups', owner: { name: 'Growth', team } });

  it('It should match detected and resolved deviations of every team without a team', () => {
    expect(matchesPattern(deviationAlertPattern(), alert(DEVIATION_DETECTED, 'growth'))).toBe(true);
    expect(matchesPattern(deviationAlertPattern(), alert(DEVIATION_RESOLVED, 'revenue'))).toBe(true);
  });

  it('It should match only the given team', () => {
    expect(matchesPattern(deviationAlertPattern('growth'), alert(DEVIATION_DETECTED, 'growth'))).toBe(true);
    expect(matchesPattern(deviationAlertPattern('growth'), alert(DEVIATION_DETECTED, 'revenue'))).toBe(false);
  });

  it('It should not match other detail types or sources', () => {
    expect(matchesPattern(deviationAlertPattern(), alert('Metric Recomputed', 'growth'))).toBe(false);
    expect(
      matchesPattern(
        deviationAlertPattern(),
        eventFrom('com.example.learn', DEVIATION_DETECTED, { owner: { team: 'growth' } }),
      ),
    ).toBe(false);
  });

  it('It should not match when the nested detail key is missing', () => {
    expect(
      matchesPattern(deviationAlertPattern('growth'), eventFrom('northstar', DEVIATION_DETECTED, {})),
    ).toBe(false);
    expect(
      matchesPattern(deviationAlertPattern('growth'), eventFrom('northstar', DEVIATION_DETECTED, 'growth')),
    ).toBe(false);
  });

  it('It should not match product events', () => {
    expect(matchesPattern(productEventsPattern, alert(DEVIATION_DETECTED, 'growth'))).toBe(false);
  });
});

describe('matchesPattern', () => {
  it('It should match a prefix matcher on strings only', () => {
    const pattern: EventPattern = { detail: { courseId: [{ prefix: 'math-' }] } };
    expect(matchesPattern(pattern, eventFrom('app', 'x', { courseId: 'math-101' }))).toBe(true);
    expect(matchesPattern(pattern, eventFrom('app', 'x', { courseId: 'art-101' }))).toBe(false);
    expect(matchesPattern(pattern, eventFrom('app', 'x', { courseId: 101 }))).toBe(false);
  });

  it('It should match anything-but with a single value and with a list', () => {
    const single: EventPattern = { detail: { plan: [{ 'anything-but': 'monthly' }] } };
    const list: EventPattern = { detail: { plan: [{ 'anything-but': ['monthly', 'trial'] }] } };
    expect(matchesPattern(single, eventFrom('app', 'x', { plan: 'annual' }))).toBe(true);
    expect(matchesPattern(single, eventFrom('app', 'x', { plan: 'monthly' }))).toBe(false);
    expect(matchesPattern(list, eventFrom('app', 'x', { plan: 'trial' }))).toBe(false);
    expect(matchesPattern(list, eventFrom('app', 'x', { plan: 'annual' }))).toBe(true);
  });

  it('It should match exact numbers, booleans and null without coercion', () => {
    const pattern: EventPattern = { detail: { amount: [10], certificate: [true], coupon: [null] } };
    expect(
      matchesPattern(pattern, eventFrom('app', 'x', { amount: 10, certificate: true, coupon: null })),
    ).toBe(true);
    expect(
      matchesPattern(pattern, eventFrom('app', 'x', { amount: '10', certificate: true, coupon: null })),
    ).toBe(false);
  });

  it('It should match an array value when any element matches', () => {
    const pattern: EventPattern = { resources: [{ prefix: 'arn:aws:events:' }] };
    expect(matchesPattern(pattern, { resources: ['other', 'arn:aws:events:eu-west-1:1:rule/x'] })).toBe(true);
    expect(matchesPattern(pattern, { resources: [] })).toBe(false);
  });

  it('It should require every field of the pattern (AND across fields, OR within a field)', () => {
    const pattern: EventPattern = { source: ['a', 'b'], 'detail-type': ['signed_up'] };
    expect(matchesPattern(pattern, eventFrom('b', 'signed_up'))).toBe(true);
    expect(matchesPattern(pattern, eventFrom('b', 'page_viewed'))).toBe(false);
    expect(matchesPattern(pattern, eventFrom('c', 'signed_up'))).toBe(false);
  });

  it('It should match everything with an empty pattern, and nothing that is not an object', () => {
    expect(matchesPattern({}, eventFrom('app'))).toBe(true);
    expect(matchesPattern({}, 'not an event')).toBe(false);
    expect(matchesPattern({}, null)).toBe(false);
  });

  it('It should throw on a matcher outside the supported subset instead of guessing', () => {
    const numeric = { detail: { amount: [{ numeric: ['>', 0] }] } } as unknown as EventPattern;
    expect(() => matchesPattern(numeric, eventFrom('app', 'x', { amount: 5 }))).toThrow(
      UnsupportedPatternError,
    );
  });
});
