import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgementsUnder,
  demoConfig,
  idOf,
  SYNTH_TIMEOUT,
  type Synthesised,
  synthesise,
  withCollector,
  withGrowthWebhook,
} from './template-helpers.js';

let demo: Synthesised;
let webhook: Synthesised;
let collecting: Synthesised;

beforeAll(async () => {
  const config = await demoConfig();
  demo = synthesise({
    config,
    allowedPutEventsAccounts: ['111111111111'],
    alarmEmails: ['oncall@example.com'],
  });
  webhook = synthesise({ config: withGrowthWebhook(config) });
  collecting = synthesise({
    config: withCollector(config),
    collector: {
      domainName: 'collect.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/5a1c0e4e-7d1b-4b8e-9f3a-2c6d8e0f1a2b',
      routeThrottles: { '/v1/batch': { rateLimit: 100, burstLimit: 200 } },
    },
  });
}, SYNTH_TIMEOUT);

/** What the backfill's construct acknowledges: tracing, the table key, object prefixes, its own executions. */
function backfillAcknowledgements({ pipeline }: Synthesised): string[] {
  const at = (path: string, ...ids: string[]) => ids.map((id) => `Northstar/Pipeline/Backfill/${path} ${id}`);
  const objects = (prefix: string) =>
    `AwsSolutions-IAM5[Resource::<${idOf(pipeline.eventArchive.bucket)}.Arn>/${prefix}*]`;
  const name = JSON.stringify({
    'Fn::Select': [6, { 'Fn::Split': [':', { Ref: idOf(pipeline.backfill.stateMachine) }] }],
  });
  const executions = (suffix: string) =>
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}${suffix}]`;
  return [
    ...['Partition', 'Worker', 'Finish'].flatMap((step) => [
      ...at(`${step}FunctionTracingPolicy`, 'AwsSolutions-IAM5[Resource::*]'),
      ...at(`${step}Function`, 'Serverless-LambdaDLQ'),
    ]),
    ...at(
      'WorkerFunctionRole',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
    ),
    ...at('PartitionFunctionRole', objects('events/'), objects('history/'), objects('backfill/')),
    ...at('WorkerFunctionRole', objects('backfill/')),
    ...at('StateMachineRole', objects('backfill/map-runs/')),
    ...at('ChildExecutionsPolicy', executions(':*'), executions('/*:*')),
    ...at('ObservabilityPolicy', 'AwsSolutions-IAM5[Resource::*]'),
  ];
}

/** Findings left as error or warning, i.e. neither fixed nor acknowledged. */
function findings(pack: AwsSolutionsChecks | ServerlessChecks, { stack }: Synthesised): string[] {
  // cdk-nag 3 is a validation plugin, not an aspect: run its check on the tree directly.
  return pack
    .validateScope(stack)
    .violations.filter((violation) => violation.severity === 'error' || violation.severity === 'warning')
    .map(
      (violation) =>
        `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
}

/** Acknowledgements of the dashboard site and of CDK's copier of its files, a stack-wide singleton. */
const isDashboardSite = (id: string) =>
  id.startsWith('Northstar/Pipeline/Dashboard/') || id.startsWith('Northstar/Custom::CDKBucketDeployment');

