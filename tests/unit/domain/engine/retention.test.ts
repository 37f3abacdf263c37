import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { type ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson } from '../../../../shared/domain/engine/deltas.js';
import { metricValue } from '../../../../shared/domain/engine/metric-values.js';
import { applyUserEvents } from '../../../../shared/domain/engine/user-state.js';
import type { ProductEvent } from '../../../../shared/domain/events/envelope.js';
import { applyBatches, assertMatchesReference, productEvent } from '../../../support/engine-property.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const common = { owner, cadence: 'weekly', definition: 'A test metric.' } as const;
const input = defineConfig({
  grains: ['day', 'week', 'month'],
  trackingPlan: { events: { signed_up: {}, lesson: { properties: { paid: { type: 'boolean' } } } } },
  metrics: {
    week1: {
      kind: 'retention',
      title: 'Week-1 retention',
      start: { event: 'signed_up' },
      return: { event: 'lesson' },
      offset: 1,
      grain: 'week',
      ...common,
    },
    weeks2to4: {
      kind: 'retention',
      title: 'Back in weeks 2 to 4',
      start: { event: 'signed_up' },
      return: { event: 'lesson', where: { paid: true } },
      offset: 2,
      mode: 'on_or_after',
      until: 4,
      grain: 'week',
      ...common,
    },
    month1: {
      kind: 'retention',
      title: 'Month-1 retention',
      start: { event: 'signed_up' },
      return: { event: 'lesson' },
      offset: 1,
      grain: 'month',
      ...common,
    },
  },
  northStar: 'week1',
});
const config = parseConfig(input);
const compiled = compileConfig(config);
const id = (metric: string) => compiled.defIds[`metric:${metric}`]!;

/** Late enough that every test event is inside the acceptance horizon (9 days and an hour back). */
const NOW = Date.parse('2026-12-06T12:00:00Z');
const event = (name: string, at: string, userId = 'ann', properties: Record<string, unknown> = {}) =>
  productEvent({ name, at, properties, userId, arrivedAt: NOW });

function deliver(batches: readonly (readonly ProductEvent[])[], now = NOW) {
  return applyBatches(batches, compiled, now);
}

/** One metric's fields on every item, without the version prefix. */
function fieldsOf(deltas: Deltas, metric: string): Record<string, Record<string, number>> {
  const prefix = `${id(metric)}.`;
  const found: Record<string, Record<string, number>> = {};
  for (const [item, fields] of Object.entries(deltasToJson(deltas)))
    for (const [field, value] of Object.entries(fields))
      if (field.startsWith(prefix)) (found[item] ??= {})[field.slice(prefix.length)] = value;
  return found;
}

