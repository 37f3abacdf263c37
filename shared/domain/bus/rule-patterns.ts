/**
 * EventBridge rule patterns: the one definition used by the CDK stack and by
 * the local bus. Plain data, no aws-cdk import, so the local runtime can load
 * it without CDK.
 */

import { NorthstarError } from '../errors.js';

/** Sources starting with this are Northstar's own events; product apps may not use them. */
export const RESERVED_SOURCE_PREFIX = 'northstar';

/** The source of the events Northstar itself publishes (deviation alerts). */
export const NORTHSTAR_SOURCE = 'northstar';

export const DEVIATION_DETECTED = 'Metric Deviation Detected';
export const DEVIATION_RESOLVED = 'Metric Deviation Resolved';
export const TARGET_OFF_TRACK = 'Metric Target Off Track';
/** A run of settled periods outside the band on one side: the metric moved to a new level. */
export const LEVEL_SHIFT = 'Metric Level Shift';

/** One owner team's review of its metrics at one cadence and period. */
export const REVIEW_DIGEST = 'Metric Review Digest';

export type PatternLiteral = string | number | boolean | null;

/** The subset of EventBridge content filters Northstar uses. */
export type PatternMatcher =
  | PatternLiteral
  | { readonly prefix: string }
  | { readonly 'anything-but': PatternLiteral | readonly PatternLiteral[] | { readonly prefix: string } };

/** An EventBridge event pattern, in EventBridge's JSON form (`detail-type`, not `detailType`). */
export interface EventPattern {
  readonly [field: string]: readonly PatternMatcher[] | EventPattern;
}

/** Every event a product app sends: anything whose source is not reserved for Northstar. */
export const productEventsPattern: EventPattern = {
  source: [{ 'anything-but': { prefix: RESERVED_SOURCE_PREFIX } }],
};

/** Deviation alerts, optionally only those of one owner team (alert routing per team). */
export function deviationAlertPattern(team?: string): EventPattern {
  return {
    source: [NORTHSTAR_SOURCE],
    'detail-type': [DEVIATION_DETECTED, DEVIATION_RESOLVED, TARGET_OFF_TRACK, LEVEL_SHIFT],
    ...(team === undefined ? {} : { detail: { owner: { team: [team] } } }),
  };
}

/** Review digests, optionally only those of one owner team. */
export function reviewDigestPattern(team?: string): EventPattern {
  return {
    source: [NORTHSTAR_SOURCE],
    'detail-type': [REVIEW_DIGEST],
    ...(team === undefined ? {} : { detail: { team: [team] } }),
  };
}

export class UnsupportedPatternError extends NorthstarError {
  override readonly name = 'UnsupportedPatternError';

  constructor(message: string) {
    super('unsupported_pattern', message);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLiteral(value: unknown): value is PatternLiteral {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function matchesAnythingBut(condition: unknown, value: PatternLiteral): boolean {
  if (isPlainObject(condition)) {
    if (typeof condition.prefix !== 'string' || Object.keys(condition).length !== 1) {
      throw new UnsupportedPatternError(`Unsupported anything-but condition ${JSON.stringify(condition)}`);
    }
    return typeof value === 'string' && !value.startsWith(condition.prefix);
  }
  const excluded = Array.isArray(condition) ? condition : [condition];
  return !excluded.some((item) => item === value);
}

function matchesOne(matcher: unknown, value: PatternLiteral): boolean {
  if (isLiteral(matcher)) return matcher === value;
  if (isPlainObject(matcher) && Object.keys(matcher).length === 1) {
    if (typeof matcher.prefix === 'string')
      return typeof value === 'string' && value.startsWith(matcher.prefix);
    if ('anything-but' in matcher) return matchesAnythingBut(matcher['anything-but'], value);
  }
  // Failing loudly beats a local bus that routes differently from EventBridge.
  throw new UnsupportedPatternError(`Unsupported pattern matcher ${JSON.stringify(matcher)}`);
}

/** A leaf matches when any matcher matches the value, or any element of an array value. */
function matchesLeaf(matchers: readonly unknown[], value: unknown): boolean {
  // EventBridge content filters only match fields that are present.
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((item) => isLiteral(item) && matchers.some((matcher) => matchesOne(matcher, item)));
}

/**
 * Whether an event (in EventBridge's JSON shape: `source`, `detail-type`,
 * `detail`, ...) matches a pattern, with EventBridge's semantics for the
 * subset in {@link PatternMatcher}: every field of the pattern must match;
 * within a field, any of the listed matchers.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return Object.entries(pattern).every(([field, condition]) => {
    const value = event[field];
    if (Array.isArray(condition)) return matchesLeaf(condition, value);
    return matchesPattern(condition as EventPattern, value);
  });
}
