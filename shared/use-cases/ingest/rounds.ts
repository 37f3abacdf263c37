import { randomBytes } from 'node:crypto';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { type Deltas, deltasFromJson, deltasToJson, mergeDeltas } from '../../domain/engine/deltas.js';
import { applyUserEvents, emptyUserState } from '../../domain/engine/user-state.js';
import { NorthstarError, WriteRefusedError } from '../../domain/errors.js';
import type { ProductEvent } from '../../domain/events/envelope.js';
import { roundIdPrefix } from '../../domain/round-id.js';
import type { Clock } from '../../ports/clock.js';
import type { Stores } from '../../ports/stores.js';
import type { RoundRecord, StoredUser } from '../../ports/users-and-rounds.js';
import { pauser } from './pause.js';

/** What ingest rounds and their recovery need: users and rounds, counters, dirty marks. */
export interface RoundDeps extends Pick<Stores, 'users' | 'counters' | 'dirty'> {
  readonly compiled: CompiledConfig;
  readonly clock: Clock;
  /**
   * Given by a backfill, which judges archived entries as of their arrival, as live ingest
   * judged them: what user state may be forgotten goes by it, and no entry counts as having
   * waited in a queue. Rounds and dirty marks keep the clock, so recovery and the recompute
   * find them. @default clock, with queue expiry
   */
  readonly asOf?: Clock;
}

export class RoundTooSlowError extends NorthstarError {
  override readonly name = 'RoundTooSlowError';

  constructor(message: string) {
    super('round_too_slow', message);
  }
}

/** Optimistic-lock retries before a user's events are handed back to the queue. */
const MAX_ATTEMPTS = 6;

export function newRoundId(now: number): string {
  return `${roundIdPrefix(now)}-${randomBytes(5).toString('hex')}`;
}

/** Dirty entries `<grain>#<period>` for every counter item a round moved: the recompute's work list. */
export function dirtyEntries(deltas: Deltas): string[] {
  return [...deltas.keys()].sort();
}

/**
 * Finishes a round whose worker stopped: sums the deltas of the users that committed it
 * (they hold them under `pending`) and applies them. Counter writes are idempotent per
 * round, so finishing twice, or after a partial apply, changes nothing more.
 */
export async function recoverRound(roundId: string, deps: RoundDeps): Promise<void> {
  const round = (await deps.users.getRounds([roundId])).get(roundId);
  if (!round || round.doneAt !== undefined) return;
  const users = await deps.users.getUsers(round.users, round.scope ?? 'live');
  const deltas: Deltas = new Map();
  for (const user of users.values()) {
    const pending = user.pending[roundId];
    if (pending) mergeDeltas(deltas, deltasFromJson(pending));
  }
  await applyAndFinish(roundId, round.createdAt, deltas, deps, false);
}

async function applyAndFinish(
  roundId: string,
  createdAt: number,
  deltas: Deltas,
  { users, counters, dirty, clock, compiled }: RoundDeps,
  ownRound: boolean,
): Promise<void> {
  if (deltas.size > 0) {
    // A worker slower than half the round limit stops and leaves the round to recovery,
    // which only starts once the full limit has passed: the two never apply at once.
    if (ownRound && clock() - createdAt > compiled.maxRoundMs / 2)
      throw new RoundTooSlowError(`round ${roundId} ran over ${compiled.maxRoundMs / 2} ms`);
    await counters.applyCounters(roundId, deltas, clock());
    await dirty.markDirty(roundId, createdAt, dirtyEntries(deltas));
  }
  await users.finishRound(roundId, clock());
}

/**
 * Safety net for the scheduler: finishes every round older than the round limit that
 * never finished, even if none of its users sends another event. Returns how many.
 * `staleAfterMs` is shorter only where no worker can still be running a round: the local
 * runtime at start, whose every open round was left by a process that stopped.
 */
export async function recoverStaleRounds(
  deps: RoundDeps,
  lookbackMs: number,
  staleAfterMs: number = deps.compiled.maxRoundMs,
): Promise<number> {
  const now = deps.clock();
  const stale = await deps.users.listOpenRounds(now - lookbackMs, now - staleAfterMs);
  for (const id of stale) await recoverRound(id, deps);
  return stale.length;
}

/** Classifies pending round ids: finished ones can be dropped, stale open ones recovered first. */
async function settlePending(users: Map<string, StoredUser>, deps: RoundDeps): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const user of users.values()) for (const id of Object.keys(user.pending)) ids.add(id);
  if (ids.size === 0) return new Set();
  const rounds = await deps.users.getRounds([...ids]);
  const finished = new Set<string>();
  const now = deps.clock();
  for (const id of ids) {
    const round: RoundRecord | undefined = rounds.get(id);
    if (round?.doneAt !== undefined) finished.add(id);
    else if (round && now - round.createdAt > deps.compiled.maxRoundMs) {
      await recoverRound(id, deps);
      finished.add(id);
    }
  }
  return finished;
}

