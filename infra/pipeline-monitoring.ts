import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';

/** The namespace and service dimension the handlers' Powertools metrics use. */
export const METRICS_NAMESPACE = 'Northstar';
const INGEST_SERVICE = 'northstar-ingest';
const RECOMPUTE_SERVICE = 'northstar-recompute';
const PERIOD = Duration.minutes(5);
/** The longest alarm period, and the longest span an alarm evaluates. */
const MAX_PERIOD = Duration.days(1);
const MAX_EVALUATED = Duration.days(7);

export interface MonitoredFunction {
  readonly name: string;
  readonly function: lambda.IFunction;
}

export interface MonitoredQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
}

export interface PipelineMonitoringProps {
  readonly config: NorthstarConfig;
  readonly key: kms.IKey;
  readonly functions: readonly MonitoredFunction[];
  readonly deadLetterQueues: readonly MonitoredQueue[];
  readonly ingestQueue: sqs.IQueue;
  /** Where notifications SNS could not deliver to the alarm emails go. */
  readonly notificationDeadLetterQueue: sqs.IQueue;
  /** The recompute runs this often. */
  readonly recomputeInterval: Duration;
  /** @default - no subscription; subscribe to the operations topic yourself */
  readonly alarmEmails?: readonly string[];
  /** @default Duration.minutes(15) */
  readonly maxIngestQueueAge?: Duration;
  /** Share of quarantined events among accepted and quarantined ones. @default 0.05 */
  readonly maxQuarantineRate?: number;
  /** @default - three intervals, at least 15 minutes */
  readonly recomputeStaleAfter?: Duration;
}

function ingestMetric(metricName: string, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: INGEST_SERVICE },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
    label,
  });
}

function recomputeMetric(metricName: string, dimensions: Record<string, string> = {}, label?: string) {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: RECOMPUTE_SERVICE, ...dimensions },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
    label,
  });
}

/**
 * Alarms on the pipeline itself, to an operations topic, and one dashboard:
 * the north star and its children, ingest, queues, functions and recompute.
 */
