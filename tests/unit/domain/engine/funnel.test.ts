import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  addFunnelTime,
  type FunnelState,
  funnelProgress,
  pruneFunnel,
} from '../../../../shared/domain/engine/funnel.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-25T00:00:00Z');
/** `hours` hours after T0. */
const h = (hours: number): number => T0 + hours * HOUR;

const WINDOW = 'P7D';
const ZONE = 'UTC';

/** A funnel state built through addFunnelTime, one list of times per step. */
function funnelState(...steps: readonly (readonly number[])[]): FunnelState {
  const state: FunnelState = [];
  steps.forEach((times, step) => {
    while (state.length <= step) state.push([]);
    for (const time of times) addFunnelTime(state, step, time);
  });
  return state;
}

describe('funnelProgress', () => {
  test('It should not enter a user without a first-step event', () => {
    // Prepare
    const state = funnelState([], [h(1)], [h(2)]);

    // Act
    const progress = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(progress).toEqual({ enteredAt: undefined, reached: 0, chain: [undefined, undefined, undefined] });
  });

  test('It should not enter a user with an empty state', () => {
    // Prepare
    const state: FunnelState = [];

    // Act
    const progress = funnelProgress(state, 4, WINDOW, ZONE);

    // Assess
    expect(progress.enteredAt).toBeUndefined();
    expect(progress.reached).toBe(0);
  });

  test('It should enter the user at the earliest first-step event', () => {
    // Prepare
    const state = funnelState([h(5), h(2), h(9)]);

    // Act
    const progress = funnelProgress(state, 2, WINDOW, ZONE);

    // Assess
    expect(progress.enteredAt).toBe(h(2));
    expect(progress.reached).toBe(1);
  });

  test('It should reach step k at the earliest step-k event at or after step k-1', () => {
    // Prepare
    const state = funnelState([h(2)], [h(1), h(3), h(4)], [h(2.5), h(3.5), h(6)]);

    // Act
    const progress = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(progress).toEqual({ enteredAt: h(2), reached: 3, chain: [h(2), h(3), h(3.5)] });
  });

  test('It should count steps at equal times as in order', () => {
    // Prepare
    const state = funnelState([h(2)], [h(2)], [h(2)]);

    // Act
    const progress = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(3);
  });

  test('It should reach a step exactly at the end of the window (the limit is inclusive)', () => {
    // Prepare
    const state = funnelState([h(0)], [h(0) + 7 * DAY]);

    // Act
    const progress = funnelProgress(state, 2, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(2);
  });

  test('It should not reach a step one millisecond after the end of the window', () => {
    // Prepare
    const state = funnelState([h(0)], [h(0) + 7 * DAY + 1]);

    // Act
    const progress = funnelProgress(state, 2, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(1);
    expect(progress.chain).toEqual([h(0), h(0) + 7 * DAY + 1]);
  });

  test('It should measure the window from the entry time, not from the previous step', () => {
    // Prepare: step 3 is two days after step 2 but eight days after entry.
    const state = funnelState([h(0)], [h(0) + 6 * DAY], [h(0) + 8 * DAY]);

    // Act
    const progress = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(2);
  });

  test('It should not reach a step whose only event happened before the previous step', () => {
    // Prepare
    const state = funnelState([h(5)], [h(3)]);

    // Act
    const progress = funnelProgress(state, 2, WINDOW, ZONE);

    // Assess
    expect(progress).toEqual({ enteredAt: h(5), reached: 1, chain: [h(5), undefined] });
  });

  test('It should not reach steps after an unreached step, even when their events exist in order and in the window', () => {
    // Prepare: step 2 only happened before entry; steps 3 and 4 happened after entry.
    const state = funnelState([h(5)], [h(3)], [h(6)], [h(7)]);

    // Act
    const progress = funnelProgress(state, 4, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(1);
    expect(progress.chain).toEqual([h(5), undefined, undefined, undefined]);
  });

  test('It should not reach steps after a step that is out of the window', () => {
    // Prepare: step 2 is out of the window; step 3 would be after it anyway.
    const state = funnelState([h(0)], [h(0) + 8 * DAY], [h(0) + 9 * DAY]);

    // Act
    const progress = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(progress.reached).toBe(1);
  });

  test('It should take the window as calendar days in the zone across a DST change', () => {
    // Prepare: in Berlin, P1D from noon on 2026-03-28 ends at noon on 2026-03-29, 23 hours later.
    const enteredAt = Date.parse('2026-03-28T11:00:00Z');
    const inWindow = funnelState([enteredAt], [enteredAt + 23 * HOUR]);
    const outOfWindow = funnelState([enteredAt], [enteredAt + 23 * HOUR + 1]);

    // Act
    const reached = [inWindow, outOfWindow].map(
      (state) => funnelProgress(state, 2, 'P1D', 'Europe/Berlin').reached,
    );

    // Assess
    expect(reached).toEqual([2, 1]);
  });

  test('It should re-evaluate the steps when a late first-step event is earlier than the known entry', () => {
    // Prepare: steps 2 and 3 happened before the known entry, so they were not reached.
    const state = funnelState([h(10)], [h(5)], [h(6)]);
    const before = funnelProgress(state, 3, WINDOW, ZONE);

    // Act
    addFunnelTime(state, 0, h(4));
    const after = funnelProgress(state, 3, WINDOW, ZONE);

    // Assess
    expect(before).toEqual({ enteredAt: h(10), reached: 1, chain: [h(10), undefined, undefined] });
    expect(after).toEqual({ enteredAt: h(4), reached: 3, chain: [h(4), h(5), h(6)] });
  });

  test('It should drop a reached step when a late, earlier entry puts it out of the window', () => {
    // Prepare: entry on day 5 and step 2 on day 10 fit a 7-day window.
    const state = funnelState([h(0) + 5 * DAY], [h(0) + 10 * DAY]);
    const before = funnelProgress(state, 2, WINDOW, ZONE);

    // Act: a first-step event on day 1 arrives late.
    addFunnelTime(state, 0, h(0) + DAY);
    const after = funnelProgress(state, 2, WINDOW, ZONE);

    // Assess
    expect(before.reached).toBe(2);
    expect(after).toMatchObject({ enteredAt: h(0) + DAY, reached: 1 });
  });
});

describe('addFunnelTime', () => {
  test('It should create the missing steps up to the one it adds to', () => {
    // Prepare
    const state: FunnelState = [];

    // Act
    addFunnelTime(state, 2, h(1));

    // Assess
    expect(state).toEqual([[], [], [h(1)]]);
  });

  test('It should keep the times of a step sorted', () => {
    // Prepare
    const state: FunnelState = [];

    // Act
    for (const time of [h(5), h(1), h(3), h(9), h(0)]) addFunnelTime(state, 0, time);

    // Assess
    expect(state).toEqual([[h(0), h(1), h(3), h(5), h(9)]]);
  });

  test('It should not add a time the step already has', () => {
    // Prepare
    const state = funnelState([h(1), h(3)]);

    // Act
    addFunnelTime(state, 0, h(3));
    addFunnelTime(state, 0, h(1));

    // Assess
    expect(state).toEqual([[h(1), h(3)]]);
  });

  test('It should hold, for any additions, exactly the sorted distinct times of each step', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 50 })), {
          maxLength: 60,
        }),
        (additions) => {
          // Prepare
          const state: FunnelState = [];

          // Act
          for (const [step, time] of additions) addFunnelTime(state, step, time);

          // Assess
          const expected: number[][] = [];
          for (const [step, time] of additions) {
            while (expected.length <= step) expected.push([]);
            expected[step]!.push(time);
          }
          expect(state).toEqual(expected.map((times) => [...new Set(times)].sort((a, b) => a - b)));
        },
      ),
    );
  });
});

