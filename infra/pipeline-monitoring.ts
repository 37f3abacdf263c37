import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { CALL_METRICS, COLLECTOR_SERVICE } from '../shared/use-cases/collector/call-metrics.js';

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

/** The collector's API and the shares of requests and calls past which its alarms fire. */
export interface MonitoredCollector {
  readonly api: apigwv2.IHttpApi;
  /** @default 0.05 */
  readonly maxClientErrorRate?: number;
  /** @default 0.01 */
  readonly maxServerErrorRate?: number;
  /** @default 0.05 */
  readonly maxRefusedCallRate?: number;
}

/** Share of the dashboard API's requests answered 5xx past which its alarm fires. */
export const DASHBOARD_API_MAX_SERVER_ERROR_RATE = 0.01;

/** Fewer requests or calls than this in a period make no rate: one refused request of two is no trend. */
export const MIN_RATE_SAMPLE = 20;

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
  /** @default - no collector, no collector alarms */
  readonly collector?: MonitoredCollector;
  /**
   * The dashboard site's API: the read API answers a failure it caught with a 500, which is
   * no function error, so its share of 5xx answers is alarmed on its own.
   * @default - no dashboard site, no alarm
   */
  readonly dashboardApi?: apigwv2.IHttpApi;
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

function collectorMetric(field: keyof typeof CALL_METRICS, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: CALL_METRICS[field],
    dimensionsMap: { service: COLLECTOR_SERVICE },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
    label,
  });
}

/** `part / whole` in each period, or 0 while `whole` is under `MIN_RATE_SAMPLE`. */
function rateOf(
  part: cloudwatch.IMetric,
  whole: cloudwatch.IMetric,
  label: string,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `IF(whole >= ${MIN_RATE_SAMPLE}, part / whole, 0)`,
    usingMetrics: { part, whole },
    period: PERIOD,
    label,
  });
}

function checkedShare(name: string, value: number): number {
  if (!(value > 0 && value < 1)) throw new Error(`${name} ${value} must be between 0 and 1`);
  return value;
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

    if (props.collector) this.collectorAlarms(props.collector, alarm);
    if (props.dashboardApi) {
      const api = props.dashboardApi;
      alarm('DashboardApiServerErrorRate', {
        alarmDescription:
          'Over 1% of the dashboard API requests fail (5xx): the read API or the table is down for signed-in owners (see the read API function logs)',
        metric: rateOf(
          api.metricServerError({ period: PERIOD }),
          api.metricCount({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
          'Dashboard API 5xx rate',
        ),
        threshold: DASHBOARD_API_MAX_SERVER_ERROR_RATE,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: dashboardRows(props, quarantineRate, this.alarms),
    });
  }

  /** Alarms on the collector: shares of requests refused (4xx) and failed (5xx), of calls refused, and any entry kept. */
  private collectorAlarms(
    collector: MonitoredCollector,
    alarm: (id: string, options: cloudwatch.AlarmProps) => cloudwatch.Alarm,
  ): void {
    const { api } = collector;
    const requests = api.metricCount({ period: PERIOD, statistic: cloudwatch.Stats.SUM });
    const rates = [
      {
        id: 'CollectorClientErrorRate',
        share: checkedShare('maxClientErrorRate', collector.maxClientErrorRate ?? 0.05),
        rate: rateOf(api.metricClientError({ period: PERIOD }), requests, 'Collector 4xx rate'),
        what: 'requests are refused (4xx: keys, limits, bodies; see the access logs)',
      },
      {
        id: 'CollectorServerErrorRate',
        share: checkedShare('maxServerErrorRate', collector.maxServerErrorRate ?? 0.01),
        rate: rateOf(api.metricServerError({ period: PERIOD }), requests, 'Collector 5xx rate'),
        what: 'requests fail (5xx): apps send them again, but the collector or what it calls is down',
      },
      {
        id: 'CollectorRefusedCallRate',
        share: checkedShare('maxRefusedCallRate', collector.maxRefusedCallRate ?? 0.05),
        rate: rateOf(
          collectorMetric('refusedCalls', 'refused'),
          collectorMetric('calls', 'calls'),
          'Refused calls',
        ),
        what: "calls are refused (no messageId, no user, a bad timestamp): an app's instrumentation is off",
      },
    ];
    for (const { id, share, rate, what } of rates)
      alarm(id, {
        alarmDescription: `Over ${share * 100}% of collector ${what}`,
        metric: rate,
        threshold: share,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    alarm('CollectorEntriesKept', {
      alarmDescription:
        'Collector: PutEvents did not take entries after retries; they are kept in the kept-entries bucket: replay them (docs/collector.md)',
      // No label: a labelled metric renders as metric math, which the alarm does not need.
      metric: collectorMetric('entriesKept'),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

function collectorRow(collector: MonitoredCollector): cloudwatch.IWidget[] {
  const { api } = collector;
  return [
    new cloudwatch.GraphWidget({
      title: 'Collector: requests',
      left: [
        api.metricCount({ period: PERIOD, label: 'requests' }),
        api.metricClientError({ period: PERIOD, label: '4xx' }),
        api.metricServerError({ period: PERIOD, label: '5xx' }),
      ],
      right: [api.metricLatency({ period: PERIOD, statistic: 'p95', label: 'latency p95 (ms)' })],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Collector: calls and entries',
      left: [
        collectorMetric('calls', 'calls'),
        collectorMetric('events', 'events'),
        collectorMetric('refusedCalls', 'calls refused'),
      ],
      right: [
        collectorMetric('entriesPut', 'entries put'),
        collectorMetric('entriesRetried', 'entries retried'),
        collectorMetric('entriesKept', 'entries kept'),
      ],
      width: 12,
    }),
  ];
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
    ...(props.collector ? [collectorRow(props.collector)] : []),
    [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24 })],
  ];
}
