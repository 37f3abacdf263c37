import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packCalls } from '../client/pack-entries.js';
import type { PutEntry } from '../local/entries.js';
import { startRuntime } from '../local/runtime.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { sendCalls } from './local-runtime.js';

export interface BackfillResult {
  readonly events: number;
  /** Live ingest: from the first PutEvents call until every event is counted. */
  readonly liveSeconds: number;
  /** The backfill of the changed definitions: from the restarted runtime's start until they are shown. */
  readonly backfillSeconds: number;
}

/**
 * Live ingest of `entries` through PutEvents, then a restart with `redefined` and its
 * backfill from the archive, on the same data directory and in the same run: the rate a
 * new definition catches up at against the rate its events came in.
 */
export async function backfillRate(
  config: NorthstarConfig,
  redefined: NorthstarConfig,
  entries: readonly PutEntry[],
  events: number,
  at: number,
): Promise<BackfillResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'northstar-bench-backfill-'));
  try {
    const live = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0, clock: () => at });
    const client = eventBridgeClient(live.url);
    const liveStarted = performance.now();
    await sendCalls(client, packCalls(entries));
    await live.drained();
    const liveSeconds = (performance.now() - liveStarted) / 1000;
    client.destroy();
    await live.stop();
    const again = await startRuntime({
      config: redefined,
      port: 0,
      dataDir,
      recomputeEveryMs: 0,
      clock: () => at,
    });
    // From the runtime's start on: DynamoDB Local's own start is not the backfill's.
    const backfillStarted = performance.now();
    await again.backfilled();
    const backfillSeconds = (performance.now() - backfillStarted) / 1000;
    await again.stop();
    return { events, liveSeconds, backfillSeconds };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
