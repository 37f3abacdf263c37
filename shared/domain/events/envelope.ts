import { z } from 'zod';

// One spelling for apps and the pipeline; the client module imports nothing, so apps stay small.
export { BATCH_DETAIL_TYPE } from '../../../client/pack-entries.js';

/** An EventBridge event as a rule delivers it to SQS. */
export const EventBridgeEvent = z.object({
  id: z.string().optional(),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  time: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeEvent>;

export const EventBatchDetail = z.object({
  events: z.array(z.unknown()).min(1).max(10_000),
});
export type EventBatchDetail = z.infer<typeof EventBatchDetail>;

/** Why an event was not counted. Stable codes: dashboards, alarms and replays key on them. */
export const RejectionReason = z.enum([
  'malformed_entry',
  'malformed_batch',
  'reserved_source',
  'unknown_event',
  'missing_field',
  'malformed_field',
  'invalid_property',
  'too_large',
  'future_event',
  'too_late',
  'queue_expired',
]);
export type RejectionReason = z.infer<typeof RejectionReason>;

/** A validated product event, ready for the engines. */
export interface ProductEvent {
  readonly source: string;
  readonly name: string;
  readonly eventId: string;
  readonly userId: string;
  readonly occurredAt: number;
  readonly properties: Readonly<Record<string, unknown>>;
  /** What the app said about itself (platform, app version, os, locale): breakdowns may read it. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Identity of (Source, eventId). */
  readonly key: string;
  /** Identity of the payload, to tell a plain duplicate from a conflicting one. */
  readonly payloadHash: string;
  /** When the pipeline received it (stable across redeliveries). */
  readonly arrivedAt: number;
}

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
  readonly source?: string;
  readonly name?: string;
  readonly eventId?: string;
  readonly userId?: string;
  /** The raw payload as received, so it can be replayed once fixed. */
  readonly raw: string;
  readonly arrivedAt: number;
}
