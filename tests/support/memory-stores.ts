import type { DeviationAlert } from '../../shared/domain/alerts/deviation-alert.js';
import type { Grain } from '../../shared/domain/config/schema.js';
import { type DeltasJson, deltasToJson } from '../../shared/domain/engine/deltas.js';
import type { UserState } from '../../shared/domain/engine/user-state.js';
import type { VersionRegistry } from '../../shared/domain/engine/versions.js';
import type { Rejection } from '../../shared/domain/events/envelope.js';
import { shortHash } from '../../shared/domain/events/hash.js';
import { type IngestFreshness, isNewerThan, latestAccepted } from '../../shared/domain/freshness.js';
import type { ReviewDigest } from '../../shared/domain/review/review-digest.js';
import type { Rollup } from '../../shared/domain/rollup.js';
import type { AlertKey, StoredAlert } from '../../shared/ports/alerts.js';
import type { Annotation } from '../../shared/ports/annotations.js';
import type { DeadLetter } from '../../shared/ports/dead-letters.js';
import type { DigestKey, StoredDigest } from '../../shared/ports/digests.js';
import type { QuarantinedEvent } from '../../shared/ports/quarantine.js';
import type { Stores } from '../../shared/ports/stores.js';
import type { RoundRecord, StoredUser } from '../../shared/ports/users-and-rounds.js';

/**
 * Every port in memory, with the same contracts as the DynamoDB adapter (conditional writes,
 * once-only counter deltas per round, key order): fast use-case tests without a table.
 * Values are copied in and out, as a store would, so a caller cannot change what is stored.
 */

const copy = <T>(value: T): T => structuredClone(value);
const minute = (at: number) => new Date(at).toISOString().slice(0, 16);
const byKey = <T>(entries: Iterable<[string, T]>) =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const alertSk = (key: AlertKey) => `${key.periodStart}#${key.metric.definitionVersion}#${key.grain}`;

interface AlertRecord {
  alert: DeviationAlert;
  state: 'open' | 'resolved';
  raisedAt: number;
  sentDetected: boolean;
  resolvedAt?: number;
  resolution?: DeviationAlert;
  sentResolved?: boolean;
  acknowledgement?: StoredAlert['acknowledgement'];
}

function storedAlert(record: AlertRecord): StoredAlert {
  return copy({
    alert: record.alert,
    state: record.state,
    sent: { detected: record.sentDetected, resolved: record.sentResolved === true },
    raisedAt: record.raisedAt,
    ...(record.resolvedAt === undefined ? {} : { resolvedAt: record.resolvedAt }),
    ...(record.resolution ? { resolution: record.resolution } : {}),
    ...(record.acknowledgement ? { acknowledgement: record.acknowledgement } : {}),
  });
}

export interface MemoryStores extends Stores {
  /** Stored items, for tests to look at. */
  readonly data: {
    readonly alerts: Map<string, AlertRecord>;
    readonly counters: Map<string, Map<string, number>>;
    readonly digests: Map<string, StoredDigest>;
  };
  /** The same stores with users in another namespace (a backfill's). */
  inScope(scope: string): MemoryStores;
}

