import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { FinishedImport, HistoryImportRecords, ImportCounts } from '../../ports/history-imports.js';
import { type Item, n, s } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { VERSIONS_PK } from './keys.js';

const PART = (importId: string) => `import#${importId}#part#`;
const FINISHED = 'history#';
const END = '\uffff';

const countsOf = (item: Item): ImportCounts => JSON.parse(item.counts?.S ?? '{}') as ImportCounts;
const finishedOf = (item: Item): FinishedImport => ({
  importId: item.sk!.S!.slice(FINISHED.length),
  finishedAt: Number(item.finishedAt?.N),
  counts: countsOf(item),
});

/**
 * History imports beside the registry (`VERSIONS`): `import#<id>#part#<part>` per part and
 * `history#<id>` once finished, the items a backfill lists to know which history to read.
 */
export class HistoryImportItems implements HistoryImportRecords {
  constructor(private readonly table: TableRef) {}

  async recordPart(importId: string, part: string, counts: ImportCounts): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: { pk: s(VERSIONS_PK), sk: s(`${PART(importId)}${part}`) },
        UpdateExpression: 'SET #counts = :counts',
        ExpressionAttributeNames: { '#counts': 'counts' },
        ExpressionAttributeValues: { ':counts': s(JSON.stringify(counts)) },
      }),
    );
  }

  async readParts(importId: string): Promise<ImportCounts[]> {
    const prefix = PART(importId);
    const items = await queryAll(this.table, { pk: VERSIONS_PK, from: prefix, to: `${prefix}${END}` });
    return items.map(countsOf);
  }

  async readFinished(importId: string): Promise<FinishedImport | undefined> {
    const key = `${FINISHED}${importId}`;
    const [item] = await queryAll(this.table, { pk: VERSIONS_PK, from: key, to: key });
    return item ? finishedOf(item) : undefined;
  }

  async finish(importId: string, counts: ImportCounts, at: number): Promise<FinishedImport> {
    try {
      const result = await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: { pk: s(VERSIONS_PK), sk: s(`${FINISHED}${importId}`) },
          UpdateExpression: 'SET #counts = :counts, #at = :at',
          ConditionExpression: 'attribute_not_exists(#at)',
          ExpressionAttributeNames: { '#counts': 'counts', '#at': 'finishedAt' },
          ExpressionAttributeValues: { ':counts': s(JSON.stringify(counts)), ':at': n(at) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return finishedOf(result.Attributes!);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Finished by an earlier call: its record stands.
      const existing = await this.readFinished(importId);
      if (!existing) throw error;
      return existing;
    }
  }

  async listFinished(): Promise<FinishedImport[]> {
    const items = await queryAll(this.table, { pk: VERSIONS_PK, from: FINISHED, to: `${FINISHED}${END}` });
    return items
      .map(finishedOf)
      .sort((a, b) => a.finishedAt - b.finishedAt || (a.importId < b.importId ? -1 : 1));
  }
}
