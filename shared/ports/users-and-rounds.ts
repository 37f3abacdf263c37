import type { DeltasJson } from '../domain/engine/deltas.js';
import type { UserState } from '../domain/engine/user-state.js';

/** A user as stored: state, optimistic-lock version, and deltas of rounds not yet finished. */
export interface StoredUser {
  readonly state: UserState;
  /** 0 when the user has no item yet. */
  readonly version: number;
  /** This user's deltas per round id, kept until the round is known to be finished. */
  readonly pending: Readonly<Record<string, DeltasJson>>;
}

/** One ingest round: which users carry its deltas, and whether its counters are applied. */
export interface RoundRecord {
  readonly id: string;
  /** Users whose deltas the round carries (those that committed hold them in `pending`). */
  readonly users: readonly string[];
  readonly createdAt: number;
  readonly doneAt?: number;
  /** The namespace of its users' state (see `getUsers`); absent for `live`. */
  readonly scope?: string;
}

/** Per-user state and the round ledger: what makes ingest exact under redelivery and crashes. */
export interface UsersAndRounds {
  /**
   * Users of this store's namespace, or of `scope`: recovery reads the users of a round
   * another namespace (a backfill) left open.
   */
  getUsers(userIds: readonly string[], scope?: string): Promise<Map<string, StoredUser>>;
  /**
   * Writes the user only if nobody changed it since `expectedVersion`; false otherwise.
   * `pending[roundId]`, when present, must be found committed even if the answer to the
   * write was lost and the retry met its own write. A write the store refused outright
   * (it was never applied) throws `WriteRefusedError`.
   */
  commitUser(
    userId: string,
    expectedVersion: number,
    state: UserState,
    pending: Record<string, DeltasJson>,
    roundId: string,
  ): Promise<boolean>;
  getRounds(roundIds: readonly string[]): Promise<Map<string, RoundRecord>>;
  /** Records a round of this store's namespace (its `scope` is filled in here). */
  putRound(round: RoundRecord): Promise<void>;
  finishRound(roundId: string, doneAt: number): Promise<void>;
  /** Rounds created in [from, to) that never finished. */
  listOpenRounds(from: number, to: number): Promise<string[]>;
}
