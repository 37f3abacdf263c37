import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../../../shared/domain/config/define.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import { entriesOf } from '../../../support/daily-activity.js';
import type { TestEvent } from '../../../support/entries.js';
import { memoryStores } from '../../../support/memory-stores.js';

const owner = { name: 'Growth', contact: 'growth@example.com' };
const config = parseConfig(
  defineConfig({
    grains: ['day', 'week'],
    trackingPlan: { events: { opened: {} } },
    metrics: {
      dau: {
        kind: 'distinct_users',
        title: 'Daily actives',
        definition: 'Users who opened the app that day.',
        events: ['opened'],
        grain: 'day',
        cadence: 'daily',
        owner,
      },
      wau_7d: {
        kind: 'distinct_users',
        title: '7-day actives',
        definition: 'Users who opened the app on any of the 7 days ending with the day.',
        events: ['opened'],
        window: 'P7D',
        grain: 'day',
        cadence: 'weekly',
        parent: 'dau',
        owner,
      },
      dau_over_wau: {
        kind: 'ratio',
        title: 'DAU / 7-day actives',
        definition: 'Daily actives over 7-day actives.',
        numerator: 'dau',
        denominator: 'wau_7d',
        grain: 'day',
        cadence: 'weekly',
        parent: 'dau',
        owner,
      },
    },
    northStar: 'dau',
  }),
);

describe('recompute of a rolling window', () => {
  test('It should write day rollups of the window only, none for days still to come, and the ratio of the two series', async () => {
    // Prepare: ann opens on Monday 2 and Wednesday 4 November, bob on Wednesday; now is Thursday noon.
    const compiled = compileConfig(config);
    const stores = memoryStores();
    const now = Date.parse('2026-11-05T12:00:00Z');
    const clock = () => now;
    const events: TestEvent[] = [
      { name: 'opened', eventId: 'a1', userId: 'ann', occurredAt: '2026-11-02T09:00:00Z' },
      { name: 'opened', eventId: 'a2', userId: 'ann', occurredAt: '2026-11-04T09:00:00Z' },
      { name: 'opened', eventId: 'b1', userId: 'bob', occurredAt: '2026-11-04T10:00:00Z' },
    ];
    await ingestRecords(entriesOf(events, now, 'w'), {
      ...stores,
      compiled,
      schemas: trackingPlanSchemas(config),
      clock,
    });

    // Act
    await recompute(
      {
        ...stores,
        compiled,
        bus: { publish: async () => {}, publishDigests: async () => {} },
        clock,
        oldestWaiting: async () => undefined,
      },
      { since: Date.parse('2026-11-01T00:00:00Z') },
    );

    // Assess: 1, 1, 2 and (today so far) 2 users in the 7 days ending with each day; nothing after today.
    const window = await stores.rollups.latestRollups(compiled.defIds['metric:wau_7d']!, 'day', 30);
    // Days before the first event have no counters at all: no data.
    const valued = (rollups: typeof window) =>
      rollups.filter((rollup) => rollup.value !== null).map((rollup) => [rollup.period, rollup.value]);
    expect(window.every((rollup) => rollup.period <= '2026-11-05')).toBe(true);
    expect(valued(window).sort()).toEqual([
      ['2026-11-02', 1],
      ['2026-11-03', 1],
      ['2026-11-04', 2],
      ['2026-11-05', 2],
    ]);
    // Today's value is what is seen so far, not extrapolated to the whole day.
    expect(window.find((rollup) => rollup.period === '2026-11-05')?.projection).toBe(2);
    expect(await stores.rollups.latestRollups(compiled.defIds['metric:wau_7d']!, 'week', 5)).toEqual([]);
    expect(await stores.rollups.latestRollups(compiled.defIds['metric:dau_over_wau']!, 'week', 5)).toEqual(
      [],
    );
    const ratio = await stores.rollups.latestRollups(compiled.defIds['metric:dau_over_wau']!, 'day', 30);
    expect(valued(ratio).sort()).toEqual([
      ['2026-11-02', 1],
      ['2026-11-03', 0],
      ['2026-11-04', 1],
      ['2026-11-05', 0],
    ]);
    // A plain distinct-users metric still has its week: two users in 2026-W45.
    const weeks = await stores.rollups.latestRollups(compiled.defIds['metric:dau']!, 'week', 5);
    expect(valued(weeks)).toEqual([['2026-W45', 2]]);
  });
});
