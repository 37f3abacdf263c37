import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { type ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { type Deltas, deltasToJson } from '../../../../shared/domain/engine/deltas.js';
import { hasGrain } from '../../../../shared/domain/engine/metric-grains.js';
import { applyUserEvents, emptyUserState } from '../../../../shared/domain/engine/user-state.js';
import type { ProductEvent } from '../../../../shared/domain/events/envelope.js';
import { applyBatches, assertMatchesReference } from '../../../support/engine-property.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const common = { owner, cadence: 'weekly', definition: 'A test metric.', grain: 'day' } as const;

/** Active users over 1, 7 and 30 days in Berlin (clocks go forward on 29 March 2026), and their ratios. */
function configIn(zone: string) {
  return defineConfig({
    timeZone: zone,
    grains: ['hour', 'day', 'week'],
    trackingPlan: { events: { opened: {} } },
    metrics: {
      dau: { kind: 'distinct_users', title: 'Daily actives', events: ['opened'], ...common },
      wau_7d: {
        kind: 'distinct_users',
        title: '7-day actives',
        events: ['opened'],
        window: 'P7D',
        ...common,
      },
      mau_30d: {
        kind: 'distinct_users',
        title: '30-day actives',
        events: ['opened'],
        window: 'P30D',
        ...common,
      },
      dau_over_mau: {
        kind: 'ratio',
        title: 'DAU / MAU',
        numerator: 'dau',
        denominator: 'mau_30d',
        ...common,
      },
      wau_over_mau: {
        kind: 'ratio',
        title: '7-day / 30-day',
        numerator: 'wau_7d',
        denominator: 'mau_30d',
        ...common,
      },
    },
    northStar: 'dau',
  });
}
const config = parseConfig(configIn('Europe/Berlin'));
const compiled = compileConfig(config);
const id = (metric: string) => compiled.defIds[`metric:${metric}`]!;

const NOW = Date.parse('2026-03-31T12:00:00Z');
let sequence = 0;
function opened(at: string, userId = 'ann'): ProductEvent {
  const eventId = `o-${++sequence}`;
  return {
    source: 'app.web',
    name: 'opened',
    eventId,
    userId,
    occurredAt: Date.parse(at),
    properties: {},
    key: `app.web#${eventId}`,
    payloadHash: `p-${eventId}`,
    arrivedAt: NOW,
  };
}

function deliver(batches: readonly (readonly ProductEvent[])[]) {
  return applyBatches(batches, compiled, NOW).deltas;
}

/** The days on which a metric's counter moved, with the amount. */
function daysOf(deltas: Deltas, metric: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(deltasToJson(deltas)).flatMap(([item, fields]) => {
      const value = fields[`${id(metric)}.u`];
      return value === undefined ? [] : [[item, value]];
    }),
  );
}

describe('applyUserEvents: rolling windows', () => {
  test('It should count a user on the day of the event and the six after it, in the time zone, across a change of clocks', () => {
    // 23:30 on 27 March in Berlin is 22:30 UTC; Sunday 29 March has 23 hours.
    const deltas = deliver([[opened('2026-03-27T22:30:00Z')]]);
    expect(daysOf(deltas, 'wau_7d')).toEqual({
      'day#2026-03-27': 1,
      'day#2026-03-28': 1,
      'day#2026-03-29': 1,
      'day#2026-03-30': 1,
      'day#2026-03-31': 1,
      'day#2026-04-01': 1,
      'day#2026-04-02': 1,
    });
    // Only day items: a window is a day-grain series.
    expect(Object.keys(daysOf(deltas, 'mau_30d'))).toHaveLength(30);
    expect(Object.keys(daysOf(deltas, 'mau_30d')).every((item) => item.startsWith('day#'))).toBe(true);
  });

  test('It should add only the days a later or a late earlier event newly covers, and nothing for one inside the window', () => {
    // All inside the acceptance horizon (from 22 March, 11:00 UTC).
    const first = applyUserEvents(emptyUserState(), [opened('2026-03-25T10:00:00Z')], compiled, NOW);
    // Two days later: the window now reaches two days further.
    const later = applyUserEvents(first.state, [opened('2026-03-27T10:00:00Z')], compiled, NOW);
    expect(daysOf(later.deltas, 'wau_7d')).toEqual({ 'day#2026-04-01': 1, 'day#2026-04-02': 1 });
    // Inside what is covered: nothing.
    const inside = applyUserEvents(later.state, [opened('2026-03-26T10:00:00Z')], compiled, NOW);
    expect(daysOf(inside.deltas, 'wau_7d')).toEqual({});
    // A late event a day before the first: one more day at the front.
    const earlier = applyUserEvents(inside.state, [opened('2026-03-24T10:00:00Z')], compiled, NOW);
    expect(daysOf(earlier.deltas, 'wau_7d')).toEqual({ 'day#2026-03-24': 1 });
  });

  test('It should give exactly the reference counters for several users in any order, duplicates and batches', () => {
    const users = ['ann', 'bob', 'cy'];
    const anEvent = fc
      .tuple(fc.integer({ min: 0, max: 8 * 12 }), fc.constantFrom(...users))
      .map(([twoHours, userId]) =>
        opened(new Date(Date.parse('2026-03-23T00:00:00Z') + twoHours * 2 * 3_600_000).toISOString(), userId),
      );
    assertMatchesReference(anEvent, compiled, NOW, { maxLength: 12, numRuns: 150 });
  });
});

describe('rolling windows in the configuration', () => {
  test('It should give a window and a ratio over one day values only, and allow a ratio of two windows', () => {
    expect(['hour', 'day', 'week'].map((grain) => hasGrain(config, 'wau_over_mau', grain as 'day'))).toEqual([
      false,
      true,
      false,
    ]);
    expect(hasGrain(config, 'dau', 'week')).toBe(true);
  });

  test('It should refuse a window at another grain, combined with users or minEvents, or not in whole days', () => {
    const input = configIn('UTC');
    const issuesOf = (metrics: Record<string, unknown>) => {
      try {
        parseConfig({ ...input, metrics: { ...input.metrics, ...metrics } });
      } catch (thrown) {
        return (thrown as ConfigError).issues.map((issue) => [issue.path, issue.message]);
      }
      return [];
    };
    expect(issuesOf({ mau_30d: { ...input.metrics.mau_30d, window: 'PT12H' } })).toEqual([
      ['metrics.mau_30d.window', 'must be a whole number of days from P1D to P90D, such as P7D or P30D'],
    ]);
    expect(issuesOf({ mau_30d: { ...input.metrics.mau_30d, window: 'P91D' } })).toHaveLength(1);
    expect(
      issuesOf({
        wau_7d: { ...input.metrics.wau_7d, grain: 'week', minEvents: 2, users: 'new' },
        wau_over_mau: { ...input.metrics.wau_over_mau, grain: 'week' },
      }),
    ).toEqual([
      ['metrics.wau_7d.grain', 'a metric with a window is a day-grain series: grain must be day, not week'],
      [
        'metrics.wau_7d.users',
        'users cannot be combined with a window: a window counts every user active in it',
      ],
      [
        'metrics.wau_7d.minEvents',
        'minEvents cannot be combined with a window: a window counts every user active in it',
      ],
      ['metrics.wau_over_mau.denominator', 'grain day of "mau_30d" differs from the ratio\'s grain week'],
    ]);
  });
});
