import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { Duration as IsoDuration } from 'luxon';
import { productEventsPattern } from '../shared/domain/bus/rule-patterns.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { AlertRouting } from './alert-routing.js';
import { Backfill } from './backfill.js';
import { BUNDLED_CONFIG_FILE, copyConfigIntoBundle, writeConfigFile } from './bundled-config.js';
import { Collector, type CollectorOptions } from './collector.js';
import { DashboardSite, type DashboardSiteOptions } from './dashboard-site.js';
import { DEFAULT_ARCHIVE_RETENTION, EventArchive } from './event-archive.js';
import { acknowledgeServerlessFindings, acknowledgeTableKeyGrant } from './nag-acknowledgements.js';
import { NorthstarState } from './northstar-state.js';
import { PipelineFunction } from './pipeline-function.js';
import { PipelineMonitoring } from './pipeline-monitoring.js';
import { PipelineSchedule, scheduleInterval } from './pipeline-schedule.js';
import { ReadApi } from './read-api.js';
import { toCdkEventPattern } from './rule-pattern.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export { BUNDLED_CONFIG_FILE };

export interface NorthstarPipelineProps {
  /** The validated configuration (tracking plan, metrics, ingest settings). */
  readonly config: NorthstarConfig;
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
  /**
   * Most messages in one ingest invocation.
   * @default 10
   */
  readonly ingestBatchSize?: number;
  /**
   * Longest Lambda waits to fill a batch.
   * @default Duration.seconds(1)
   */
  readonly ingestMaxBatchingWindow?: Duration;
  /**
   * Most concurrent ingest invocations (2 to 1000): bounds DynamoDB write pressure.
   * @default 10
   */
  readonly ingestMaxConcurrency?: number;
  /**
   * Email addresses subscribed to the operations topic that the pipeline's alarms notify.
   * @default - none: subscribe to the `OperationsTopicArn` output yourself
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Alarm when the oldest event in the ingest queue waited longer than this.
   * @default Duration.minutes(15)
   */
  readonly maxIngestQueueAge?: Duration;
  /**
   * Alarm when more than this share of incoming events is quarantined (0 to 1).
   * @default 0.05
   */
  readonly maxQuarantineRate?: number;
  /**
   * Alarm when no recompute run has finished for this long.
   * @default - three recompute intervals, at least 15 minutes
   */
  readonly recomputeStaleAfter?: Duration;
  /**
   * How long the S3 event archive keeps events; backfills and imports read from it.
   * @default Duration.days(400)
   */
  readonly archiveRetention?: Duration;
  /**
   * The collector's options on AWS (throttling, custom domain, write keys secret, alarm
   * thresholds). The collector is deployed whenever the configuration has a `collector`
   * section, as the local runtime serves it then; these options need that section.
   * @default - the defaults of `CollectorOptions`
   */
  readonly collector?: CollectorOptions;
  /**
   * Partitions of a backfill: the archive is split by (Source, userId) into this many, each
   * counted by one worker at a time, all at once.
   * @default 16
   */
  readonly backfillPartitions?: number;
  /**
   * The dashboard behind sign-in (CloudFront, a private bucket, the read API at `/api/*`,
   * a Cognito user pool or the team's own OIDC provider); `false` leaves it out, and alert
   * links then lead to `recompute.dashboardUrl` of the configuration.
   * @default - the defaults of `DashboardSiteOptions`
   */
  readonly dashboard?: DashboardSiteOptions | false;
  /**
   * The built dashboard (`npm run build:dashboard`).
   * @default the project's web/dist
   */
  readonly dashboardDir?: string;
}

/** How long a function uses its read of the definition versions' registry (ingest; the read API's is shorter). */
export const REGISTRY_CACHE = Duration.seconds(30);
/** The read API answers from a registry read this recent. */
export const API_REGISTRY_CACHE = Duration.seconds(5);
/** After Firehose's buffer interval, the time it may take to write the buffer to S3. */
export const ARCHIVE_DELIVERY_MARGIN = Duration.minutes(1);

