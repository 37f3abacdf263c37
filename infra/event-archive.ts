import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { dataBucket } from './data-bucket.js';

/** How long archived events are kept by default: a year and a month, so last year's same month can be backfilled. */
export const DEFAULT_ARCHIVE_RETENTION = Duration.days(400);

/** Where Firehose writes archived events: what the retention expires, and what a backfill lists. */
export const ARCHIVE_DATA_PREFIX = 'events/';
/** Where Firehose writes the records it could not deliver or process: expired with the events. */
export const ARCHIVE_ERRORS_PREFIX = 'errors/';

/** Where archived events land: one partition per arrival day and hour (UTC). */
export const ARCHIVE_PREFIX = `${ARCHIVE_DATA_PREFIX}arrived=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;

export interface EventArchiveProps {
  readonly bus: events.IEventBus;
  /** The pipeline's data key: archived events are product data. */
  readonly dataKey: kms.IKey;
  /** @default DEFAULT_ARCHIVE_RETENTION */
  readonly retention?: Duration;
}

/**
 * One archived record, as the local archive writes it: `{"arrivedAt": <when the bus took
 * the entry>, "event": <the event as a rule target gets it>}`.
 */
class ArchiveRecordInput extends events.RuleTargetInput {
  // biome-ignore lint/complexity/noUselessConstructor: the base constructor is protected; this one is public.
  constructor() {
    super();
  }

  bind(): events.RuleTargetInputProperties {
    return {
      inputTemplate: '{"arrivedAt":"<aws.events.event.ingestion-time>","event":<event>}',
      inputPathsMap: { event: '$' },
    };
  }
}

/**
 * Every entry that reaches the bus, kept where a backfill reads it back at scale and
 * cheaply: a rule sends each to Amazon Data Firehose, which writes gzip-compressed NDJSON to
 * S3 (one record per line) partitioned by arrival hour, encrypted with the data key, and
 * expired by lifecycle rules after the retention (Firehose's events and its error output,
 * each by its prefix). History imports, which the read API writes under the history prefix
 * of the same bucket, are kept until removed: no rule expires them.
 */
export class EventArchive extends Construct {
  readonly bucket: s3.Bucket;
  /** The archive bucket's server access logs. */
  readonly accessLogs: s3.Bucket;
  readonly deliveryStream: firehose.DeliveryStream;
  readonly rule: events.Rule;
  /** Events the rule could not hand to Firehose after its retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    const retention = props.retention ?? DEFAULT_ARCHIVE_RETENTION;
    const seconds = retention.toSeconds();
    if (seconds < 86_400 || seconds % 86_400 !== 0)
      throw new Error(
        `archiveRetention: the event archive keeps events whole days, at least one (an S3 lifecycle rule counts days), not ${retention.toHumanString()}`,
      );

    // Server access logging delivers only to S3-managed encryption; the logs hold no event data.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'Retention', expiration: retention }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "It is the access log bucket of the event archive; logging its own access would log the logs' writes.",
    });

    this.bucket = dataBucket(this, 'Bucket', {
      dataKey: props.dataKey,
      accessLogs: this.accessLogs,
      accessLogsPrefix: 'archive/',
      lifecycleRules: [
        // Only what Firehose writes expires: history imports are kept until removed.
        { id: 'Retention', prefix: ARCHIVE_DATA_PREFIX, expiration: retention },
        { id: 'ErrorRetention', prefix: ARCHIVE_ERRORS_PREFIX, expiration: retention },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    this.deliveryStream = new firehose.DeliveryStream(this, 'Delivery', {
      encryption: firehose.StreamEncryption.customerManagedKey(props.dataKey),
      destination: new firehose.S3Bucket(this.bucket, {
        dataOutputPrefix: ARCHIVE_PREFIX,
        errorOutputPrefix: `${ARCHIVE_ERRORS_PREFIX}!{firehose:error-output-type}/arrived=!{timestamp:yyyy-MM-dd}/`,
        compression: firehose.Compression.GZIP,
        encryptionKey: props.dataKey,
        // Fewer, larger objects: a backfill reads them in parallel, one per worker.
        bufferingInterval: Duration.minutes(5),
        bufferingSize: Size.mebibytes(64),
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
      }),
    });

    const keyGrant = [
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
    ];
    const bucketGrant = ['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'].map(
      (action) => `AwsSolutions-IAM5[Action::s3:${action}]`,
    );
    const reason =
      "The grant Amazon Data Firehose's S3 destination adds for its roles: read and write on the one archive bucket's objects and use of the one data key, as Firehose needs to write objects and resume multipart uploads.";
    const objects = `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`;
    for (const policy of this.deliveryStream.node.findAll().filter((child) => child instanceof iam.Policy)) {
      const ids = policy.node.path.includes('S3 Destination Role')
        ? [...keyGrant, ...bucketGrant, objects]
        : keyGrant;
      Validations.of(policy).acknowledge(...ids.map((id) => ({ id, reason })));
    }

    // SQS-managed encryption: EventBridge can dead-letter to it without rights on the data key.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'It is the dead-letter queue of the archive rule: the end of its path, inspected and redriven by an operator.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'It is the dead-letter queue of the archive rule: the end of its path, inspected and redriven by an operator.',
      },
    );

    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        "Amazon Data Firehose's construct adds its service's CIDR blocks as a mapping for destinations that reach into a VPC; an S3 destination has no use for it.",
    });

    // Every event on the bus, the pipeline's own alerts included: history is never a dead end.
    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.bus,
      description: 'Every event on the Northstar bus, to the S3 event archive',
      eventPattern: { source: events.Match.prefix('') },
      targets: [
        new targets.FirehoseDeliveryStream(this.deliveryStream, { message: new ArchiveRecordInput() }),
      ],
    });
    // The Firehose target takes no dead-letter settings: set them on the rule's one target.
    const rule = this.rule.node.defaultChild as events.CfnRule;
    rule.addPropertyOverride('Targets.0.DeadLetterConfig.Arn', this.deadLetterQueue.queueArn);
    rule.addPropertyOverride('Targets.0.RetryPolicy', {
      MaximumRetryAttempts: 185,
      MaximumEventAgeInSeconds: 86_400,
    });
    Validations.of(this.rule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        "The rule's one target has its dead-letter queue (DeadLetterConfig, set by an override because the Firehose target takes none), which the check does not see.",
    });
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveRuleDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );
  }
}