export class PipelineMonitoring extends Construct {
  readonly operationsTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.operationsTopic = new sns.Topic(this, 'OperationsTopic', {
      displayName: 'Northstar operations alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails ?? [])
      this.operationsTopic.addSubscription(
        new subscriptions.EmailSubscription(email, { deadLetterQueue: props.notificationDeadLetterQueue }),
      );
    const alarm = (id: string, options: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, id, options);
      created.addAlarmAction(new actions.SnsAction(this.operationsTopic));
      this.alarms.push(created);
      return created;
    };

    for (const { name, queue } of props.deadLetterQueues) {
      alarm(`${name}NotEmpty`, {
        alarmDescription: `${name}: messages are waiting to be inspected and redriven`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    for (const { name, function: fn } of props.functions) {
      alarm(`${name}Errors`, {
        alarmDescription: `${name} function: invocations failed`,
        metric: fn.metricErrors({ period: PERIOD }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${name}Throttles`, {
        alarmDescription: `${name} function: invocations were throttled`,
        metric: fn.metricThrottles({ period: PERIOD }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const maxQueueAge = props.maxIngestQueueAge ?? Duration.minutes(15);
    alarm('IngestQueueAge', {
      alarmDescription: `Ingest is behind: the oldest queued event waited over ${maxQueueAge.toHumanString()}`,
      metric: props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      threshold: maxQueueAge.toSeconds(),
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const maxQuarantineRate = props.maxQuarantineRate ?? 0.05;
    if (!(maxQuarantineRate > 0 && maxQuarantineRate < 1))
      throw new Error(`maxQuarantineRate ${maxQuarantineRate} must be between 0 and 1`);
    const quarantineRate = new cloudwatch.MathExpression({
      expression: 'quarantined / (accepted + quarantined)',
      usingMetrics: {
        quarantined: ingestMetric('EventsQuarantined', 'quarantined'),
        accepted: ingestMetric('EventsAccepted', 'accepted'),
      },
      period: PERIOD,
      label: 'Quarantine rate',
    });
    alarm('QuarantineRate', {
      alarmDescription: `Over ${maxQuarantineRate * 100}% of incoming events are quarantined: see GET /api/quarantine`,
      metric: quarantineRate,
      threshold: maxQuarantineRate,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No events means no rate.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const staleAfter =
      props.recomputeStaleAfter ??
      Duration.seconds(Math.max(Duration.minutes(15).toSeconds(), props.recomputeInterval.toSeconds() * 3));
    const stalePeriod = Duration.seconds(Math.min(staleAfter.toSeconds(), MAX_PERIOD.toSeconds()));
    const stalePeriods = Math.ceil(staleAfter.toSeconds() / stalePeriod.toSeconds());
    if (
      stalePeriod.toSeconds() % 60 !== 0 ||
      stalePeriods * stalePeriod.toSeconds() > MAX_EVALUATED.toSeconds()
    )
      throw new Error(
        `recomputeStaleAfter ${staleAfter.toHumanString()} must be whole minutes and at most ${MAX_EVALUATED.toHumanString()}`,
      );
    alarm('RecomputeStale', {
      alarmDescription: `No recompute run finished in ${staleAfter.toHumanString()}: rollups and alerts are stale`,
      // Emitted by a run that finished; failed runs and runs that never started leave no data.
      metric: recomputeMetric('RecomputeRuns').with({ period: stalePeriod }),
      threshold: 1,
      evaluationPeriods: stalePeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: dashboardRows(props, quarantineRate, this.alarms),
    });
  }
}

function dashboardRows(
  props: PipelineMonitoringProps,
  quarantineRate: cloudwatch.IMetric,
  alarms: readonly cloudwatch.Alarm[],
): cloudwatch.IWidget[][] {
  const { config } = props;
  const northStar = config.metrics[config.northStar];
  const children = Object.entries(config.metrics).filter(([, metric]) => metric.parent === config.northStar);
  // Published by each recompute run: the current period's value of each metric so far.
  const value = (id: string, title: string) =>
    recomputeMetric('MetricValue', { metric: id }, title).with({ statistic: cloudwatch.Stats.MAXIMUM });
  const width = 12;
  return [
    [
      new cloudwatch.TextWidget({
        markdown: `# Northstar\nNorth star: **${northStar?.title ?? config.northStar}**. Values are each metric's current period so far, published by every recompute run; the read API and its dashboard show settled periods with their expected bands.`,
        width: 24,
        height: 2,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: `North star: ${northStar?.title ?? config.northStar}`,
        left: [value(config.northStar, northStar?.title ?? config.northStar)],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Its children',
        left: children.map(([id, metric]) => value(id, metric.title)),
        width,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Ingest: events',
        left: [
          ingestMetric('EventsAccepted', 'accepted'),
          ingestMetric('EventsDuplicate', 'duplicates'),
          ingestMetric('EventsConflicting', 'conflicting'),
          ingestMetric('EventsQuarantined', 'quarantined'),
          ingestMetric('MessagesFailed', 'messages failed'),
        ],
        right: [quarantineRate],
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest queue',
        left: [props.ingestQueue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' })],
        right: [props.ingestQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)' })],
        width,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Recompute',
        left: ['PeriodsRecomputed', 'AlertsDetected', 'AlertsResolved', 'RecomputeRuns'].map((name) =>
          recomputeMetric(name, {}, name),
        ),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        left: props.deadLetterQueues.map(({ name, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: name }),
        ),
        width,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Function errors and throttles',
        left: props.functions.map(({ name, function: fn }) => fn.metricErrors({ label: `${name} errors` })),
        right: props.functions.map(({ name, function: fn }) =>
          fn.metricThrottles({ label: `${name} throttles` }),
        ),
        width,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p95)',
        left: props.functions.map(({ name, function: fn }) =>
          fn.metricDuration({ label: name, statistic: 'p95' }),
        ),
        width,
      }),
    ],
    [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24 })],
  ];
}
