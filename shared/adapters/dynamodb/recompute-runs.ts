import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RecomputeRuns } from '../../ports/recompute-runs.js';
import { n } from './attributes.js';
import type { TableRef } from './batch.js';
import { RECOMPUTE_STATE_KEY } from './keys.js';

/** The recompute's own state (`RECOMPUTE`, `state`): when it last ran, and how far it judged. */
export class RecomputeRunItem implements RecomputeRuns {
  constructor(private readonly table: TableRef) {}

  private async read(attribute: 'lastRunAt' | 'settledThrough'): Promise<number | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: RECOMPUTE_STATE_KEY, ConsistentRead: true }),
    );
    const value = result.Item?.[attribute]?.N;
    return value ? Number(value) : undefined;
  }

  /** Sets the attribute unless a later run already moved it further. */
  private async advance(attribute: 'lastRunAt' | 'settledThrough', at: number): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: RECOMPUTE_STATE_KEY,
          UpdateExpression: 'SET #at = :at',
          ConditionExpression: 'attribute_not_exists(#at) OR #at < :at',
          ExpressionAttributeNames: { '#at': attribute },
          ExpressionAttributeValues: { ':at': n(at) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  lastRunAt() {
    return this.read('lastRunAt');
  }

  setLastRunAt(at: number) {
    return this.advance('lastRunAt', at);
  }

  settledThrough() {
    return this.read('settledThrough');
  }

  setSettledThrough(at: number) {
    return this.advance('settledThrough', at);
  }
}