/** Firehose's buffer interval as the archive's delivery stream has it: how late an entry may reach S3. */
function bufferIntervalOf(archive: EventArchive): Duration {
  const stream = archive.deliveryStream.node.defaultChild as firehose.CfnDeliveryStream;
  const destination = Stack.of(archive).resolve(stream.extendedS3DestinationConfiguration) as
    | { bufferingHints?: { intervalInSeconds?: number } }
    | undefined;
  const seconds = destination?.bufferingHints?.intervalInSeconds;
  if (typeof seconds !== 'number') throw new Error('the event archive has no Firehose buffer interval');
  return Duration.seconds(seconds);
}

/** Longest one recompute run may take, when the schedule interval leaves room for it. */
export const RECOMPUTE_MAX_TIMEOUT = Duration.minutes(5);

/**
 * Northstar on AWS: the stateful resources and, on top of them, the ingest
 * path (bus rule -> queue -> ingest function -> table) and the recompute path
 * (schedule -> recompute function -> table, alerts to the bus).
 */
export class NorthstarPipeline extends Construct {
  readonly state: NorthstarState;
  /** Every event on the bus, in S3: what backfills and imports read. */
  readonly eventArchive: EventArchive;
  readonly productEventsRule: events.Rule;
  readonly ingestFunction: PipelineFunction;
  /** Rolls up dirty and settled periods and raises or resolves deviation alerts. */
  readonly recomputeFunction: PipelineFunction;
  /** Invokes the recompute function every `config.recompute.every`. */
  readonly recomputeSchedule: PipelineSchedule;
  /** Per owner team: alert rule, topic and subscriptions. */
  readonly alerts: AlertRouting;
  /** The read API behind an IAM-authorised function URL. */
  readonly readApi: ReadApi;
  /** The Segment-style collector for web and mobile apps, when the configuration has one. */
  readonly collector?: Collector;
  /** The dashboard behind sign-in, where alert links lead; absent with `dashboard: false`. */
  readonly dashboard?: DashboardSite;
  /** Alarms, the operations topic and the dashboard. */
  readonly monitoring: PipelineMonitoring;
  /** The state machine that fills a new definition generation from the archive. */
  readonly backfill: Backfill;

