import type { Rejection } from '../domain/events/envelope.js';

/** A quarantined event as stored: the rejection and its stable id within its arrival day. */
export interface QuarantinedEvent extends Rejection {
  readonly id: string;
}

/** Rejected events with their reasons and raw payloads, by UTC arrival day. */
export interface Quarantine {
  /** Idempotent: the same rejection stored twice is one record. */
  putQuarantine(rejections: readonly Rejection[]): Promise<void>;
  /** Quarantined events of one arrival day (`YYYY-MM-DD`, UTC), in id order. */
  listQuarantine(day: string): Promise<QuarantinedEvent[]>;
}
