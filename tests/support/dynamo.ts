import { randomUUID } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { sumCounterRows } from '../../shared/adapters/dynamodb/counters.js';
import { ensureTable } from '../../shared/adapters/dynamodb/table.js';
import { dynamoClient } from '../../shared/compose/clients.js';
import { storesFor } from '../../shared/compose/pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';

/** The DynamoDB Local that the global setup started for this test run. */
export function localClient(): DynamoDBClient {
  return dynamoClient(inject('dynamoEndpoint'));
}

/**
 * A fresh table per test keeps tests independent on one DynamoDB Local. Tests run on fixed
 * clocks, so TTL stays off: DynamoDB Local would delete their items by the real time.
 */
export async function freshTable(client: DynamoDBClient): Promise<string> {
  const name = `t-${randomUUID()}`;
  await ensureTable(client, name, { expireItems: false });
  return name;
}

export async function freshStore(config: NorthstarConfig, client = localClient()) {
  const tableName = await freshTable(client);
  return { client, tableName, stores: storesFor(config, client, tableName) };
}

/** Every counter in the table summed over shards: `<item>` -> field -> value. */
export async function allCounters(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, Record<string, number>>> {
  const rowsByItem = new Map<string, Record<string, AttributeValue>[]>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const row of page.Items ?? []) {
      const pk = row.pk?.S ?? '';
      if (pk.startsWith('C#')) rowsByItem.set(pk.slice(2), [...(rowsByItem.get(pk.slice(2)) ?? []), row]);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const totals: Record<string, Record<string, number>> = {};
  for (const [item, rows] of rowsByItem) {
    const fields = sumCounterRows(rows);
    if (fields.size > 0) totals[item] = Object.fromEntries(fields);
  }
  return totals;
}
