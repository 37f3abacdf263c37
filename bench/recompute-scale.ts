import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../shared/adapters/dynamodb/table.js';
import { dynamoClient } from '../shared/compose/clients.js';
import { storesFor } from '../shared/compose/pipeline.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import { recompute } from '../shared/use-cases/recompute/recompute.js';

export interface RecomputeScaleResult {
  readonly events: number;
  readonly seconds: number;
  readonly periods: number;
  readonly calls: number;
}

/** Every item of a table. */
async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Counter items with every counter multiplied: what `factor` times the events in the same periods leave. */
function scaled(item: Record<string, AttributeValue>, factor: number): Record<string, AttributeValue> {
  if (!item.pk?.S?.startsWith('C#')) return item;
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) =>
      name.startsWith('r:') || value.N === undefined
        ? [name, value]
        : [name, { N: String(Number(value.N) * factor) }],
    ),
  );
}

/**
 * Recompute time for the same dirty periods at growing event counts. The events are
 * ingested once (`source`); bigger volumes are copies of that table whose counter values
 * are multiplied by the factor (the counters 10x or 100x the events would leave; the set
 * of counter items, dirty periods and rounds is the same). Each copy gets a fresh recompute.
 */
export async function recomputeAtScale(
  endpoint: string,
  config: NorthstarConfig,
  compiled: CompiledConfig,
  source: string,
  ingested: number,
  factors: readonly number[],
  now: number,
  since: number,
): Promise<RecomputeScaleResult[]> {
  const client = dynamoClient(endpoint);
  const items = (await scanAll(client, source)).filter(
    (item) =>
      !item.pk?.S?.startsWith('ROLL#') && !item.pk?.S?.startsWith('ALERT') && item.pk?.S !== 'RECOMPUTE',
  );
  const results: RecomputeScaleResult[] = [];
  for (const factor of factors) {
    const tableName = `${source}-x${factor}`;
    await ensureTable(client, tableName);
    for (let start = 0; start < items.length; start += 25) {
      let pending = items
        .slice(start, start + 25)
        .map((item) => ({ PutRequest: { Item: scaled(item, factor) } }));
      while (pending.length > 0) {
        const answer = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = (answer.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
    const counted = dynamoClient(endpoint);
    const calls = { count: 0 };
    counted.middlewareStack.add(
      (next) => async (args) => {
        calls.count++;
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const started = performance.now();
    const summary = await recompute(
      {
        ...storesFor(config, counted, tableName),
        compiled,
        bus: { publish: async () => undefined, publishDigests: async () => undefined },
        clock: () => now,
      },
      { since },
    );
    results.push({
      events: ingested * factor,
      seconds: (performance.now() - started) / 1000,
      periods: summary.periods,
      calls: calls.count,
    });
    counted.destroy();
  }
  client.destroy();
  return results;
}
