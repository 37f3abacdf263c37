import type { Grain } from '../config/schema.js';
import type { ProductEvent } from '../events/envelope.js';
import { periodBounds, periodKey } from '../time/periods.js';
import { type CompiledConfig, matchesFilters } from './compiled-config.js';
import { ALL_TIME, addDelta, type Deltas, itemKey } from './deltas.js';
import { addFunnelTime, type FunnelState, funnelProgress, pruneFunnel } from './funnel.js';

/** [payload hash, occurredAt, 1 once a conflicting resend was counted]. */
export type SeenEntry = [string, number, 0 | 1];

/** Everything Northstar remembers about one user; a pure value, stored as one item. */
export interface UserState {
  /** (Source, eventId) keys of accepted events still inside the acceptance horizon. */
  seen: Record<string, SeenEntry>;
  /** Funnel candidate times by funnel definition version. */
  funnels: Record<string, FunnelState>;
  /** First time each journey stage was reached, by journey definition version. */
  journeys: Record<string, Record<string, number>>;
  /** Periods in which the user is already counted, by distinct-users metric version and grain. */
  marks: Record<string, Partial<Record<Grain, string[]>>>;
}

export function emptyUserState(): UserState {
  return { seen: {}, funnels: {}, journeys: {}, marks: {} };
}

export interface AppliedEvents {
  readonly state: UserState;
  readonly deltas: Deltas;
  readonly accepted: ProductEvent[];
  readonly duplicates: ProductEvent[];
  readonly conflicts: ProductEvent[];
  /** Waited in the queue longer than the queue age allows; the caller quarantines them. */
  readonly expired: ProductEvent[];
}

/** Sums are kept in millionths of the property's unit. */
export const SUM_SCALE = 1_000_000;

/** Slack for clocks of different workers when deciding what can no longer arrive. */
const HORIZON_MARGIN_MS = 60 * 60 * 1000;

/** Events older than this can no longer be accepted, so state about them can go. */
export function acceptanceHorizon(compiled: CompiledConfig, now: number): number {
  return now - compiled.maxQueueAgeMs - compiled.maxLatenessMs - HORIZON_MARGIN_MS;
}

function funnelContributions(compiled: CompiledConfig, state: UserState, deltas: Deltas, sign: 1 | -1): void {
  for (const { defId, funnel } of compiled.funnels) {
    const steps = state.funnels[defId];
    if (!steps) continue;
    const progress = funnelProgress(steps, funnel.steps.length, funnel.window, compiled.zone);
    if (progress.enteredAt === undefined) continue;
    for (const grain of compiled.grains) {
      const item = itemKey(grain, periodKey(progress.enteredAt, grain, compiled.zone));
      for (let step = 1; step <= progress.reached; step++) addDelta(deltas, item, `${defId}.${step}`, sign);
    }
  }
}

function journeyContributions(
  compiled: CompiledConfig,
  state: UserState,
  deltas: Deltas,
  sign: 1 | -1,
): void {
  const journey = compiled.journey;
  const first = journey && state.journeys[journey.defId];
  if (!journey || !first) return;
  let highest: string | undefined;
  for (const stage of journey.stages) {
    const at = first[stage.id];
    if (at === undefined) continue;
    highest = stage.id;
    for (const grain of compiled.grains)
      addDelta(
        deltas,
        itemKey(grain, periodKey(at, grain, compiled.zone)),
        `${journey.defId}.${stage.id}`,
        sign,
      );
  }
  if (highest) addDelta(deltas, ALL_TIME, `${journey.defId}.current.${highest}`, sign);
}

