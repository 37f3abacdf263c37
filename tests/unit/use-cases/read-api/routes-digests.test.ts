import { describe, expect, test } from 'vitest';
import type { DeviationAlert } from '../../../../shared/domain/alerts/deviation-alert.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';
import { trackingPlanSchemas } from '../../../../shared/domain/events/tracking-plan.js';
import type { ReviewDigest } from '../../../../shared/domain/review/review-digest.js';
import { ingestRecords } from '../../../../shared/use-cases/ingest/ingest-records.js';
import { createReadApi, type ReadApiDeps } from '../../../../shared/use-cases/read-api/read-api.js';
import { DigestList } from '../../../../shared/use-cases/read-api/routes-digests.js';
import { ApiErrorBody } from '../../../../shared/use-cases/read-api/schemas.js';
import { recompute } from '../../../../shared/use-cases/recompute/recompute.js';
import { memoryStores } from '../../../support/memory-stores.js';
import {
  DAY,
  DAYS,
  FIRST_DAY,
  reviewConfig,
  reviewDayEvents,
  reviewEntries,
} from '../../../support/review-product.js';

const MINUTE = 60_000;
/** Monday 2 November, 01:01 UTC: 2026-W44 has ended and settled, and so has October. */
const REVIEWED_AT = FIRST_DAY + DAYS * DAY + 61 * MINUTE;

/**
 * The review product's last `days` days through the real ingest and recompute on in-memory
 * stores, each day recomputed once settled, up to the Monday after the last week; the read
 * API over the same stores.
 */
async function reviewedProduct(days: number, options: { busDownAtTheEnd?: boolean } = {}) {
  const compiled = compileConfig(reviewConfig);
  const stores = memoryStores();
  const sent: ReviewDigest[] = [];
  let busDown = false;
  const bus = {
    async publish(_alerts: readonly DeviationAlert[]) {},
    async publishDigests(digests: readonly ReviewDigest[]) {
      if (busDown) throw new Error('the bus is unreachable');
      sent.push(...digests);
    },
  };
  let now = FIRST_DAY;
  const clock = () => now;
  const ingestDeps = { ...stores, compiled, schemas: trackingPlanSchemas(reviewConfig), clock };
  for (let day = DAYS - days; day < DAYS; day++) {
    now = FIRST_DAY + (day + 1) * DAY + 61 * MINUTE;
    const summary = await ingestRecords(reviewEntries(reviewDayEvents(day), now, `d${day}`), ingestDeps);
    expect(summary.failedMessageIds).toEqual([]);
    busDown = options.busDownAtTheEnd === true && day === DAYS - 1;
    await recompute({ ...stores, compiled, bus, clock }).catch((error: Error) => {
      if (!busDown) throw error;
    });
  }
  const deps: ReadApiDeps = {
    ...stores,
    compiled,
    recompute: () => Promise.reject(new Error('not in these tests')),
    clock,
  };
  const api = createReadApi(deps);
  const get = (query: Record<string, string> = {}) => api({ method: 'GET', path: '/api/digests', query });
  const list = async (query: Record<string, string> = {}) => {
    const response = await get(query);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return DigestList.parse(response.body);
  };
  return { list, get, sent };
}

const keys = (list: DigestList) => list.digests.map(({ digest }) => digest.digestId);