export interface IngestOutcome {
  readonly accepted: ProductEvent[];
  readonly duplicates: ProductEvent[];
  readonly conflicts: ProductEvent[];
  readonly expired: ProductEvent[];
  /** Users whose events could not be committed (contention, a refused write); their records go back to the queue. */
  readonly failedUsers: Set<string>;
  /** Why a user's write was refused, for the logs and the dead-letter store. */
  readonly userErrors: Map<string, unknown>;
  rounds: number;
}

/**
 * Applies validated events: per user one conditional write (state, dedupe, this round's
 * deltas), then each touched counter item once with the round's summed deltas.
 * See docs/data-model.md for why this is exact under redelivery, crashes and concurrency.
 */
export async function ingestEvents(events: readonly ProductEvent[], deps: RoundDeps): Promise<IngestOutcome> {
  const { compiled, clock } = deps;
  const pause = pauser();
  const byUser = new Map<string, ProductEvent[]>();
  for (const event of events) {
    const list = byUser.get(event.userId);
    if (list) list.push(event);
    else byUser.set(event.userId, [event]);
  }
  const outcome: IngestOutcome = {
    accepted: [],
    duplicates: [],
    conflicts: [],
    expired: [],
    failedUsers: new Set(),
    userErrors: new Map(),
    rounds: 0,
  };
  let remaining = [...byUser.keys()];
  for (let attempt = 0; attempt < MAX_ATTEMPTS && remaining.length > 0; attempt++) {
    const users = await deps.users.getUsers(remaining);
    const finished = await settlePending(users, deps);
    const now = clock();
    const asOf = deps.asOf?.() ?? now;
    const roundId = newRoundId(now);
    const plans: {
      userId: string;
      stored: StoredUser;
      applied: ReturnType<typeof applyUserEvents>;
      pending: StoredUser['pending'];
      write: boolean;
    }[] = [];
    for (const userId of remaining) {
      await pause();
      const stored = users.get(userId) ?? { state: emptyUserState(), version: 0, pending: {} };
      const applied = applyUserEvents(
        stored.state,
        byUser.get(userId) ?? [],
        compiled,
        asOf,
        deps.asOf === undefined,
      );
      const pending = Object.fromEntries(Object.entries(stored.pending).filter(([id]) => !finished.has(id)));
      if (applied.deltas.size > 0) pending[roundId] = deltasToJson(applied.deltas);
      const write =
        applied.accepted.length > 0 ||
        applied.conflicts.length > 0 ||
        Object.keys(pending).length !== Object.keys(stored.pending).length;
      plans.push({ userId, stored, applied, pending, write });
    }
    const carriers = plans
      .filter((plan) => plan.write && plan.applied.deltas.size > 0)
      .map((plan) => plan.userId);
    if (carriers.length > 0) await deps.users.putRound({ id: roundId, users: carriers, createdAt: now });
    const commits: Promise<PromiseSettledResult<boolean>>[] = [];
    for (const plan of plans) {
      // Each commit encodes the user's state at once: the pause lets other work in between.
      // Settled at once, so a commit that fails during a later pause is never left unhandled.
      await pause();
      commits.push(
        (plan.write
          ? deps.users.commitUser(plan.userId, plan.stored.version, plan.applied.state, plan.pending, roundId)
          : Promise.resolve(true)
        ).then(
          (value) => ({ status: 'fulfilled', value }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        ),
      );
    }
    const settled = await Promise.all(commits);
    const refused = new Set<string>();
    const committed = settled.map((result, index) => {
      if (result.status === 'fulfilled') return result.value;
      // A write whose fate is unknown leaves the round to recovery: counters applied now
      // would mark their items and keep recovery from adding that user's deltas.
      if (!(result.reason instanceof WriteRefusedError)) throw result.reason;
      refused.add(plans[index]!.userId);
      outcome.userErrors.set(plans[index]!.userId, result.reason);
      return false;
    });
    const deltas: Deltas = new Map();
    const retry: string[] = [];
    plans.forEach((plan, index) => {
      if (!committed[index]) {
        if (refused.has(plan.userId)) outcome.failedUsers.add(plan.userId);
        else retry.push(plan.userId);
        return;
      }
      if (plan.write) mergeDeltas(deltas, plan.applied.deltas);
      outcome.accepted.push(...plan.applied.accepted);
      outcome.duplicates.push(...plan.applied.duplicates);
      outcome.conflicts.push(...plan.applied.conflicts);
      outcome.expired.push(...plan.applied.expired);
    });
    if (carriers.length > 0) {
      await applyAndFinish(roundId, now, deltas, deps, true);
      outcome.rounds++;
    }
    remaining = retry;
  }
  for (const userId of remaining) outcome.failedUsers.add(userId);
  return outcome;
}
