import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import {
  ALERT_VERDICTS,
  type AlertAcknowledgement,
  type AlertKey,
  type Alerts,
  type AlertVerdict,
  type StoredAlert,
} from '../../ports/alerts.js';
import { bool, type Item, n, s } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { conditional } from './conditional.js';
import { ALERT_PK, alertKey } from './keys.js';

const alertOf = (json: string) => DeviationAlert.parse(JSON.parse(json));

const isVerdict = (value: string | undefined): value is AlertVerdict =>
  ALERT_VERDICTS.includes(value as AlertVerdict);

function storedAlert(item: Item): StoredAlert {
  return {
    alert: alertOf(item.data?.S ?? '{}'),
    state: item.state?.S === 'resolved' ? 'resolved' : 'open',
    sent: { detected: item.sentDetected?.BOOL === true, resolved: item.sentResolved?.BOOL === true },
    raisedAt: Number(item.at?.N ?? 0),
    ...(item.resolvedAt?.N ? { resolvedAt: Number(item.resolvedAt.N) } : {}),
    ...(item.resolution?.S ? { resolution: alertOf(item.resolution.S) } : {}),
    ...(item.ack?.M
      ? {
          acknowledgement: {
            by: item.ack.M.by?.S ?? '',
            note: item.ack.M.note?.S ?? '',
            at: Number(item.ack.M.at?.N ?? 0),
            ...(isVerdict(item.ack.M.verdict?.S) ? { verdict: item.ack.M.verdict.S } : {}),
          },
        }
      : {}),
  };
}

/**
 * Alert items (`ALERT`, `<period start>#<definition version>#<grain>`): one per metric version,
 * grain and period, with the recompute's state, the owner's acknowledgement and the bus outbox.
 */
export class AlertItems implements Alerts {
  constructor(private readonly table: TableRef) {}

  async getAlert(key: AlertKey): Promise<StoredAlert | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: alertKey(key), ConsistentRead: true }),
    );
    return result.Item ? storedAlert(result.Item) : undefined;
  }

  openAlert(alert: DeviationAlert, at: number): Promise<boolean> {
    return conditional(
      this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: {
            ...alertKey(alert),
            data: s(JSON.stringify(alert)),
            state: s('open'),
            at: n(at),
            sentDetected: bool(false),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  resolveAlert(alert: DeviationAlert, at: number): Promise<boolean> {
    return conditional(
      this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: alertKey(alert),
          UpdateExpression:
            'SET #state = :resolved, resolvedAt = :at, resolution = :data, sentResolved = :no',
          ConditionExpression: '#state = :open',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':resolved': s('resolved'),
            ':open': s('open'),
            ':at': n(at),
            ':data': s(JSON.stringify(alert)),
            ':no': bool(false),
          },
        }),
      ),
    );
  }

  async acknowledgeAlert(
    key: AlertKey,
    alertId: string,
    acknowledgement: AlertAcknowledgement,
  ): Promise<StoredAlert | undefined> {
    try {
      const result = await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          Key: alertKey(key),
          UpdateExpression: 'SET ack = :ack',
          // Never creates an item, and only touches the alert with this very id.
          ConditionExpression: 'attribute_exists(pk) AND contains(#data, :id)',
          ExpressionAttributeNames: { '#data': 'data' },
          ExpressionAttributeValues: {
            ':id': s(`"alertId":${JSON.stringify(alertId)}`),
            ':ack': {
              M: {
                by: s(acknowledgement.by),
                note: s(acknowledgement.note),
                at: n(acknowledgement.at),
                ...(acknowledgement.verdict ? { verdict: s(acknowledgement.verdict) } : {}),
              },
            },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? storedAlert(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async markSent(alert: DeviationAlert): Promise<void> {
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: alertKey(alert),
        UpdateExpression: `SET ${alert.kind === 'resolved' ? 'sentResolved' : 'sentDetected'} = :yes`,
        ExpressionAttributeValues: { ':yes': bool(true) },
      }),
    );
  }

  async listAlerts(from: string, to: string): Promise<StoredAlert[]> {
    return (await queryAll(this.table, { pk: ALERT_PK, from, to: `${to}~` })).map(storedAlert);
  }

  /** The grace (`before`) keeps a run from resending what a concurrent run recorded and is about to send. */
  async unsentAlerts(from: string, to: string, before: number): Promise<DeviationAlert[]> {
    const unsent: DeviationAlert[] = [];
    for (const item of await queryAll(this.table, { pk: ALERT_PK, from, to: `${to}~` })) {
      if (item.sentDetected?.BOOL === false && Number(item.at?.N ?? 0) < before)
        unsent.push(alertOf(item.data?.S ?? '{}'));
      if (item.sentResolved?.BOOL === false && item.resolution?.S && Number(item.resolvedAt?.N ?? 0) < before)
        unsent.push(alertOf(item.resolution.S));
    }
    return unsent;
  }
}
