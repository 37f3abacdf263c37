import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { BusEvent } from '../../local/event-bus.js';
import { startRuntime } from '../../local/runtime.js';
import { compileConfig } from '../../shared/domain/engine/compiled-config.js';
import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import type { AlertList, MetricSeries, MetricTree } from '../../shared/use-cases/read-api/schemas.js';
import { runCli } from '../cli/cli-runner.js';
import { allCounters } from '../support/dynamo.js';
import { demoDays, redefined } from '../support/redefined-config.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { sampledEvents, sendBatches } from '../support/sampled-events.js';

const before = demoDays;
const after = redefined;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function get<T>(url: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, url));
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** The counters of some version ids. */
describe('a redefined metric on the local runtime', () => {
  test('It should backfill the new definition from the archive while live traffic flows, show it once done, and keep the old one readable', async () => {
    // Arrange: a runtime that has counted a history with the first definitions.
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-backfill-'));
    dirs.push(dataDir);
    const events = sampledEvents({ count: 2000, users: 150, days: 5, seed: 15 });
    const history = events.slice(0, 1500);
    const live = events.slice(1500);
    const first = await startRuntime({ config: before, port: 0, dataDir, recomputeEveryMs: 0 });
    await sendBatches(first.url, history);
    await first.drained();
    await first.recomputeNow();
    await first.stop();
    const oldId = compileConfig(before).defIds['metric:weekly_visitors']!;

    // Act: start with the changed definitions; send live traffic (and resends) during the backfill.
    const sent: BusEvent[] = [];
    const runtime = await startRuntime({
      config: after,
      port: 0,
      dataDir,
      recomputeEveryMs: 0,
      onAlert: (event) => sent.push(event),
    });
    try {
      const during = await get<VersionsResponse>(runtime.url, '/api/versions');
      const tree = await get<MetricTree>(runtime.url, '/api/metrics');
      const cli = await runCli(['backfill', '--api-url', runtime.url]);
      await sendBatches(runtime.url, [...live, ...history.slice(0, 100)]);
      await runtime.backfilled();
      await runtime.drained();
      await runtime.recomputeNow();

      // Assert: while it ran, the old version was shown and the new one was backfilling.
      expect(during.backfill).not.toBeNull();
      expect(during.backfill!.percent).toBeLessThan(100);
      const visitors = (versions: VersionsResponse) =>
        versions.definitions.find((definition) => definition.key === 'metric:weekly_visitors')!.versions;
      const newId = visitors(during).find((version) => version.state === 'backfilling')!.id;
      expect(visitors(during).find((version) => version.state === 'shown')!.id).toBe(oldId);
      const visitorsNode = tree.metrics.find((metric) => metric.id === 'weekly_visitors')!;
      expect(visitorsNode.definitionVersion).toBe(oldId);
      expect(visitorsNode.backfilling).toEqual({ definitionVersion: newId });
      expect(tree.metrics.map((metric) => metric.id)).not.toContain('certified_learners');
      expect(cli.code).toBe(0);
      expect(cli.stdout).toMatch(/Generation 1 backfilling: [\d.]+% of the archive/);

      // The new versions count exactly what a pipeline defined with them from the start counts.
      const compiled = compileConfig(after);
      const newIds = [
        compiled.defIds['metric:weekly_visitors']!,
        compiled.defIds['metric:certified_learners']!,
      ];
      expect(newIds[0]).toBe(newId);
      const counters = await allCounters(runtime.stores.client, 'northstar');
      expect(ofVersions(counters, newIds)).toEqual(ofVersions(referenceOf(events, compiled), newIds));

      // Then it is shown; the old one answers with ?version=.
      const done = await get<VersionsResponse>(runtime.url, '/api/versions');
      expect(done.backfill).toBeNull();
      expect(visitors(done).map(({ id, state }) => ({ id, state }))).toEqual([
        { id: newId, state: 'shown' },
        { id: oldId, state: 'replaced' },
      ]);
      const shown = await get<MetricSeries>(runtime.url, '/api/metrics/weekly_visitors/series?grain=day');
      expect(shown.metric.definitionVersion).toBe(newId);
      const old = await get<MetricSeries>(
        runtime.url,
        `/api/metrics/weekly_visitors/series?grain=day&version=${oldId}`,
      );
      expect(old.metric.definitionVersion).toBe(oldId);
      expect(old.points.length).toBeGreaterThan(0);
      const oldCounts = old.points.map((point) => point.value);
      expect(shown.points.map((point) => point.value)).not.toEqual(oldCounts);
      const unknown = await fetch(new URL('/api/metrics/weekly_visitors/series?version=nope', runtime.url));
      expect(unknown.status).toBe(404);
      const after2 = await runCli(['backfill', '--api-url', runtime.url]);
      expect(after2.stdout).toMatch(/no backfill running/);
      expect(after2.stdout).toMatch(new RegExp(`metric:weekly_visitors\\s+${oldId}\\s+replaced`));

      // Deviations the backfill found in periods settled before the switch are history, not sent.
      const alerts = await get<AlertList>(runtime.url, '/api/alerts?from=2020-01-01T00:00:00Z');
      for (const alert of alerts.alerts.filter((alert) => newIds.includes(alert.metric.definitionVersion)))
        expect(alert.historical, alert.alertId).toBe(true);
      const sentIds = sent.map(
        (event) => (event.detail as { metric: { definitionVersion: string } }).metric.definitionVersion,
      );
      expect(sentIds.filter((id) => newIds.includes(id))).toEqual([]);
    } finally {
      await runtime.stop();
    }
  }, 120_000);
});
