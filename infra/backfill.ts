import { ArnFormat, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { VERSIONS_PK } from '../shared/adapters/dynamodb/keys.js';
import { BACKFILL_PREFIX, HISTORY_PREFIX } from '../shared/use-cases/backfill/partition-archive.js';
import { BUNDLED_CONFIG_FILE, copyConfigIntoBundle } from './bundled-config.js';
import { ARCHIVE_DATA_PREFIX } from './event-archive.js';
import { acknowledgeTableKeyGrant } from './nag-acknowledgements.js';
import { PipelineFunction } from './pipeline-function.js';

/** A grant on the objects under some prefixes of the bucket: the wildcard is the object keys, named at run time. */
export function acknowledgePrefixGrant(
  role: iam.IRole,
  bucket: s3.IBucket,
  prefixes: readonly string[],
  reason: string,
) {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  Validations.of(role).acknowledge(
    ...prefixes.map((prefix) => ({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason,
    })),
  );
}

/** Where Firehose writes archived events: what the distributed map lists. */
export const ARCHIVE_OBJECTS_PREFIX = ARCHIVE_DATA_PREFIX;
/** The distributed map's results (the map run's manifest), under the backfill prefix so they expire with it. */
export const MAP_RESULTS_PREFIX = `${BACKFILL_PREFIX}map-runs/`;
/** The history map's results, apart from the archive map's, under the same expiring prefix. */
export const HISTORY_MAP_RESULTS_PREFIX = `${MAP_RESULTS_PREFIX}history/`;

export interface BackfillProps {
  readonly table: dynamodb.ITable;
  /** The pipeline's data key: the table's, and the archive's objects'. */
  readonly dataKey: kms.IKey;
  readonly archiveBucket: s3.Bucket;
  readonly configFile: string;
  readonly entry: string;
  readonly depsLockFilePath: string;
  /**
   * Partitions of the archive by (Source, userId): workers that count at once.
   * @default 16
   */
  readonly partitions?: number;
  /**
   * Archive objects one partition step reads.
   * @default 10
   */
  readonly objectsPerBatch?: number;
  /**
   * Longest a worker step runs before it returns its cursor and the state machine starts the next.
   * @default Duration.minutes(5)
   */
  readonly workerTimeout?: Duration;
  /**
   * How long partitions are kept in the bucket after they are written.
   * @default Duration.days(14)
   */
  readonly partitionRetention?: Duration;
}

/**
 * The backfill of a new definition generation on AWS: a Step Functions state machine that
 * waits until the archive holds every entry up to the cut, splits the archive's objects by
 * (Source, userId) into partitions (a distributed map over S3 ListObjectsV2), then the
 * objects of the finished history imports the execution names (`imports`, a second
 * distributed map over the history prefix), counts each partition with the same ingest
 * code into the generation's namespaces (one worker per partition, looping from its
 * cursor), then records the run done, so the next recompute shows the generation. A
 * failure leaves the registry as it was.
 */
export class Backfill extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly partitionFunction: PipelineFunction;
  readonly workerFunction: PipelineFunction;
  readonly finishFunction: PipelineFunction;
  readonly partitions: number;

  constructor(scope: Construct, id: string, props: BackfillProps) {
    super(scope, id);
    const partitions = props.partitions ?? 16;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000)
      throw new Error(`backfillPartitions: 1 to 1000 partitions, not ${partitions}`);
    this.partitions = partitions;
    const bucket = props.archiveBucket;
    bucket.addLifecycleRule({
      id: 'BackfillPartitions',
      prefix: BACKFILL_PREFIX,
      expiration: props.partitionRetention ?? Duration.days(14),
    });
    const environment = {
      TABLE_NAME: props.table.tableName,
      NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
      ARCHIVE_BUCKET: bucket.bucketName,
      POWERTOOLS_SERVICE_NAME: 'northstar-backfill',
    };
    const step = (
      name: string,
      handler: string,
      description: string,
      timeout: Duration,
      memorySize: number,
    ) =>
      new PipelineFunction(this, name, {
        entry: props.entry,
        handler,
        depsLockFilePath: props.depsLockFilePath,
        description,
        timeout,
        memorySize,
        environment,
        commandHooks: copyConfigIntoBundle(props.configFile),
      });
    // An express child runs five minutes at most: the step ends well within it.
    this.partitionFunction = step(
      'PartitionFunction',
      'partitionHandler',
      'Splits archive objects by (Source, userId) into backfill partitions',
      Duration.minutes(4),
      1769,
    );
    this.workerFunction = step(
      'WorkerFunction',
      'workerHandler',
      "Counts one backfill partition, in arrival order, into the next generation's namespaces",
      props.workerTimeout ?? Duration.minutes(5),
      1024,
    );
    this.finishFunction = step(
      'FinishFunction',
      'finishHandler',
      'Records a backfill run done, so the next recompute shows its generation',
      Duration.seconds(30),
      256,
    );
    this.grantSteps(props);

    const definition = this.definition(bucket, props.objectsPerBatch ?? 10);
    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Runs the Northstar backfill state machine',
    });
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Northstar backfill of a new definition generation from the S3 event archive',
      // Every grant below is written out, scoped to its prefix: none of the generated ones is taken.
      role: role.withoutPolicyUpdates(),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      timeout: Duration.days(7),
    });
    this.grantStateMachine(role, bucket, props.dataKey, logGroup);
  }

  private definition(bucket: s3.IBucket, objectsPerBatch: number): sfn.IChainable {
    const failed = new sfn.Fail(this, 'BackfillFailed', {
      comment: 'The registry is left as it was: the shown generation stays, the next one stays backfilling',
    });
    const retried = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addRetry({
        errors: ['States.TaskFailed', 'Lambda.TooManyRequestsException', 'Lambda.ServiceException'],
        interval: Duration.seconds(5),
        backoffRate: 2,
        maxAttempts: 6,
        maxDelay: Duration.minutes(5),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const waitForArchive = new sfn.Wait(this, 'WaitForArchive', {
      comment:
        'Until Firehose has written every entry up to the cut: the registry cache, its buffer and delivery',
      time: sfn.WaitTime.timestampPath('$.listAfter'),
    });
    // What each batch of either map carries besides its object keys: the finished imports too,
    // so that the step reads only their history objects.
    const batchInput = {
      'generation.$': '$.generation',
      'run.$': '$.run',
      'cut.$': '$.cut',
      'partitions.$': '$.partitionCount',
      'imports.$': '$.imports',
    };
    /** A distributed map over the objects under a prefix, each batch split by the partition step. */
    const partitionMap = (
      id: string,
      stepId: string,
      comment: string,
      prefix: string,
      resultsPrefix: string,
    ) => {
      const map = new sfn.DistributedMap(this, id, {
        comment,
        label: id,
        itemReader: new sfn.S3ObjectsItemReader({ bucket, prefix }),
        itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: objectsPerBatch, batchInput }),
        mapExecutionType: sfn.StateMachineType.EXPRESS,
        maxConcurrency: 100,
        toleratedFailurePercentage: 0,
        // The map run's results go to S3, not into the state: a long archive has many batches.
        resultWriterV2: new sfn.ResultWriterV2({ bucket, prefix: resultsPrefix }),
        resultPath: sfn.JsonPath.DISCARD,
      });
      map.itemProcessor(
        retried(
          new tasks.LambdaInvoke(this, stepId, {
            lambdaFunction: this.partitionFunction,
            payloadResponseOnly: true,
            retryOnServiceExceptions: false,
          }),
        ),
      );
      map.addCatch(failed, { resultPath: '$.error' });
      return map;
    };
    const partitionArchive = partitionMap(
      'PartitionArchive',
      'PartitionObjects',
      'Each batch of archive objects split by (Source, userId) into the partitions',
      ARCHIVE_OBJECTS_PREFIX,
      MAP_RESULTS_PREFIX,
    );
    const partitionHistory = partitionMap(
      'PartitionHistory',
      'PartitionHistoryObjects',
      "Each batch of history import objects split by (Source, userId) into the same partitions: the step keeps the finished imports' objects only",
      HISTORY_PREFIX,
      HISTORY_MAP_RESULTS_PREFIX,
    );

    const countPartition = retried(
      new tasks.LambdaInvoke(this, 'CountPartition', {
        lambdaFunction: this.workerFunction,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      }),
    );
    const counted = new sfn.Succeed(this, 'PartitionCounted');
    const partitionDone = new sfn.Choice(this, 'PartitionDone')
      .when(sfn.Condition.booleanEquals('$.done', true), counted)
      // A step that ran out of time returned its cursor: the next step goes on from it.
      .otherwise(countPartition);
    const countPartitions = new sfn.Map(this, 'CountPartitions', {
      comment: "Each partition's users counted by one worker at a time, in arrival order",
      itemsPath: '$.partitions',
      itemSelector: {
        'generation.$': '$.generation',
        'run.$': '$.run',
        'partition.$': '$$.Map.Item.Value',
        cursor: null,
      },
      maxConcurrency: this.partitions,
      resultPath: sfn.JsonPath.DISCARD,
    });
    countPartitions.itemProcessor(countPartition.next(partitionDone));
    countPartitions.addCatch(failed, { resultPath: '$.error' });

    const finish = retried(
      new tasks.LambdaInvoke(this, 'FinishBackfill', {
        lambdaFunction: this.finishFunction,
        payload: sfn.TaskInput.fromObject({ 'generation.$': '$.generation' }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      }),
    );
    finish.addCatch(failed, { resultPath: '$.error' });
    return waitForArchive.next(partitionArchive).next(partitionHistory).next(countPartitions).next(finish);
  }

  /** Each step may read and write only its prefixes, and only the items it needs. */
  private grantSteps(props: BackfillProps): void {
    const { table, dataKey, archiveBucket: bucket } = props;
    const objects = (prefix: string) => bucket.arnForObjects(`${prefix}*`);
    const registryItems = new iam.PolicyStatement({
      sid: 'RegistryAndRuns',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [VERSIONS_PK] } },
    });
    const tableKey = new iam.PolicyStatement({
      sid: 'UseTableKey',
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [dataKey.keyArn],
    });

    // Reads archive and history import objects, writes partitions.
    this.partitionFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadArchive',
        actions: ['s3:GetObject'],
        resources: [objects(ARCHIVE_OBJECTS_PREFIX), objects(HISTORY_PREFIX)],
      }),
    );
    this.partitionFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WritePartitions',
        actions: ['s3:PutObject'],
        resources: [objects(BACKFILL_PREFIX)],
      }),
    );
    this.partitionFunction.addToRolePolicy(registryItems);
    this.partitionFunction.addToRolePolicy(tableKey);

    // Lists and reads its partition, and counts into the table as ingest does.
    this.workerFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListPartitions',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${BACKFILL_PREFIX}*`] } },
      }),
    );
    this.workerFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadPartitions',
        actions: ['s3:GetObject'],
        resources: [objects(BACKFILL_PREFIX)],
      }),
    );
    table.grantReadWriteData(this.workerFunction);
    acknowledgeTableKeyGrant(this.workerFunction);

    this.finishFunction.addToRolePolicy(registryItems);
    this.finishFunction.addToRolePolicy(tableKey);

    // The data key also encrypts the bucket's objects (through a bucket key).
    for (const fn of [this.partitionFunction, this.workerFunction])
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'UseArchiveKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [dataKey.keyArn],
        }),
      );
    acknowledgePrefixGrant(
      this.partitionFunction.role!,
      bucket,
      [ARCHIVE_OBJECTS_PREFIX, HISTORY_PREFIX, BACKFILL_PREFIX],
      'The partition step reads archive objects, whose keys Firehose names by arrival hour, and history import objects, named by their import and part, and writes partitions named by their arrival range: objects under the three prefixes only.',
    );
    acknowledgePrefixGrant(
      this.workerFunction.role!,
      bucket,
      [BACKFILL_PREFIX],
      'A worker reads the partition files the partition step wrote, named at run time: objects under the backfill prefix only.',
    );
    const reason =
      'Invoked only synchronously by the backfill state machine, which retries a failed step with backoff and then fails the execution: there is no asynchronous invocation to dead-letter.';
    for (const fn of [this.partitionFunction, this.workerFunction, this.finishFunction])
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason });
  }

  private grantStateMachine(
    role: iam.Role,
    bucket: s3.IBucket,
    dataKey: kms.IKey,
    logGroup: logs.ILogGroup,
  ): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunSteps',
        actions: ['lambda:InvokeFunction'],
        resources: [this.partitionFunction, this.workerFunction, this.finishFunction].map(
          (fn) => fn.functionArn,
        ),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListArchive',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_OBJECTS_PREFIX}*`, `${HISTORY_PREFIX}*`] } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteMapResults',
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [bucket.arnForObjects(`${MAP_RESULTS_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptMapResults',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [dataKey.keyArn],
      }),
    );
    // Apart from the state machine, whose ARN they name: inside its role's policy that would be a cycle.
    const arn = this.stateMachine.stateMachineArn;
    const name = Fn.select(6, Fn.split(':', arn));
    const executions = (suffix: string) =>
      Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: Fn.join('', [name, suffix]),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const childExecutions = new iam.Policy(this, 'ChildExecutionsPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'StartMapChildren',
          actions: ['states:StartExecution'],
          resources: [arn],
        }),
        new iam.PolicyStatement({
          sid: 'WatchMapChildren',
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [executions(':*')],
        }),
        new iam.PolicyStatement({
          sid: 'RedriveMapRuns',
          actions: ['states:RedriveExecution'],
          resources: [executions('/*:*')],
        }),
      ],
    });
    // As the cdk-nag finding spells the ARN: the state machine's name taken from its ARN.
    const nameOfArn = JSON.stringify({
      'Fn::Select': [
        6,
        {
          'Fn::Split': [
            ':',
            { Ref: Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as sfn.CfnStateMachine) },
          ],
        },
      ],
    });
    const executionsReason =
      "The distributed map's child executions and map runs are named at run time: the wildcard spans executions of this one state machine only.";
    Validations.of(childExecutions).acknowledge(
      ...[':*', '/*:*'].map((suffix) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${nameOfArn}${suffix}]`,
        reason: executionsReason,
      })),
    );
    // The map's own grants went to a role that takes none: every one is in the policies above.
    this.stateMachine.node.tryRemoveChild('DistributedMapPolicy');
    acknowledgePrefixGrant(
      role,
      bucket,
      [MAP_RESULTS_PREFIX],
      'The distributed map writes its map run results (manifest and result files) under this prefix alone, named by the run.',
    );
    // Log delivery and X-Ray take no resource-level permissions.
    const observe = new iam.Policy(this, 'ObservabilityPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'DeliverLogs',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'Trace',
          actions: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(observe).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs vended log delivery and X-Ray tracing support no resource-level permissions (the statements Step Functions documents for logging and tracing).',
    });
    void logGroup;
    this.stateMachine.node.addDependency(observe);
  }
}
