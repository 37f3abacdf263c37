import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type {
  BackfillRun,
  BackfillRuns,
  NewBackfillRun,
  PartitionProgress,
} from '../../ports/backfill-runs.js';
import { type Item, n, s } from './attributes.js';
import type { TableRef } from './batch.js';
import { backfillRunKey } from './keys.js';

const PROGRESS = 'progress#';
const progressName = (partition: number) => `${PROGRESS}${String(partition).padStart(3, '0')}`;

function runOf(item: Item | undefined): BackfillRun | undefined {
  if (!item?.executionName?.S) return undefined;
  const progress: Record<string, PartitionProgress> = {};
  for (const [name, value] of Object.entries(item))
    if (name.startsWith(PROGRESS) && value.S)
      progress[name.slice(PROGRESS.length)] = JSON.parse(value.S) as PartitionProgress;
  return {
    generation: Number(item.generation?.N),
    executionName: item.executionName.S,
    scopes: JSON.parse(item.scopes?.S ?? '[]') as string[],
    startedAt: Number(item.startedAt?.N),
    cut: Number(item.cut?.N),
    partitions: Number(item.partitions?.N),
    partitioned: Number(item.partitioned?.N ?? 0),
    progress,
    ...(item.doneAt?.N ? { doneAt: Number(item.doneAt.N) } : {}),
  };
}

/**
 * Backfill runs (`VERSIONS`, `backfill#<generation>`): one item each, which the workers'
 * progress joins as one attribute per partition, so a step's progress is one UpdateItem
 * that no other partition's write conflicts with.
 */
export class BackfillRunItems implements BackfillRuns {
  constructor(private readonly table: TableRef) {}

  async readRun(generation: number): Promise<BackfillRun | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({
        TableName: this.table.tableName,
        Key: backfillRunKey(generation),
        ConsistentRead: true,
      }),
    );
    return runOf(result.Item);
  }

  async createRun(run: NewBackfillRun): Promise<BackfillRun> {
    try {
      const result = await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: backfillRunKey(run.generation),
          UpdateExpression:
            'SET #generation = :generation, #name = :name, #scopes = :scopes, #startedAt = :startedAt, #cut = :cut, #partitions = :partitions',
          ConditionExpression: 'attribute_not_exists(#name)',
          // Some of these are DynamoDB reserved words.
          ExpressionAttributeNames: {
            '#generation': 'generation',
            '#name': 'executionName',
            '#scopes': 'scopes',
            '#startedAt': 'startedAt',
            '#cut': 'cut',
            '#partitions': 'partitions',
          },
          ExpressionAttributeValues: {
            ':generation': n(run.generation),
            ':name': s(run.executionName),
            ':scopes': s(JSON.stringify(run.scopes)),
            ':startedAt': n(run.startedAt),
            ':cut': n(run.cut),
            ':partitions': n(run.partitions),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return runOf(result.Attributes)!;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another planner recorded it first: theirs stands.
      const existing = await this.readRun(run.generation);
      if (!existing) throw error;
      return existing;
    }
  }

  async addPartitioned(generation: number, entries: number): Promise<void> {
    await this.update(generation, 'ADD #n :n', { ':n': n(entries) }, { '#n': 'partitioned' });
  }

  async recordProgress(generation: number, partition: number, progress: PartitionProgress): Promise<void> {
    await this.update(
      generation,
      'SET #p = :p',
      { ':p': s(JSON.stringify(progress)) },
      {
        '#p': progressName(partition),
      },
    );
  }

  async finishRun(generation: number, at: number): Promise<void> {
    await this.update(generation, 'SET #at = if_not_exists(#at, :at)', { ':at': n(at) }, { '#at': 'doneAt' });
  }

  private async update(
    generation: number,
    expression: string,
    values: Item,
    names?: Record<string, string>,
  ): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: backfillRunKey(generation),
        UpdateExpression: expression,
        ExpressionAttributeValues: values,
        ...(names ? { ExpressionAttributeNames: names } : {}),
      }),
    );
  }
}
