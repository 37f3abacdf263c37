import type { DynamoStores } from '../shared/adapters/dynamodb/stores.js';
import { type IngestFreshness, isNewerThan, latestAccepted } from '../shared/domain/freshness.js';

/**
 * The stores with the latest accepted event and the last recompute run kept in memory as
 * they are written. Sound only where this process is the table's one writer, as the local
 * runtime is: `GET /api/status` then answers from memory, never behind a drain's writes to
 * DynamoDB Local. Everything is still written through.
 */
export async function withStatusInMemory(stores: DynamoStores): Promise<DynamoStores> {
  let latest: IngestFreshness | undefined = await stores.freshness.readLatest();
  let lastRunAt: number | undefined = await stores.runs.lastRunAt();
  return {
    ...stores,
    freshness: {
      async recordAccepted(accepted, committedAt) {
        await stores.freshness.recordAccepted(accepted, committedAt);
        const next = latestAccepted(accepted, committedAt);
        if (next && isNewerThan(next, latest)) latest = next;
      },
      readLatest: async () => latest,
    },
    runs: {
      async setLastRunAt(at) {
        await stores.runs.setLastRunAt(at);
        lastRunAt = Math.max(lastRunAt ?? at, at);
      },
      lastRunAt: async () => lastRunAt,
      // Read by the recompute only, never behind a drain: straight through.
      settledThrough: () => stores.runs.settledThrough(),
      setSettledThrough: (at) => stores.runs.setSettledThrough(at),
    },
  };
}
