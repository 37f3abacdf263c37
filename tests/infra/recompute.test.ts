import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE } from '../../infra/bundled-config.js';
import { scheduleInterval } from '../../infra/pipeline-schedule.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import {
  bundleOf,
  demoConfig,
  environmentOf,
  getAtt,
  idOf,
  only,
  resource,
  SYNTH_TIMEOUT,
  type Synthesised,
  statementsOf,
  synthesise,
} from './template-helpers.js';

let config: NorthstarConfig;
let demo: Synthesised;
let tuned: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config }, { bundle: true });
  tuned = synthesise({ config: { ...config, recompute: { ...config.recompute, every: 'PT2M' } } });
}, SYNTH_TIMEOUT);

describe('NorthstarPipeline: recompute path', () => {
  it('It should invoke the recompute function at the configured interval (PT5M by default)', () => {
    expect(config.recompute.every).toBe('PT5M');
    const [scheduleId, schedule] = only(demo.template, 'AWS::Scheduler::Schedule');
    expect(scheduleId).toBe(idOf(demo.pipeline.recomputeSchedule));
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    // The default group, which the scheduler role's trust policy names.
    expect(schedule.Properties.GroupName).toBeUndefined();
    expect(schedule.Properties.Target).toEqual({
      Arn: getAtt(idOf(demo.pipeline.recomputeFunction)),
      RoleArn: getAtt(idOf(demo.pipeline.recomputeSchedule.executionRole)),
      // Delivery is retried for at most one interval, then dead-lettered.
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
      DeadLetterConfig: { Arn: getAtt(idOf(demo.pipeline.state.recomputeDeadLetterQueue)) },
    });
  });

  it('It should derive the rate, the timeout and both retry windows from the configured interval', () => {
    const fnId = idOf(tuned.pipeline.recomputeFunction);
    tuned.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(2 minutes)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 } }),
    });
    // A run must end before the next one is due.
    expect(resource(tuned.template, fnId).Properties.Timeout).toBe(120);
    tuned.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumEventAgeInSeconds: 120,
    });
  });

  it('It should turn ISO 8601 intervals into whole minutes, rounding up, at least one', () => {
    expect(scheduleInterval('PT5M').toMinutes()).toBe(5);
    expect(scheduleInterval('PT1H').toMinutes()).toBe(60);
    expect(scheduleInterval('P1D').toMinutes()).toBe(1440);
    expect(scheduleInterval('PT90S').toMinutes()).toBe(2);
    expect(scheduleInterval('PT30S').toMinutes()).toBe(1);
    expect(() => scheduleInterval('PT0S')).toThrow(/positive ISO 8601 duration/);
    expect(() => scheduleInterval('five minutes')).toThrow(/positive ISO 8601 duration/);
  });

  it('It should run the recompute function on nodejs24.x, arm64, traced, 1024 MB, 5 minutes, with exactly its environment', () => {
    const [tableId] = only(demo.template, 'AWS::DynamoDB::Table');
    const [busId] = only(demo.template, 'AWS::Events::EventBus');
    const fn = resource(demo.template, idOf(demo.pipeline.recomputeFunction));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: idOf(demo.pipeline.recomputeFunction.logGroup) } },
    });
    expect(environmentOf(fn)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: tableId },
      NORTHSTAR_CONFIG_FILE: 'northstar.config.json',
      EVENT_BUS_NAME: { Ref: busId },
      BACKFILL_STATE_MACHINE_ARN: { Ref: idOf(demo.pipeline.backfill.stateMachine) },
      BACKFILL_PARTITIONS: '16',
      // The ingest functions' registry cache (30 s) plus Firehose's buffer interval (5 minutes).
      BACKFILL_CUT_AFTER_SECONDS: '330',
      BACKFILL_LIST_AFTER_SECONDS: '60',
      // Its oldest message's age is the ingest watermark.
      INGEST_QUEUE_NAME: { 'Fn::GetAtt': [idOf(demo.pipeline.state.ingestQueue), 'QueueName'] },
      // Alert links lead to the deployed dashboard.
      DASHBOARD_URL: {
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [idOf(demo.pipeline.dashboard!.distribution), 'DomainName'] }, '/'],
        ],
      },
      POWERTOOLS_SERVICE_NAME: 'northstar-recompute',
      POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
    });
    expect(resource(demo.template, idOf(demo.pipeline.recomputeFunction.logGroup)).Properties).toMatchObject({
      RetentionInDays: 30,
    });
  });

  it('It should bundle the recompute handler with the same parsed configuration as ingest', () => {
    const bundle = bundleOf(demo.app, resource(demo.template, idOf(demo.pipeline.recomputeFunction)));
    expect(readFileSync(join(bundle, 'index.mjs'), 'utf8')).toContain('northstar-recompute');
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should let Lambda retry a failed run within one interval, then dead-letter it', () => {
    const fnId = idOf(demo.pipeline.recomputeFunction);
    // Scheduler invokes asynchronously: errors of the function are Lambda's to retry, not the schedule's.
    demo.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 300,
    });
    expect(resource(demo.template, fnId).Properties.DeadLetterConfig).toEqual({
      TargetArn: getAtt(idOf(demo.pipeline.state.recomputeDeadLetterQueue)),
    });
  });

  it("It should let only this account's default schedule group assume the scheduler role", () => {
    const role = resource(demo.template, idOf(demo.pipeline.recomputeSchedule.executionRole));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':scheduler:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':schedule-group/default',
                  ],
                ],
              },
            },
          },
        },
      ],
    });
  });

  it('It should let the scheduler role only invoke the recompute function (and its versions) and dead-letter', () => {
    const fnArn = getAtt(idOf(demo.pipeline.recomputeFunction));
    const statements = statementsOf(demo.template, idOf(demo.pipeline.recomputeSchedule.executionRole));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: getAtt(idOf(demo.pipeline.state.recomputeDeadLetterQueue)),
      },
    ]);
  });
});