describe('NorthstarPipeline: cdk-nag', () => {
  it('AwsSolutions: every finding is fixed or acknowledged, with and without a webhook formatter and a collector', () => {
    expect(findings(new AwsSolutionsChecks(), demo)).toEqual([]);
    expect(findings(new AwsSolutionsChecks(), webhook)).toEqual([]);
    expect(findings(new AwsSolutionsChecks(), collecting)).toEqual([]);
  });

  it('Serverless: every finding is fixed or acknowledged, with and without a webhook formatter and a collector', () => {
    expect(findings(new ServerlessChecks(), demo)).toEqual([]);
    expect(findings(new ServerlessChecks(), webhook)).toEqual([]);
    expect(findings(new ServerlessChecks(), collecting)).toEqual([]);
  });

  it('Acknowledgements: each carries a written reason', () => {
    const acknowledgements = [
      ...acknowledgementsUnder(webhook.stack),
      ...acknowledgementsUnder(collecting.stack),
    ];
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/ ((AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?|CloudFormation-Validate::W\d+)$/);
      expect(typeof reason === 'string' && reason.length > 40, `reason for ${id}`).toBe(true);
    }
  });

  it('Acknowledgements: only the reviewed findings, each where it arises', () => {
    // The dashboard site's are its own test's (tests/infra/dashboard.test.ts).
    const acknowledged = acknowledgementsUnder(webhook.stack)
      .map(([id]) => id)
      .filter((id) => !isDashboardSite(id));
    const at = (path: string, ...ids: string[]) => ids.map((id) => `Northstar/Pipeline/${path} ${id}`);
    const tableKey = [
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
    ];
    const tracing = 'AwsSolutions-IAM5[Resource::*]';
    expect(acknowledged.sort()).toEqual(
      [
        ...at('IngestFunctionRole', ...tableKey),
        ...at('RecomputeFunctionRole', ...tableKey, 'AwsSolutions-IAM5[Resource::*]'),
        ...at('IngestFunctionTracingPolicy', tracing),
        ...at('RecomputeFunctionTracingPolicy', tracing),
        ...at('ReadApi/FunctionTracingPolicy', tracing),
        ...at('Alerts/WebhookFunctionTracingPolicy', tracing),
        ...at('Alerts/DigestFunctionTracingPolicy', tracing),
        ...backfillAcknowledgements(webhook),
        ...at(
          'RecomputeScheduleRole',
          `AwsSolutions-IAM5[Resource::<${idOf(webhook.pipeline.recomputeFunction)}.Arn>:*]`,
        ),
        ...at('State/AlertDeadLetterQueue', 'AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'),
        ...at('State/IngestDeadLetterQueue', 'Serverless-SQSRedrivePolicy'),
        ...at('State/RecomputeDeadLetterQueue', 'Serverless-SQSRedrivePolicy'),
        ...at('IngestFunction', 'Serverless-LambdaDLQ', 'Serverless-LambdaEventSourceMappingDestination'),
        ...at('RecomputeFunction', 'Serverless-LambdaAsyncFailureDestination'),
        ...at('ReadApi/Function', 'Serverless-LambdaDLQ'),
        ...at(
          'ReadApi/FunctionRole',
          `AwsSolutions-IAM5[Resource::<${idOf(webhook.pipeline.eventArchive.bucket)}.Arn>/history/*]`,
        ),
        ...at('Alerts/WebhookFunction', 'Serverless-LambdaAsyncFailureDestination'),
        ...at('Alerts/DigestFunction', 'Serverless-LambdaAsyncFailureDestination'),
        'Northstar CloudFormation-Validate::W7001',
        ...at('EventArchive/AccessLogs', 'AwsSolutions-S1'),
        ...at('EventArchive/DeadLetterQueue', 'AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'),
        ...at('EventArchive/Rule', 'Serverless-EventBusDLQ'),
        ...at('EventArchive/Delivery/Service Role/DefaultPolicy', ...tableKey),
        ...at(
          'EventArchive/Delivery/S3 Destination Role/DefaultPolicy',
          ...tableKey,
          ...['GetObject*', 'GetBucket*', 'List*', 'DeleteObject*', 'Abort*'].map(
            (action) => `AwsSolutions-IAM5[Action::s3:${action}]`,
          ),
          `AwsSolutions-IAM5[Resource::<${idOf(webhook.pipeline.eventArchive.bucket)}.Arn>/*]`,
        ),
      ].sort(),
    );
  });

  it('Acknowledgements: the collector adds only its reviewed findings, each where it arises', () => {
    const acknowledged = acknowledgementsUnder(collecting.stack).map(([id]) => id);
    const collector = collecting.pipeline.collector;
    if (!collector) throw new Error('the configuration has a collector section');
    const at = (path: string, ...ids: string[]) =>
      ids.map((id) => `Northstar/Pipeline/Collector/${path} ${id}`);
    expect(acknowledged.filter((id) => id.startsWith('Northstar/Pipeline/Collector/')).sort()).toEqual(
      [
        ...at('WriteKeys', 'AwsSolutions-SMG4'),
        ...at('Api', 'AwsSolutions-APIG4'),
        ...at('Function', 'Serverless-LambdaDLQ'),
        ...at('FunctionTracingPolicy', 'AwsSolutions-IAM5[Resource::*]'),
        ...at('FunctionRole', `AwsSolutions-IAM5[Resource::<${idOf(collector.keptEntries)}.Arn>/kept/*]`),
        ...at('Packer', 'Serverless-LambdaDLQ', 'Serverless-LambdaEventSourceMappingDestination'),
        ...at('PackerTracingPolicy', 'AwsSolutions-IAM5[Resource::*]'),
        ...at('QueueDeadLetters', 'Serverless-SQSRedrivePolicy'),
      ].sort(),
    );
    // Everything else is what the pipeline acknowledges without a collector.
    expect(acknowledged.filter((id) => !id.startsWith('Northstar/Pipeline/Collector/')).sort()).toEqual(
      acknowledgementsUnder(demo.stack)
        .map(([id]) => id)
        .sort(),
    );
  });
});
