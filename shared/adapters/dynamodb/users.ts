import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DeltasJson } from '../../domain/engine/deltas.js';
import type { UserState } from '../../domain/engine/user-state.js';
import { WriteRefusedError } from '../../domain/errors.js';
import type { StoredUser } from '../../ports/users-and-rounds.js';
import { type Item, n } from './attributes.js';
import { batchGetAll, type TableRef } from './batch.js';
import { userKey, userPrefix } from './keys.js';
import { decodeUserItem, encodeUserItem } from './user-item-codec.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * DynamoDB refused the request itself (a validation error, an item over the size limit) on
 * the first and only attempt, so it was not applied. A client error after a retry is no
 * proof: the first attempt may have landed with its answer lost.
 */
function isRefusedRequest(error: unknown): boolean {
  const fault =
    (error as { $fault?: string; name?: string; $metadata?: { attempts?: number } } | undefined) ?? {};
  return (
    fault.$fault === 'client' && !THROTTLING.has(fault.name ?? '') && (fault.$metadata?.attempts ?? 1) === 1
  );
}

/** A user item: the compact encoding, or the JSON attributes items written before it used. */
function storedUser(item: Item): StoredUser {
  const version = Number(item.v?.N ?? 0);
  if (item.b?.B) return { ...decodeUserItem(item.b.B), version };
  return {
    state: JSON.parse(item.st?.S ?? '{}') as UserState,
    version,
    pending: JSON.parse(item.pd?.S ?? '{}') as Record<string, DeltasJson>,
  };
}

/** User items (`U#<scope>#<userId>`): state, version and pending round deltas in one binary value. */
export class UserItems {
  constructor(
    private readonly table: TableRef,
    private readonly scope: string,
  ) {}

  async getUsers(userIds: readonly string[], scope = this.scope): Promise<Map<string, StoredUser>> {
    const items = await batchGetAll(
      this.table,
      userIds.map((id) => userKey(scope, id)),
    );
    const prefix = userPrefix(scope);
    return new Map(items.map((item) => [(item.pk?.S ?? '').slice(prefix.length), storedUser(item)]));
  }

  async commitUser(
    userId: string,
    expectedVersion: number,
    state: UserState,
    pending: Record<string, DeltasJson>,
    roundId: string,
  ): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: {
            ...userKey(this.scope, userId),
            v: n(expectedVersion + 1),
            b: { B: encodeUserItem({ state, pending }) },
          },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': n(expectedVersion) } }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (isRefusedRequest(error) && !(error instanceof ConditionalCheckFailedException))
        throw new WriteRefusedError(
          `DynamoDB refused the write of user ${userId}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The SDK retries a write whose answer was lost (a reset socket, a timeout): if the
      // first attempt landed, the retry fails its own condition. The item then holds this
      // round's deltas, which no other worker writes: the commit is ours.
      return (
        error.Item !== undefined &&
        pending[roundId] !== undefined &&
        roundId in storedUser(error.Item).pending
      );
    }
  }
}
