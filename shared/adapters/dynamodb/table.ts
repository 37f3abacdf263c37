import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/** One table holds every item type; see docs/data-model.md. The CDK stack declares the same keys. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' } as const;

export interface TableOptions {
  /**
   * Turns TTL on. DynamoDB (DynamoDB Local too, a few items a second) deletes expired items by
   * the real time, so a writer on a clock of its own (a test, a replay) keeps it off: its dirty
   * marks and rounds carry expiry times of that clock. @default true
   */
  readonly expireItems?: boolean;
}

/** Creates the table (local runtime and tests) unless it exists. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  { expireItems = true }: TableOptions = {},
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  if (!expireItems) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    }),
  );
}
