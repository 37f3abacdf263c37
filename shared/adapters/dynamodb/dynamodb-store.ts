import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Deltas, DeltasJson } from '../../domain/engine/deltas.js';
import type { UserState } from '../../domain/engine/user-state.js';
import type { Rejection } from '../../domain/events/envelope.js';
import { shortHash } from '../../domain/events/hash.js';
import {
  type IngestStore,
  type RoundRecord,
  roundCreatedAt,
  roundIdPrefix,
  type StoredUser,
} from './ingest-store.js';
import { decodeUserItem, encodeUserItem } from './user-item-codec.js';

export interface DynamoStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Counter items are spread over this many shards per period. */
  readonly counterShards: number;
  /** A finished round's markers stay on counter items this long, for late recoverers. */
  readonly maxRoundMs: number;
  /**
   * Namespace of per-user state: `live` for ingest; a backfill of a new definition
   * version gets its own, so replayed events are not taken for duplicates.
   * @default 'live'
   */
  readonly scope?: string;
}

const DAY_MS = 86_400_000;
const ROUND_TTL_MS = 7 * DAY_MS;
const QUARANTINE_TTL_MS = 30 * DAY_MS;
const DIRTY_TTL_MS = 7 * DAY_MS;
/** Keeps raw quarantined payloads under DynamoDB's 400 KB item limit. */
const MAX_RAW_CHARS = 300_000;
const MARKER = 'r:';
const WRITE_CONCURRENCY = 16;

const ttlSeconds = (epochMs: number) => ({ N: String(Math.ceil(epochMs / 1000)) });
const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

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

export function counterPk(item: string): string {
  return `C#${item}`;
}

/** Adds up the counters of a period's shard items, leaving keys and round markers out. */
export function sumCounterRows(rows: readonly Record<string, AttributeValue>[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (name === 'pk' || name === 'sk' || name.startsWith(MARKER) || value.N === undefined) continue;
      const total = (totals.get(name) ?? 0) + Number(value.N);
      if (total === 0) totals.delete(name);
      else totals.set(name, total);
    }
  }
  return totals;
}

export function shardOf(roundId: string, shards: number): number {
  return Number.parseInt(shortHash(roundId, 4).replace(/[^A-Za-z0-9]/g, '0'), 36) % shards;
}

/** A user item: the compact encoding, or the JSON attributes items written before it used. */
function storedUser(item: Record<string, AttributeValue>): StoredUser {
  const version = Number(item.v?.N ?? 0);
  if (item.b?.B) return { ...decodeUserItem(item.b.B), version };
  return {
    state: JSON.parse(item.st?.S ?? '{}') as UserState,
    version,
    pending: JSON.parse(item.pd?.S ?? '{}') as Record<string, DeltasJson>,
  };
}

/** A message given up on after its receives. */
export interface DeadLetter {
  readonly messageId: string;
  readonly deadLetteredAt: string;
  readonly body: string;
  readonly error: string;
  readonly receives: number;
}

export class DynamoStore implements IngestStore {
  /** The client every call goes through (tests add fault-injecting middleware to it). */
  readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly scope: string;
  /** Round ids seen as markers per counter item: candidates to remove on the next write. */
  private readonly markerCandidates = new Map<string, Set<string>>();
  /** Finish times of rounds already looked up (immutable once set). */
  private readonly finishedRounds = new Map<string, number>();

  constructor(private readonly options: DynamoStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.scope = options.scope ?? 'live';
  }

  private userKey(userId: string): Record<string, AttributeValue> {
    return { pk: s(`U#${this.scope}#${userId}`), sk: s('S') };
  }

  private roundKey(roundId: string): Record<string, AttributeValue> {
    return { pk: s(`R#${shardOf(roundId, this.options.counterShards)}`), sk: s(roundId) };
  }

