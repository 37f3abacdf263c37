import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RecomputeRuns } from '../../ports/recompute-runs.js';
import { n } from './attributes.js';
import type { TableRef } from './batch.js';
import { RECOMPUTE_STATE_KEY } from './keys.js';

/** The recompute's own state (`RECOMPUTE`, `state`): when it last ran. */
export class RecomputeRunItem implements RecomputeRuns {
  constructor(private readonly table: TableRef) {}

  async lastRunAt(): Promise<number | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: RECOMPUTE_STATE_KEY, ConsistentRead: true }),
    );
    return result.Item?.lastRunAt?.N ? Number(result.Item.lastRunAt.N) : undefined;
  }

  async setLastRunAt(at: number): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: RECOMPUTE_STATE_KEY,
          UpdateExpression: 'SET lastRunAt = :at',
          ConditionExpression: 'attribute_not_exists(lastRunAt) OR lastRunAt < :at',
          ExpressionAttributeValues: { ':at': n(at) },
        }),
      );
    } catch (error) {
      // A later run already moved it further.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
