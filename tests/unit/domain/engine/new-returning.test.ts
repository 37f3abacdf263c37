import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson } from '../../../../shared/domain/engine/deltas.js';
import { applyUserEvents } from '../../../../shared/domain/engine/user-state.js';
import type { ProductEvent } from '../../../../shared/domain/events/envelope.js';
import { applyBatches, assertMatchesReference, productEvent } from '../../../support/engine-property.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const common = { owner, cadence: 'weekly', definition: 'A test metric.' } as const;

/** A shop with new and returning users' orders, revenue and buyers, and repeat buyers, at day and week grain. */
const config = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    trackingPlan: {
      events: {
        visited: {},
        ordered: {
          properties: { amount: { type: 'number' }, method: { type: 'enum', values: ['card', 'apple'] } },
        },
      },
    },
    metrics: {
      new_orders: {
        kind: 'count',
        title: 'Orders of new users',
        events: ['ordered'],
        users: 'new',
        grain: 'day',
        ...common,
      },
      returning_orders: {
        kind: 'count',
        title: 'Orders of returning users',
        events: ['ordered'],
        users: 'returning',
        grain: 'day',
        ...common,
      },
      new_revenue: {
        kind: 'sum',
        title: 'Revenue of new users',
        events: ['ordered'],
        property: 'amount',
        users: 'new',
        grain: 'day',
        ...common,
      },
      returning_buyers: {
        kind: 'distinct_users',
        title: 'Returning buyers',
        events: ['ordered'],
        users: 'returning',
        grain: 'day',
        ...common,
      },
      new_buyers: {
        kind: 'distinct_users',
        title: 'New buyers',
        events: ['ordered'],
        users: 'new',
        grain: 'day',
        ...common,
      },
      repeat_buyers: {
        kind: 'distinct_users',
        title: 'Repeat buyers',
        events: ['ordered'],
        minEvents: 2,
        grain: 'day',
        ...common,
      },
      returning_card_repeaters: {
        kind: 'distinct_users',
        title: 'Returning repeat card buyers',
        events: ['ordered'],
        where: { method: 'card' },
        minEvents: 2,
        users: 'returning',
        grain: 'day',
        ...common,
      },
    },
    northStar: 'new_orders',
  }),
);
const compiled = compileConfig(config);
const id = (metric: string) => compiled.defIds[`metric:${metric}`]!;

const NOW = Date.parse('2026-11-20T12:00:00Z');
const event = (name: string, at: string, properties: Record<string, unknown> = {}, userId = 'ann') =>
  productEvent({ name, at, properties, userId, arrivedAt: NOW });
const order = (at: string, amount = 10, method = 'card', userId = 'ann') =>
  event('ordered', at, { amount, method }, userId);

/** Applies batches in turn, carrying the state; the summed deltas and the last state. */
function deliver(batches: readonly (readonly ProductEvent[])[]) {
  return applyBatches(batches, compiled, NOW);
}

/** One metric's counter field on every item. */
function fieldOf(deltas: Deltas, metric: string, part: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(deltasToJson(deltas)).flatMap(([item, fields]) => {
      const value = fields[`${id(metric)}.${part}`];
      return value === undefined ? [] : [[item, value]];
    }),
  );
}

