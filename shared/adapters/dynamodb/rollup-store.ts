import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Grain } from '../../domain/config/schema.js';
import type { Rollup } from '../../domain/rollup.js';
import type { DeviationAlert } from '../eventbridge/alert-bus.js';
import { counterPk, sumCounterRows } from './dynamodb-store.js';
import { FreshnessStore, type IngestFreshness } from './freshness.js';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

/** An on-call owner's note on an alert: who, why, when. */
export interface AlertAcknowledgement {
  readonly by: string;
  readonly note: string;
  readonly at: number;
}

/** Where an alert item sits: its period start, definition version and grain (as stored). */
export interface AlertKey {
  readonly periodStart: string;
  readonly metric: { readonly definitionVersion: string };
  readonly grain: string;
}

export interface StoredAlert {
  readonly alert: DeviationAlert;
  /** The recompute's state; an acknowledgement does not change it, so a resolution still applies. */
  readonly state: 'open' | 'resolved';
  readonly acknowledgement?: AlertAcknowledgement;
  /** Which of its events reached the bus: the outbox for a crash between the write and the send. */
  readonly sent: { readonly detected: boolean; readonly resolved: boolean };
  /** When it was raised and, once resolved, when and with which numbers. */
  readonly raisedAt: number;
  readonly resolvedAt?: number;
  readonly resolution?: DeviationAlert;
}