function countEvent(compiled: CompiledConfig, state: UserState, event: ProductEvent, deltas: Deltas): void {
  for (const { defId, metric } of compiled.eventMetrics) {
    if (!metric.events.includes(event.name) || !matchesFilters(event.properties, metric.where)) continue;
    for (const grain of compiled.grains) {
      const period = periodKey(event.occurredAt, grain, compiled.zone);
      const item = itemKey(grain, period);
      if (metric.kind === 'count') addDelta(deltas, item, `${defId}.n`, 1);
      else if (metric.kind === 'sum') {
        const value = event.properties[metric.property];
        // An optional property left out adds nothing. Millionths as integers keep sums
        // exact whatever the order of addition.
        if (typeof value === 'number') addDelta(deltas, item, `${defId}.s6`, Math.round(value * SUM_SCALE));
      } else {
        const marks = (state.marks[defId] ??= {});
        const periods = (marks[grain] ??= []);
        if (periods.includes(period)) continue;
        periods.push(period);
        addDelta(deltas, item, `${defId}.u`, 1);
      }
    }
  }
  for (const { defId, funnel } of compiled.funnels) {
    funnel.steps.forEach((step, index) => {
      if (step.event === event.name && matchesFilters(event.properties, step.where))
        addFunnelTime((state.funnels[defId] ??= []), index, event.occurredAt);
    });
  }
  const journey = compiled.journey;
  if (journey) {
    for (const stage of journey.stages) {
      if (!stage.events.includes(event.name)) continue;
      const first = (state.journeys[journey.defId] ??= {});
      const known = first[stage.id];
      if (known === undefined || event.occurredAt < known) first[stage.id] = event.occurredAt;
    }
  }
}

/** End of a period by zone, grain and key: periodBounds parses the key with luxon, far slower than a lookup. */
const periodEnds = new Map<string, number>();
const MAX_CACHED_PERIODS = 50_000;

function periodEnd(period: string, grain: Grain, zone: string): number {
  const cacheKey = `${zone}|${grain}|${period}`;
  let end = periodEnds.get(cacheKey);
  if (end === undefined) {
    if (periodEnds.size >= MAX_CACHED_PERIODS) periodEnds.clear();
    end = periodBounds(period, grain, zone).end;
    periodEnds.set(cacheKey, end);
  }
  return end;
}

function prune(compiled: CompiledConfig, state: UserState, horizon: number): void {
  for (const [key, entry] of Object.entries(state.seen)) if (entry[1] < horizon) delete state.seen[key];
  for (const [defId, grains] of Object.entries(state.marks)) {
    for (const grain of Object.keys(grains) as Grain[]) {
      grains[grain] = grains[grain]!.filter(
        (period) => periodEnd(period, grain, compiled.zone) > horizon,
      ).sort();
    }
    if (Object.values(grains).every((periods) => periods.length === 0)) delete state.marks[defId];
  }
  for (const { defId, funnel } of compiled.funnels) {
    const steps = state.funnels[defId];
    if (!steps) continue;
    const { chain } = funnelProgress(steps, funnel.steps.length, funnel.window, compiled.zone);
    state.funnels[defId] = pruneFunnel(steps, chain, horizon);
  }
}

/**
 * Applies one user's events to their state and returns the counter deltas. Deltas of
 * funnels and the journey are the difference of the user's contributions before and
 * after, so a late first step moves the user between cohorts.
 */
export function applyUserEvents(
  previous: UserState,
  events: readonly ProductEvent[],
  compiled: CompiledConfig,
  now: number,
  /** False when each event is judged at its own arrival (a backfill): none waited in a queue. */
  expire = true,
): AppliedEvents {
  const state = structuredClone(previous);
  const deltas: Deltas = new Map();
  const accepted: ProductEvent[] = [];
  const duplicates: ProductEvent[] = [];
  const conflicts: ProductEvent[] = [];
  const expired: ProductEvent[] = [];
  funnelContributions(compiled, state, deltas, -1);
  journeyContributions(compiled, state, deltas, -1);
  for (const event of events) {
    const seen = state.seen[event.key];
    if (seen) {
      duplicates.push(event);
      if (seen[0] !== event.payloadHash && seen[2] === 0) {
        seen[2] = 1;
        conflicts.push(event);
        if (compiled.countsConflicts)
          addDelta(deltas, itemKey('day', periodKey(seen[1], 'day', compiled.zone)), 'conflicts', 1);
      }
      continue;
    }
    if (expire && event.arrivedAt < now - compiled.maxQueueAgeMs) {
      expired.push(event);
      continue;
    }
    state.seen[event.key] = [event.payloadHash, event.occurredAt, 0];
    accepted.push(event);
    countEvent(compiled, state, event, deltas);
  }
  funnelContributions(compiled, state, deltas, 1);
  journeyContributions(compiled, state, deltas, 1);
  prune(compiled, state, acceptanceHorizon(compiled, now));
  return { state, deltas, accepted, duplicates, conflicts, expired };
}
