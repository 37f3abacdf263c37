import { z } from 'zod';
import { utf8Bytes } from '../../../client/pack-entries.js';

/**
 * Calls of the Segment tracking API (`track`, `page`, `screen`, `identify`, ...) turned into
 * Northstar product events, as the collector puts them on the bus in batch entries. Only
 * the mapping lives here; write keys, limits and the bus are the collector's.
 */

/** What every call may carry (the Segment spec's common fields); other fields are kept but unused. */
const CommonFields = z.looseObject({
  type: z.string().optional(),
  messageId: z.string().min(1).max(128).optional(),
  userId: z.string().min(1).max(256).nullish(),
  anonymousId: z.string().min(1).max(256).nullish(),
  timestamp: z.string().optional(),
  originalTimestamp: z.string().optional(),
  sentAt: z.string().optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  event: z.string().min(1).optional(),
  name: z.string().optional(),
});

/** The context fields that describe the app and device; the rest (IP address, user agent) stays out. */
const CONTEXT_FIELDS = ['library', 'app', 'device', 'os', 'locale', 'screen', 'timezone'] as const;

/** One event of a batch entry's `detail.events`, as an app sends it. */
export interface CollectedEvent {
  readonly name: string;
  readonly eventId: string;
  readonly userId: string;
  readonly occurredAt: string;
  readonly properties?: Record<string, unknown>;
  readonly context?: Record<string, unknown>;
}

/** A call that was not turned into an event, with where it was and why. */
export interface RefusedCall {
  /** Position in the batch (0 for a single call). */
  readonly index: number;
  readonly messageId?: string;
  readonly reason: string;
}

/**
 * An `identify` call with both ids: the anonymous id's calls that happened from `linkedAt` on
 * are the user's. The first link of an anonymous id stands for good (per source); a later
 * identify of it to another user moves nothing.
 */
export interface IdentityLink {
  readonly anonymousId: string;
  readonly userId: string;
  /** When the identify happened (its corrected time), epoch ms. */
  readonly linkedAt: number;
}

export interface CollectedCalls {
  /** Events sent under an anonymous id alone are under its linked user when the link covers them. */
  readonly events: CollectedEvent[];
  readonly refused: RefusedCall[];
  /** The request's identify calls that link an anonymous id, in the order sent. */
  readonly identities: IdentityLink[];
  /**
   * Every anonymous id the request's links concern: those its events were sent under alone,
   * and those it identifies. Their stored links are what `links` should hold.
   */
  readonly anonymousIds: string[];
  /** Calls that mean no event: `group`, `alias`, and `page`/`screen` the name map does not name. */
  readonly ignored: number;
}

export interface CollectOptions {
  /** When the collector received the request: the device's clock is corrected against it. */
  readonly receivedAt: number;
  /**
   * Ingest quarantines an event over `ingest.maxEventBytes` as `too_large`: the collector
   * refuses the call in its place instead, so the app hears of it. @default no limit
   */
  readonly maxEventBytes?: number;
  /** The request's own `sentAt` (a batch carries one for all its calls). */
  readonly sentAt?: string;
  /**
   * Segment event names to tracking-plan names (`"Course Completed": "course_completed"`);
   * the keys `page` and `screen` make those calls events. A name not in the map is kept as is.
   */
  readonly names?: Readonly<Record<string, string>>;
  /**
   * A device clock within this of `receivedAt` is taken as right and its time kept as it is, so
   * a retry, sent again with a new `sentAt`, carries the very same time (a plain duplicate, not a
   * conflict). @default 0: always corrected
   */
  readonly clockToleranceMs?: number;
  /**
   * The links already recorded, by anonymous id. The request's own identify calls add to them
   * where an anonymous id has none (the first in the request wins). @default none
   */
  readonly links?: ReadonlyMap<string, IdentityLink>;
}

const instant = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isFinite(time) ? time : undefined;
};

/**
 * When the user acted, as Segment computes it: the device's `timestamp` moved by the
 * difference between the device's clock (`sentAt`) and the collector's (`receivedAt`), so a
 * phone whose clock is an hour off still reports the right hour. Without `sentAt` the
 * device's time is taken as it is, and so it is when the device's clock is within
 * `toleranceMs` of the collector's; without a time, the moment it was received.
 */
export function correctedTime(
  timestamp: string | undefined,
  sentAt: string | undefined,
  receivedAt: number,
  toleranceMs = 0,
): number | undefined {
  const happened = instant(timestamp);
  if (timestamp !== undefined && happened === undefined) return undefined;
  const sent = instant(sentAt);
  if (happened === undefined) return receivedAt;
  if (sent === undefined || Math.abs(receivedAt - sent) <= toleranceMs) return happened;
  return receivedAt - (sent - happened);
}

function contextOf(context: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!context) return undefined;
  const kept = Object.fromEntries(
    CONTEXT_FIELDS.filter((field) => field in context).map((field) => [field, context[field]]),
  );
  return Object.keys(kept).length > 0 ? kept : undefined;
}

