import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DirtyPeriods } from '../../ports/dirty-periods.js';
import { ttlSeconds } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { DIRTY_PK, dirtyKey, dirtyMinute, shardOf } from './keys.js';

const DIRTY_TTL_MS = 7 * 86_400_000;

/** Dirty marks (`DIRTY`, `<minute>#<shard>`): string sets of counter items a minute's rounds moved. */
export class DirtyPeriodItems implements DirtyPeriods {
  constructor(
    private readonly table: TableRef,
    private readonly shards: number,
  ) {}

  async markDirty(roundId: string, at: number, entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: dirtyKey(at, shardOf(roundId, this.shards)),
        UpdateExpression: 'ADD entries :entries SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':entries': { SS: [...entries] },
          ':ttl': ttlSeconds(at + DIRTY_TTL_MS),
        },
      }),
    );
  }

  async listDirty(from: number, to: number): Promise<Set<string>> {
    const items = await queryAll(this.table, {
      pk: DIRTY_PK,
      from: dirtyMinute(from),
      to: `${dirtyMinute(to)}~`,
    });
    return new Set(items.flatMap((item) => item.entries?.SS ?? []));
  }
}
