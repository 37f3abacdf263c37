import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTracker } from '../../client/index.js';
import demo from '../../config/demo.config.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { periodKey } from '../../shared/domain/time/periods.js';
import { runCli } from './cli-runner.js';

// One daily metric at one grain: the first recompute's week of periods stays quick.
const config = parseConfig({
  ...demo,
  grains: ['day'],
  metrics: { daily_signups: { ...demo.metrics.daily_signups, parent: undefined } },
  northStar: 'daily_signups',
});
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const dayKey = (daysAgo: number) => periodKey(today - daysAgo * DAY, 'day', 'UTC');

let runtime: Runtime;
let api: string[];

// Starting DynamoDB Local can take a while on a busy machine.
beforeAll(async () => {
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
  api = ['--api-url', runtime.url];
  // Three days of sign-ups and visits through the typed client: 2, 3 and 4 a day.
  const tracker = createTracker<typeof demo>({
    source: 'app.web',
    endpoint: runtime.url,
    onError: (error) => {
      throw error;
    },
  });
  for (const daysAgo of [1, 2, 3]) {
    for (let i = 0; i <= 4 - daysAgo; i++) {
      const userId = `query-${daysAgo}-${i}`;
      const at = new Date(today - daysAgo * DAY + (i + 1) * 3_600_000);
      tracker.track('page_viewed', { path: '/' }, { userId, occurredAt: at });
      tracker.track(
        'signed_up',
        { method: 'email' },
        { userId, occurredAt: new Date(at.getTime() + 60_000) },
      );
    }
  }
  await tracker.shutdown();
  await runtime.drained();
}, 120_000);

afterAll(async () => {
  await runtime.stop();
});