type CallOutcome =
  | { readonly event: CollectedEvent; readonly anonymousId?: string }
  | { readonly identity: IdentityLink | undefined }
  | { readonly ignored: true }
  | { readonly refused: string };

/** When a call happened, or why its time is not one. */
function timeOf(call: z.infer<typeof CommonFields>, options: CollectOptions): number | string {
  const timestamp = call.timestamp ?? call.originalTimestamp;
  const occurredAt = correctedTime(
    timestamp,
    call.sentAt ?? options.sentAt,
    options.receivedAt,
    options.clockToleranceMs,
  );
  return occurredAt ?? `timestamp "${timestamp}" is not a date`;
}

/** What one valid-shaped call becomes. */
function outcomeOf(call: z.infer<typeof CommonFields>, options: CollectOptions): CallOutcome {
  const names = options.names ?? {};
  if (call.type === 'identify') {
    if (!call.userId || !call.anonymousId || call.userId === call.anonymousId) return { identity: undefined };
    const linkedAt = timeOf(call, options);
    if (typeof linkedAt === 'string') return { refused: linkedAt };
    return { identity: { anonymousId: call.anonymousId, userId: call.userId, linkedAt } };
  }
  let name: string | undefined;
  if (call.type === 'track' || (call.type === undefined && call.event !== undefined)) {
    if (!call.event) return { refused: 'a track call needs an event name' };
    name = names[call.event] ?? call.event;
  } else if (call.type === 'page' || call.type === 'screen') {
    name = names[call.type];
    if (!name) return { ignored: true };
  } else if (call.type === 'group' || call.type === 'alias') return { ignored: true };
  else return { refused: `calls of type "${call.type ?? 'none'}" are not taken` };
  if (!call.messageId)
    return { refused: 'messageId is required: it is the event id that makes retries count once' };
  const userId = call.userId ?? call.anonymousId;
  if (!userId) return { refused: 'a call needs a userId or an anonymousId' };
  const occurredAt = timeOf(call, options);
  if (typeof occurredAt === 'string') return { refused: occurredAt };
  const context = contextOf(call.context);
  return {
    event: {
      name,
      eventId: call.messageId,
      userId,
      occurredAt: new Date(occurredAt).toISOString(),
      ...(call.properties ? { properties: call.properties } : {}),
      ...(context ? { context } : {}),
    },
    ...(call.userId ? {} : { anonymousId: userId }),
  };
}

/**
 * Link forward: an event sent under an anonymous id alone is the linked user's when it
 * happened at or after the identify, with the anonymous id kept in its `context`. Earlier
 * events stay the anonymous id's, so counters already kept never change, and a retry of
 * such an event, however late, is the same event again.
 */
function linkedForward(event: CollectedEvent, anonymousId: string, link: IdentityLink | undefined) {
  if (!link || Date.parse(event.occurredAt) < link.linkedAt) return event;
  return { ...event, userId: link.userId, context: { ...event.context, anonymousId } };
}

/** Turns a request's calls into product events; one bad call never refuses its neighbours. */
export function collectSegmentCalls(calls: readonly unknown[], options: CollectOptions): CollectedCalls {
  const sent: { event: CollectedEvent; anonymousId?: string }[] = [];
  const refused: RefusedCall[] = [];
  const identities: IdentityLink[] = [];
  let ignored = 0;
  for (const [index, raw] of calls.entries()) {
    const parsed = CommonFields.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      refused.push({
        index,
        reason: `${issue?.path.join('.') || 'call'}: ${issue?.message ?? 'not a call'}`,
      });
      continue;
    }
    const outcome = outcomeOf(parsed.data, options);
    const bytes = 'event' in outcome ? utf8Bytes(JSON.stringify(outcome.event)) : 0;
    if ('event' in outcome && options.maxEventBytes !== undefined && bytes > options.maxEventBytes)
      refused.push({
        index,
        messageId: outcome.event.eventId,
        reason: `the event is ${bytes} bytes, over the pipeline's limit of ${options.maxEventBytes} (ingest.maxEventBytes)`,
      });
    else if ('event' in outcome) sent.push(outcome);
    else if ('identity' in outcome) {
      if (outcome.identity) identities.push(outcome.identity);
    } else if ('ignored' in outcome) ignored++;
    else
      refused.push({
        index,
        ...(parsed.data.messageId ? { messageId: parsed.data.messageId } : {}),
        reason: outcome.refused,
      });
  }
  // The links recorded before, then the request's own: the first link of an anonymous id stands.
  const links = new Map(options.links);
  for (const identity of identities)
    if (!links.has(identity.anonymousId)) links.set(identity.anonymousId, identity);
  const events = sent.map(({ event, anonymousId }) =>
    anonymousId === undefined ? event : linkedForward(event, anonymousId, links.get(anonymousId)),
  );
  const anonymousIds = [
    ...new Set([
      ...sent.flatMap(({ anonymousId }) => (anonymousId === undefined ? [] : [anonymousId])),
      ...identities.map(({ anonymousId }) => anonymousId),
    ]),
  ];
  return { events, refused, identities, anonymousIds, ignored };
}
