import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ALERT_PK, DIRTY_PK } from '../shared/adapters/dynamodb/keys.js';
import { BUNDLED_CONFIG_FILE, copyConfigIntoBundle } from './bundled-config.js';
import { PipelineFunction } from './pipeline-function.js';

/**
 * The only partitions the API writes: alert items (owners' acknowledgements) and dirty
 * marks (a recompute over a range marks its periods before it runs).
 */
export const API_WRITTEN_PARTITIONS = [ALERT_PK, DIRTY_PK];

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
}

/**
 * The read API on AWS: one function serving every endpoint behind a Lambda
 * function URL that only IAM principals allowed to invoke it can call (SigV4).
 * It reads the table, writes only alert items (acknowledgements), and runs the
 * recompute by invoking the recompute function, which stays the one writer of
 * rollups and alerts.
 */
export class ReadApi extends Construct {
  readonly function: PipelineFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ReadApiProps) {
    super(scope, id);
    this.function = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      depsLockFilePath: props.depsLockFilePath,
      description: 'Northstar read API: metrics, series, funnels, journey, alerts, quarantine, recompute',
      // Room for a recompute run that POST /api/recompute waits for.
      timeout: Duration.seconds(Math.min(900, props.recomputeTimeout.toSeconds() + 30)),
      memorySize: 1024,
      environment: {
        TABLE_NAME: props.table.tableName,
        NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
        RECOMPUTE_FUNCTION_NAME: props.recomputeFunction.functionName,
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

    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Only invoked synchronously, through its function URL: the caller receives the error, and there is no asynchronous invocation to dead-letter.',
    });
  }
}
