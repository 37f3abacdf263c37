import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Grain } from '../../domain/config/schema.js';
import type { Rollup } from '../../domain/rollup.js';
import type { Rollups } from '../../ports/rollups.js';
import { type Item, s } from './attributes.js';
import { batchGetAll, queryAll, type TableRef } from './batch.js';
import { rollupPk } from './keys.js';

// Written only by the recompute from a typed Rollup: read back as it was written.
const rollupOf = (item: Item) => JSON.parse(item.data?.S ?? '{}') as Rollup;

/** Rollup items (`ROLL#<definition version>#<grain>`, sorted by period): what dashboards read. */
export class RollupItems implements Rollups {
  constructor(private readonly table: TableRef) {}

  async putRollup(rollup: Rollup): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: {
          pk: s(rollupPk(rollup.defId, rollup.grain)),
          sk: s(rollup.period),
          data: s(JSON.stringify(rollup)),
        },
      }),
    );
  }

  async getRollups(defId: string, grain: Grain, periods: readonly string[]): Promise<Map<string, Rollup>> {
    const keys = [...new Set(periods)].map((period) => ({ pk: s(rollupPk(defId, grain)), sk: s(period) }));
    const items = await batchGetAll(this.table, keys);
    return new Map(items.map(rollupOf).map((rollup) => [rollup.period, rollup]));
  }

  async rollupRange(defId: string, grain: Grain, from: string, to: string): Promise<Rollup[]> {
    return (await queryAll(this.table, { pk: rollupPk(defId, grain), from, to })).map(rollupOf);
  }

  async earliestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]> {
    return (await queryAll(this.table, { pk: rollupPk(defId, grain), limit: count })).map(rollupOf);
  }

  async latestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]> {
    const items = await queryAll(this.table, { pk: rollupPk(defId, grain), limit: count, newestFirst: true });
    return items.map(rollupOf).reverse();
  }
}
