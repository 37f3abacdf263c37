import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../shared/adapters/dynamodb/table.js';

export interface NorthstarStateProps {
  /**
   * Name of the event bus product apps send to.
   * @default 'northstar'
   */
  readonly busName?: string;
  /**
   * Other AWS accounts whose apps may PutEvents to the bus.
   * @default - none: only principals of this account, through their IAM policies
   */
  readonly allowedPutEventsAccounts?: readonly string[];
  /** How long a received message stays invisible: at least six times the ingest timeout. */
  readonly ingestQueueVisibilityTimeout: Duration;
  /**
   * How long the ingest queue keeps a message. Must be shorter than the
   * dead-letter queue's retention: a standard queue's DLQ expires messages
   * by their original enqueue time.
   */
  readonly ingestQueueRetention: Duration;
}

/** Dead-lettered events stay this long so an operator can inspect and redrive them. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * The stateful part of the pipeline: the data and notification keys, the table,
 * the bus with its archive, the ingest queues and the dead-letter queues. Kept
 * apart from functions and rules, which can be replaced freely.
 */
export class NorthstarState extends Construct {
  /** Customer-managed key for the table and the queues. */
  readonly dataKey: kms.Key;
  /** Customer-managed key for the alert and operations topics. */
  readonly notificationKey: kms.Key;
  readonly table: dynamodb.Table;
  readonly bus: events.EventBus;
  /** Every event on the bus, kept without expiry, to replay history into new metrics. */
  readonly archive: events.Archive;
  readonly ingestQueue: sqs.Queue;
  readonly ingestDeadLetterQueue: sqs.Queue;
  /**
   * Recompute runs that failed for good: ones the schedule could not deliver
   * and ones whose function failed every attempt or expired.
   */
  readonly recomputeDeadLetterQueue: sqs.Queue;
  /** Alerts and alarm notifications that could not be delivered, and chat posts that failed every attempt. */
  readonly alertDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NorthstarStateProps) {
    super(scope, id);
    if (props.ingestQueueRetention.toSeconds() >= DEAD_LETTER_RETENTION.toSeconds()) {
      throw new Error(
        `The ingest queue keeps messages ${props.ingestQueueRetention.toHumanString()}: it must be under the dead-letter retention of ${DEAD_LETTER_RETENTION.toHumanString()}, or dead-lettered events expire at once`,
      );
    }

    this.dataKey = new kms.Key(this, 'DataKey', {
      description: 'Northstar: encrypts the counter table and the ingest queues',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.notificationKey = new kms.Key(this, 'NotificationKey', {
      description: 'Northstar: encrypts the alert and operations topics',
      enableKeyRotation: true,
    });
    // CloudWatch alarm actions publish to the operations topic; EventBridge is granted per topic.
    this.notificationKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: props.busName ?? 'northstar' });
    // An empty pattern renders no EventPattern, which archives every event.
    this.archive = this.bus.archive('Archive', {
      description: 'Every event on the Northstar bus, for replay into ingest',
      eventPattern: {},
    });
    const accounts = props.allowedPutEventsAccounts ?? [];
    if (accounts.length > 0) {
      for (const account of accounts) {
        if (!Token.isUnresolved(account) && !/^\d{12}$/.test(account)) {
          throw new Error(`allowedPutEventsAccounts: "${account}" is not a 12-digit AWS account id`);
        }
      }
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'PutEventsFromProductAccounts',
          principals: accounts.map((account) => new iam.AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
        }),
      );
    }

    this.ingestDeadLetterQueue = new sqs.Queue(this, 'IngestDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      visibilityTimeout: props.ingestQueueVisibilityTimeout,
      retentionPeriod: props.ingestQueueRetention,
      deadLetterQueue: { queue: this.ingestDeadLetterQueue, maxReceiveCount: 5 },
    });
    // SQS-managed encryption: the messages are schedule invocations without product data, and
    // the scheduler role can send to the queue without any right on the data key.
    this.recomputeDeadLetterQueue = new sqs.Queue(this, 'RecomputeDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    // SQS-managed encryption: alerts carry metric values, no product data, and EventBridge and
    // SNS can dead-letter to it without rights on a customer-managed key.
    this.alertDeadLetterQueue = new sqs.Queue(this, 'AlertDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.alertDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is the dead-letter queue of the alert rules' targets, the email subscriptions and the webhook formatter, which the rule does not look at.",
    });
  }
}
