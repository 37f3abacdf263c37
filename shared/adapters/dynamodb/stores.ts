import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Stores } from '../../ports/stores.js';
import { AlertItems } from './alerts.js';
import { AnnotationItems } from './annotations.js';
import { CounterItems } from './counters.js';
import { DeadLetterItems } from './dead-letters.js';
import { DigestItems } from './digests.js';
import { DirtyPeriodItems } from './dirty-periods.js';
import { FreshnessItem } from './freshness.js';
import { QuarantineItems } from './quarantine.js';
import { RecomputeRunItem } from './recompute-runs.js';
import { RollupItems } from './rollups.js';
import { RoundItems } from './rounds.js';
import { UserItems } from './users.js';
import { VersionRegistryItem } from './versions.js';

export interface DynamoStoresOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Counter, round and dirty items are spread over this many shards. */
  readonly counterShards: number;
  /** A finished round's markers stay on counter items this long, for late recoverers. */
  readonly maxRoundMs: number;
  /**
   * Namespace of per-user state: `live` for ingest; a backfill of a new definition version
   * gets its own, so replayed events are not taken for duplicates.
   * @default 'live'
   */
  readonly scope?: string;
}

/** Every store on one DynamoDB table, and the client they share (tests add middleware to it). */
export interface DynamoStores extends Stores {
  readonly client: DynamoDBClient;
}

/** The DynamoDB adapter of every port: one module per item type, one table. */
export function dynamoStores(options: DynamoStoresOptions): DynamoStores {
  const table = { client: options.client, tableName: options.tableName };
  const scope = options.scope ?? 'live';
  const userItems = new UserItems(table, scope);
  const rounds = new RoundItems(table, options.counterShards);
  return {
    client: options.client,
    users: {
      getUsers: (userIds, scopeOf) => userItems.getUsers(userIds, scopeOf),
      commitUser: (...args) => userItems.commitUser(...args),
      getRounds: (roundIds) => rounds.getRounds(roundIds),
      putRound: (round) => rounds.putRound(scope === 'live' ? round : { ...round, scope }),
      finishRound: (roundId, doneAt) => rounds.finishRound(roundId, doneAt),
      listOpenRounds: (from, to) => rounds.listOpenRounds(from, to),
    },
    counters: new CounterItems(table, rounds, {
      shards: options.counterShards,
      maxRoundMs: options.maxRoundMs,
    }),
    dirty: new DirtyPeriodItems(table, options.counterShards),
    quarantine: new QuarantineItems(table),
    deadLetters: new DeadLetterItems(table),
    rollups: new RollupItems(table),
    alerts: new AlertItems(table),
    runs: new RecomputeRunItem(table),
    freshness: new FreshnessItem(table),
    versions: new VersionRegistryItem(table),
    annotations: new AnnotationItems(table),
    digests: new DigestItems(table),
  };
}