/** Rollups, alerts and the recompute's own state; the same table as the counters. */
export class RollupStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  private async query(input: {
    pk: string;
    from?: string;
    to?: string;
    limit?: number;
    newestFirst?: boolean;
  }): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    const range = input.from !== undefined && input.to !== undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
          ExpressionAttributeValues: {
            ':pk': s(input.pk),
            ...(range ? { ':from': s(input.from as string), ':to': s(input.to as string) } : {}),
          },
          ConsistentRead: true,
          ScanIndexForward: !input.newestFirst,
          ...(input.limit ? { Limit: input.limit - items.length } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = input.limit && items.length >= input.limit ? undefined : page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Counter item keys (`<grain>#<period>`) that rounds marked dirty between two times. */
  async listDirty(from: number, to: number): Promise<Set<string>> {
    const minute = (at: number) => new Date(at).toISOString().slice(0, 16);
    const items = await this.query({ pk: 'DIRTY', from: minute(from), to: `${minute(to)}~` });
    return new Set(items.flatMap((item) => item.entries?.SS ?? []));
  }

  async readCounters(item: string): Promise<Map<string, number>> {
    return sumCounterRows(await this.query({ pk: counterPk(item) }));
  }

  private rollupPk(defId: string, grain: Grain): string {
    return `ROLL#${defId}#${grain}`;
  }

  async putRollup(rollup: Rollup): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: s(this.rollupPk(rollup.defId, rollup.grain)),
          sk: s(rollup.period),
          data: s(JSON.stringify(rollup)),
        },
      }),
    );
  }

  /** Rollups of named periods of one metric version and grain. */
  async getRollups(defId: string, grain: Grain, periods: readonly string[]): Promise<Map<string, Rollup>> {
    const found = new Map<string, Rollup>();
    const keys = [...new Set(periods)].map((period) => ({
      pk: s(this.rollupPk(defId, grain)),
      sk: s(period),
    }));
    for (let start = 0; start < keys.length; start += 100) {
      let request: Record<string, AttributeValue>[] | undefined = keys.slice(start, start + 100);
      while (request && request.length > 0) {
        const result: BatchGetItemCommandOutput = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: request, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.table] ?? []) {
          const rollup = JSON.parse(item.data?.S ?? '{}') as Rollup;
          found.set(rollup.period, rollup);
        }
        request = result.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  /** A metric version's rollups for periods in [from, to] by key order, oldest first. */
  async rollupRange(defId: string, grain: Grain, from: string, to: string): Promise<Rollup[]> {
    const items = await this.query({ pk: this.rollupPk(defId, grain), from, to });
    return items.map((item) => JSON.parse(item.data?.S ?? '{}') as Rollup);
  }

  /** The first `count` rollups of a metric version and grain, oldest first. */
  async earliestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]> {
    const items = await this.query({ pk: this.rollupPk(defId, grain), limit: count });
    return items.map((item) => JSON.parse(item.data?.S ?? '{}') as Rollup);
  }

  /** The latest `count` rollups of a metric version and grain, oldest first. */
  async latestRollups(defId: string, grain: Grain, count: number): Promise<Rollup[]> {
    const items = await this.query({ pk: this.rollupPk(defId, grain), limit: count, newestFirst: true });
    return items.map((item) => JSON.parse(item.data?.S ?? '{}') as Rollup).reverse();
  }

  private alertKey(alert: AlertKey): Record<string, AttributeValue> {
    return { pk: s('ALERT'), sk: s(`${alert.periodStart}#${alert.metric.definitionVersion}#${alert.grain}`) };
  }

  private parseAlert(item: Record<string, AttributeValue>): StoredAlert {
    return {
      alert: JSON.parse(item.data?.S ?? '{}') as DeviationAlert,
      state: item.state?.S === 'resolved' ? 'resolved' : 'open',
      sent: { detected: item.sentDetected?.BOOL === true, resolved: item.sentResolved?.BOOL === true },
      raisedAt: Number(item.at?.N ?? 0),
      ...(item.resolvedAt?.N ? { resolvedAt: Number(item.resolvedAt.N) } : {}),
      ...(item.resolution?.S ? { resolution: JSON.parse(item.resolution.S) as DeviationAlert } : {}),
      ...(item.ack?.M
        ? {
            acknowledgement: {
              by: item.ack.M.by?.S ?? '',
              note: item.ack.M.note?.S ?? '',
              at: Number(item.ack.M.at?.N ?? 0),
            },
          }
        : {}),
    };
  }

  async getAlert(key: AlertKey): Promise<StoredAlert | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: this.alertKey(key), ConsistentRead: true }),
    );
    return result.Item ? this.parseAlert(result.Item) : undefined;
  }

  /** Records an alert unless one exists for its metric, grain and period: true when this call made it. */
  async openAlert(alert: DeviationAlert, at: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...this.alertKey(alert),
            data: s(JSON.stringify(alert)),
            state: s('open'),
            at: n(at),
            sentDetected: { BOOL: false },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Moves an open alert to resolved: true when this call did it. */
  async resolveAlert(alert: DeviationAlert, at: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.alertKey(alert),
          UpdateExpression:
            'SET #state = :resolved, resolvedAt = :at, resolution = :data, sentResolved = :no',
          ConditionExpression: '#state = :open',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':resolved': s('resolved'),
            ':open': s('open'),
            ':at': n(at),
            ':data': s(JSON.stringify(alert)),
            ':no': { BOOL: false },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records an owner's acknowledgement on an existing alert, open or resolved; a later one
   * replaces it. Returns the alert as stored now, or undefined when no alert has this id.
   */
  async acknowledgeAlert(
    key: AlertKey,
    alertId: string,
    acknowledgement: AlertAcknowledgement,
  ): Promise<StoredAlert | undefined> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.alertKey(key),
          UpdateExpression: 'SET ack = :ack',
          // Never creates an item, and only touches the alert with this very id.
          ConditionExpression: 'attribute_exists(pk) AND contains(#data, :id)',
          ExpressionAttributeNames: { '#data': 'data' },
          ExpressionAttributeValues: {
            ':id': s(`"alertId":${JSON.stringify(alertId)}`),
            ':ack': {
              M: { by: s(acknowledgement.by), note: s(acknowledgement.note), at: n(acknowledgement.at) },
            },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? this.parseAlert(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async markSent(alert: DeviationAlert): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.alertKey(alert),
        UpdateExpression: `SET ${alert.kind === 'resolved' ? 'sentResolved' : 'sentDetected'} = :yes`,
        ExpressionAttributeValues: { ':yes': { BOOL: true } },
      }),
    );
  }

  /** Alerts whose periods start in [from, to] (ISO times), oldest first. */
  async listAlerts(from: string, to: string): Promise<StoredAlert[]> {
    const items = await this.query({ pk: 'ALERT', from, to: `${to}~` });
    return items.map((item) => this.parseAlert(item));
  }

  /**
   * Events recorded before `before` but not yet on the bus. The grace keeps a run from
   * resending what a concurrent run recorded and is about to send.
   */
  async unsentAlerts(from: string, to: string, before: number): Promise<DeviationAlert[]> {
    const items = await this.query({ pk: 'ALERT', from, to: `${to}~` });
    const unsent: DeviationAlert[] = [];
    for (const item of items) {
      if (item.sentDetected?.BOOL === false && Number(item.at?.N ?? 0) < before)
        unsent.push(JSON.parse(item.data?.S ?? '{}') as DeviationAlert);
      if (
        item.sentResolved?.BOOL === false &&
        item.resolution?.S &&
        Number(item.resolvedAt?.N ?? 0) < before
      ) {
        unsent.push(JSON.parse(item.resolution.S) as DeviationAlert);
      }
    }
    return unsent;
  }

  /** The latest event ingest accepted, from the item ingest moves forward once per batch. */
  async latestAccepted(): Promise<IngestFreshness | undefined> {
    return new FreshnessStore(this.client, this.table).readLatest();
  }

  async lastRunAt(): Promise<number | undefined> {
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: s('RECOMPUTE'), sk: s('state') },
        ConsistentRead: true,
      }),
    );
    return result.Item?.lastRunAt?.N ? Number(result.Item.lastRunAt.N) : undefined;
  }

  /** Only moves forward: a slow run that finishes after a later one does not undo its progress. */
  async setLastRunAt(at: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: s('RECOMPUTE'), sk: s('state') },
          UpdateExpression: 'SET lastRunAt = :at',
          ConditionExpression: 'attribute_not_exists(lastRunAt) OR lastRunAt < :at',
          ExpressionAttributeValues: { ':at': n(at) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
