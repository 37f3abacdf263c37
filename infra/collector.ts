import { Annotations, Duration, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IDENTITY_LINK_PREFIX } from '../shared/adapters/dynamodb/identity-links.js';
import { KEPT_ENTRIES_PREFIX } from '../shared/adapters/s3/kept-entries.js';
import type { CollectorSettings } from '../shared/domain/config/schema.js';
import { COLLECTOR_SERVICE, PACKER_SERVICE } from '../shared/use-cases/collector/call-metrics.js';
import {
  ALLOWED_HEADERS,
  PREFLIGHT_MAX_AGE_SECONDS,
  ROUTES,
} from '../shared/use-cases/collector/segment-request.js';
import { BUNDLED_CONFIG_FILE, copyConfigIntoBundle } from './bundled-config.js';
import { dataBucket } from './data-bucket.js';
import { PipelineFunction } from './pipeline-function.js';

/** Requests per second across the stage, and at once. */
export interface CollectorThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** The collector's own options on AWS; what it takes and maps comes from the configuration's `collector`. */
export interface CollectorOptions {
  /**
   * API Gateway throttling of the stage: past it, API Gateway answers 429 without calling the function.
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly throttle?: CollectorThrottle;
  /**
   * Throttling of single routes, by path (`/v1/batch`), instead of the stage's.
   * @default - every route has the stage's
   */
  readonly routeThrottles?: Readonly<Record<string, CollectorThrottle>>;
  /**
   * A custom domain for the API (`collect.example.com`); needs `certificateArn`.
   * @default - only the API's own `execute-api` address
   */
  readonly domainName?: string;
  /**
   * An ACM certificate for `domainName`, in the stack's region.
   * @default - none
   */
  readonly certificateArn?: string;
  /**
   * A secret that holds the write keys as JSON (the shape of `collector.writeKeys`).
   * @default - a new secret holding `{}`
   */
  readonly writeKeysSecret?: secretsmanager.ISecret;
  /**
   * How long each function instance uses one read of the secret: a revoked key is refused within this.
   * @default Duration.seconds(30)
   */
  readonly writeKeysCacheTtl?: Duration;
  /**
   * How long the access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Alarm when more than this share of requests is answered 4xx (0 to 1).
   * @default 0.05
   */
  readonly maxClientErrorRate?: number;
  /**
   * Alarm when more than this share of requests is answered 5xx (0 to 1).
   * @default 0.01
   */
  readonly maxServerErrorRate?: number;
  /**
   * Alarm when more than this share of calls is refused (no messageId, no user, a bad timestamp) (0 to 1).
   * @default 0.05
   */
  readonly maxRefusedCallRate?: number;
  /**
   * Queued requests the packer takes at once: the more, the fuller the entries it puts on
   * the bus (up to 10,000; a batch is also at most 6 MB).
   * @default 1000
   */
  readonly packerBatchSize?: number;
  /**
   * How long the packer waits to fill a batch: the most it adds to an event's way to the bus.
   * @default Duration.seconds(5)
   */
  readonly packerBatchingWindow?: Duration;
}

export interface CollectorProps extends CollectorOptions {
  readonly settings: CollectorSettings;
  readonly bus: events.IEventBus;
  /** The pipeline's table, under the data key: the function reads and writes its identify links there, nothing else. */
  readonly table: dynamodb.ITable;
  /** The pipeline's data key: kept entries are product data. */
  readonly dataKey: kms.IKey;
  /** Where the kept-entries bucket's server access logs go. */
  readonly accessLogsBucket: s3.IBucket;
  /** How long kept entries are kept. */
  readonly keptRetention: Duration;
  /** The configuration file written for bundling. */
  readonly configFile: string;
  readonly entry: string;
  /** The packer function's handler file. */
  readonly packerEntry: string;
  readonly depsLockFilePath: string;
}

export const DEFAULT_COLLECTOR_THROTTLE: CollectorThrottle = { rateLimit: 1000, burstLimit: 2000 };
export const DEFAULT_WRITE_KEYS_CACHE_TTL = Duration.seconds(30);
export const DEFAULT_PACKER_BATCH_SIZE = 1000;
export const DEFAULT_PACKER_BATCHING_WINDOW = Duration.seconds(5);
const PACKER_TIMEOUT = Duration.seconds(60);
/** A message that fails this many receives (its entries refused every time) goes to the dead-letter queue. */
export const PACKER_MAX_RECEIVES = 5;

