import type { Metric, RetentionMetric } from '../config/schema.js';
import type { ProductEvent } from '../events/envelope.js';
import { periodEnd, periodsAfter } from '../time/period-steps.js';
import { periodKey } from '../time/periods.js';
import { type CompiledConfig, matchesFilters } from './compiled-config.js';
import { addDelta, type Deltas, itemKey } from './deltas.js';

/** Offsets a cohort's item counts returns at, for the cohort-by-offset table: at least 12. */
export const TABLE_OFFSETS = 12;

/** What the engine remembers of one user for one retention metric. */
export interface RetentionState {
  /** Time of the user's earliest start event: their cohort is its period. */
  start?: number;
  /** Periods (at the metric's grain) with a return event, inside the acceptance horizon. */
  returns: string[];
  /** Returns pruned past the horizon: the cohort they were counted for and their offsets from it. */
  kept?: [cohort: string, offsets: number[]];
}

export interface CompiledRetention {
  readonly id: string;
  readonly defId: string;
  readonly metric: RetentionMetric;
}

/** The last offset whose return counts for the metric's value: `offset`, or `until` for on_or_after. */
export const lastOffset = (metric: RetentionMetric) =>
  metric.mode === 'on_or_after' ? metric.until! : metric.offset;

/** How many offsets a cohort's item keeps: the table's 12, or as many as the metric reaches. */
export const tableOffsets = (metric: RetentionMetric) => Math.max(TABLE_OFFSETS, lastOffset(metric));

export const isRetention = (metric: Metric): metric is RetentionMetric => metric.kind === 'retention';

/** A start or return event of a user: moves their start earlier, adds a return period. */
export function recordRetention(
  compiled: CompiledConfig,
  states: Record<string, RetentionState>,
  event: ProductEvent,
): void {
  for (const { defId, metric } of compiled.retentions) {
    const isStart = metric.start.event === event.name && matchesFilters(event.properties, metric.start.where);
    const isReturn =
      metric.return.event === event.name && matchesFilters(event.properties, metric.return.where);
    if (!isStart && !isReturn) continue;
    const state = (states[defId] ??= { returns: [] });
    if (isStart && (state.start === undefined || event.occurredAt < state.start))
      state.start = event.occurredAt;
    if (isReturn) {
      const period = periodKey(event.occurredAt, metric.grain, compiled.zone);
      if (!state.returns.includes(period)) state.returns.push(period);
    }
  }
}

/**
 * A user's contribution to their cohort's item: one to the cohort's size (`c`), one to each
 * offset k with a return in the k-th period after the cohort (`r<k>`), and one to the metric's
 * retained users (`r`). Deltas are the contributions after minus before, so a late earlier
 * start moves the user to the earlier cohort (SEMANTICS.md section 10).
 */
export function retentionContributions(
  compiled: CompiledConfig,
  states: Record<string, RetentionState> | undefined,
  deltas: Deltas,
  sign: 1 | -1,
): void {
  for (const { defId, metric } of compiled.retentions) {
    const state = states?.[defId];
    if (state?.start === undefined) continue;
    const grain = metric.grain;
    const cohort = periodKey(state.start, grain, compiled.zone);
    const item = itemKey(grain, cohort);
    addDelta(deltas, item, `${defId}.c`, sign);
    const after = periodsAfter(cohort, grain, compiled.zone, tableOffsets(metric));
    const kept = state.kept?.[0] === cohort ? state.kept[1] : [];
    let retained = false;
    after.forEach((period, index) => {
      const offset = index + 1;
      if (!state.returns.includes(period) && !kept.includes(offset)) return;
      addDelta(deltas, item, `${defId}.r${offset}`, sign);
      if (offset >= metric.offset && offset <= lastOffset(metric)) retained = true;
    });
    if (retained) addDelta(deltas, item, `${defId}.r`, sign);
  }
}

/**
 * Drops return periods that ended before the horizon. One that counted for the user's cohort
 * is kept as its offset: the metric's retained users are a union over offsets, so a later
 * return must not count a user whom a pruned one already retained. No event before the
 * horizon can arrive, so such a cohort never moves again.
 */
export function pruneRetention(
  compiled: CompiledConfig,
  states: Record<string, RetentionState> | undefined,
  horizon: number,
): void {
  for (const { defId, metric } of compiled.retentions) {
    const state = states?.[defId];
    if (!state) continue;
    const gone = state.returns.filter((period) => periodEnd(period, metric.grain, compiled.zone) <= horizon);
    if (gone.length === 0) continue;
    state.returns = state.returns.filter((period) => !gone.includes(period)).sort();
    if (state.start === undefined) continue;
    const cohort = periodKey(state.start, metric.grain, compiled.zone);
    const after = periodsAfter(cohort, metric.grain, compiled.zone, tableOffsets(metric));
    const offsets = new Set(state.kept?.[0] === cohort ? state.kept[1] : []);
    for (const period of gone) {
      const index = after.indexOf(period);
      if (index >= 0) offsets.add(index + 1);
    }
    if (offsets.size > 0) state.kept = [cohort, [...offsets].sort((a, b) => a - b)];
  }
}