describe('applyUserEvents: new and returning users', () => {
  test('It should count a user new on the day of their first event and returning the next day, and new all that week', () => {
    // Monday 16 November 2026 (2026-W47): a visit, then an order; Tuesday another order.
    const { deltas } = deliver([
      [
        event('visited', '2026-11-16T08:00:00Z'),
        order('2026-11-16T09:00:00Z'),
        order('2026-11-17T09:00:00Z'),
      ],
    ]);
    expect(fieldOf(deltas, 'new_orders', 'n')).toEqual({ 'day#2026-11-16': 1, 'week#2026-W47': 2 });
    expect(fieldOf(deltas, 'returning_orders', 'n')).toEqual({ 'day#2026-11-17': 1 });
    expect(fieldOf(deltas, 'new_buyers', 'u')).toEqual({ 'day#2026-11-16': 1, 'week#2026-W47': 1 });
    expect(fieldOf(deltas, 'returning_buyers', 'u')).toEqual({ 'day#2026-11-17': 1 });
    expect(fieldOf(deltas, 'new_revenue', 's6')).toEqual({ 'day#2026-11-16': 10e6, 'week#2026-W47': 20e6 });
  });

  test('It should move the first period to that of a late, earlier event of any name, and move the old one to returning', () => {
    // Tuesday's order first: new on Tuesday. Then a visit on the Sunday before arrives late.
    const first = deliver([[order('2026-11-17T09:00:00Z', 25)]]);
    expect(fieldOf(first.deltas, 'new_orders', 'n')).toEqual({ 'day#2026-11-17': 1, 'week#2026-W47': 1 });
    const late = applyUserEvents(first.state, [event('visited', '2026-11-15T20:00:00Z')], compiled, NOW);
    // Day: Tuesday's order moves from new to returning. Week: Sunday is in W46, so W47 is returning too.
    expect(fieldOf(late.deltas, 'new_orders', 'n')).toEqual({ 'day#2026-11-17': -1, 'week#2026-W47': -1 });
    expect(fieldOf(late.deltas, 'returning_orders', 'n')).toEqual({
      'day#2026-11-17': 1,
      'week#2026-W47': 1,
    });
    expect(fieldOf(late.deltas, 'new_revenue', 's6')).toEqual({
      'day#2026-11-17': -25e6,
      'week#2026-W47': -25e6,
    });
    expect(fieldOf(late.deltas, 'new_buyers', 'u')).toEqual({ 'day#2026-11-17': -1, 'week#2026-W47': -1 });
    expect(fieldOf(late.deltas, 'returning_buyers', 'u')).toEqual({
      'day#2026-11-17': 1,
      'week#2026-W47': 1,
    });
    // A later event changes nothing about the first period.
    const after = applyUserEvents(late.state, [event('visited', '2026-11-18T10:00:00Z')], compiled, NOW);
    expect(deltasToJson(after.deltas)).toEqual({});
  });

  test('It should count a repeat buyer once, on their second matching event of the period, and not for one event', () => {
    const { deltas } = deliver([
      [order('2026-11-16T09:00:00Z'), order('2026-11-16T15:00:00Z'), order('2026-11-16T18:00:00Z')],
      [order('2026-11-17T09:00:00Z', 10, 'apple')],
    ]);
    // Three on Monday: one repeat buyer; one on Tuesday: none that day; four in the week: one.
    expect(fieldOf(deltas, 'repeat_buyers', 'u')).toEqual({ 'day#2026-11-16': 1, 'week#2026-W47': 1 });
  });

  test('It should count a returning repeat buyer only in a period after their first, with the filter applied', () => {
    const { deltas } = deliver([
      [
        order('2026-11-16T09:00:00Z'),
        order('2026-11-16T10:00:00Z'),
        order('2026-11-17T09:00:00Z'),
        order('2026-11-17T10:00:00Z', 5, 'apple'),
        order('2026-11-18T09:00:00Z'),
        order('2026-11-18T10:00:00Z'),
      ],
    ]);
    // Monday is the first day (new); Tuesday has one card order; Wednesday two. The week is new.
    expect(fieldOf(deltas, 'returning_card_repeaters', 'u')).toEqual({ 'day#2026-11-18': 1 });
  });

  test('It should drop tallies of periods that ended before the acceptance horizon and keep the first period', () => {
    // On 27 November the orders of 16 and 17 November are beyond the horizon (2 + 7 days and an hour back).
    const { state } = deliver([[order('2026-11-16T09:00:00Z'), order('2026-11-17T09:00:00Z')]]);
    expect(Object.keys(state.tallies?.[id('repeat_buyers')]?.day ?? {})).toEqual([
      '2026-11-16',
      '2026-11-17',
    ]);
    const later = Date.parse('2026-11-27T12:00:00Z');
    const next = applyUserEvents(
      state,
      [{ ...order('2026-11-27T09:00:00Z'), arrivedAt: later }],
      compiled,
      later,
    );
    expect(Object.keys(next.state.tallies?.[id('repeat_buyers')]?.day ?? {})).toEqual(['2026-11-27']);
    expect(next.state.first).toBe(Date.parse('2026-11-16T09:00:00Z'));
    expect(next.state.firstAmounts?.[id('new_orders')]?.day).toEqual(['2026-11-16', 1]);
    // The late-November order is returning: the user's first day stays 16 November.
    expect(fieldOf(next.deltas, 'returning_orders', 'n')).toEqual({
      'day#2026-11-27': 1,
      'week#2026-W48': 1,
    });
  });

  test('It should give exactly the reference counters for several users in any order, duplicates and batches', () => {
    const users = ['ann', 'bob', 'cy'];
    const anEvent = fc
      .tuple(
        fc.constantFrom('visited', 'ordered'),
        fc.integer({ min: 0, max: 6 * 8 }),
        fc.constantFrom(...users),
        fc.constantFrom('card', 'apple'),
        fc.integer({ min: 1, max: 50 }),
      )
      .map(([name, threeHours, userId, method, amount]) =>
        event(
          name,
          new Date(Date.parse('2026-11-13T00:00:00Z') + threeHours * 3 * 3_600_000).toISOString(),
          name === 'ordered' ? { amount, method } : {},
          userId,
        ),
      );
    assertMatchesReference(anEvent, compiled, NOW, { maxLength: 16, numRuns: 200 });
  });
});
