import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from 'vitest';
import { ensureTable, TABLE_KEYS } from '../../shared/adapters/dynamodb/table.js';
import { localClient } from '../support/dynamo.js';

/** DynamoDB Local deletes expired items by the real time; only a writer on the real clock turns TTL on. */
describe('table expiry', () => {
  const client = localClient();
  const ttlOf = async (tableName: string) =>
    (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;

  test('It should turn TTL on by default, on the ttl attribute', async () => {
    const name = `t-${randomUUID()}`;
    await ensureTable(client, name);
    expect(await ttlOf(name)).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: TABLE_KEYS.ttlAttribute,
    });
  });

  test('It should leave TTL off for a writer on a clock of its own', async () => {
    const name = `t-${randomUUID()}`;
    await ensureTable(client, name, { expireItems: false });
    expect((await ttlOf(name))?.TimeToLiveStatus).toBe('DISABLED');
  });
});