export function memoryStores(): MemoryStores {
  const users = new Map<string, { state: UserState; version: number; pending: Record<string, DeltasJson> }>();
  const rounds = new Map<string, RoundRecord>();
  const counters = new Map<string, Map<string, number>>();
  const applied = new Set<string>();
  const dirty = new Map<string, Set<string>>();
  const quarantine = new Map<string, Map<string, QuarantinedEvent>>();
  const deadLetters: DeadLetter[] = [];
  const rollups = new Map<string, Map<string, Rollup>>();
  const alerts = new Map<string, AlertRecord>();
  const annotations = new Map<string, Annotation>();
  const digests = new Map<string, { digest: ReviewDigest; recordedAt: number; sent: boolean }>();
  const digestSk = (key: DigestKey) => `${key.periodEnd}#${key.team}#${key.cadence}`;
  const digestsIn = (from: string, to: string) =>
    byKey(digests).filter(([sk]) => sk >= from && sk <= `${to}~`);
  let lastRunAt: number | undefined;
  let settledThrough: number | undefined;
  let freshness: IngestFreshness | undefined;
  let registry: VersionRegistry | undefined;

  const rollupsOf = (defId: string, grain: Grain) =>
    byKey(rollups.get(`${defId}#${grain}`) ?? []).map(([, rollup]) => copy(rollup));
  const alertsIn = (from: string, to: string) => byKey(alerts).filter(([sk]) => sk >= from && sk <= `${to}~`);

  /** Users of a namespace; rounds record it, so recovery finds another namespace's users. */
  const scopedUsers = (scope: string): Stores['users'] => ({
    async getUsers(userIds, scopeOf = scope) {
      const found = new Map<string, StoredUser>();
      for (const id of userIds) {
        const user = users.get(`${scopeOf}#${id}`);
        if (user) found.set(id, copy(user));
      }
      return found;
    },
    async commitUser(userId, expectedVersion, state, pending) {
      const key = `${scope}#${userId}`;
      if ((users.get(key)?.version ?? 0) !== expectedVersion) return false;
      users.set(key, copy({ state, version: expectedVersion + 1, pending }));
      return true;
    },
    async getRounds(roundIds) {
      return new Map(roundIds.flatMap((id) => (rounds.has(id) ? [[id, copy(rounds.get(id)!)]] : [])));
    },
    async putRound(round) {
      rounds.set(round.id, copy(scope === 'live' ? round : { ...round, scope }));
    },
    async finishRound(roundId, doneAt) {
      const round = rounds.get(roundId);
      if (round) rounds.set(roundId, { ...round, doneAt });
    },
    async listOpenRounds(from, to) {
      return byKey(rounds)
        .filter(([, round]) => round.doneAt === undefined && round.createdAt >= from && round.createdAt < to)
        .map(([id]) => id);
    },
  });

  const stores: Omit<MemoryStores, 'inScope'> = {
    data: { alerts, counters, digests },
    users: scopedUsers('live'),
    counters: {
      async applyCounters(roundId, deltas) {
        for (const [item, fields] of Object.entries(deltasToJson(deltas))) {
          if (applied.has(`${item}|${roundId}`)) continue;
          applied.add(`${item}|${roundId}`);
          const totals = counters.get(item) ?? new Map<string, number>();
          for (const [field, amount] of Object.entries(fields)) {
            const total = (totals.get(field) ?? 0) + amount;
            if (total === 0) totals.delete(field);
            else totals.set(field, total);
          }
          counters.set(item, totals);
        }
      },
      async readCounters(item) {
        return new Map(counters.get(item) ?? []);
      },
    },
    dirty: {
      async markDirty(_roundId, at, entries) {
        if (entries.length === 0) return;
        const marked = dirty.get(minute(at)) ?? new Set<string>();
        for (const entry of entries) marked.add(entry);
        dirty.set(minute(at), marked);
      },
      async listDirty(from, to) {
        const found = new Set<string>();
        for (const [at, entries] of dirty)
          if (at >= minute(from) && at <= minute(to)) for (const entry of entries) found.add(entry);
        return found;
      },
    },
    quarantine: {
      async putQuarantine(rejections: readonly Rejection[]) {
        for (const rejection of rejections) {
          const day = new Date(rejection.arrivedAt).toISOString().slice(0, 10);
          const id = `${rejection.reason}#${shortHash(rejection.raw, 12)}`;
          const events = quarantine.get(day) ?? new Map<string, QuarantinedEvent>();
          events.set(id, copy({ ...rejection, id }));
          quarantine.set(day, events);
        }
      },
      async listQuarantine(day) {
        return byKey(quarantine.get(day) ?? []).map(([, event]) => copy(event));
      },
    },
    deadLetters: {
      async putDeadLetter(letter) {
        deadLetters.push(copy(letter));
      },
      async listDeadLetters() {
        return copy(deadLetters).reverse();
      },
    },
    rollups: {
      async putRollup(rollup) {
        const key = `${rollup.defId}#${rollup.grain}`;
        const periods = rollups.get(key) ?? new Map<string, Rollup>();
        periods.set(rollup.period, copy(rollup));
        rollups.set(key, periods);
      },
      async getRollups(defId, grain, periods) {
        const wanted = new Set(periods);
        return new Map(
          rollupsOf(defId, grain)
            .filter((rollup) => wanted.has(rollup.period))
            .map((rollup) => [rollup.period, rollup]),
        );
      },
      async rollupRange(defId, grain, from, to) {
        return rollupsOf(defId, grain).filter((rollup) => rollup.period >= from && rollup.period <= to);
      },
      async earliestRollups(defId, grain, count) {
        return rollupsOf(defId, grain).slice(0, count);
      },
      async latestRollups(defId, grain, count) {
        return rollupsOf(defId, grain).slice(-count);
      },
    },
    alerts: {
      async getAlert(key) {
        const record = alerts.get(alertSk(key));
        return record && storedAlert(record);
      },
      async openAlert(alert, at) {
        if (alerts.has(alertSk(alert))) return false;
        alerts.set(alertSk(alert), { alert: copy(alert), state: 'open', raisedAt: at, sentDetected: false });
        return true;
      },
      async resolveAlert(alert, at) {
        const record = alerts.get(alertSk(alert));
        if (record?.state !== 'open') return false;
        Object.assign(record, {
          state: 'resolved',
          resolvedAt: at,
          resolution: copy(alert),
          sentResolved: false,
        });
        return true;
      },
      async acknowledgeAlert(key, alertId, acknowledgement) {
        const record = alerts.get(alertSk(key));
        if (record?.alert.alertId !== alertId) return undefined;
        record.acknowledgement = copy(acknowledgement);
        return storedAlert(record);
      },
      async markSent(alert) {
        const record = alerts.get(alertSk(alert));
        if (!record) return;
        if (alert.kind === 'resolved') record.sentResolved = true;
        else record.sentDetected = true;
      },
      async listAlerts(from, to) {
        return alertsIn(from, to).map(([, record]) => storedAlert(record));
      },
      async unsentAlerts(from, to, before) {
        return alertsIn(from, to).flatMap(([, record]) => [
          ...(!record.sentDetected && record.raisedAt < before ? [copy(record.alert)] : []),
          ...(record.sentResolved === false && record.resolution && (record.resolvedAt ?? 0) < before
            ? [copy(record.resolution)]
            : []),
        ]);
      },
    },
    runs: {
      async lastRunAt() {
        return lastRunAt;
      },
      async setLastRunAt(at) {
        if (lastRunAt === undefined || lastRunAt < at) lastRunAt = at;
      },
      async settledThrough() {
        return settledThrough;
      },
      async setSettledThrough(at) {
        if (settledThrough === undefined || settledThrough < at) settledThrough = at;
      },
    },
    annotations: {
      async putAnnotation(annotation) {
        annotations.set(annotation.id, { ...annotation });
      },
      async listAnnotations() {
        return [...annotations.values()].sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
      },
      async removeAnnotation(id) {
        return annotations.delete(id);
      },
    },
    digests: {
      async recordDigest(digest, at) {
        if (digests.has(digestSk(digest))) return false;
        digests.set(digestSk(digest), { digest: copy(digest), recordedAt: at, sent: false });
        return true;
      },
      async getDigest(key) {
        const record = digests.get(digestSk(key));
        return record && copy(record);
      },
      async markDigestSent(key) {
        const record = digests.get(digestSk(key));
        if (record) digests.set(digestSk(key), { ...record, sent: true });
      },
      async listDigests(from, to, team) {
        return digestsIn(from, to)
          .reverse()
          .filter(([, record]) => team === undefined || record.digest.team === team)
          .map(([, record]) => copy(record));
      },
      async unsentDigests(from, to, before) {
        return digestsIn(from, to)
          .filter(([, record]) => !record.sent && record.recordedAt < before)
          .map(([, record]) => copy(record.digest));
      },
    },
    versions: {
      async readRegistry() {
        return registry && copy(registry);
      },
      async writeRegistry(next) {
        registry = copy(next);
      },
    },
    freshness: {
      async recordAccepted(accepted, committedAt) {
        const latest = latestAccepted(accepted, committedAt);
        if (latest && isNewerThan(latest, freshness)) freshness = latest;
      },
      async readLatest() {
        return freshness && { ...freshness };
      },
    },
  };
  // Every namespace shares the table's other items, as on DynamoDB.
  const inScope = (scope: string): MemoryStores => ({ ...stores, users: scopedUsers(scope), inScope });
  return { ...stores, inScope };
}
