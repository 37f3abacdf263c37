import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { NorthstarPipeline } from '../../infra/northstar-pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import {
  demoConfig,
  getAtt,
  idOf,
  type Resource,
  resource,
  SYNTH_TIMEOUT,
  type Synthesised,
  scratchStack,
  synthesise,
} from './template-helpers.js';

let config: NorthstarConfig;
let demo: Synthesised;
let tuned: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config });
  tuned = synthesise({
    config,
    alarmEmails: ['oncall@example.com'],
    maxIngestQueueAge: Duration.minutes(30),
    maxQuarantineRate: 0.2,
    recomputeStaleAfter: Duration.hours(2),
  });
}, SYNTH_TIMEOUT);

function alarms(from: Synthesised): Resource[] {
  return Object.values(from.template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
}

function alarmOn(from: Synthesised, metricName: string, dimension?: unknown): Resource {
  const found = alarms(from).filter(
    (alarm) =>
      alarm.Properties.MetricName === metricName &&
      (dimension === undefined ||
        JSON.stringify(alarm.Properties.Dimensions).includes(JSON.stringify(dimension))),
  );
  expect(found, `${metricName} ${JSON.stringify(dimension)}`).toHaveLength(1);
  return found[0] as Resource;
}

describe('NorthstarPipeline: alarms and dashboard', () => {
  it('It should send every alarm to the KMS-encrypted operations topic', () => {
    const topicId = idOf(demo.pipeline.monitoring.operationsTopic);
    expect(resource(demo.template, topicId).Properties).toMatchObject({
      KmsMasterKeyId: getAtt(idOf(demo.pipeline.state.notificationKey)),
    });
    // Three dead-letter queues, errors and throttles of seven functions (three of them the
    // backfill's, one the digest relay), queue age, quarantine rate, stale recompute, the
    // dashboard API's 5xx rate.
    expect(alarms(demo)).toHaveLength(3 + 7 * 2 + 3 + 1);
    for (const alarm of alarms(demo)) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    demo.template.resourceCountIs('AWS::SNS::Subscription', 6);
    tuned.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: idOf(tuned.pipeline.monitoring.operationsTopic) },
      RedrivePolicy: { deadLetterTargetArn: getAtt(idOf(tuned.pipeline.state.alertDeadLetterQueue)) },
    });
  });

  it('It should alarm on the first message in each dead-letter queue', () => {
    const { state } = demo.pipeline;
    for (const queue of [
      state.ingestDeadLetterQueue,
      state.recomputeDeadLetterQueue,
      state.alertDeadLetterQueue,
    ]) {
      const alarm = alarmOn(demo, 'ApproximateNumberOfMessagesVisible', getAtt(idOf(queue), 'QueueName'));
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('It should alarm on errors and throttles of each function', () => {
    const { pipeline } = demo;
    for (const fn of [
      pipeline.ingestFunction,
      pipeline.recomputeFunction,
      pipeline.readApi.function,
      pipeline.alerts.digestFunction,
    ]) {
      for (const metric of ['Errors', 'Throttles']) {
        expect(alarmOn(demo, metric, { Ref: idOf(fn) }).Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('It should alarm when the oldest queued event waited too long (15 minutes by default)', () => {
    const dimension = getAtt(idOf(demo.pipeline.state.ingestQueue), 'QueueName');
    expect(alarmOn(demo, 'ApproximateAgeOfOldestMessage', dimension).Properties).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmOn(tuned, 'ApproximateAgeOfOldestMessage').Properties.Threshold).toBe(1800);
  });

  it('It should alarm on the share of quarantined events with metric math on the ingest metrics', () => {
    const rate = (from: Synthesised) =>
      alarms(from).find((alarm) => JSON.stringify(alarm.Properties.Metrics ?? []).includes('quarantined /'));
    const alarm = rate(demo) as Resource;
    expect(alarm.Properties).toMatchObject({ Threshold: 0.05, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = alarm.Properties.Metrics as { Expression?: string; MetricStat?: { Metric: unknown } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('quarantined / (accepted + quarantined)');
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat?.Metric)).toEqual(
      expect.arrayContaining(
        ['EventsQuarantined', 'EventsAccepted'].map((MetricName) => ({
          Namespace: 'Northstar',
          MetricName,
          Dimensions: [{ Name: 'service', Value: 'northstar-ingest' }],
        })),
      ),
    );
    expect(rate(tuned)?.Properties.Threshold).toBe(0.2);
  });

  it('It should alarm, missing data breaching, when no recompute run finished for three intervals', () => {
    expect(alarmOn(demo, 'RecomputeRuns').Properties).toMatchObject({
      Namespace: 'Northstar',
      Dimensions: [{ Name: 'service', Value: 'northstar-recompute' }],
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarmOn(tuned, 'RecomputeRuns').Properties).toMatchObject({ Period: 7200, EvaluationPeriods: 1 });
  });

  it('It should chart the north star, its children and the pipeline on one dashboard', () => {
    const properties = resource(demo.template, idOf(demo.pipeline.monitoring.dashboard)).Properties;
    const parts = (properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    // References (region, queue and function names) stand in as a placeholder.
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const charted = (title: string) =>
      body.widgets.find((widget) => widget.properties.title?.startsWith(title))?.properties.metrics ?? [];
    const metricValueOf = (id: string) => [
      'Northstar',
      'MetricValue',
      'metric',
      id,
      'service',
      'northstar-recompute',
    ];
    const children = Object.entries(config.metrics).filter(
      ([, metric]) => metric.parent === config.northStar,
    );
    expect(children.length).toBeGreaterThan(0);
    expect(charted('North star').map((metric) => metric.slice(0, 6))).toEqual([
      metricValueOf(config.northStar),
    ]);
    expect(charted('Its children').map((metric) => metric.slice(0, 6))).toEqual(
      children.map(([id]) => metricValueOf(id)),
    );
    const names = body.widgets.flatMap((widget) =>
      (widget.properties.metrics ?? []).map((metric) => metric[1]),
    );
    for (const name of ['EventsAccepted', 'EventsQuarantined', 'PeriodsRecomputed', 'Errors', 'Throttles'])
      expect(names).toContain(name);
  });

  it('It should reject a quarantine rate outside 0 to 1 and a staleness CloudWatch cannot evaluate', () => {
    const build = (props: object) => () =>
      new NorthstarPipeline(scratchStack(), 'Pipeline', { config, ...props });
    expect(build({ maxQuarantineRate: 1.5 })).toThrow(/between 0 and 1/);
    expect(build({ recomputeStaleAfter: Duration.days(30) })).toThrow(/at most 7 days/);
  });
});
