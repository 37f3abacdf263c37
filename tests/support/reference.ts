import type { Breakdown } from '../../shared/domain/config/schema.js';
import { type CompiledConfig, matchesFilters } from '../../shared/domain/engine/compiled-config.js';
import { windowDays } from '../../shared/domain/engine/metric-grains.js';
import { addDuration, periodBounds, periodKey } from '../../shared/domain/time/periods.js';
import type { TestEvent } from './entries.js';

export interface ReferenceEvent {
  name: string;
  userId: string;
  occurredAt: number;
  properties: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** The value an event has for a breakdown, as its label: listed, `(other)` or `(none)`. */
function referenceLabel(event: ReferenceEvent, breakdown: Breakdown, labels: readonly string[]): string {
  let value: unknown;
  if (breakdown.property !== undefined) value = event.properties[breakdown.property];
  else
    value = breakdown
      .context!.split('.')
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], event.context);
  if (value === undefined || value === null || value === '') return '(none)';
  if (!['string', 'number', 'boolean'].includes(typeof value)) return '(other)';
  return labels.slice(0, -2).includes(String(value)) ? String(value) : '(other)';
}

type Counters = Record<string, Record<string, number>>;

function add(counters: Counters, item: string, field: string, amount: number): void {
  const fields = (counters[item] ??= {});
  fields[field] = (fields[field] ?? 0) + amount;
  if (fields[field] === 0) delete fields[field];
  if (Object.keys(fields).length === 0) delete counters[item];
}

/**
 * The plain definition of every counter (SEMANTICS.md sections 3-5), computed over a
 * de-duplicated set of accepted events sorted by time, with no incremental state at all.
 * The tests compare the pipeline against this.
 */
