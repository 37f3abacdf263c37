import type { Grain } from '../../domain/config/schema.js';
import { shortHash } from '../../domain/events/hash.js';
import { type Item, s } from './attributes.js';

/**
 * Every key format of the one table, in one place (docs/data-model.md lists them). Each item
 * module asks here for its keys, so two modules never spell the same item two ways.
 */

/** Rounds and counter items spread over shards by round id. */
export function shardOf(roundId: string, shards: number): number {
  return Number.parseInt(shortHash(roundId, 4).replace(/[^A-Za-z0-9]/g, '0'), 36) % shards;
}

/** A user's state, in a namespace: `live` for ingest, another for a backfill of a new version. */
export const userPrefix = (scope: string) => `U#${scope}#`;
export const userKey = (scope: string, userId: string): Item => ({
  pk: s(`${userPrefix(scope)}${userId}`),
  sk: s('S'),
});

export const roundPartition = (shard: number) => `R#${shard}`;
export const roundKey = (roundId: string, shards: number): Item => ({
  pk: s(roundPartition(shardOf(roundId, shards))),
  sk: s(roundId),
});

/** Counter items: `C#<grain>#<period>` (or `C#all`), one item per shard `s<n>`. */
export const counterPk = (item: string) => `C#${item}`;
export const counterKey = (item: string, shard: number): Item => ({
  pk: s(counterPk(item)),
  sk: s(counterShard(shard)),
});
export const counterShard = (shard: number) => `s${shard}`;
/** A round's marker attribute on a counter item: its deltas are in. */
export const MARKER_PREFIX = 'r:';

/** Dirty marks: one item per minute and shard, listing counter items to recompute. */
export const DIRTY_PK = 'DIRTY';
export const dirtyMinute = (at: number) => new Date(at).toISOString().slice(0, 16);
export const dirtyKey = (at: number, shard: number): Item => ({
  pk: s(DIRTY_PK),
  sk: s(`${dirtyMinute(at)}#${shard}`),
});

/** Quarantined events by UTC arrival day; the sort key makes the same rejection one item. */
export const quarantinePk = (day: string) => `Q#${day}`;
export const quarantineDay = (arrivedAt: number) => new Date(arrivedAt).toISOString().slice(0, 10);
export const quarantineSk = (reason: string, raw: string) => `${reason}#${shortHash(raw, 12)}`;

/** The local runtime's dead letters: `<dead-lettered at>#<message id>`. */
export const DEAD_LETTER_PK = 'DLQ';
export const deadLetterSk = (deadLetteredAt: string, messageId: string) => `${deadLetteredAt}#${messageId}`;
export function parseDeadLetterSk(sk: string): { deadLetteredAt: string; messageId: string } {
  const split = sk.indexOf('#');
  return { deadLetteredAt: sk.slice(0, split), messageId: sk.slice(split + 1) };
}

export const rollupPk = (defId: string, grain: Grain) => `ROLL#${defId}#${grain}`;

/** Alerts sort by period start: `<period start>#<definition version>#<grain>`. */
export const ALERT_PK = 'ALERT';
export const alertKey = (alert: {
  readonly periodStart: string;
  readonly metric: { readonly definitionVersion: string };
  readonly grain: string;
}): Item => ({
  pk: s(ALERT_PK),
  sk: s(`${alert.periodStart}#${alert.metric.definitionVersion}#${alert.grain}`),
});

/** Review digests: `DIGEST`, `<review period end>#<team>#<cadence>`, newest last. */
export const DIGEST_PK = 'DIGEST';
export const digestKey = (key: {
  readonly periodEnd: string;
  readonly team: string;
  readonly cadence: string;
}): Item => ({ pk: s(DIGEST_PK), sk: s(`${key.periodEnd}#${key.team}#${key.cadence}`) });

/** Owners' annotations: `ANNOTATION`, `<id>`. */
export const ANNOTATION_PK = 'ANNOTATION';
export const RECOMPUTE_STATE_KEY: Item = { pk: s('RECOMPUTE'), sk: s('state') };
export const VERSIONS_KEY: Item = { pk: s('VERSIONS'), sk: s('registry') };
/** A backfill run on AWS and its workers' progress, beside the registry: `VERSIONS`, `backfill#<generation>`. */
export const VERSIONS_PK = 'VERSIONS';
export const backfillRunKey = (generation: number): Item => ({
  pk: s(VERSIONS_PK),
  sk: s(`backfill#${generation}`),
});
export const INGEST_STATUS_KEY: Item = { pk: s('STATUS'), sk: s('ingest') };
