import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import type { CollectorSettings, NorthstarConfig } from '../../shared/domain/config/schema.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type { CompiledConfig } from '../../shared/domain/engine/compiled-config.js';
import type { TestEvent } from './entries.js';
import { referenceOf } from './reference.js';
import { smallProductConfig } from './small-product.js';

/** How the small product's apps name their events in Segment calls. */
export const SEGMENT_NAMES = {
  page: 'visited',
  'Signed Up': 'signed_up',
  'Lesson Completed': 'lesson_completed',
} as const;

/** The small product with a collector in front of it. */
export function collectorProductConfig(collector: Partial<CollectorSettings>): NorthstarConfig {
  return parseConfig({ ...smallProductConfig, collector: { names: SEGMENT_NAMES, ...collector } });
}

export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

/** A product event as the collector should put it on the bus, with the source of its write key. */
export interface SourcedEvent extends TestEvent {
  readonly source: string;
}

/** Each event once, as (Source, userId, eventId) identifies it: what the counters must be made of. */
export function distinctEvents(events: readonly SourcedEvent[]): TestEvent[] {
  const seen = new Map<string, TestEvent>();
  for (const { source, ...event } of events) {
    const key = `${source}\u0000${event.userId}\u0000${event.eventId}`;
    if (!seen.has(key)) seen.set(key, event);
  }
  return [...seen.values()];
}

type Counters = Record<string, Record<string, number>>;
interface SeriesPoint {
  period: string;
  value: number | null;
}

/**
 * Every metric's value in every period the read API charts at `grain`, next to the value the
 * reference counters give that metric and period (SEMANTICS.md: count, distinct users, sum,
 * ratio; a period without any counter has none). Periods the reference has but the API lacks come back with `api: 'missing'`.
 */
export async function metricNumbers(
  url: string,
  compiled: CompiledConfig,
  reference: Counters,
  grain: string,
): Promise<{ metric: string; period: string; api: number | null | 'missing'; reference: number | null }[]> {
  const metrics = compiled.config.metrics;
  const referenceValue = (id: string, period: string): number | null => {
    const metric = metrics[id]!;
    const fields = reference[`${grain}#${period}`];
    // A period without any counter has no value (`no_data`), not 0.
    if (!fields) return null;
    const defId = compiled.defIds[`metric:${id}`]!;
    switch (metric.kind) {
      case 'count':
        return fields[`${defId}.n`] ?? 0;
      case 'distinct_users':
        return fields[`${defId}.u`] ?? 0;
      case 'sum':
        return (fields[`${defId}.s6`] ?? 0) / 1e6;
      case 'ratio': {
        const numerator = referenceValue(metric.numerator, period);
        const denominator = referenceValue(metric.denominator, period);
        return !denominator || numerator === null ? null : numerator / denominator;
      }
      default:
        throw new Error(`metric ${id}: kind ${metric.kind} has no reference here`);
    }
  };
  const referencePeriods = Object.keys(reference)
    .filter((item) => item.startsWith(`${grain}#`))
    .map((item) => item.slice(grain.length + 1));
  const rows: { metric: string; period: string; api: number | null | 'missing'; reference: number | null }[] =
    [];
  for (const id of Object.keys(metrics)) {
    const answer = await fetch(`${url}/api/metrics/${id}/series?grain=${grain}`);
    if (answer.status !== 200) throw new Error(`series of ${id}: ${answer.status} ${await answer.text()}`);
    const { points } = (await answer.json()) as { points: SeriesPoint[] };
    const charted = new Map(points.map((point) => [point.period, point.value]));
    for (const period of new Set([...charted.keys(), ...referencePeriods]))
      rows.push({
        metric: id,
        period,
        api: charted.has(period) ? charted.get(period)! : 'missing',
        reference: referenceValue(id, period),
      });
  }
  return rows.sort((a, b) => `${a.metric}${a.period}`.localeCompare(`${b.metric}${b.period}`));
}

/**
 * After a drain and a recompute: the runtime's counters of every period the events touched,
 * the reference computed from the same events, and the read API's metric numbers, at every
 * kept grain, that differ from the reference's (none when all is well).
 */
export async function numbersAgainstReference(runtime: Runtime, events: readonly SourcedEvent[]) {
  await runtime.recomputeNow();
  const reference = referenceOf(distinctEvents(events), runtime.compiled);
  const counters: Counters = {};
  for (const item of Object.keys(reference))
    counters[item] = Object.fromEntries(await runtime.stores.counters.readCounters(item));
  const differing = [];
  let charted = 0;
  for (const grain of runtime.compiled.config.grains) {
    const rows = await metricNumbers(runtime.url, runtime.compiled, reference, grain);
    charted += rows.length;
    differing.push(...rows.filter((row) => row.api !== row.reference).map((row) => ({ grain, ...row })));
  }
  return { counters, reference, charted, differing };
}

/**
 * Polls until the counters hold every event of `events` (SDKs send on their own schedule),
 * then compares every number with the reference, the read API's too.
 */
export async function expectAllCounted(runtime: Runtime, events: readonly SourcedEvent[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  let check = await numbersAgainstReference(runtime, events);
  while (!isDeepStrictEqual(check.counters, check.reference) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    check = await numbersAgainstReference(runtime, events);
  }
  // Once all is counted, recompute once more: the last events may have come in after the last recompute.
  check = await numbersAgainstReference(runtime, events);
  expect(check.counters).toEqual(check.reference);
  expect(check.charted).toBeGreaterThan(0);
  expect(check.differing).toEqual([]);
}
