import { addDuration } from '../time/periods.js';

/**
 * Per-user funnel state: for each step, the candidate times that can still decide it.
 * `steps[k]` is sorted ascending without duplicates.
 */
export type FunnelState = number[][];

export interface FunnelProgress {
  /** Entry time t1, or undefined when the user has not entered. */
  readonly enteredAt: number | undefined;
  /** Number of steps reached (0 when not entered). */
  readonly reached: number;
  /** Chain of earliest in-order times t1..tk, ignoring the window. */
  readonly chain: (number | undefined)[];
}

/**
 * t1 = earliest step-1 time; tk = earliest step-k time at or after t(k-1). Step k is
 * reached when tk exists and tk - t1 is within the window. Adding events can only move
 * every tk earlier, which is what makes the pruning below safe.
 */
export function funnelProgress(
  state: FunnelState,
  stepCount: number,
  window: string,
  zone: string,
): FunnelProgress {
  const chain: (number | undefined)[] = [];
  let previous: number | undefined;
  for (let k = 0; k < stepCount; k++) {
    const times = state[k] ?? [];
    const found =
      k === 0 ? times[0] : previous === undefined ? undefined : times.find((time) => time >= previous!);
    chain.push(found);
    previous = found;
  }
  const enteredAt = chain[0];
  if (enteredAt === undefined) return { enteredAt, reached: 0, chain };
  const limit = addDuration(enteredAt, window, zone);
  let reached = 1;
  while (reached < stepCount && chain[reached] !== undefined && chain[reached]! <= limit) reached++;
  return { enteredAt, reached, chain };
}

export function addFunnelTime(state: FunnelState, step: number, time: number): void {
  while (state.length <= step) state.push([]);
  const times = state[step]!;
  let index = 0;
  while (index < times.length && times[index]! < time) index++;
  if (times[index] !== time) times.splice(index, 0, time);
}

/**
 * Keeps only the times that can still matter. No event older than `horizon` can be
 * accepted any more, so every future query point is either today's t(k-1) or a time
 * at or after the horizon: step 1 keeps t1; step k keeps tk and the times in
 * [horizon, t(k-1)) that a lower t(k-1) could still pick.
 */
export function pruneFunnel(
  state: FunnelState,
  chain: readonly (number | undefined)[],
  horizon: number,
): FunnelState {
  return state.map((times, k) => {
    const current = chain[k];
    if (k === 0) return current === undefined ? [] : [current];
    const previous = chain[k - 1];
    return times.filter(
      (time) => time === current || (time >= horizon && (previous === undefined || time < previous)),
    );
  });
}
