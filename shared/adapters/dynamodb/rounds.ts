import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { roundIdPrefix } from '../../domain/round-id.js';
import type { RoundRecord } from '../../ports/users-and-rounds.js';
import { n, s, ttlSeconds } from './attributes.js';
import { batchGetAll, queryAll, type TableRef } from './batch.js';
import { roundKey, roundPartition } from './keys.js';

/** A round's ledger outlives any worker and any recovery of it. */
export const ROUND_TTL_MS = 7 * 86_400_000;

/** Round items (`R#<shard>`, sorted by id, so by creation time): the ledger crash recovery reads. */
export class RoundItems {
  /** Finish times of rounds already looked up: immutable once set, so safe to keep. */
  private readonly finishedRounds = new Map<string, number>();

  constructor(
    private readonly table: TableRef,
    private readonly shards: number,
  ) {}

  /** When a round finished, if this process has seen it finished (0: long gone). */
  finishedAt(roundId: string): number | undefined {
    return this.finishedRounds.get(roundId);
  }

  /** Remembers a round whose ledger expired: it finished or was recovered long ago. */
  forgetExpired(roundId: string): void {
    this.finishedRounds.set(roundId, 0);
  }

  async getRounds(roundIds: readonly string[]): Promise<Map<string, RoundRecord>> {
    const items = await batchGetAll(
      this.table,
      roundIds.map((id) => roundKey(id, this.shards)),
    );
    return new Map(
      items.map((item) => {
        const id = item.sk?.S ?? '';
        const round: RoundRecord = {
          id,
          users: item.users?.SS ?? [],
          createdAt: Number(item.at?.N ?? 0),
          ...(item.done?.N ? { doneAt: Number(item.done.N) } : {}),
          ...(item.scope?.S ? { scope: item.scope.S } : {}),
        };
        if (round.doneAt !== undefined) this.finishedRounds.set(id, round.doneAt);
        return [id, round];
      }),
    );
  }

  async putRound(round: RoundRecord): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: {
          ...roundKey(round.id, this.shards),
          users: { SS: [...round.users] },
          at: n(round.createdAt),
          ...(round.scope ? { scope: s(round.scope) } : {}),
          ttl: ttlSeconds(round.createdAt + ROUND_TTL_MS),
        },
      }),
    );
  }

  async finishRound(roundId: string, doneAt: number): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: roundKey(roundId, this.shards),
        UpdateExpression: 'SET #done = :done',
        ExpressionAttributeNames: { '#done': 'done' },
        ExpressionAttributeValues: { ':done': n(doneAt) },
      }),
    );
  }

  async listOpenRounds(from: number, to: number): Promise<string[]> {
    const ids: string[] = [];
    for (let shard = 0; shard < this.shards; shard++) {
      const items = await queryAll(this.table, {
        pk: roundPartition(shard),
        from: roundIdPrefix(from),
        to: roundIdPrefix(to),
        filter: { expression: 'attribute_not_exists(#done)', names: { '#done': 'done' } },
        projection: 'sk',
        consistent: false,
      });
      ids.push(...items.map((item) => item.sk?.S ?? ''));
    }
    return ids;
  }
}
