import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { readApiFromEnv, recomputeFromEnv } from '../../shared/compose/lambda-env.js';
import type { CompiledConfig } from '../../shared/domain/engine/compiled-config.js';
import type { Rollup } from '../../shared/domain/rollup.js';
import { alertOf } from '../../shared/use-cases/recompute/deviation-alerts.js';
import { config, FIRST_DAY } from '../support/daily-activity.js';
import { freshTable, localClient } from '../support/dynamo.js';

/**
 * On AWS the construct gives the recompute and the read API the deployed dashboard's URL
 * (DASHBOARD_URL): the functions' configuration then links every alert there, not to the
 * `recompute.dashboardUrl` the configuration file was written with.
 */

const DEPLOYED = 'https://d1234abcd.cloudfront.net/';
let dir: string;
let env: NodeJS.ProcessEnv;

/** A settled day of the north star far above its band: a critical deviation. */
const deviatingDay: Rollup = {
  metricId: 'daily_activity',
  defId: 'daily_activity',
  grain: 'day',
  period: '2026-10-05',
  start: FIRST_DAY + 7 * 86_400_000,
  end: FIRST_DAY + 8 * 86_400_000,
  value: 80,
  expected: 40,
  lower: 36,
  upper: 44,
  status: 'deviating',
  relativeDeviation: 1,
  severity: 'critical',
  settled: true,
  projection: null,
  updatedAt: FIRST_DAY + 8 * 86_400_000,
};
const linkOf = (compiled: CompiledConfig) => alertOf(deviatingDay, new Map(), compiled, 'detected').link;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-deploy-'));
  const file = join(dir, 'northstar.config.json');
  // Written for the local runtime: its links lead to 127.0.0.1.
  await writeFile(file, JSON.stringify(config));
  env = {
    TABLE_NAME: await freshTable(localClient()),
    NORTHSTAR_CONFIG_FILE: file,
    DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    DASHBOARD_URL: DEPLOYED,
    REGISTRY_CACHE_SECONDS: '0',
    EVENT_BUS_NAME: 'northstar',
    BACKFILL_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:northstar-backfill',
    BACKFILL_PARTITIONS: '4',
    BACKFILL_CUT_AFTER_SECONDS: '330',
    BACKFILL_LIST_AFTER_SECONDS: '60',
    RECOMPUTE_FUNCTION_NAME: 'northstar-recompute',
  };
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Alert links on AWS', () => {
  test("It should make the deployed dashboard the recompute's dashboardUrl, and link each alert to the metric's chart there", async () => {
    expect(config.recompute.dashboardUrl).toBe('http://127.0.0.1:4000');
    const { compiled } = await recomputeFromEnv(env)();
    expect(compiled.config.recompute.dashboardUrl).toBe(DEPLOYED);
    expect(linkOf(compiled)).toBe(
      'https://d1234abcd.cloudfront.net/#/metrics/daily_activity?grain=day&period=2026-10-05',
    );
  });

  test('It should give the read API the same dashboard, and leave the configured one without DASHBOARD_URL', async () => {
    const { compiled } = await readApiFromEnv(env)();
    expect(compiled.config.recompute.dashboardUrl).toBe(DEPLOYED);
    const { DASHBOARD_URL: _, ...withoutDashboard } = env;
    const configured = (await recomputeFromEnv(withoutDashboard)()).compiled;
    expect(linkOf(configured)).toBe(
      'http://127.0.0.1:4000/#/metrics/daily_activity?grain=day&period=2026-10-05',
    );
  });
});
