import type { EventMetric, Funnel, Grain } from '../config/schema.js';
import type { ProductEvent } from '../events/envelope.js';
import { nextPeriod, periodEnd } from '../time/period-steps.js';
import { periodKey } from '../time/periods.js';
import { type CompiledBreakdown, seriesId } from './breakdowns.js';
import { type CompiledConfig, matchesFilters } from './compiled-config.js';
import { ALL_TIME, addDelta, type Deltas, itemKey } from './deltas.js';
import { addFunnelTime, type FunnelState, funnelProgress, pruneFunnel } from './funnel.js';
import { windowDays } from './metric-grains.js';
import { pruneRetention, type RetentionState, recordRetention, retentionContributions } from './retention.js';

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
  /**
   * The user's earliest accepted event of any name: the period that holds it is the one in
   * which the user is new, at each grain. Kept only while a metric counts new or returning users.
   */
  first?: number;
  /**
   * For count and sum metrics with `users`, by version and grain: the user's first period and
   * what the user's matching events in it add up to, moved from new to returning if an earlier
   * event arrives late.
   */
  firstAmounts?: Record<string, Partial<Record<Grain, [string, number]>>>;
  /**
   * For distinct-users metrics with `users` or `minEvents`, by version and grain: matching
   * events per period inside the acceptance horizon, up to `minEvents`.
   */
  tallies?: Record<string, Partial<Record<Grain, Record<string, number>>>>;
  /** Start and return periods by retention metric version. */
  retention?: Record<string, RetentionState>;
  /**
   * For a funnel conversion split by a breakdown, by split version: the user's entry (their
   * earliest first-step event) and its label; at equal times the lowest label, so any order agrees.
   */
  entries?: Record<string, [number, number]>;
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

type CountedFunnel = { defId: string; funnel: Funnel; field: (state: UserState, step: number) => string };
const countedCache = new WeakMap<CompiledConfig, CountedFunnel[]>();

/** Every funnel counted for the user: the funnels, and the funnel conversions split by a breakdown. */
function countedFunnels(compiled: CompiledConfig): CountedFunnel[] {
  const cached = countedCache.get(compiled);
  if (cached) return cached;
  const counted = [
    ...compiled.funnels.map(({ defId, funnel }) => ({
      defId,
      funnel,
      field: (_state: UserState, step: number) => `${defId}.${step}`,
    })),
    ...compiled.breakdowns
      .filter((split) => split.funnel !== undefined)
      .map((split) => ({
        defId: split.defId,
        funnel: split.funnel!,
        field: (state: UserState, step: number) =>
          `${seriesId(split.defId, state.entries?.[split.defId]?.[1] ?? split.labels.length - 1)}.${step}`,
      })),
  ];
  countedCache.set(compiled, counted);
  return counted;
}

