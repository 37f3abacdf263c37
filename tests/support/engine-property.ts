import fc from 'fast-check';
import { expect } from 'vitest';
import type { CompiledConfig } from '../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson, mergeDeltas } from '../../shared/domain/engine/deltas.js';
import { applyUserEvents, emptyUserState, type UserState } from '../../shared/domain/engine/user-state.js';
import type { ProductEvent } from '../../shared/domain/events/envelope.js';
import { referenceCounters } from './reference.js';

let sequence = 0;

/** A validated event as the engines get it, with a fresh id: what engine tests feed them. */
export function productEvent(event: {
  name: string;
  at: string;
  userId: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
  arrivedAt: number;
}): ProductEvent {
  const eventId = `e-${++sequence}`;
  return {
    source: 'app.web',
    name: event.name,
    eventId,
    userId: event.userId,
    occurredAt: Date.parse(event.at),
    properties: event.properties ?? {},
    ...(event.context ? { context: event.context } : {}),
    key: `app.web#${eventId}`,
    payloadHash: `p-${eventId}`,
    arrivedAt: event.arrivedAt,
  };
}

/** Applies one user's batches in turn, carrying the state; the summed deltas and the last state. */
export function applyBatches(
  batches: readonly (readonly ProductEvent[])[],
  compiled: CompiledConfig,
  now: number,
): { deltas: Deltas; state: UserState } {
  let state = emptyUserState();
  const deltas: Deltas = new Map();
  for (const batch of batches) {
    const applied = applyUserEvents(state, batch, compiled, now);
    state = applied.state;
    mergeDeltas(deltas, applied.deltas);
  }
  return { deltas, state };
}

/**
 * The engines' property: any set of events of several users, delivered in any order, with
 * any duplicates and cut into any batches (per user, as ingest groups them), gives exactly
 * the counters of the plain reference over the set.
 */
export function assertMatchesReference(
  anEvent: fc.Arbitrary<ProductEvent>,
  compiled: CompiledConfig,
  now: number,
  { maxLength = 14, numRuns = 150 } = {},
): void {
  fc.assert(
    fc.property(
      fc.array(anEvent, { minLength: 1, maxLength }).chain((events) =>
        fc.tuple(
          fc.constant(events),
          fc
            .shuffledSubarray(events, { minLength: 0 })
            .chain((again) =>
              fc.shuffledSubarray([...events, ...again], { minLength: events.length + again.length }),
            ),
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }),
        ),
      ),
      ([events, delivery, sizes]) => {
        const total: Deltas = new Map();
        for (const userId of new Set(events.map((event) => event.userId))) {
          const mine = delivery.filter((event) => event.userId === userId);
          const batches: ProductEvent[][] = [];
          for (let at = 0, cut = 0; at < mine.length; cut++) {
            const size = sizes[cut % sizes.length]!;
            batches.push(mine.slice(at, at + size));
            at += size;
          }
          mergeDeltas(total, applyBatches(batches, compiled, now).deltas);
        }
        expect(deltasToJson(total)).toEqual(referenceCounters(events, compiled));
      },
    ),
    { numRuns },
  );
}
