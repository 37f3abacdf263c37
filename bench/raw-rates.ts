import { BatchWriteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../shared/adapters/dynamodb/table.js';
import { dynamoClient } from '../shared/compose/clients.js';

export const CALLERS = 32;

export interface RawRates {
  readonly conditionalPutsPerSecond: number;
  readonly batchWriteItemsPerSecond: number;
}

async function callers(count: number, work: (caller: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, caller) => work(caller)));
}

async function timed(task: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await task();
  return (performance.now() - start) / 1000;
}

/** Raw DynamoDB Local: single conditional puts and 25-item batch writes, 32 callers. */
export async function rawRates(endpoint: string, tableName: string): Promise<RawRates> {
  const client = dynamoClient(endpoint);
  await ensureTable(client, tableName);
  // Warm the JVM up first: its first thousand requests run interpreted.
  await callers(CALLERS, async (caller) => {
    for (let i = caller; i < 3_000; i += CALLERS) {
      await client.send(
        new PutItemCommand({ TableName: tableName, Item: { pk: { S: `w#${i}` }, sk: { S: 'x' } } }),
      );
    }
  });
  const puts = 4_000;
  const putSeconds = await timed(() =>
    callers(CALLERS, async (caller) => {
      for (let i = caller; i < puts; i += CALLERS) {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { pk: { S: `p#${i}` }, sk: { S: 'x' }, n: { N: '1' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    }),
  );
  const batched = 40_000;
  const batchSeconds = await timed(() =>
    callers(CALLERS, async (caller) => {
      for (let batch = caller; batch * 25 < batched; batch += CALLERS) {
        const items = Array.from({ length: 25 }, (_, j) => ({
          PutRequest: { Item: { pk: { S: `b#${batch * 25 + j}` }, sk: { S: 'x' }, n: { N: '1' } } },
        }));
        await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: items } }));
      }
    }),
  );
  client.destroy();
  return { conditionalPutsPerSecond: puts / putSeconds, batchWriteItemsPerSecond: batched / batchSeconds };
}
