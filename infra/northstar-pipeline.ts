import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { Duration as IsoDuration } from 'luxon';
import { type EventPattern, productEventsPattern } from '../shared/bus/rule-patterns.js';
import type { NorthstarConfig } from '../shared/config/schema.js';
import { NorthstarState } from './northstar-state.js';
import { PipelineFunction } from './pipeline-function.js';
import { PipelineSchedule, scheduleInterval } from './pipeline-schedule.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** File name of the configuration inside the ingest and recompute bundles; the handlers read it at cold start. */
export const BUNDLED_CONFIG_FILE = 'northstar.config.json';

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
  readonly productEventsRule: events.Rule;
  readonly ingestFunction: PipelineFunction;
  /** Rolls up dirty and settled periods and raises or resolves deviation alerts. */
  readonly recomputeFunction: PipelineFunction;
  /** Invokes the recompute function every `config.recompute.every`. */
  readonly recomputeSchedule: PipelineSchedule;

  constructor(scope: Construct, id: string, props: NorthstarPipelineProps) {
    super(scope, id);
    // With a KMS-encrypted queue the SQS target cannot condition its grant on the
    // rule ARN; this flag makes it require this account instead of no condition.
    // Context must be set before any child exists.
    this.node.setContext('@aws-cdk/aws-events:eventsTargetQueueSameAccount', true);

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
        POWERTOOLS_SERVICE_NAME: 'northstar-ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
      commandHooks: copyIntoBundle(configFile, BUNDLED_CONFIG_FILE),
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
        POWERTOOLS_SERVICE_NAME: 'northstar-recompute',
        POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
      },
      commandHooks: copyIntoBundle(configFile, BUNDLED_CONFIG_FILE),
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

    this.recomputeSchedule = new PipelineSchedule(this, 'RecomputeSchedule', {
      target: this.recomputeFunction,
      interval: recomputeInterval,
      deadLetterQueue: recomputeDeadLetterQueue,
      description: `Runs the Northstar recompute every ${recomputeInterval.toHumanString()}`,
    });
  }
}

/** grantReadWriteData also grants use of the table's customer-managed key, with two wildcard actions. */
function acknowledgeTableKeyGrant(fn: PipelineFunction): void {
  const role = fn.role;
  if (role === undefined) throw new Error(`The function ${fn.node.path} has no role`);
  const reason =
    "grantReadWriteData adds these for the table's customer-managed key: the statement names that one key, and the wildcard only spans variants of the one operation.";
  Validations.of(role).acknowledge(
    { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason },
    { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason },
  );
}

/**
 * CDK's EventPattern types fields as string lists, but renders any JSON it is
 * given; only `detailType` is renamed, and the shared patterns already use
 * EventBridge's `detail-type`.
 */
function toCdkEventPattern(pattern: EventPattern): events.EventPattern {
  return pattern as unknown as events.EventPattern;
}

/**
 * Writes the configuration where the bundling hook can copy it from. The name
 * is content-addressed and the write atomic, so parallel synths cannot see a
 * half-written file.
 */
function writeConfigFile(config: NorthstarConfig): string {
  const json = `${JSON.stringify(config, null, 2)}\n`;
  const digest = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `northstar-config-${digest}.json`);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, json);
  renameSync(partial, file);
  return file;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Bundling hooks that copy one file into the root of the bundle (local bundling). */
function copyIntoBundle(source: string, name: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `cp ${shellQuote(source)} ${shellQuote(join(outputDir, name))}`,
    ],
  };
}
