import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startRuntime } from '../../local/runtime.js';
import type { CompiledConfig } from '../../shared/domain/engine/compiled-config.js';
import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import { runCli } from '../cli/cli-runner.js';
import { allCounters } from '../support/dynamo.js';
import { demoDays, redefined } from '../support/redefined-config.js';
import { ofVersions, referenceOf } from '../support/reference.js';
import { type Child, kill9, startChild } from '../support/runtime-child.js';
import { sampledEvents, sendBatches } from '../support/sampled-events.js';

const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Waits until the backfill has counted some entries but not all, then kills the child. */
async function killDuringBackfill(child: Child, dataDir: string): Promise<number> {
  for (let waited = 0; waited < 60_000; waited += 20) {
    const versions = (await (await fetch(new URL('/api/versions', child.url))).json()) as VersionsResponse;
    if (versions.backfill && versions.backfill.events > 0) {
      await kill9(child, dataDir);
      return versions.backfill.percent;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the backfill never started');
}

/** The counters of the shown versions, once a restart on the same directory has finished the backfill. */
async function afterRestart(dataDir: string, config = redefined) {
  const runtime = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0 });
  try {
    await runtime.backfilled();
    await runtime.drained();
    const compiled: CompiledConfig = runtime.compiled;
    const ids = Object.values(compiled.defIds);
    const counters = await allCounters(runtime.stores.client, 'northstar');
    const shown = ofVersions(counters, ids);
    return { shown, compiled };
  } finally {
    await runtime.stop();
  }
}

describe('a backfill killed with kill -9', () => {
  test('It should resume after a restart and give the new versions the numbers of a pipeline that had them from the start', async () => {
    // Arrange: a history counted with the first definitions.
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-backfill-crash-'));
    dirs.push(dataDir);
    const events = sampledEvents({ count: 3000, users: 120, days: 5, seed: 21 });
    const first = await startChild(dataDir);
    await sendBatches(first.url, events);
    await first.ask('drained');
    await first.ask('stop');

    // Act: killed while the backfill of the changed definitions runs; restarted.
    const percent = await killDuringBackfill(await startChild(dataDir, 'redefined'), dataDir);
    const { shown, compiled } = await afterRestart(dataDir);

    // Assert
    expect(percent).toBeLessThan(100);
    expect(shown).toEqual(referenceOf(events, compiled));
  }, 150_000);

  test('It should resume the rebuild after an import when killed during it', async () => {
    // Arrange: live traffic of two days, and an export of three weeks that overlaps it.
    const dataDir = await mkdtemp(join(tmpdir(), 'northstar-import-crash-'));
    dirs.push(dataDir);
    const past = sampledEvents({ count: 2500, users: 120, days: 21, seed: 21, prefix: 'h' });
    const recent = past.filter((event) => Date.parse(event.occurredAt) > Date.now() - 2 * 86_400_000);
    const child = await startChild(dataDir);
    await sendBatches(child.url, recent);
    await child.ask('drained');
    const input = `${dataDir}-export.ndjson`;
    dirs.push(input, `${input}.import.json`);
    await writeFile(
      input,
      past.map((event) => `${JSON.stringify({ source: 'app.web', ...event })}\n`).join(''),
    );

    // Act: the import ends, the rebuild starts, and the runtime is killed during it.
    const result = await runCli(['import', input, '--endpoint', child.url, '--api-url', child.url]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    await killDuringBackfill(child, dataDir);
    const { shown, compiled } = await afterRestart(dataDir, demoDays);

    // Assert: every event once, imported ones as if on time.
    expect(shown).toEqual(referenceOf(past, compiled));
  }, 150_000);
});