export function referenceCounters(events: readonly ReferenceEvent[], compiled: CompiledConfig): Counters {
  const sorted = [...events].sort((a, b) => a.occurredAt - b.occurredAt);
  const counters: Counters = {};
  const zone = compiled.zone;
  // Each user's earliest event of any name: they are new in its period, returning after it.
  const firstAt = new Map<string, number>();
  for (const event of sorted) if (!firstAt.has(event.userId)) firstAt.set(event.userId, event.occurredAt);
  for (const { defId, metric, series } of compiled.eventMetrics) {
    // Matching events per period item and user, for distinct users.
    const users = new Map<string, Map<string, number>>();
    const label = series && series.breakdown.labels[series.index];
    const breakdown = series && compiled.config.breakdowns[series.breakdown.by]!;
    for (const event of sorted) {
      if (!metric.events.includes(event.name) || !matchesFilters(event.properties, metric.where)) continue;
      if (breakdown && referenceLabel(event, breakdown, series.breakdown.labels) !== label) continue;
      const days = windowDays(metric);
      for (const grain of compiled.grains) {
        const period = periodKey(event.occurredAt, grain, zone);
        if (days !== undefined) {
          // A rolling window: active on the event's day and the days - 1 after it.
          if (grain !== 'day') continue;
          for (let day = 0, covered = period; day < days; day++) {
            const perUser = users.get(`day#${covered}`) ?? new Map<string, number>();
            perUser.set(event.userId, 1);
            users.set(`day#${covered}`, perUser);
            covered = periodKey(periodBounds(covered, 'day', zone).end, 'day', zone);
          }
          continue;
        }
        if (metric.users !== undefined) {
          const isFirst = period === periodKey(firstAt.get(event.userId)!, grain, zone);
          if (isFirst !== (metric.users === 'new')) continue;
        }
        const item = `${grain}#${period}`;
        if (metric.kind === 'count') add(counters, item, `${defId}.n`, 1);
        if (metric.kind === 'sum' && typeof event.properties[metric.property] === 'number')
          add(counters, item, `${defId}.s6`, Math.round((event.properties[metric.property] as number) * 1e6));
        if (metric.kind === 'distinct_users') {
          const perUser = users.get(item) ?? new Map<string, number>();
          perUser.set(event.userId, (perUser.get(event.userId) ?? 0) + 1);
          users.set(item, perUser);
        }
      }
    }
    const needed = metric.kind === 'distinct_users' ? (metric.minEvents ?? 1) : 1;
    for (const [item, perUser] of users)
      add(counters, item, `${defId}.u`, [...perUser.values()].filter((count) => count >= needed).length);
  }
  const byUser = new Map<string, ReferenceEvent[]>();
  for (const event of sorted) byUser.set(event.userId, [...(byUser.get(event.userId) ?? []), event]);
  // Funnels, and each funnel conversion split by a breakdown: its users under their entry's value.
  const funnels = [
    ...compiled.funnels.map(({ defId, funnel }) => ({
      funnel,
      split: undefined,
      fieldOf: (_entry: ReferenceEvent, step: number) => `${defId}.${step}`,
    })),
    ...compiled.breakdowns
      .filter((split) => split.funnel !== undefined)
      .map((split) => ({
        funnel: split.funnel!,
        split,
        fieldOf: (entry: ReferenceEvent, step: number) =>
          `${split.defId}~${split.labels.indexOf(referenceLabel(entry, compiled.config.breakdowns[split.by]!, split.labels))}.${step}`,
      })),
  ];
  for (const { funnel, split, fieldOf } of funnels) {
    for (const userEvents of byUser.values()) {
      const matching = funnel.steps.map((step) =>
        userEvents.filter(
          (event) => event.name === step.event && matchesFilters(event.properties, step.where),
        ),
      );
      const times = matching.map((events) => events.map((event) => event.occurredAt));
      if (times[0]!.length === 0) continue;
      const t1 = Math.min(...times[0]!);
      // The entry: the earliest first-step event; of several at that time, the lowest label.
      const entry = matching[0]!
        .filter((event) => event.occurredAt === t1)
        .sort((a, b) =>
          split
            ? split.labels.indexOf(referenceLabel(a, compiled.config.breakdowns[split.by]!, split.labels)) -
              split.labels.indexOf(referenceLabel(b, compiled.config.breakdowns[split.by]!, split.labels))
            : 0,
        )[0]!;
      const limit = addDuration(t1, funnel.window, zone);
      let reached = 1;
      let previous = t1;
      for (let k = 1; k < funnel.steps.length; k++) {
        const next = times[k]!.filter((time) => time >= previous);
        if (next.length === 0) break;
        const tk = Math.min(...next);
        if (tk > limit) break;
        reached++;
        previous = tk;
      }
      for (const grain of compiled.grains) {
        for (let step = 1; step <= reached; step++)
          add(counters, `${grain}#${periodKey(t1, grain, zone)}`, fieldOf(entry, step), 1);
      }
    }
  }
  for (const { defId, metric } of compiled.retentions) {
    const grain = metric.grain;
    const last = metric.mode === 'on_or_after' ? metric.until! : metric.offset;
    for (const userEvents of byUser.values()) {
      const starts = userEvents.filter(
        (event) => event.name === metric.start.event && matchesFilters(event.properties, metric.start.where),
      );
      if (starts.length === 0) continue;
      const cohort = periodKey(starts[0]!.occurredAt, grain, zone);
      const item = `${grain}#${cohort}`;
      add(counters, item, `${defId}.c`, 1);
      const returned = new Set(
        userEvents
          .filter(
            (event) =>
              event.name === metric.return.event && matchesFilters(event.properties, metric.return.where),
          )
          .map((event) => periodKey(event.occurredAt, grain, zone)),
      );
      let period = cohort;
      let retained = false;
      for (let offset = 1; offset <= Math.max(12, last); offset++) {
        period = periodKey(periodBounds(period, grain, zone).end, grain, zone);
        if (!returned.has(period)) continue;
        add(counters, item, `${defId}.r${offset}`, 1);
        if (offset >= metric.offset && offset <= last) retained = true;
      }
      if (retained) add(counters, item, `${defId}.r`, 1);
    }
  }
  const journey = compiled.journey;
  if (journey) {
    for (const userEvents of byUser.values()) {
      let highest: string | undefined;
      for (const stage of journey.stages) {
        const times = userEvents
          .filter((event) => stage.events.includes(event.name))
          .map((event) => event.occurredAt);
        if (times.length === 0) continue;
        highest = stage.id;
        const first = Math.min(...times);
        for (const grain of compiled.grains)
          add(counters, `${grain}#${periodKey(first, grain, zone)}`, `${journey.defId}.${stage.id}`, 1);
      }
      if (highest) add(counters, 'all', `${journey.defId}.current.${highest}`, 1);
    }
  }
  return counters;
}

/** The reference over test events as the tests send them. */
export function referenceOf(events: readonly TestEvent[], compiled: CompiledConfig): Counters {
  return referenceCounters(
    events.map((event) => ({
      name: event.name,
      userId: event.userId,
      occurredAt: Date.parse(event.occurredAt),
      properties: event.properties ?? {},
      ...(event.context ? { context: event.context } : {}),
    })),
    compiled,
  );
}

/** The counters of some definition versions only: their fields, by counter item. */
export function ofVersions(counters: Counters, ids: readonly string[]): Counters {
  const found: Counters = {};
  for (const [item, fields] of Object.entries(counters)) {
    const kept = Object.entries(fields).filter(([field]) =>
      ids.some((id) => field.startsWith(`${id}.`) || field.startsWith(`${id}~`)),
    );
    if (kept.length > 0) found[item] = Object.fromEntries(kept);
  }
  return found;
}
