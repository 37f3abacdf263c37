import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import type { BusEvent } from '../../local/event-bus.js';
import { startRuntime } from '../../local/runtime.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import type { MetricSeries } from '../../shared/use-cases/read-api/schemas.js';
import { runCli } from '../cli/cli-runner.js';
import { allCounters } from '../support/dynamo.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { sampledEvents, sendBatches } from '../support/sampled-events.js';

const config = parseConfig({ ...demo, grains: ['day', 'week', 'month'] });
const DAY = 86_400_000;
/** The payments export's columns, as `northstar import --map` takes them. */
const PAYMENTS_MAP =
  'name=@payment_succeeded,eventId=id,userId=user,occurredAt=at,properties.amount:number=amount,properties.currency=currency,properties.plan=plan';
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const csvCell = (value: unknown) =>
  typeof value === 'string' && /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : String(value ?? '');

describe('history import on the local runtime', () => {
  test('It should count eight imported weeks as if on time, with overlapping live events once, bands at once and no alert sent', async () => {
    // Arrange: a runtime with two days of live traffic; an export of eight weeks that overlaps it.
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-import-'));
    dirs.push(dataDir);
    const sent: BusEvent[] = [];
    const runtime = await startRuntime({
      config,
      port: 0,
      dataDir,
      recomputeEveryMs: 0,
      onAlert: (event) => sent.push(event),
    });
    try {
      const past = sampledEvents({
        count: 56 * 30,
        users: 60,
        days: 56,
        minMinutesAgo: 60,
        seed: 9,
        prefix: 'h',
      });
      const recent = past.filter((event) => Date.parse(event.occurredAt) > Date.now() - 2 * DAY);
      await sendBatches(runtime.url, recent);
      await runtime.drained();
      await runtime.recomputeNow();
      const payments = past.filter((event) => event.name === 'payment_succeeded');
      const others = past.filter((event) => event.name !== 'payment_succeeded');
      const input = join(dataDir, '..', `${join(dataDir).split('/').pop()}-export`);
      dirs.push(input, `${input}.import`, `${input}.import.json`);
      await rm(input, { recursive: true, force: true });
      await import('node:fs/promises').then(({ mkdir }) => mkdir(input));
      await writeFile(
        join(input, 'events.ndjson'),
        others.map((event) => `${JSON.stringify({ source: 'app.web', ...event })}\n`).join(''),
      );
      // The payments as a warehouse exports them: a CSV with its own column names.
      await writeFile(
        join(input, 'payments.csv'),
        [
          'id,user,at,amount,currency,plan',
          ...payments.map((event) =>
            [
              event.eventId,
              event.userId,
              event.occurredAt,
              ...['amount', 'currency', 'plan'].map((key) => event.properties?.[key]),
            ]
              .map(csvCell)
              .join(','),
          ),
        ].join('\n'),
      );
      const startedAt = Date.now();
      const sentBefore = sent.length;

      // Act
      const command = [
        'import',
        input,
        '--source',
        'app.web',
        '--map',
        PAYMENTS_MAP,
        '--endpoint',
        runtime.url,
        '--api-url',
        runtime.url,
      ];
      const result = await runCli([...command, '--wait']);
      await runtime.backfilled();
      await runtime.recomputeNow();

      // Assert: every event once, as a pipeline that had received them all on time counts.
      expect(result.stderr).not.toMatch(/northstar import:/);
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toContain(`${past.length - recent.length} events joined the history`);
      expect(result.stdout).toContain(`${recent.length} already known`);
      const counters = await allCounters(runtime.stores.client, 'northstar');
      const shownIds = Object.values(runtime.compiled.defIds);
      expect(ofVersions(counters, shownIds)).toEqual(
        ofVersions(referenceOf(past, runtime.compiled), shownIds),
      );

      // The day metric has its band right away: the settled days of the last week are judged.
      const response = await fetch(
        new URL(
          `/api/metrics/daily_signups/series?grain=day&from=${new Date(Date.now() - 8 * DAY).toISOString()}`,
          runtime.url,
        ),
      );
      const series = (await response.json()) as MetricSeries;
      const settled = series.points.filter((point) => point.settled);
      expect(settled.length).toBeGreaterThanOrEqual(6);
      for (const point of settled) expect(['normal', 'deviating'], point.period).toContain(point.status);

      // No deviation of a period that had settled before the import was sent to anyone (a
      // target's pace is about the review period now, and may be).
      const aboutHistory = sent
        .slice(sentBefore)
        .map((event) => event.detail as { alertId: string; kind: string; periodEnd: string })
        .filter(
          (alert) => alert.kind !== 'target_off_track' && Date.parse(alert.periodEnd) < startedAt - 3_600_000,
        );
      expect(aboutHistory.map((alert) => alert.alertId)).toEqual([]);

      // A second run of the same command finds the import finished and changes nothing.
      const again = await runCli(command);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(await allCounters(runtime.stores.client, 'northstar')).toEqual(counters);
    } finally {
      await runtime.stop();
    }
  }, 150_000);
});
