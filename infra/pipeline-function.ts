import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface PipelineFunctionProps {
  /** Path of the TypeScript entry file. */
  readonly entry: string;
  /**
   * Name of the exported handler in the entry file.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Environment variables, merged over the ones every pipeline function gets.
   * @default - only the common ones (source maps)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Longest one invocation may run.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; CPU scales with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Commands to run around esbuild, e.g. to copy files into the bundle.
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;
  /**
   * Absolute path of the lock file; its folder is the project root for bundling.
   * @default - NodejsFunction looks for a lock file upwards from the working directory
   */
  readonly depsLockFilePath?: string;
  /**
   * Where Lambda sends an asynchronous invocation that failed every attempt or expired.
   * @default - none: such invocations are dropped
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * How often Lambda retries a failed asynchronous invocation (0 to 2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps trying an asynchronous invocation (1 minute to 6 hours).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

/** Lambdas run as ES modules; some bundled CommonJS dependencies still call `require`. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

/**
 * A Node.js Lambda function with Northstar's defaults: newest runtime, arm64,
 * X-Ray tracing, an ESM bundle with source maps, its own log group with a
 * bounded retention, and a role that may write only to that log group.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    // Created beside the function: a subclass cannot add children before super().
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // Own role instead of AWSLambdaBasicExecutionRole, whose log permissions span every log group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function`,
    });
    logGroup.grantWrite(role);
    // X-Ray permissions in their own policy, so that the Resource::* acknowledgement covers them alone.
    const tracingPolicy = new iam.Policy(scope, `${id}TracingPolicy`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(tracingPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });

    super(scope, id, {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      logGroup,
      role,
      depsLockFilePath: props.depsLockFilePath,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        // Prefer packages' ESM builds so esbuild can tree-shake them.
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        sourceMap: true,
        commandHooks: props.commandHooks,
      },
    });
    // Set on the L1 rather than with `tracing`, which would put the X-Ray statement in the default policy.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    // Lambda rejects active tracing when the role cannot write traces yet.
    this.node.addDependency(tracingPolicy);
  }
}
