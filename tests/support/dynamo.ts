import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { NorthstarConfig } from '../../shared/config/schema.js';
import { dynamoClient, storeFor } from '../../shared/runtime/pipeline-env.js';
import { ensureTable } from '../../shared/store/table.js';

/** The DynamoDB Local that the global setup started for this test run. */
export function localClient(): DynamoDBClient {
  return dynamoClient(inject('dynamoEndpoint'));
}

/** A fresh table per test keeps tests independent on one DynamoDB Local. */
export async function freshTable(client: DynamoDBClient): Promise<string> {
  const name = `t-${randomUUID()}`;
  await ensureTable(client, name);
  return name;
}

export async function freshStore(config: NorthstarConfig, client = localClient()) {
  const tableName = await freshTable(client);
  return { client, tableName, store: storeFor(config, client, tableName) };
}

/** Every counter in the table summed over shards: `<item>` -> field -> value. */
export async function allCounters(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, Record<string, number>>> {
  const totals: Record<string, Record<string, number>> = {};
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const row of page.Items ?? []) {
      const pk = row.pk?.S ?? '';
      if (!pk.startsWith('C#')) continue;
      const item = pk.slice(2);
      for (const [name, value] of Object.entries(row)) {
        if (name === 'pk' || name === 'sk' || name.startsWith('r:') || value.N === undefined) continue;
        const fields = (totals[item] ??= {});
        fields[name] = (fields[name] ?? 0) + Number(value.N);
        if (fields[name] === 0) delete fields[name];
      }
      if (totals[item] && Object.keys(totals[item]).length === 0) delete totals[item];
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return totals;
}
