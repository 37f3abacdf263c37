import type { Deltas, DeltasJson } from '../../domain/engine/deltas.js';
import type { UserState } from '../../domain/engine/user-state.js';
import type { Rejection } from '../../domain/events/envelope.js';

/** A user item as stored: state, optimistic-lock version, and deltas of rounds not yet finished. */
export interface StoredUser {
  readonly state: UserState;
  /** 0 when the user has no item yet. */
  readonly version: number;
  /** This user's deltas per round id, kept until the round is known to be finished. */
  readonly pending: Readonly<Record<string, DeltasJson>>;
}

export interface RoundRecord {
  readonly id: string;
  /** Users whose deltas the round carries (those that committed hold them in `pending`). */
  readonly users: readonly string[];
  readonly createdAt: number;
  readonly doneAt?: number;
}

/** The port the ingest rounds need; the DynamoDB adapter implements it. */
export interface IngestStore {
  getUsers(userIds: readonly string[]): Promise<Map<string, StoredUser>>;
  getRounds(roundIds: readonly string[]): Promise<Map<string, RoundRecord>>;
  putRound(round: RoundRecord): Promise<void>;
  /**
   * Writes the user only if nobody changed it since `expectedVersion`; false otherwise.
   * `pending[roundId]`, when present, must be found committed even if the answer to the
   * write was lost and the retry met its own write.
   */
  commitUser(
    userId: string,
    expectedVersion: number,
    state: UserState,
    pending: Record<string, DeltasJson>,
    roundId: string,
  ): Promise<boolean>;
  /** Adds a round's deltas to the counter items, at most once per round and item. */
  applyCounters(roundId: string, deltas: Deltas, now: number): Promise<void>;
  /** Records which definition, grain and period a round touched, for the recompute. */
  markDirty(roundId: string, at: number, entries: readonly string[]): Promise<void>;
  finishRound(roundId: string, doneAt: number): Promise<void>;
  /** Rounds created in [from, to) that never finished. */
  listOpenRounds(from: number, to: number): Promise<string[]>;
  /** Idempotent: the same rejection stored twice is one record. */
  putQuarantine(rejections: readonly Rejection[]): Promise<void>;
}

/** Round ids sort by creation time: `<ms base36, 9 chars>-<random>`; this is the time part. */
export function roundIdPrefix(epochMs: number): string {
  return Math.max(0, Math.floor(epochMs)).toString(36).padStart(9, '0');
}

export function roundCreatedAt(roundId: string): number {
  return Number.parseInt(roundId.split('-')[0] ?? '', 36);
}