describe('northstar recompute, query and alerts against the read API', () => {
  test('It should recompute every period of a range on demand, beyond what a plain recompute looks at', async () => {
    // A plain run covers dirty periods and those settled in the last week: not ten days ago.
    const plain = await runCli(['recompute', ...api]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^Recomputed \d+ periods \(\d+ rollups\)/);
    const defId = runtime.compiled.defIds['metric:daily_signups']!;
    const rollupOf = async (daysAgo: number) =>
      (await runtime.stores.rollups.getRollups(defId, 'day', [dayKey(daysAgo)])).get(dayKey(daysAgo));
    expect(await rollupOf(10)).toBeUndefined();

    const from = new Date(today - 10 * DAY).toISOString().slice(0, 10);
    const to = new Date(today - 9 * DAY).toISOString().slice(0, 10);
    const ranged = await runCli(['recompute', ...api, '--from', from, '--to', to, '--json']);

    expect(ranged.code).toBe(0);
    // The day, and the periods newly settled since the last run.
    expect((JSON.parse(ranged.stdout) as { periods: number }).periods).toBeGreaterThanOrEqual(1);
    expect(await rollupOf(10)).toMatchObject({ period: dayKey(10), value: null, settled: true });
    expect(await rollupOf(12)).toBeUndefined();
  });

  test('It should refuse a reversed range with the API’s message and exit code 1', async () => {
    const result = await runCli(['recompute', ...api, '--from', '2026-11-20', '--to', '2026-11-10']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('400 invalid_parameter: from: must be earlier than to');
    const usage = await runCli(['recompute', ...api, '--from', 'last tuesday']);
    expect(usage.code).toBe(2);
    // The endpoint checks its body on its own: unknown fields, a bare date, `to` alone.
    const post = async (body: unknown) => {
      const response = await fetch(`${runtime.url}/api/recompute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return [
        response.status,
        ((await response.json()) as { error?: { parameter?: string } }).error?.parameter,
      ];
    };
    expect(await post({ since: '2026-11-01T00:00:00Z' })).toEqual([400, 'since']);
    expect(await post({ from: '2026-11-01' })).toEqual([400, 'from']);
    expect(await post({ to: '2026-11-01T00:00:00Z' })).toEqual([400, 'to']);
  });

  test('It should show a metric series as a table and as JSON', async () => {
    await runCli(['recompute', ...api, '--from', new Date(today - 3 * DAY).toISOString().slice(0, 10)]);
    const from = new Date(today - 3 * DAY).toISOString().slice(0, 10);
    const to = new Date(today).toISOString().slice(0, 10);
    const json = await runCli([
      'query',
      'metric',
      'daily_signups',
      '--grain',
      'day',
      '--from',
      from,
      '--to',
      to,
      '--json',
      ...api,
    ]);
    expect(json.code).toBe(0);
    const series = JSON.parse(json.stdout) as { points: { period: string; value: number }[] };
    expect(series.points.map((point) => [point.period, point.value])).toEqual([
      [dayKey(3), 2],
      [dayKey(2), 3],
      [dayKey(1), 4],
    ]);
    const table = await runCli([
      'query',
      'metric',
      'daily_signups',
      '--grain',
      'day',
      '--from',
      from,
      '--to',
      to,
      ...api,
    ]);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[1]).toMatch(/^period\s+value\s+expected\s+lower\s+upper\s+status\s+deviation$/);
    expect(rows.at(-1)).toMatch(new RegExp(`^${dayKey(1)}\\s+4\\s`));
  });

  test('It should show a funnel as a table and as JSON, and say when a metric does not exist', async () => {
    const from = new Date(today - 30 * DAY).toISOString().slice(0, 10);
    const json = await runCli([
      'query',
      'funnel',
      'activation',
      '--grain',
      'day',
      '--from',
      from,
      '--json',
      ...api,
    ]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { steps: { event: string; users: number }[] };
    expect(report.steps.map((step) => [step.event, step.users])).toEqual([
      ['page_viewed', 9],
      ['signed_up', 9],
      ['lesson_started', 0],
      ['course_completed', 0],
    ]);
    const table = await runCli(['query', 'funnel', 'activation', '--grain', 'day', '--from', from, ...api]);
    expect(table.stdout).toMatch(/2\s+signed_up\s+9\s+100\.0%\s+100\.0%/);
    const missing = await runCli(['query', 'metric', 'weekly_nothing', ...api]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 not_found: no metric "weekly_nothing"');
  });

  test('It should find a metric too thin to judge from its recorded history (lint --history)', async () => {
    // Prepare: the runtime's own configuration as a file; a recompute has settled its days.
    const dir = await mkdtemp(join(tmpdir(), 'northstar-lint-history-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(config));
    expect((await runCli(['recompute', ...api])).code).toBe(0);
    try {
      // Act
      const result = await runCli(['lint', file, ...api, '--history', '--format', 'json']);
      const report = JSON.parse(result.stdout) as {
        findings: { rule: string; metric?: string; message: string }[];
        notChecked: unknown[];
      };
      // Assess: 2 to 4 sign-ups a day, well below the 36 a day needs for a halving to alert.
      expect(report.notChecked).toEqual([]);
      expect(report.findings.filter((finding) => finding.rule === 'thin-history')).toEqual([
        expect.objectContaining({
          metric: 'daily_signups',
          message: expect.stringMatching(
            /^"daily_signups" is typically [0-4](\.\d)? a day, below the 36 a period needs/,
          ),
        }),
      ]);
      // Sign-ups as the north star are an error of their own.
      expect(report.findings.map((finding) => finding.rule)).toContain('north-star-inflatable');
      expect(result.code).toBe(3);
      // Without --history the rule says it did not look.
      const plain = await runCli(['lint', file]);
      expect(plain.stdout).toContain('not checked: thin-history');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('It should list alerts and acknowledge one with who and why', async () => {
    const defId = runtime.compiled.defIds['metric:daily_signups']!;
    const period = dayKey(2);
    const alert: DeviationAlert = {
      alertId: `${defId}:day:${period}`,
      kind: 'detected',
      metric: {
        id: 'daily_signups',
        title: 'Daily sign-ups',
        definitionVersion: defId,
        definition: 'Sign-ups a day.',
      },
      grain: 'day',
      period,
      periodStart: new Date(today - 2 * DAY).toISOString(),
      periodEnd: new Date(today - DAY).toISOString(),
      observed: 3,
      expected: 10,
      band: { lower: 8, upper: 12 },
      relativeDeviation: -0.7,
      severity: 'critical',
      owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      contributors: [],
      link: 'http://127.0.0.1:4000/#/metrics/daily_signups',
    };
    await runtime.stores.alerts.openAlert(alert, Date.now());

    const listed = await runCli(['alerts', 'list', ...api]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(alert.alertId);
    expect(listed.stdout).toMatch(/daily_signups\s+\S+\s+detected\s+open\s+3\s+10\s+-70\.0%\s+Growth/);

    const acked = await runCli([
      'alerts',
      'ack',
      alert.alertId,
      '--by',
      'Ann',
      '--note',
      'known: campaign ended',
      ...api,
    ]);
    expect(acked.stderr).toBe('');
    expect(acked.code).toBe(0);
    expect(acked.stdout).toContain('now acknowledged');
    const after = JSON.parse((await runCli(['alerts', 'list', '--json', ...api])).stdout) as {
      alerts: { alertId: string; state: string; acknowledgement: { by: string; note: string } | null }[];
    };
    expect(after.alerts.find((one) => one.alertId === alert.alertId)).toMatchObject({
      state: 'acknowledged',
      acknowledgement: { by: 'Ann', note: 'known: campaign ended' },
    });

    const unknown = await runCli([
      'alerts',
      'ack',
      `${defId}:day:2020-01-01`,
      '--by',
      'Ann',
      '--note',
      'x',
      ...api,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404');
    expect((await runCli(['alerts', 'ack', alert.alertId, '--by', 'Ann', ...api])).code).toBe(2);
  });
});