describe('GET /api/digests', () => {
  test('It should list the latest digests newest first, each whole with when it was recorded and whether it was sent', async () => {
    // Prepare: the last two weeks of traffic; Monday 2 November reviews 2026-W44 and October.
    const { list, sent } = await reviewedProduct(14);

    // Act
    const all = await list();

    // Assess: the week that ended last first, then October (ended the day before), then W43.
    expect(keys(all)).toEqual([
      'growth:weekly:2026-W44',
      'revenue:monthly:2026-10',
      'growth:weekly:2026-W43',
    ]);
    expect(all.to).toBe(new Date(REVIEWED_AT).toISOString());
    expect(all.from).toBe(new Date(REVIEWED_AT - 100 * DAY).toISOString());
    expect(all.more).toBe(false);
    const [latest] = all.digests;
    expect(latest!.digest).toEqual(sent.find((digest) => digest.digestId === 'growth:weekly:2026-W44'));
    expect(latest).toMatchObject({ sent: true, recordedAt: new Date(REVIEWED_AT).toISOString() });
    expect(latest!.digest.metrics[0]).toMatchObject({ id: 'weekly_signups', value: 280, change: -0.5 });
  });

  test('It should keep to a team, a cadence, a limit and a range of period ends', async () => {
    const { list } = await reviewedProduct(14);
    expect(keys(await list({ team: 'growth' }))).toEqual([
      'growth:weekly:2026-W44',
      'growth:weekly:2026-W43',
    ]);
    expect(keys(await list({ cadence: 'monthly' }))).toEqual(['revenue:monthly:2026-10']);
    expect(keys(await list({ team: 'growth', cadence: 'monthly' }))).toEqual([]);
    const one = await list({ limit: '1' });
    expect(keys(one)).toEqual(['growth:weekly:2026-W44']);
    expect(one.more).toBe(true);
    // `to` is exclusive: October ends at 1 November 00:00, so it is left out with W44.
    expect(keys(await list({ to: '2026-11-01T00:00:00Z' }))).toEqual(['growth:weekly:2026-W43']);
    expect(keys(await list({ from: '2026-11-01T00:00:00Z' }))).toEqual([
      'growth:weekly:2026-W44',
      'revenue:monthly:2026-10',
    ]);
  });

  test("It should say when each team's next digest is due: the review in progress, ended plus the settle delay", async () => {
    const { list } = await reviewedProduct(7);
    expect((await list()).next).toEqual([
      {
        team: 'growth',
        cadence: 'weekly',
        period: '2026-W45',
        periodStart: '2026-11-02T00:00:00.000Z',
        periodEnd: '2026-11-09T00:00:00.000Z',
        dueAt: '2026-11-09T01:00:00.000Z',
      },
      {
        team: 'revenue',
        cadence: 'monthly',
        period: '2026-11',
        periodStart: '2026-11-01T00:00:00.000Z',
        periodEnd: '2026-12-01T00:00:00.000Z',
        dueAt: '2026-12-01T01:00:00.000Z',
      },
    ]);
    expect((await list({ team: 'revenue' })).next.map((review) => review.period)).toEqual(['2026-11']);
  });

  test('It should list a digest whose send was interrupted as not sent', async () => {
    const { list, sent } = await reviewedProduct(7, { busDownAtTheEnd: true });
    // October went out on 1 November; the bus was down on the Monday after W44.
    expect(sent.map((digest) => digest.digestId)).toEqual(['revenue:monthly:2026-10']);
    expect((await list({ team: 'growth' })).digests).toEqual([
      expect.objectContaining({ sent: false, digest: expect.objectContaining({ period: '2026-W44' }) }),
    ]);
  });

  test('It should answer 400 naming the parameter: a team not in the configuration (with the owner teams), a cadence, a limit, a range', async () => {
    const { get } = await reviewedProduct(1);
    for (const [query, parameter, message] of [
      [{ team: 'marketing' }, 'team', 'team: must be one of the owner teams: growth, revenue'],
      [
        { cadence: 'yearly' },
        'cadence',
        'cadence: must be one of the cadences: daily, weekly, monthly, quarterly',
      ],
      [{ limit: '0' }, 'limit', 'limit: must be a whole number from 1 to 100'],
      [{ from: '2025-01-01T00:00:00Z' }, 'from', 'from: the range spans more than 400 days'],
      [{ from: '2026-12-01T00:00:00Z' }, 'from', 'from: must be earlier than now (to defaults to now)'],
    ] as const) {
      const response = await get(query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      const { error } = ApiErrorBody.parse(response.body);
      expect(error.parameter).toBe(parameter);
      expect(error.message).toContain(message);
    }
  });
});