function funnelContributions(compiled: CompiledConfig, state: UserState, deltas: Deltas, sign: 1 | -1): void {
  for (const { defId, funnel, field } of countedFunnels(compiled)) {
    const steps = state.funnels[defId];
    if (!steps) continue;
    const progress = funnelProgress(steps, funnel.steps.length, funnel.window, compiled.zone);
    if (progress.enteredAt === undefined) continue;
    for (const grain of compiled.grains) {
      const item = itemKey(grain, periodKey(progress.enteredAt, grain, compiled.zone));
      for (let step = 1; step <= progress.reached; step++) addDelta(deltas, item, field(state, step), sign);
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

type AmountMetric = Extract<EventMetric, { kind: 'count' | 'sum' }>;
type UsersMetric = Extract<EventMetric, { kind: 'distinct_users' }>;

const amountField = (metric: AmountMetric, defId: string) =>
  metric.kind === 'count' ? `${defId}.n` : `${defId}.s6`;

/** What one matching event adds to a count or sum metric. */
function amountOf(metric: AmountMetric, event: ProductEvent): number {
  if (metric.kind === 'count') return 1;
  const value = event.properties[metric.property];
  // An optional property left out adds nothing. Millionths as integers keep sums exact
  // whatever the order of addition.
  return typeof value === 'number' ? Math.round(value * SUM_SCALE) : 0;
}

/** Whether a user counts in `period` under a metric's `users` filter, given their first period. */
const usersHold = (users: EventMetric['users'], period: string, firstPeriod: string | undefined) =>
  users === undefined || (users === 'new' ? period === firstPeriod : period !== firstPeriod);

/** Metrics that need the user's first period or per-period tallies, not just marks. */
const usesFirst = (metric: EventMetric) => metric.users !== undefined;
const usesTallies = (metric: UsersMetric) => metric.users !== undefined || (metric.minEvents ?? 1) > 1;

/**
 * Moves the user's first period to that of an accepted event at `at`, if it is earlier. The
 * user's events of the old first period then count as returning, not new (SEMANTICS.md
 * section 10): the counters of both follow.
 */
function moveFirst(compiled: CompiledConfig, state: UserState, at: number, deltas: Deltas): void {
  const before = state.first;
  if (before !== undefined && before <= at) return;
  state.first = at;
  for (const grain of compiled.grains) {
    const oldPeriod = before === undefined ? undefined : periodKey(before, grain, compiled.zone);
    const newPeriod = periodKey(at, grain, compiled.zone);
    if (oldPeriod === newPeriod) continue;
    for (const { defId, metric } of compiled.eventMetrics) {
      if (!usesFirst(metric)) continue;
      const sign = metric.users === 'new' ? -1 : 1;
      if (metric.kind === 'distinct_users') {
        if (!usesTallies(metric)) continue;
        const tally = oldPeriod === undefined ? 0 : (state.tallies?.[defId]?.[grain]?.[oldPeriod] ?? 0);
        if (tally >= (metric.minEvents ?? 1))
          addDelta(deltas, itemKey(grain, oldPeriod!), `${defId}.u`, sign);
        continue;
      }
      const firsts = ((state.firstAmounts ??= {})[defId] ??= {});
      const known = firsts[grain];
      if (oldPeriod !== undefined && known?.[0] === oldPeriod)
        addDelta(deltas, itemKey(grain, oldPeriod), amountField(metric, defId), sign * known[1]);
      firsts[grain] = [newPeriod, 0];
    }
  }
}

/** A distinct-users metric with `users` or `minEvents`: one more matching event in the period. */
function tallyEvent(
  state: UserState,
  defId: string,
  metric: UsersMetric,
  grain: Grain,
  period: string,
  firstPeriod: string | undefined,
  deltas: Deltas,
): void {
  const tallies = (((state.tallies ??= {})[defId] ??= {})[grain] ??= {});
  const needed = metric.minEvents ?? 1;
  const tally = tallies[period] ?? 0;
  if (tally >= needed) return;
  tallies[period] = tally + 1;
  if (tally + 1 === needed && usersHold(metric.users, period, firstPeriod))
    addDelta(deltas, itemKey(grain, period), `${defId}.u`, 1);
}

function countEvent(compiled: CompiledConfig, state: UserState, event: ProductEvent, deltas: Deltas): void {
  const tracksFirst = compiled.eventMetrics.some(({ metric }) => usesFirst(metric));
  if (tracksFirst) moveFirst(compiled, state, event.occurredAt, deltas);
  const firstPeriods = new Map<Grain, string>();
  const firstPeriod = (grain: Grain) => {
    if (!tracksFirst || state.first === undefined) return undefined;
    let period = firstPeriods.get(grain);
    if (period === undefined)
      firstPeriods.set(grain, (period = periodKey(state.first, grain, compiled.zone)));
    return period;
  };
  // Each breakdown's label of the event, read once for all its series.
  const labels = new Map<CompiledBreakdown, number>();
  const labelOf = (breakdown: CompiledBreakdown) => {
    let label = labels.get(breakdown);
    if (label === undefined) labels.set(breakdown, (label = breakdown.labelOf(event)));
    return label;
  };
  for (const { defId, metric, series } of compiled.eventMetrics) {
    if (!metric.events.includes(event.name) || !matchesFilters(event.properties, metric.where)) continue;
    if (series && labelOf(series.breakdown) !== series.index) continue;
    for (const grain of compiled.grains) {
      const period = periodKey(event.occurredAt, grain, compiled.zone);
      const item = itemKey(grain, period);
      if (metric.kind === 'distinct_users' && usesTallies(metric))
        tallyEvent(state, defId, metric, grain, period, firstPeriod(grain), deltas);
      else if (metric.kind !== 'distinct_users') {
        const amount = amountOf(metric, event);
        if (usersHold(metric.users, period, firstPeriod(grain)))
          addDelta(deltas, item, amountField(metric, defId), amount);
        // The first period's amount, so that it can move to returning if an earlier event arrives.
        const known = metric.users && state.firstAmounts?.[defId]?.[grain];
        if (known && known[0] === period) known[1] += amount;
      } else {
        const days = windowDays(metric);
        if (days !== undefined && grain !== 'day') continue;
        const marks = (state.marks[defId] ??= {});
        const periods = (marks[grain] ??= []);
        // A rolling window: the event makes the user active on its day and the days - 1 after it.
        let covered = period;
        for (let day = 1; ; day++) {
          if (!periods.includes(covered)) {
            periods.push(covered);
            addDelta(deltas, itemKey(grain, covered), `${defId}.u`, 1);
          }
          if (day >= (days ?? 1)) break;
          covered = nextPeriod(covered, grain, compiled.zone);
        }
      }
    }
  }
  for (const { defId, funnel } of countedFunnels(compiled)) {
    funnel.steps.forEach((step, index) => {
      if (step.event === event.name && matchesFilters(event.properties, step.where))
        addFunnelTime((state.funnels[defId] ??= []), index, event.occurredAt);
    });
  }
  for (const split of compiled.breakdowns) {
    const entry = split.funnel?.steps[0];
    if (!entry || entry.event !== event.name || !matchesFilters(event.properties, entry.where)) continue;
    const known = state.entries?.[split.defId];
    const label = labelOf(split);
    if (!known || event.occurredAt < known[0] || (event.occurredAt === known[0] && label < known[1]))
      (state.entries ??= {})[split.defId] = [event.occurredAt, label];
  }
  if (compiled.retentions.length > 0) recordRetention(compiled, (state.retention ??= {}), event);
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
  for (const [defId, grains] of Object.entries(state.tallies ?? {})) {
    for (const grain of Object.keys(grains) as Grain[]) {
      const kept = Object.entries(grains[grain]!).filter(
        ([period]) => periodEnd(period, grain, compiled.zone) > horizon,
      );
      if (kept.length > 0) grains[grain] = Object.fromEntries(kept.sort(([a], [b]) => (a < b ? -1 : 1)));
      else delete grains[grain];
    }
    if (Object.keys(grains).length === 0) delete state.tallies![defId];
  }
  if (state.tallies && Object.keys(state.tallies).length === 0) delete state.tallies;
  pruneRetention(compiled, state.retention, horizon);
  if (state.retention && Object.keys(state.retention).length === 0) delete state.retention;
  for (const { defId, funnel } of countedFunnels(compiled)) {
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
  retentionContributions(compiled, state.retention, deltas, -1);
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
  retentionContributions(compiled, state.retention, deltas, 1);
  prune(compiled, state, acceptanceHorizon(compiled, now));
  return { state, deltas, accepted, duplicates, conflicts, expired };
}