/** One JSON object per request: what an operator needs to follow a refused or failed call. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  domain: '$context.domainName',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatencyMs: '$context.integrationLatency',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
});

/**
 * The collector on AWS: the Segment tracking API for web and mobile apps, as an API Gateway
 * HTTP API (throttled, access-logged, CORS from the configuration's allowed origins, an
 * optional custom domain) in front of one function that runs the same tracking API as the
 * local runtime, identify links in the pipeline's table (its own items alone). It queues each
 * request's entries (or keeps them in an S3 bucket for replay when the queue is down); a packer function takes many queued requests at once and puts their
 * events on the bus in full entries, which is what makes a few events a request as cheap as
 * server traffic. Entries PutEvents refuses are retried; their messages are received again,
 * then dead-lettered. Write keys come from the configuration and from a secret read again every
 * `writeKeysCacheTtl`, so revoking a key needs no deploy.
 */
export class Collector extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly function: PipelineFunction;
  /** Each accepted request's entries, until the packer put them on the bus. */
  readonly queue: sqs.Queue;
  /** Queued requests whose entries PutEvents refused at every receive. */
  readonly deadLetterQueue: sqs.Queue;
  readonly packer: PipelineFunction;
  readonly accessLogs: logs.LogGroup;
  readonly writeKeysSecret: secretsmanager.ISecret;
  /** Entries the queue did not take after retries, as NDJSON that `northstar replay` sends again. */
  readonly keptEntries: s3.Bucket;
  readonly domainName?: apigwv2.DomainName;
  /** The base URL apps send to: the custom domain's when there is one. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const { settings } = props;
    if ((props.domainName === undefined) !== (props.certificateArn === undefined))
      throw new Error('collector: a custom domain needs both domainName and certificateArn');
    for (const path of Object.keys(props.routeThrottles ?? {}))
      if (!ROUTES[path])
        throw new Error(
          `collector.routeThrottles: ${path} is not a route (${Object.keys(ROUTES).join(', ')})`,
        );
    // The local runtime's places for keys; on AWS they are the secret's and the configuration's.
    for (const setting of ['writeKeysFile', 'writeKeysEnv'] as const)
      if (settings[setting])
        Annotations.of(this).addInfo(
          `collector.${setting} is read by the local runtime only; on AWS, put those keys in the write keys secret`,
        );

    this.writeKeysSecret =
      props.writeKeysSecret ??
      new secretsmanager.Secret(this, 'WriteKeys', {
        description: 'Northstar collector write keys: {"<key>": {"source": "<EventBridge source>"}}',
        // Public keys, no secret material: the template may hold the empty starting value.
        secretStringValue: SecretValue.unsafePlainText('{}'),
      });
    if (!props.writeKeysSecret)
      Validations.of(this.writeKeysSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Write keys are public identifiers that ship inside apps, not credentials: a key is rotated by adding a new one and revoking the old one in the secret, which no rotation function can do for the apps.',
      });

    this.keptEntries = dataBucket(this, 'KeptEntries', {
      dataKey: props.dataKey,
      accessLogs: props.accessLogsBucket,
      accessLogsPrefix: 'collector-kept/',
      lifecycleRules: [{ id: 'Retention', expiration: props.keptRetention }],
    });

    const batchSize = props.packerBatchSize ?? DEFAULT_PACKER_BATCH_SIZE;
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000))
      throw new Error(`collector.packerBatchSize ${batchSize} must be a whole number from 1 to 10000`);
    const batchingWindow = props.packerBatchingWindow ?? DEFAULT_PACKER_BATCHING_WINDOW;
    this.deadLetterQueue = new sqs.Queue(this, 'QueueDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      // Six times the timeout leaves room for throttled retries (AWS guidance), plus the batching window.
      visibilityTimeout: Duration.seconds(PACKER_TIMEOUT.toSeconds() * 6 + batchingWindow.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: PACKER_MAX_RECEIVES },
    });

    this.function = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      depsLockFilePath: props.depsLockFilePath,
      description: 'Northstar collector: Segment tracking API calls to batch entries in the packer queue',
      // Under API Gateway's 30 s: every AWS call it makes gives up within seconds.
      timeout: Duration.seconds(25),
      environment: {
        NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
        TABLE_NAME: props.table.tableName,
        COLLECTOR_QUEUE_URL: this.queue.queueUrl,
        KEPT_ENTRIES_BUCKET: this.keptEntries.bucketName,
        WRITE_KEYS_SECRET_ID: this.writeKeysSecret.secretArn,
        WRITE_KEYS_CACHE_SECONDS: String(
          (props.writeKeysCacheTtl ?? DEFAULT_WRITE_KEYS_CACHE_TTL).toSeconds(),
        ),
        POWERTOOLS_SERVICE_NAME: COLLECTOR_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
      commandHooks: copyConfigIntoBundle(props.configFile),
    });
    // sqs:SendMessage on this queue alone; SQS encrypts with the data key on the function's behalf.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'QueueRequests',
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'EncryptQueuedRequests',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    // Identify links alone: every key of a call must be in an identify link partition.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'IdentityLinks',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDENTITY_LINK_PREFIX}*`] } },
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'UseTableKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );

    this.packer = new PipelineFunction(this, 'Packer', {
      entry: props.packerEntry,
      depsLockFilePath: props.depsLockFilePath,
      description: 'Northstar collector packer: queued requests to full batch entries on the bus',
      timeout: PACKER_TIMEOUT,
      environment: {
        EVENT_BUS_NAME: props.bus.eventBusName,
        POWERTOOLS_SERVICE_NAME: PACKER_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
    });
    // events:PutEvents on this bus alone; the event source grants receive and delete on the queue.
    props.bus.grantPutEventsTo(this.packer);
    this.packer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: batchingWindow,
        reportBatchItemFailures: true,
      }),
    );
    Validations.of(this.packer).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          "Invoked by its SQS event source only: a message it cannot finish moves to the collector queue's dead-letter queue after its receives.",
      },
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: `SQS event source mappings take no on-failure destination: the collector queue's redrive policy dead-letters a message after ${PACKER_MAX_RECEIVES} receives.`,
      },
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'A dead-letter queue is the end of its path: an alarm fires on its first message, and an operator redrives it to the collector queue (docs/collector.md).',
    });

    this.writeKeysSecret.grantRead(this.function);
    // Only new objects under the kept prefix: it cannot read, list or delete what is kept.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KeepEntries',
        actions: ['s3:PutObject'],
        resources: [this.keptEntries.arnForObjects(`${KEPT_ENTRIES_PREFIX}*`)],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'EncryptKeptEntries',
        actions: ['kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    Validations.of(this.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.keptEntries.node.defaultChild as s3.CfnBucket)}.Arn>/${KEPT_ENTRIES_PREFIX}*]`,
      reason:
        'Each kept request is a new object of its own name under the kept prefix; the statement allows only s3:PutObject there, in the one kept-entries bucket.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Only invoked synchronously, by API Gateway: the app receives the error and sends its calls again, and there is no asynchronous invocation to dead-letter.',
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    const origins = settings.allowedOrigins;
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Northstar collector: the Segment tracking API for web and mobile apps',
      createDefaultStage: false,
      // API Gateway answers preflights itself; the function still refuses calls of other origins (403).
      ...(origins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...origins],
              allowMethods: [apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.OPTIONS],
              allowHeaders: [...ALLOWED_HEADERS],
              exposeHeaders: ['Retry-After'],
              maxAge: Duration.seconds(PREFLIGHT_MAX_AGE_SECONDS),
            },
          }
        : {}),
    });
    const integration = new HttpLambdaIntegration('Function', this.function);
    // Only the tracking API's routes reach the function; API Gateway answers any other path 404 itself.
    const routes = Object.keys(ROUTES).flatMap((path) =>
      this.api.addRoutes({ path, methods: [apigwv2.HttpMethod.POST], integration }),
    );
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "The Segment tracking API authenticates by write key, which the function checks against the secret (Basic auth or the body's writeKey); a write key in the body cannot be an API Gateway identity source, and browsers hold no IAM or JWT credentials.",
    });

    if (props.domainName && props.certificateArn)
      this.domainName = new apigwv2.DomainName(this, 'DomainName', {
        domainName: props.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });

    const throttle = props.throttle ?? DEFAULT_COLLECTOR_THROTTLE;
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
      ...(this.domainName ? { domainMapping: { domainName: this.domainName } } : {}),
    });
    const routeSettings = Object.entries(props.routeThrottles ?? {});
    if (routeSettings.length > 0) {
      (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = Object.fromEntries(
        routeSettings.map(([path, route]) => [
          `POST ${path}`,
          // The L1 takes this as plain JSON: CloudFormation's own property names.
          { ThrottlingRateLimit: route.rateLimit, ThrottlingBurstLimit: route.burstLimit },
        ]),
      );
      // A stage's route settings name routes that must exist first.
      this.stage.node.addDependency(...routes);
    }
    this.url = this.domainName ? `https://${props.domainName}/` : this.stage.url;
  }
}
