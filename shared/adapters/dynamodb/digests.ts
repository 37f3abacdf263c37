import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ReviewDigest } from '../../domain/review/review-digest.js';
import type { DigestKey, Digests, StoredDigest } from '../../ports/digests.js';
import { bool, type Item, n, s } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { conditional } from './conditional.js';
import { DIGEST_PK, digestKey } from './keys.js';

function storedDigest(item: Item): StoredDigest {
  return {
    digest: ReviewDigest.parse(JSON.parse(item.data?.S ?? '{}')),
    recordedAt: Number(item.at?.N ?? 0),
    sent: item.sent?.BOOL === true,
  };
}

/**
 * Digest items (`DIGEST`, `<period end>#<team>#<cadence>`): one per owner team, cadence and
 * review period, with the bus outbox flag. Few a day, so one partition holds them all.
 */
export class DigestItems implements Digests {
  constructor(private readonly table: TableRef) {}

  recordDigest(digest: ReviewDigest, at: number): Promise<boolean> {
    return conditional(
      this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: { ...digestKey(digest), data: s(JSON.stringify(digest)), at: n(at), sent: bool(false) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getDigest(key: DigestKey): Promise<StoredDigest | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: digestKey(key), ConsistentRead: true }),
    );
    return result.Item ? storedDigest(result.Item) : undefined;
  }

  async markDigestSent(key: DigestKey): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: digestKey(key),
        UpdateExpression: 'SET sent = :yes',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':yes': bool(true) },
      }),
    );
  }

  async listDigests(from: string, to: string, team?: string): Promise<StoredDigest[]> {
    const items = await queryAll(this.table, { pk: DIGEST_PK, from, to: `${to}~`, newestFirst: true });
    return items.filter((item) => team === undefined || item.sk?.S?.split('#')[1] === team).map(storedDigest);
  }

  async unsentDigests(from: string, to: string, before: number): Promise<ReviewDigest[]> {
    const items = await queryAll(this.table, { pk: DIGEST_PK, from, to: `${to}~` });
    return items
      .filter((item) => item.sent?.BOOL === false && Number(item.at?.N ?? 0) < before)
      .map((item) => storedDigest(item).digest);
  }
}