  private async batchGet(keys: Record<string, AttributeValue>[]): Promise<Record<string, AttributeValue>[]> {
    const found: Record<string, AttributeValue>[] = [];
    for (let start = 0; start < keys.length; start += 100) {
      let request: Record<string, AttributeValue>[] | undefined = keys.slice(start, start + 100);
      for (let attempt = 0; request && request.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const result: BatchGetItemCommandOutput = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: request, ConsistentRead: true } },
          }),
        );
        found.push(...(result.Responses?.[this.table] ?? []));
        request = result.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  async getUsers(userIds: readonly string[]): Promise<Map<string, StoredUser>> {
    const items = await this.batchGet(userIds.map((id) => this.userKey(id)));
    const prefix = `U#${this.scope}#`;
    return new Map(items.map((item) => [(item.pk?.S ?? '').slice(prefix.length), storedUser(item)]));
  }

  async getRounds(roundIds: readonly string[]): Promise<Map<string, RoundRecord>> {
    const items = await this.batchGet(roundIds.map((id) => this.roundKey(id)));
    return new Map(
      items.map((item) => {
        const id = item.sk?.S ?? '';
        const round: RoundRecord = {
          id,
          users: item.users?.SS ?? [],
          createdAt: Number(item.at?.N ?? 0),
          ...(item.done?.N ? { doneAt: Number(item.done.N) } : {}),
        };
        if (round.doneAt !== undefined) this.finishedRounds.set(id, round.doneAt);
        return [id, round];
      }),
    );
  }

  async putRound(round: RoundRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...this.roundKey(round.id),
          users: { SS: [...round.users] },
          at: n(round.createdAt),
          ttl: ttlSeconds(round.createdAt + ROUND_TTL_MS),
        },
      }),
    );
  }

  async finishRound(roundId: string, doneAt: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.roundKey(roundId),
        UpdateExpression: 'SET #done = :done',
        ExpressionAttributeNames: { '#done': 'done' },
        ExpressionAttributeValues: { ':done': n(doneAt) },
      }),
    );
  }

  async listOpenRounds(from: number, to: number): Promise<string[]> {
    const ids: string[] = [];
    for (let shard = 0; shard < this.options.counterShards; shard++) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page: QueryCommandOutput = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            FilterExpression: 'attribute_not_exists(#done)',
            ProjectionExpression: 'sk',
            ExpressionAttributeNames: { '#done': 'done' },
            ExpressionAttributeValues: {
              ':pk': s(`R#${shard}`),
              ':from': s(roundIdPrefix(from)),
              ':to': s(roundIdPrefix(to)),
            },
            ExclusiveStartKey: startKey,
          }),
        );
        ids.push(...(page.Items ?? []).map((item) => item.sk?.S ?? ''));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return ids;
  }

  async commitUser(
    userId: string,
    expectedVersion: number,
    state: UserState,
    pending: Record<string, DeltasJson>,
    roundId: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.userKey(userId),
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

  /** Markers of rounds that finished longer than a round's time limit ago can go. */
  private async removableMarkers(itemIds: readonly string[], now: number): Promise<Map<string, string[]>> {
    const candidates = new Set<string>();
    for (const id of itemIds) for (const round of this.markerCandidates.get(id) ?? []) candidates.add(round);
    const unknown = [...candidates].filter((round) => !this.finishedRounds.has(round));
    if (unknown.length > 0) {
      const found = await this.getRounds(unknown);
      for (const round of unknown) {
        // A ledger gone past its TTL belongs to a round long finished or recovered.
        if (!found.has(round) && roundCreatedAt(round) < now - ROUND_TTL_MS)
          this.finishedRounds.set(round, 0);
      }
    }
    const removable = new Map<string, string[]>();
    for (const id of itemIds) {
      const rounds = [...(this.markerCandidates.get(id) ?? [])].filter((round) => {
        const doneAt = this.finishedRounds.get(round);
        return doneAt !== undefined && doneAt < now - this.options.maxRoundMs;
      });
      if (rounds.length > 0) removable.set(id, rounds);
    }
    return removable;
  }

  async applyCounters(roundId: string, deltas: Deltas, now: number): Promise<void> {
    const shard = `s${shardOf(roundId, this.options.counterShards)}`;
    const items = [...deltas.entries()];
    const itemIds = items.map(([item]) => `${item}|${shard}`);
    const removable = await this.removableMarkers(itemIds, now);
    await inParallel(items, WRITE_CONCURRENCY, async ([item, fields]) => {
      const itemId = `${item}|${shard}`;
      const names: Record<string, string> = { '#mark': `${MARKER}${roundId}` };
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
        names[`#old${i}`] = `${MARKER}${round}`;
        return `#old${i}`;
      });
      try {
        const result = await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: s(counterPk(item)), sk: s(shard) },
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
          if (name.startsWith(MARKER) && name !== `${MARKER}${roundId}`) seen.add(name.slice(MARKER.length));
        }
        seen.add(roundId);
        this.markerCandidates.set(itemId, seen);
      } catch (error) {
        // The marker is there: this round's deltas reached this item before a crash.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  }

  async markDirty(roundId: string, at: number, entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    const minute = new Date(at).toISOString().slice(0, 16);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: s('DIRTY'), sk: s(`${minute}#${shardOf(roundId, this.options.counterShards)}`) },
        UpdateExpression: 'ADD entries :entries SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':entries': { SS: [...entries] },
          ':ttl': ttlSeconds(at + DIRTY_TTL_MS),
        },
      }),
    );
  }

  async putQuarantine(rejections: readonly Rejection[]): Promise<void> {
    const requests: WriteRequest[] = rejections.map((rejection) => {
      const day = new Date(rejection.arrivedAt).toISOString().slice(0, 10);
      const optional = (name: string, value: string | undefined) =>
        value === undefined ? {} : { [name]: s(value) };
      return {
        PutRequest: {
          Item: {
            pk: s(`Q#${day}`),
            sk: s(`${rejection.reason}#${shortHash(rejection.raw, 12)}`),
            reason: s(rejection.reason),
            message: s(rejection.message),
            raw: s(rejection.raw.slice(0, MAX_RAW_CHARS)),
            arrivedAt: n(rejection.arrivedAt),
            ...optional('source', rejection.source),
            ...optional('name', rejection.name),
            ...optional('eventId', rejection.eventId),
            ...optional('userId', rejection.userId),
            ttl: ttlSeconds(rejection.arrivedAt + QUARANTINE_TTL_MS),
          },
        },
      };
    });
    // The same rejection twice in one call would make BatchWriteItem refuse the whole call.
    const unique = [
      ...new Map(
        requests.map((request) => [
          `${request.PutRequest?.Item?.pk?.S}|${request.PutRequest?.Item?.sk?.S}`,
          request,
        ]),
      ).values(),
    ];
    for (let start = 0; start < unique.length; start += 25) {
      let pending: WriteRequest[] | undefined = unique.slice(start, start + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const result: BatchWriteItemCommandOutput = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }),
        );
        pending = result.UnprocessedItems?.[this.table];
      }
    }
  }

  /** Every item of one partition, page after page. */
  private async queryPartition(pk: string, consistent: boolean): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': s(pk) },
          ConsistentRead: consistent,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Sums a counter item over its shards: field -> value. */
  async readCounters(item: string): Promise<Map<string, number>> {
    return sumCounterRows(await this.queryPartition(counterPk(item), true));
  }

  /**
   * Messages that failed every receive, as the local runtime keeps them (pk `DLQ`), newest
   * first, with the error of their last receive. In AWS they sit in the ingest dead-letter queue.
   */
  async listDeadLetters(): Promise<DeadLetter[]> {
    const items = await this.queryPartition('DLQ', true);
    return items
      .map((item) => {
        const sk = item.sk?.S ?? '';
        const split = sk.indexOf('#');
        return {
          deadLetteredAt: sk.slice(0, split),
          messageId: sk.slice(split + 1),
          body: item.body?.S ?? '',
          error: item.error?.S ?? '',
          receives: Number(item.receives?.N ?? 0),
        };
      })
      .reverse();
  }

  /** Quarantined events of one arrival day (UTC). */
  async listQuarantine(day: string): Promise<Record<string, AttributeValue>[]> {
    return this.queryPartition(`Q#${day}`, false);
  }
}
