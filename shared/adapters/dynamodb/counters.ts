import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Deltas } from '../../domain/engine/deltas.js';
import { roundCreatedAt } from '../../domain/round-id.js';
import type { Counters } from '../../ports/counters.js';
import { type Item, n } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { counterKey, counterPk, MARKER_PREFIX, shardOf } from './keys.js';
import { ROUND_TTL_MS, type RoundItems } from './rounds.js';

const WRITE_CONCURRENCY = 16;

/** Runs tasks with a bound on how many write at once. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++] as T);
  });
  await Promise.all(workers);
}

/** Adds up the counters of a period's shard items, leaving keys and round markers out. */
export function sumCounterRows(rows: readonly Item[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (name === 'pk' || name === 'sk' || name.startsWith(MARKER_PREFIX) || value.N === undefined) continue;
      const total = (totals.get(name) ?? 0) + Number(value.N);
      if (total === 0) totals.delete(name);
      else totals.set(name, total);
    }
  }
  return totals;
}

export interface CounterItemsOptions {
  readonly shards: number;
  /** A finished round's markers stay on counter items this long, for late recoverers. */
  readonly maxRoundMs: number;
}

/**
 * Counter items (`C#<item>`, one per shard): each round's deltas are added once, guarded by
 * the round's marker attribute; markers of rounds long finished are removed on later writes.
 */
export class CounterItems implements Counters {
  /** Round ids seen as markers per counter item: candidates to remove on the next write. */
  private readonly markerCandidates = new Map<string, Set<string>>();

  constructor(
    private readonly table: TableRef,
    private readonly rounds: RoundItems,
    private readonly options: CounterItemsOptions,
  ) {}

  /**
   * Markers of rounds that finished longer than a round's time limit ago can go; never the
   * marker of the round being applied, which the same update sets (a round whose ledger
   * expired can be applied again by recovery).
   */
  private async removableMarkers(
    itemIds: readonly string[],
    roundId: string,
    now: number,
  ): Promise<Map<string, string[]>> {
    const candidates = new Set<string>();
    for (const id of itemIds)
      for (const round of this.markerCandidates.get(id) ?? []) if (round !== roundId) candidates.add(round);
    const unknown = [...candidates].filter((round) => this.rounds.finishedAt(round) === undefined);
    if (unknown.length > 0) {
      const found = await this.rounds.getRounds(unknown);
      for (const round of unknown) {
        // A ledger gone past its TTL belongs to a round long finished or recovered.
        if (!found.has(round) && roundCreatedAt(round) < now - ROUND_TTL_MS) this.rounds.forgetExpired(round);
      }
    }
    const removable = new Map<string, string[]>();
    for (const id of itemIds) {
      const rounds = [...(this.markerCandidates.get(id) ?? [])].filter((round) => {
        if (round === roundId) return false;
        const doneAt = this.rounds.finishedAt(round);
        return doneAt !== undefined && doneAt < now - this.options.maxRoundMs;
      });
      if (rounds.length > 0) removable.set(id, rounds);
    }
    return removable;
  }

  async applyCounters(roundId: string, deltas: Deltas, now: number): Promise<void> {
    const shard = shardOf(roundId, this.options.shards);
    const items = [...deltas.entries()];
    const itemIds = items.map(([item]) => `${item}|${shard}`);
    const removable = await this.removableMarkers(itemIds, roundId, now);
    await inParallel(items, WRITE_CONCURRENCY, async ([item, fields]) => {
      const itemId = `${item}|${shard}`;
      const names: Record<string, string> = { '#mark': `${MARKER_PREFIX}${roundId}` };
      const values: Record<string, AttributeValue> = { ':now': n(now) };
      const adds: string[] = [];
      let index = 0;
      for (const [field, amount] of fields) {
        names[`#f${index}`] = field;
        values[`:f${index}`] = n(amount);
        adds.push(`#f${index} :f${index}`);
        index++;
      }
      const removes = (removable.get(itemId) ?? []).map((round, i) => {
        names[`#old${i}`] = `${MARKER_PREFIX}${round}`;
        return `#old${i}`;
      });
      try {
        const result = await this.table.client.send(
          new UpdateItemCommand({
            TableName: this.table.tableName,
            Key: counterKey(item, shard),
            UpdateExpression: `ADD ${adds.join(', ')} SET #mark = :now${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'attribute_not_exists(#mark)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        const seen = new Set(this.markerCandidates.get(itemId) ?? []);
        for (const round of removable.get(itemId) ?? []) seen.delete(round);
        for (const name of Object.keys(result.Attributes ?? {})) {
          if (name.startsWith(MARKER_PREFIX) && name !== `${MARKER_PREFIX}${roundId}`)
            seen.add(name.slice(MARKER_PREFIX.length));
        }
        seen.add(roundId);
        this.markerCandidates.set(itemId, seen);
      } catch (error) {
        // The marker is there: this round's deltas reached this item before a crash.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  }

  async readCounters(item: string): Promise<Map<string, number>> {
    return sumCounterRows(await queryAll(this.table, { pk: counterPk(item) }));
  }
}