  constructor(scope: Construct, id: string, props: NorthstarPipelineProps) {
    super(scope, id);
    // With a KMS-encrypted queue the SQS target cannot condition its grant on the
    // rule ARN; this flag makes it require this account instead of no condition.
    // Context must be set before any child exists.
    this.node.setContext('@aws-cdk/aws-events:eventsTargetQueueSameAccount', true);
    // Server access logs are granted by bucket policy, so the log bucket needs no ACLs.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // The backfill's distributed map writes its results to S3 only with this flag (ResultWriterV2).
    this.node.setContext('@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2', true);

    const { config } = props;
    // A round may be taken over after maxRoundSeconds: it must never outlive that.
    const ingestTimeout = Duration.seconds(Math.min(60, config.ingest.maxRoundSeconds));
    const ingestMaxBatchingWindow = props.ingestMaxBatchingWindow ?? Duration.seconds(1);

    this.state = new NorthstarState(this, 'State', {
      busName: props.busName,
      allowedPutEventsAccounts: props.allowedPutEventsAccounts,
      // Six times the timeout leaves room for throttled retries (AWS guidance), plus the batching window.
      ingestQueueVisibilityTimeout: Duration.seconds(
        ingestTimeout.toSeconds() * 6 + ingestMaxBatchingWindow.toSeconds(),
      ),
      // Kept a day past maxQueueAge so ingest sees stale events and quarantines them with a reason.
      ingestQueueRetention: Duration.seconds(
        Math.ceil(IsoDuration.fromISO(config.ingest.maxQueueAge).as('seconds')) +
          Duration.days(1).toSeconds(),
      ),
    });
    const { table, bus, ingestQueue, ingestDeadLetterQueue, recomputeDeadLetterQueue } = this.state;
    this.eventArchive = new EventArchive(this, 'EventArchive', {
      bus,
      dataKey: this.state.dataKey,
      ...(props.archiveRetention ? { retention: props.archiveRetention } : {}),
    });
    const configFile = writeConfigFile(config);
    const depsLockFilePath = join(PROJECT_ROOT, 'package-lock.json');

    this.productEventsRule = new events.Rule(this, 'ProductEventsRule', {
      description: 'Product events (any source outside the reserved northstar prefix) to the ingest queue',
      eventBus: bus,
      eventPattern: toCdkEventPattern(productEventsPattern),
      // Events EventBridge cannot deliver land beside the poison messages instead of being dropped.
      targets: [new targets.SqsQueue(ingestQueue, { deadLetterQueue: ingestDeadLetterQueue })],
    });

    this.ingestFunction = new PipelineFunction(this, 'IngestFunction', {
      entry: join(PROJECT_ROOT, 'functions/ingest/handler.ts'),
      depsLockFilePath,
      description: 'Validates product events and updates funnel, journey and counter state',
      timeout: ingestTimeout,
      environment: {
        TABLE_NAME: table.tableName,
        NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
        REGISTRY_CACHE_SECONDS: String(REGISTRY_CACHE.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'northstar-ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
      commandHooks: copyConfigIntoBundle(configFile),
    });
    table.grantReadWriteData(this.ingestFunction);
    acknowledgeTableKeyGrant(this.ingestFunction);
    // Also grants the function's role consume rights on the queue and decrypt on its key.
    this.ingestFunction.addEventSource(
      new SqsEventSource(ingestQueue, {
        batchSize: props.ingestBatchSize ?? 10,
        maxBatchingWindow: ingestMaxBatchingWindow,
        maxConcurrency: props.ingestMaxConcurrency ?? 10,
        reportBatchItemFailures: true,
      }),
    );

    this.backfill = new Backfill(this, 'Backfill', {
      table,
      dataKey: this.state.dataKey,
      archiveBucket: this.eventArchive.bucket,
      configFile,
      entry: join(PROJECT_ROOT, 'functions/backfill/handler.ts'),
      depsLockFilePath,
      ...(props.backfillPartitions === undefined ? {} : { partitions: props.backfillPartitions }),
    });
    // Entries that arrived before every ingest instance saw the new generation are in the
    // archive by the end of Firehose's buffer: the cut the backfill reads up to.
    const backfillCutAfter = REGISTRY_CACHE.toSeconds() + bufferIntervalOf(this.eventArchive).toSeconds();

    const recomputeInterval = scheduleInterval(config.recompute.every);
    // A run ends before the next one is due.
    const recomputeTimeout = Duration.seconds(
      Math.min(RECOMPUTE_MAX_TIMEOUT.toSeconds(), recomputeInterval.toSeconds()),
    );
    this.recomputeFunction = new PipelineFunction(this, 'RecomputeFunction', {
      entry: join(PROJECT_ROOT, 'functions/recompute/handler.ts'),
      depsLockFilePath,
      description: 'Rolls up dirty and settled periods and raises or resolves deviation alerts',
      timeout: recomputeTimeout,
      memorySize: 1024,
      environment: {
        TABLE_NAME: table.tableName,
        NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
        EVENT_BUS_NAME: bus.eventBusName,
        BACKFILL_STATE_MACHINE_ARN: this.backfill.stateMachine.stateMachineArn,
        BACKFILL_PARTITIONS: String(this.backfill.partitions),
        BACKFILL_CUT_AFTER_SECONDS: String(backfillCutAfter),
        BACKFILL_LIST_AFTER_SECONDS: String(ARCHIVE_DELIVERY_MARGIN.toSeconds()),
        INGEST_QUEUE_NAME: ingestQueue.queueName,
        POWERTOOLS_SERVICE_NAME: 'northstar-recompute',
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
      commandHooks: copyConfigIntoBundle(configFile),
      // Scheduler invokes asynchronously, so Lambda, not the schedule, retries a failed run.
      // A run carries no data of its own (it works from the last successful run), so it is
      // retried only until the next run is due, then dead-lettered as a record of the failure.
      retryAttempts: 2,
      maxEventAge: Duration.seconds(
        Math.min(Duration.hours(6).toSeconds(), Math.max(60, recomputeInterval.toSeconds())),
      ),
      deadLetterQueue: recomputeDeadLetterQueue,
    });
    table.grantReadWriteData(this.recomputeFunction);
    acknowledgeTableKeyGrant(this.recomputeFunction);
    // events:PutEvents on this bus alone, for deviation alerts.
    bus.grantPutEventsTo(this.recomputeFunction);
    // The ingest watermark: the queue's ApproximateAgeOfOldestMessage. GetMetricData has no resource-level permissions.
    this.recomputeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadIngestQueueAge',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    Validations.of(this.recomputeFunction.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "cloudwatch:GetMetricData takes no resource ARN; the recompute reads one metric with it, the ingest queue's ApproximateAgeOfOldestMessage (its ingest watermark), and the action reads metrics only.",
    });
    // The one planner of definition versions starts backfills, and may do nothing else with them.
    this.recomputeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartBackfill',
        actions: ['states:StartExecution'],
        resources: [this.backfill.stateMachine.stateMachineArn],
      }),
    );

    acknowledgeServerlessFindings(this.state, this.ingestFunction, this.recomputeFunction);

    this.recomputeSchedule = new PipelineSchedule(this, 'RecomputeSchedule', {
      target: this.recomputeFunction,
      interval: recomputeInterval,
      deadLetterQueue: recomputeDeadLetterQueue,
      description: `Runs the Northstar recompute every ${recomputeInterval.toHumanString()}`,
    });

    this.alerts = new AlertRouting(this, 'Alerts', {
      config,
      bus,
      key: this.state.notificationKey,
      deadLetterQueue: this.state.alertDeadLetterQueue,
      depsLockFilePath,
      webhookEntry: join(PROJECT_ROOT, 'functions/alert-webhook/handler.ts'),
      digestEntry: join(PROJECT_ROOT, 'functions/review-digest/handler.ts'),
    });

    this.readApi = new ReadApi(this, 'ReadApi', {
      table,
      tableKey: this.state.dataKey,
      recomputeFunction: this.recomputeFunction,
      recomputeTimeout,
      configFile,
      entry: join(PROJECT_ROOT, 'functions/api/handler.ts'),
      depsLockFilePath,
      // History imports: their events go under the archive's history prefix, where a backfill reads them.
      archiveBucket: this.eventArchive.bucket,
      archiveKey: this.state.dataKey,
    });
    this.readApi.function.addEnvironment('REGISTRY_CACHE_SECONDS', String(API_REGISTRY_CACHE.toSeconds()));

    if (props.dashboard !== false) {
      this.dashboard = new DashboardSite(this, 'Dashboard', {
        ...props.dashboard,
        apiFunction: this.readApi.function,
        dashboardDir: props.dashboardDir ?? join(PROJECT_ROOT, 'web/dist'),
        accessLogsBucket: this.eventArchive.accessLogs,
      });
      // Every alert, digest and chat message links to the deployed dashboard.
      this.recomputeFunction.addEnvironment('DASHBOARD_URL', this.dashboard.url);
    }

    if (props.collector && !config.collector)
      throw new Error('collector: options are given, but the configuration has no collector section');
    if (config.collector)
      this.collector = new Collector(this, 'Collector', {
        ...props.collector,
        settings: config.collector,
        bus,
        table,
        dataKey: this.state.dataKey,
        accessLogsBucket: this.eventArchive.accessLogs,
        // Kept entries are events that never reached the archive: kept as long as it keeps events.
        keptRetention: props.archiveRetention ?? DEFAULT_ARCHIVE_RETENTION,
        configFile,
        entry: join(PROJECT_ROOT, 'functions/collector/handler.ts'),
        packerEntry: join(PROJECT_ROOT, 'functions/collector/packer.ts'),
        depsLockFilePath,
      });
    const { collector } = this;

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      config,
      key: this.state.notificationKey,
      ...(this.dashboard ? { dashboardApi: this.dashboard.api } : {}),
      functions: [
        { name: 'Ingest', function: this.ingestFunction },
        { name: 'Recompute', function: this.recomputeFunction },
        { name: 'ReadApi', function: this.readApi.function },
        { name: 'BackfillPartition', function: this.backfill.partitionFunction },
        { name: 'BackfillWorker', function: this.backfill.workerFunction },
        { name: 'BackfillFinish', function: this.backfill.finishFunction },
        { name: 'ReviewDigest', function: this.alerts.digestFunction },
        ...(this.alerts.webhookFunction
          ? [{ name: 'AlertWebhook', function: this.alerts.webhookFunction }]
          : []),
        ...(collector
          ? [
              { name: 'Collector', function: collector.function },
              { name: 'CollectorPacker', function: collector.packer },
            ]
          : []),
      ],
      deadLetterQueues: [
        { name: 'IngestDeadLetterQueue', queue: ingestDeadLetterQueue },
        { name: 'RecomputeDeadLetterQueue', queue: recomputeDeadLetterQueue },
        { name: 'AlertDeadLetterQueue', queue: this.state.alertDeadLetterQueue },
        ...(collector ? [{ name: 'CollectorDeadLetterQueue', queue: collector.deadLetterQueue }] : []),
      ],
      ingestQueue,
      notificationDeadLetterQueue: this.state.alertDeadLetterQueue,
      recomputeInterval,
      alarmEmails: props.alarmEmails,
      maxIngestQueueAge: props.maxIngestQueueAge,
      maxQuarantineRate: props.maxQuarantineRate,
      recomputeStaleAfter: props.recomputeStaleAfter,
      ...(collector
        ? {
            collector: {
              api: collector.api,
              maxClientErrorRate: props.collector?.maxClientErrorRate,
              maxServerErrorRate: props.collector?.maxServerErrorRate,
              maxRefusedCallRate: props.collector?.maxRefusedCallRate,
            },
          }
        : {}),
    });

    new CfnOutput(this, 'EventBusName', {
      description: 'Bus product apps send events to',
      value: bus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', { value: bus.eventBusArn });
    new CfnOutput(this, 'ReadApiUrl', {
      description: 'Read API base URL (SigV4, service lambda)',
      value: this.readApi.url.url,
    });
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardUrl', {
        description: 'The dashboard, behind sign-in; alert links lead here',
        value: this.dashboard.url,
      });
      if (this.dashboard.userPool)
        new CfnOutput(this, 'DashboardUserPoolId', {
          description:
            'Add users here: aws cognito-idp admin-create-user, admin-add-user-to-group for admins',
          value: this.dashboard.userPool.userPoolId,
        });
    }
    if (collector) {
      new CfnOutput(this, 'CollectorUrl', {
        description: 'Base URL of the collector: the host apps give their Segment SDK',
        value: collector.url,
      });
      new CfnOutput(this, 'CollectorWriteKeysSecretArn', {
        description: 'Secret holding the write keys as JSON; revoke a key by removing it',
        value: collector.writeKeysSecret.secretArn,
      });
      new CfnOutput(this, 'CollectorKeptEntriesBucket', {
        description: 'Entries PutEvents did not take after retries, for northstar replay',
        value: collector.keptEntries.bucketName,
      });
      if (collector.domainName)
        new CfnOutput(this, 'CollectorDomainTarget', {
          description: 'Point the custom domain here (CNAME, or an alias record)',
          value: collector.domainName.regionalDomainName,
        });
    }
    new CfnOutput(this, 'BackfillStateMachineArn', {
      description:
        'The backfill of a changed definition: aws stepfunctions list-executions --state-machine-arn',
      value: this.backfill.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ArchiveBucketName', {
      description: 'The event archive, and imported history under history/<import id>/',
      value: this.eventArchive.bucket.bucketName,
    });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.monitoring.operationsTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
