import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { type Item, s } from './attributes.js';

/** The table every item module reads and writes, through one client. */
export interface TableRef {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;

/**
 * Waits before retry `attempt` (1, 2, ...) of unprocessed batch items: exponential backoff
 * with full jitter (25 ms doubling, at most 1 s), as AWS advises for throttled batches.
 */
export function backoff(attempt: number, random: () => number = Math.random): Promise<void> {
  const ceiling = Math.min(1000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.floor(random() * ceiling)));
}

/** Every item of the keys, 100 keys a call, retrying unprocessed keys until none is left. */
export async function batchGetAll(
  table: TableRef,
  keys: readonly Item[],
  consistent = true,
): Promise<Item[]> {
  const found: Item[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
    let request: Item[] | undefined = keys.slice(start, start + BATCH_GET_KEYS);
    for (let attempt = 0; request && request.length > 0; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const result: BatchGetItemCommandOutput = await table.client.send(
        new BatchGetItemCommand({
          RequestItems: { [table.tableName]: { Keys: request, ConsistentRead: consistent } },
        }),
      );
      found.push(...(result.Responses?.[table.tableName] ?? []));
      request = result.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return found;
}

/** Puts the items, 25 a call, retrying unprocessed items until none is left. */
export async function batchPutAll(table: TableRef, items: readonly Item[]): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) {
    let pending: WriteRequest[] | undefined = items
      .slice(start, start + BATCH_WRITE_ITEMS)
      .map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const result: BatchWriteItemCommandOutput = await table.client.send(
        new BatchWriteItemCommand({ RequestItems: { [table.tableName]: pending } }),
      );
      pending = result.UnprocessedItems?.[table.tableName];
    }
  }
}

export interface PartitionQuery {
  readonly pk: string;
  /** Sort keys in [from, to]; both or neither. */
  readonly from?: string;
  readonly to?: string;
  /** Stops after this many items. */
  readonly limit?: number;
  readonly newestFirst?: boolean;
  /** @default true */
  readonly consistent?: boolean;
  readonly filter?: {
    readonly expression: string;
    readonly names: Record<string, string>;
  };
  readonly projection?: string;
}

/** Items of one partition (optionally a sort-key range), page after page. */
export async function queryAll(table: TableRef, query: PartitionQuery): Promise<Item[]> {
  const items: Item[] = [];
  const range = query.from !== undefined && query.to !== undefined;
  let startKey: Item | undefined;
  do {
    const page: QueryCommandOutput = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': s(query.pk),
          ...(range ? { ':from': s(query.from as string), ':to': s(query.to as string) } : {}),
        },
        ...(query.filter
          ? { FilterExpression: query.filter.expression, ExpressionAttributeNames: query.filter.names }
          : {}),
        ...(query.projection ? { ProjectionExpression: query.projection } : {}),
        ConsistentRead: query.consistent ?? true,
        ScanIndexForward: !query.newestFirst,
        ...(query.limit ? { Limit: query.limit - items.length } : {}),
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = query.limit && items.length >= query.limit ? undefined : page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
