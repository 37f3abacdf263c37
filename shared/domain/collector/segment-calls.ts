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

/** An `identify` call: from now on the anonymous id belongs to the user id. */
export interface Identity {
  readonly anonymousId: string;
  readonly userId: string;
}

export interface CollectedCalls {
  readonly events: CollectedEvent[];
  readonly refused: RefusedCall[];
  readonly identities: Identity[];
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
  | { readonly event: CollectedEvent }
  | { readonly identity: Identity | undefined }
  | { readonly ignored: true }
  | { readonly refused: string };

/** What one valid-shaped call becomes. */
function outcomeOf(call: z.infer<typeof CommonFields>, options: CollectOptions): CallOutcome {
  const names = options.names ?? {};
  if (call.type === 'identify')
    return {
      identity:
        call.userId && call.anonymousId ? { anonymousId: call.anonymousId, userId: call.userId } : undefined,
    };
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
  const timestamp = call.timestamp ?? call.originalTimestamp;
  const occurredAt = correctedTime(
    timestamp,
    call.sentAt ?? options.sentAt,
    options.receivedAt,
    options.clockToleranceMs,
  );
  if (occurredAt === undefined) return { refused: `timestamp "${timestamp}" is not a date` };
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
  };
}

/** Turns a request's calls into product events; one bad call never refuses its neighbours. */
export function collectSegmentCalls(calls: readonly unknown[], options: CollectOptions): CollectedCalls {
  const events: CollectedEvent[] = [];
  const refused: RefusedCall[] = [];
  const identities: Identity[] = [];
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
    else if ('event' in outcome) events.push(outcome.event);
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
  return { events, refused, identities, ignored };
}