/** Random funnel situations on a small time scale (one unit = one hour), so that times collide often. */
const aStepCount = fc.integer({ min: 2, max: 5 });
const aTime = fc.integer({ min: 0, max: 40 }).map(h);
const aWindow = fc.constantFrom('PT6H', 'PT12H', 'P1D', 'P7D');
const aZone = fc.constantFrom('UTC', 'Europe/Berlin');

function candidates(stepCount: number, maxLength: number) {
  return fc.array(fc.tuple(fc.integer({ min: 0, max: stepCount - 1 }), aTime), { maxLength });
}

/** Additions that may still arrive once nothing older than the horizon can be accepted. */
function laterCandidates(stepCount: number, horizon: number) {
  // On the same hour grid as the candidates, so later times often equal the horizon or a kept time.
  const fromHour = (horizon - T0) / HOUR;
  return fc.array(
    fc.tuple(fc.integer({ min: 0, max: stepCount - 1 }), fc.integer({ min: fromHour, max: 60 }).map(h)),
    { maxLength: 12 },
  );
}

function stateFrom(additions: readonly (readonly [number, number])[]): FunnelState {
  const state: FunnelState = [];
  for (const [step, time] of additions) addFunnelTime(state, step, time);
  return state;
}

describe('pruneFunnel', () => {
  test('It should keep only the entry time of the first step', () => {
    // Prepare
    const state = funnelState([h(1), h(2), h(30)], [h(3)]);
    const { chain } = funnelProgress(state, 2, WINDOW, ZONE);

    // Act
    const pruned = pruneFunnel(state, chain, h(20));

    // Assess
    expect(pruned[0]).toEqual([h(1)]);
  });

  test('It should drop times before the horizon that the chain does not use', () => {
    // Prepare: t1 = h(10); step 2 has h(2) (too early, before horizon), h(12) (t2), h(15) (later, after t2).
    const state = funnelState([h(10)], [h(2), h(12), h(15)]);
    const { chain } = funnelProgress(state, 2, WINDOW, ZONE);

    // Act
    const pruned = pruneFunnel(state, chain, h(5));

    // Assess: h(15) can never be picked: any future t1 is at most h(10), and h(12) beats it.
    expect(pruned).toEqual([[h(10)], [h(12)]]);
  });

  test('It should keep times between the horizon and the previous step that an earlier entry could still pick', () => {
    // Prepare: step 2 at h(8) is before t1 = h(10) but after the horizon h(5): a late entry at h(7) would pick it.
    const state = funnelState([h(10)], [h(8), h(12)]);
    const { chain } = funnelProgress(state, 2, WINDOW, ZONE);

    // Act
    const pruned = pruneFunnel(state, chain, h(5));

    // Assess
    expect(pruned).toEqual([[h(10)], [h(8), h(12)]]);
  });

  test('It should not change the progress of the state it prunes', () => {
    fc.assert(
      fc.property(
        aStepCount.chain((stepCount) =>
          fc.tuple(fc.constant(stepCount), candidates(stepCount, 30), aTime, aWindow, aZone),
        ),
        ([stepCount, additions, horizon, window, zone]) => {
          // Prepare
          const state = stateFrom(additions);
          const progress = funnelProgress(state, stepCount, window, zone);

          // Act
          const pruned = pruneFunnel(state, progress.chain, horizon);

          // Assess
          expect(funnelProgress(pruned, stepCount, window, zone)).toEqual(progress);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('It should give the same progress as the unpruned state after any later additions at or after the horizon', () => {
    fc.assert(
      fc.property(
        aStepCount
          .chain((stepCount) =>
            fc.tuple(fc.constant(stepCount), candidates(stepCount, 30), aTime, aWindow, aZone),
          )
          .chain(([stepCount, additions, horizon, window, zone]) =>
            fc.tuple(
              fc.constant({ stepCount, additions, horizon, window, zone }),
              laterCandidates(stepCount, horizon),
            ),
          ),
        ([{ stepCount, additions, horizon, window, zone }, later]) => {
          // Prepare
          const unpruned = stateFrom(additions);
          const { chain } = funnelProgress(unpruned, stepCount, window, zone);
          const pruned = pruneFunnel(unpruned, chain, horizon);

          // Act
          for (const [step, time] of later) {
            addFunnelTime(unpruned, step, time);
            addFunnelTime(pruned, step, time);
          }

          // Assess
          expect(funnelProgress(pruned, stepCount, window, zone)).toEqual(
            funnelProgress(unpruned, stepCount, window, zone),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('It should give the same progress as the unpruned state over rounds of additions and pruning with a rising horizon', () => {
    const aRound = fc.tuple(
      fc.integer({ min: 0, max: 6 }),
      fc.array(fc.tuple(fc.nat(4), fc.integer({ min: 0, max: 12 })), { maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        aStepCount,
        fc.array(aRound, { minLength: 1, maxLength: 6 }),
        aWindow,
        aZone,
        (stepCount, rounds, window, zone) => {
          // Prepare
          const unpruned: FunnelState = [];
          let pruned: FunnelState = [];
          let horizon = h(0);

          for (const [rise, additions] of rounds) {
            // Act: every round adds times at or after the current horizon, then prunes at a higher one.
            for (const [step, offset] of additions) {
              const time = horizon + offset * HOUR;
              addFunnelTime(unpruned, step % stepCount, time);
              addFunnelTime(pruned, step % stepCount, time);
            }
            horizon += rise * HOUR;
            pruned = pruneFunnel(pruned, funnelProgress(pruned, stepCount, window, zone).chain, horizon);

            // Assess
            expect(funnelProgress(pruned, stepCount, window, zone)).toEqual(
              funnelProgress(unpruned, stepCount, window, zone),
            );
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('It should leave a state that is sorted and without duplicates', () => {
    fc.assert(
      fc.property(
        aStepCount.chain((stepCount) => fc.tuple(fc.constant(stepCount), candidates(stepCount, 30), aTime)),
        ([stepCount, additions, horizon]) => {
          // Prepare
          const state = stateFrom(additions);

          // Act
          const pruned = pruneFunnel(state, funnelProgress(state, stepCount, WINDOW, ZONE).chain, horizon);

          // Assess
          for (const times of pruned) expect(times).toEqual([...new Set(times)].sort((a, b) => a - b));
        },
      ),
    );
  });
});
