import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

/** The times an accepted event needs for the freshness of the numbers built from it. */
export interface AcceptedEventTimes {
  readonly occurredAt: number;
  readonly arrivedAt: number;
}

/**
 * The latest accepted event: the one that arrived last (of equal arrivals, the one that
 * happened last), and when its batch's counters were committed.
 */
export interface IngestFreshness {
  readonly occurredAt: number;
  readonly arrivedAt: number;
  readonly committedAt: number;
}

/** What ingest calls once per batch; {@link FreshnessStore} is the DynamoDB adapter. */
export interface FreshnessRecorder {
  recordAccepted(accepted: readonly AcceptedEventTimes[], committedAt: number): Promise<void>;
}

const STATUS_KEY: Record<string, AttributeValue> = { pk: { S: 'STATUS' }, sk: { S: 'ingest' } };
const n = (value: number): AttributeValue => ({ N: String(value) });

/** The latest of a batch's accepted events, or undefined for a batch that accepted none. */
export function latestAccepted(
  accepted: readonly AcceptedEventTimes[],
  committedAt: number,
): IngestFreshness | undefined {
  let latest: AcceptedEventTimes | undefined;
  for (const event of accepted) {
    if (
      !latest ||
      event.arrivedAt > latest.arrivedAt ||
      (event.arrivedAt === latest.arrivedAt && event.occurredAt > latest.occurredAt)
    )
      latest = event;
  }
  return latest && { occurredAt: latest.occurredAt, arrivedAt: latest.arrivedAt, committedAt };
}

/**
 * One `STATUS` item holds the latest accepted event. Ingest writes it at most once per
 * batch, never per event, and only forward: a slow worker that commits an older batch
 * after a newer one leaves the newer times in place.
 */
export class FreshnessStore implements FreshnessRecorder {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async recordAccepted(accepted: readonly AcceptedEventTimes[], committedAt: number): Promise<void> {
    const latest = latestAccepted(accepted, committedAt);
    if (!latest) return;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: STATUS_KEY,
          UpdateExpression: 'SET arrivedAt = :arrived, occurredAt = :occurred, committedAt = :committed',
          ConditionExpression:
            'attribute_not_exists(arrivedAt) OR arrivedAt < :arrived OR (arrivedAt = :arrived AND occurredAt <= :occurred)',
          ExpressionAttributeValues: {
            ':arrived': n(latest.arrivedAt),
            ':occurred': n(latest.occurredAt),
            ':committed': n(latest.committedAt),
          },
        }),
      );
    } catch (error) {
      // A newer event is already recorded: nothing to move.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The latest accepted event, or undefined before ingest accepted any. */
  async readLatest(): Promise<IngestFreshness | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: STATUS_KEY, ConsistentRead: true }),
    );
    const item = result.Item;
    if (!item?.arrivedAt?.N || !item.occurredAt?.N || !item.committedAt?.N) return undefined;
    return {
      occurredAt: Number(item.occurredAt.N),
      arrivedAt: Number(item.arrivedAt.N),
      committedAt: Number(item.committedAt.N),
    };
  }
}
