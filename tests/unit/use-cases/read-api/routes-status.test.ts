import { describe, expect, test } from 'vitest';
import { createReadApi, type ReadApiDeps } from '../../../../shared/use-cases/read-api/read-api.js';
import { PipelineStatus } from '../../../../shared/use-cases/read-api/schemas.js';
import { weeklySignups } from '../../../support/weekly-signups.js';

// recompute.every is left at its default, PT5M.
const compiled = weeklySignups();
const NOW = Date.parse('2026-11-25T12:00:00Z');
const SECOND = 1000;

/**
 * GET /api/status of a pipeline whose latest event just arrived and whose recompute last ran
 * `ranAgoMs` ago, with the schedule and the backlog the deps carry (none: as on AWS).
 */
async function statusOf(
  ranAgoMs: number,
  recomputeEveryMs?: number,
  backlog?: ReadApiDeps['backlog'],
): Promise<PipelineStatus> {
  const unused = () => {
    throw new Error('GET /api/status reads only freshness, runs and the backlog');
  };
  const deps: ReadApiDeps = {
    compiled,
    rollups: { latestRollups: unused, rollupRange: unused },
    alerts: { listAlerts: unused, acknowledgeAlert: unused },
    digests: { listDigests: unused },
    counters: { readCounters: unused },
    quarantine: { listQuarantine: unused },
    freshness: {
      readLatest: async () => ({ occurredAt: NOW - SECOND, arrivedAt: NOW - SECOND, committedAt: NOW }),
    },
    runs: { lastRunAt: async () => NOW - ranAgoMs },
    recompute: unused,
    clock: () => NOW,
    ...(recomputeEveryMs === undefined ? {} : { recomputeEveryMs }),
    ...(backlog ? { backlog } : {}),
  };
  const response = await createReadApi(deps)({ method: 'GET', path: '/api/status', query: {} });
  expect(response.status).toBe(200);
  return PipelineStatus.parse(response.body);
}

describe('GET /api/status: the recompute schedule', () => {
  test('It should report the configured recompute.every when the deps name no schedule of their own (AWS)', async () => {
    const status = await statusOf(10 * 60 * SECOND, undefined);
    expect(status.recomputeEverySeconds).toBe(300);
    // 10 minutes is 2 runs of 5 minutes: not late yet.
    expect(status.stale).toBe(false);
  });

  test('It should report the schedule the deps carry and call the recompute late after 3 of its runs', async () => {
    const onTime = await statusOf(25 * SECOND, 10 * SECOND);
    expect(onTime).toMatchObject({ recomputeEverySeconds: 10, stale: false, staleReasons: [] });

    const late = await statusOf(31 * SECOND, 10 * SECOND);
    expect(late.recomputeEverySeconds).toBe(10);
    expect(late.staleReasons.map((reason) => reason.code)).toEqual(['recompute_late']);
  });

  test('It should report no schedule and never call the recompute late when it runs on demand only', async () => {
    const status = await statusOf(24 * 3600 * SECOND, 0);
    expect(status).toMatchObject({ recomputeEverySeconds: null, stale: false, staleReasons: [] });
  });
});

describe('GET /api/status: what waits for ingest', () => {
  const status = (backlog?: ReadApiDeps['backlog']) => statusOf(SECOND, undefined, backlog);

  test('It should say the pipeline is behind while entries wait, with how many and since when', async () => {
    const behind = await status(() => ({
      entries: 1200,
      bytes: 900_000,
      oldestArrivedAt: NOW - 90 * SECOND,
    }));
    expect(behind.backlog).toEqual({ entries: 1200, oldestArrivedAt: '2026-11-25T11:58:30.000Z' });
    expect(behind.stale).toBe(true);
    expect(behind.staleReasons).toEqual([
      {
        code: 'ingest_behind',
        message: '1200 entries are waiting for ingest, the oldest since 2026-11-25T11:58:30.000Z',
      },
    ]);
  });

  test('It should report an empty backlog as fresh, and none where the queue is not visible (AWS)', async () => {
    expect(await status(() => ({ entries: 0, bytes: 0, oldestArrivedAt: undefined }))).toMatchObject({
      backlog: { entries: 0, oldestArrivedAt: null },
      stale: false,
    });
    expect(await status()).toMatchObject({ backlog: null, stale: false });
  });
});