describe('applyUserEvents: retention', () => {
  test('It should count a sign-up on Sunday in its ISO week and a lesson on Monday as week-1 retained', () => {
    // Sunday 29 November is in 2026-W48; Monday 30 November starts W49.
    const { deltas } = deliver([
      [event('signed_up', '2026-11-29T20:00:00Z'), event('lesson', '2026-11-30T08:00:00Z')],
    ]);
    expect(fieldsOf(deltas, 'week1')).toEqual({ 'week#2026-W48': { c: 1, r: 1, r1: 1 } });
    // The same lesson is in the same month as the sign-up: not month-1 retained.
    expect(fieldsOf(deltas, 'month1')).toEqual({ 'month#2026-11': { c: 1 } });
    // Only the metric's own grain is counted.
    expect(Object.keys(fieldsOf(deltas, 'week1')).every((item) => item.startsWith('week#'))).toBe(true);
  });

  test('It should count a lesson two weeks later as week-2 only, not week-1 retention, and as on-or-after weeks 2 to 4 when paid', () => {
    const { deltas } = deliver([
      [
        event('signed_up', '2026-11-18T09:00:00Z'),
        event('lesson', '2026-12-05T09:00:00Z', 'ann', { paid: true }),
      ],
    ]);
    // 18 November is in 2026-W47, 5 December in W49.
    expect(fieldsOf(deltas, 'week1')).toEqual({ 'week#2026-W47': { c: 1, r2: 1 } });
    expect(fieldsOf(deltas, 'weeks2to4')).toEqual({ 'week#2026-W47': { c: 1, r: 1, r2: 1 } });
  });

  test('It should move a user to an earlier cohort when a late, earlier start event arrives, and judge the return from there', () => {
    // Signed up (again) in W49 with a lesson in W49: W49's cohort, not retained.
    const first = deliver([
      [event('signed_up', '2026-12-01T09:00:00Z'), event('lesson', '2026-12-02T09:00:00Z')],
    ]);
    expect(fieldsOf(first.deltas, 'week1')).toEqual({ 'week#2026-W49': { c: 1 } });
    // The first sign-up, in W48, arrives late: the user moves to W48 and W49's lesson retains them.
    const late = applyUserEvents(first.state, [event('signed_up', '2026-11-27T09:00:00Z')], compiled, NOW);
    expect(fieldsOf(late.deltas, 'week1')).toEqual({
      'week#2026-W49': { c: -1 },
      'week#2026-W48': { c: 1, r: 1, r1: 1 },
    });
  });

  test('It should keep a return that counted for the cohort once it is older than the horizon, so a later one does not count the user again', () => {
    // Signed up in W47, a paid lesson in W49 (offset 2): retained for weeks 2 to 4.
    const { state } = deliver([
      [
        event('signed_up', '2026-11-18T09:00:00Z'),
        event('lesson', '2026-12-05T09:00:00Z', 'ann', { paid: true }),
      ],
    ]);
    // On 20 December W49 has ended before the horizon: its return leaves the state, its offset stays.
    const later = Date.parse('2026-12-20T12:00:00Z');
    const lesson = (at: string, paid: boolean) => ({
      ...event('lesson', at, 'ann', { paid }),
      arrivedAt: later,
    });
    const next = applyUserEvents(state, [lesson('2026-12-12T09:00:00Z', false)], compiled, later);
    expect(next.state.retention?.[id('weeks2to4')]).toMatchObject({ returns: [], kept: ['2026-W47', [2]] });
    // A paid lesson in W51 (offset 4): r4, and no second retained user.
    const again = applyUserEvents(next.state, [lesson('2026-12-19T09:00:00Z', true)], compiled, later);
    expect(fieldsOf(again.deltas, 'weeks2to4')).toEqual({ 'week#2026-W47': { r4: 1 } });
  });

  test('It should give exactly the reference counters for several users in any order, duplicates and batches', () => {
    const users = ['ann', 'bob', 'cy'];
    const anEvent = fc
      .tuple(
        fc.constantFrom('signed_up', 'lesson'),
        fc.integer({ min: 0, max: 7 * 8 }),
        fc.constantFrom(...users),
        fc.boolean(),
      )
      .map(([name, threeHours, userId, paid]) =>
        event(
          name,
          new Date(Date.parse('2026-11-28T00:00:00Z') + threeHours * 3 * 3_600_000).toISOString(),
          userId,
          name === 'lesson' ? { paid } : {},
        ),
      );
    assertMatchesReference(anEvent, compiled, NOW, { maxLength: 14, numRuns: 150 });
  });
});

describe('retention values and configuration', () => {
  test('It should give retained over the cohort, and no value for an empty cohort', () => {
    const counters = new Map([
      [`${id('week1')}.c`, 8],
      [`${id('week1')}.r`, 2],
    ]);
    expect(metricValue('week1', counters, compiled)).toBe(0.25);
    expect(metricValue('week1', new Map(), compiled)).toBeNull();
  });

  test('It should name the field of a retention metric that cannot work', () => {
    const issuesOf = (metric: Record<string, unknown>) => {
      try {
        parseConfig({ ...input, metrics: { ...input.metrics, bad: { ...input.metrics.week1, ...metric } } });
      } catch (thrown) {
        return (thrown as ConfigError).issues.map((issue) => [issue.path, issue.message]);
      }
      return [];
    };
    expect(issuesOf({ grain: 'hour' })).toContainEqual([
      'metrics.bad.grain',
      'retention cohorts are days, weeks or months: grain must be day, week or month',
    ]);
    expect(issuesOf({ mode: 'on_or_after' })).toEqual([
      [
        'metrics.bad.until',
        'mode on_or_after needs until: the last period after the cohort in which a return counts',
      ],
    ]);
    expect(issuesOf({ until: 3 })).toEqual([
      ['metrics.bad.until', 'until is only for mode on_or_after; mode on counts the period at offset alone'],
    ]);
    expect(issuesOf({ mode: 'on_or_after', offset: 3, until: 2 })).toEqual([
      ['metrics.bad.until', 'until (2) must be at least offset (3)'],
    ]);
    expect(issuesOf({ return: { event: 'lesson_done' } })).toEqual([
      ['metrics.bad.return.event', 'unknown event "lesson_done": not in the tracking plan'],
    ]);
  });
});
