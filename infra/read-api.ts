import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ALERT_PK, ANNOTATION_PK, DIRTY_PK, VERSIONS_PK } from '../shared/adapters/dynamodb/keys.js';
import { HISTORY_PREFIX } from '../shared/use-cases/backfill/partition-archive.js';
import { acknowledgePrefixGrant } from './backfill.js';
import { BUNDLED_CONFIG_FILE, copyConfigIntoBundle } from './bundled-config.js';
import { PipelineFunction } from './pipeline-function.js';

/**
 * The only partitions the API updates items of: alert items (owners' acknowledgements),
 * dirty marks (a recompute over a range marks its periods before it runs) and the
 * versions partition, where it records history imports (`history#<id>`, and each part
 * written, `import#<id>#part#<hash>`), and owners' annotations.
 */
export const API_WRITTEN_PARTITIONS = [ALERT_PK, DIRTY_PK, VERSIONS_PK, ANNOTATION_PK];

/** Quarantine partitions (`Q#<yyyy-mm-dd>`, by arrival day): where the API writes rejected imported events. */
export const API_QUARANTINE_PARTITIONS = 'Q#*';

export interface ReadApiProps {
  readonly table: dynamodb.ITable;
  /** The table's customer-managed key. */
  readonly tableKey: kms.IKey;
  /** `POST /api/recompute` invokes it and answers with its summary. */
  readonly recomputeFunction: lambda.IFunction;
  /** Longest one recompute run may take; the API waits for it. */
  readonly recomputeTimeout: Duration;
  /** The configuration file written for bundling. */
  readonly configFile: string;
  readonly entry: string;
  readonly depsLockFilePath: string;
  /**
   * The event archive's bucket: a history import's validated events are written under its
   * history prefix (`history/<import id>/<part>.ndjson.gz`), where a backfill reads them.
   * @default - no history imports on AWS
   */
  readonly archiveBucket?: s3.IBucket;
  /**
   * The key that encrypts the archive bucket's objects (the pipeline's data key).
   * @default - none granted: the bucket's objects are not under a customer-managed key
   */
  readonly archiveKey?: kms.IKey;
}

/**
 * The read API on AWS: one function serving every endpoint behind a Lambda
 * function URL that only IAM principals allowed to invoke it can call (SigV4).
 * It reads the table, writes only alert items (acknowledgements), dirty marks and
 * history imports (their events under the archive bucket's history prefix, their
 * records in the versions partition, their rejected events in the quarantine), and
 * runs the recompute by invoking the recompute function, which stays the one writer
 * of rollups and alerts.
 */
export class ReadApi extends Construct {
  readonly function: PipelineFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ReadApiProps) {
    super(scope, id);
    this.function = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      depsLockFilePath: props.depsLockFilePath,
      description:
        'Northstar read API: metrics, series, funnels, journey, alerts, quarantine, recompute, history imports',
      // Room for a recompute run that POST /api/recompute waits for.
      timeout: Duration.seconds(Math.min(900, props.recomputeTimeout.toSeconds() + 30)),
      memorySize: 1024,
      environment: {
        TABLE_NAME: props.table.tableName,
        NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
        RECOMPUTE_FUNCTION_NAME: props.recomputeFunction.functionName,
        ...(props.archiveBucket ? { ARCHIVE_BUCKET: props.archiveBucket.bucketName } : {}),
        POWERTOOLS_SERVICE_NAME: 'northstar-api',
      },
      commandHooks: copyConfigIntoBundle(props.configFile),
    });

    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTable',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AcknowledgeAlertsAndMarkRanges',
        actions: ['dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': API_WRITTEN_PARTITIONS } },
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RemoveAnnotations',
        actions: ['dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ANNOTATION_PK] } },
      }),
    );
    // Every key of a batch must be in a quarantine partition: the condition holds for each one.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineImportedEvents',
        actions: ['dynamodb:BatchWriteItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [API_QUARANTINE_PARTITIONS] } },
      }),
    );
    // What DynamoDB needs of the caller to read and write items under the table's key.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'UseTableKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.tableKey.keyArn],
      }),
    );
    // The unqualified function only, unlike grantInvoke, which adds its versions and aliases.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RunRecompute',
        actions: ['lambda:InvokeFunction'],
        resources: [props.recomputeFunction.functionArn],
      }),
    );

    if (props.archiveBucket) this.grantHistory(props.archiveBucket, props.archiveKey, props.tableKey);

    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Only invoked synchronously, through its function URL: the caller receives the error, and there is no asynchronous invocation to dead-letter.',
    });
  }

  /** Writes a history import's objects under the history prefix alone, and nothing else of the bucket. */
  private grantHistory(bucket: s3.IBucket, archiveKey: kms.IKey | undefined, tableKey: kms.IKey): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteHistory',
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${HISTORY_PREFIX}*`)],
      }),
    );
    // The objects are encrypted with the archive's key; UseTableKey already covers it when it is the table's.
    const resolve = (key: kms.IKey) => JSON.stringify(Stack.of(this).resolve(key.keyArn));
    if (archiveKey && archiveKey !== tableKey && resolve(archiveKey) !== resolve(tableKey))
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'UseArchiveKey',
          actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
          resources: [archiveKey.keyArn],
        }),
      );
    acknowledgePrefixGrant(
      this.function.role!,
      bucket,
      [HISTORY_PREFIX],
      "A history import's objects are named by the import and a hash of each part, at run time: the API may only put objects under the history prefix, and neither read nor delete any.",
    );
  }
}
