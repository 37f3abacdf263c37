import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type AcceptedEventTimes, type IngestFreshness, latestAccepted } from '../../domain/freshness.js';
import type { Freshness } from '../../ports/freshness.js';
import { n } from './attributes.js';
import type { TableRef } from './batch.js';
import { INGEST_STATUS_KEY } from './keys.js';

/**
 * One `STATUS` item holds the latest accepted event. Ingest writes it at most once per
 * batch, never per event, and only forward: a slow worker that commits an older batch
 * after a newer one leaves the newer times in place.
 */
export class FreshnessItem implements Freshness {
  constructor(private readonly table: TableRef) {}

  async recordAccepted(accepted: readonly AcceptedEventTimes[], committedAt: number): Promise<void> {
    const latest = latestAccepted(accepted, committedAt);
    if (!latest) return;
    try {
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: INGEST_STATUS_KEY,
          UpdateExpression: 'SET arrivedAt = :arrived, occurredAt = :occurred, committedAt = :committed',
          // The same order as isNewerThan in the domain.
          ConditionExpression:
            'attribute_not_exists(arrivedAt) OR arrivedAt < :arrived OR (arrivedAt = :arrived AND occurredAt <= :occurred)',
          ExpressionAttributeValues: {
            ':arrived': n(latest.arrivedAt),
            ':occurred': n(latest.occurredAt),
            ':committed': n(latest.committedAt),
          },
        }),
      );
    } catch (error) {
      // A newer event is already recorded: nothing to move.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async readLatest(): Promise<IngestFreshness | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: INGEST_STATUS_KEY, ConsistentRead: true }),
    );
    const item = result.Item;
    if (!item?.arrivedAt?.N || !item.occurredAt?.N || !item.committedAt?.N) return undefined;
    return {
      occurredAt: Number(item.occurredAt.N),
      arrivedAt: Number(item.arrivedAt.N),
      committedAt: Number(item.committedAt.N),
    };
  }
}
