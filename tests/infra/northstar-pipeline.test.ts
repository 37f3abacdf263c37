import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE, NorthstarPipeline } from '../../infra/northstar-pipeline.js';
import { scheduleInterval } from '../../infra/pipeline-schedule.js';
import { productEventsPattern } from '../../shared/bus/rule-patterns.js';
import { loadConfig } from '../../shared/config/load.js';
import type { NorthstarConfig } from '../../shared/config/schema.js';

const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.config.ts', import.meta.url));
const PRODUCT_ACCOUNTS = ['111111111111', '222222222222'];

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let config: NorthstarConfig;
let app: App;
let stack: Stack;
let pipeline: NorthstarPipeline;
let template: Template;
let tunedPipeline: NorthstarPipeline;
let tunedTemplate: Template;

/** The one resource of a type in the template, with its logical id. */
function only(from: Template, type: string): [string, Resource] {
  const found = Object.entries(from.findResources(type)) as [string, Resource][];
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

function getAtt(logicalId: string) {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The logical id of a construct's CloudFormation resource. */
function idOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

function roleIdOf(fn: Resource): string {
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** Every statement of the policies attached to one role. */
function statementsOf(from: Template, roleId: string): Statement[] {
  const policies = Object.values(from.findResources('AWS::IAM::Policy') as Record<string, Resource>).filter(
    (policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
  );
  for (const policy of policies) expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
  return policies.flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

function resource(from: Template, logicalId: string): Resource {
  const found = from.toJSON().Resources[logicalId] as Resource | undefined;
  expect(found, logicalId).toBeDefined();
  return found as Resource;
}

/** The files esbuild staged for a function (asset metadata is off outside the CLI; the staged bundle is named after the asset hash). */
function bundleOf(fn: Resource): string {
  const assetHash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
  return join(app.outdir, `asset.${assetHash}`);
}

beforeAll(async () => {
  config = await loadConfig(DEMO_CONFIG);
  app = new App();
  // Both stacks synthesise (and bundle) once, with the first Template.fromStack.
  stack = new Stack(app, 'Northstar');
  pipeline = new NorthstarPipeline(stack, 'Pipeline', { config, allowedPutEventsAccounts: PRODUCT_ACCOUNTS });
  const tunedStack = new Stack(app, 'Tuned');
  tunedPipeline = new NorthstarPipeline(tunedStack, 'Pipeline', {
    config: {
      ...config,
      ingest: { ...config.ingest, maxRoundSeconds: 30, maxQueueAge: 'P3D' },
      recompute: { ...config.recompute, every: 'PT2M' },
    },
    busName: 'learn-events',
    ingestBatchSize: 50,
    ingestMaxBatchingWindow: Duration.seconds(5),
    ingestMaxConcurrency: 4,
  });
  template = Template.fromStack(stack);
  tunedTemplate = Template.fromStack(tunedStack);
});

describe('NorthstarPipeline: stateful resources', () => {
  it('It should create the table with pk/sk keys, on-demand billing, PITR, TTL and the data key', () => {
    const [keyId] = only(template, 'AWS::KMS::Key');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(keyId) },
      },
    });
  });

  it('It should rotate the data key and keep it when the stack is deleted', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });

  it('It should name the bus northstar by default and archive every event on it, without expiry', () => {
    const [busId] = only(template, 'AWS::Events::EventBus');
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'northstar' });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(busId),
      EventPattern: Match.absent(),
      RetentionDays: 0,
    });
  });

  it('It should let only the listed accounts PutEvents to the bus', () => {
    const [busId] = only(template, 'AWS::Events::EventBus');
    const [, policy] = only(template, 'AWS::Events::EventBusPolicy');
    expect(policy.Properties.EventBusName).toEqual({ Ref: busId });
    const statement = policy.Properties.Statement as Statement & { Principal: { AWS: unknown } };
    expect(statement.Effect).toBe('Allow');
    expect(asList(statement.Action)).toEqual(['events:PutEvents']);
    expect(statement.Resource).toEqual(getAtt(busId));
    const principals = JSON.stringify(statement.Principal.AWS);
    for (const account of PRODUCT_ACCOUNTS) expect(principals).toContain(account);
  });

  it('It should add no bus policy when no accounts are listed, and use the given bus name', () => {
    tunedTemplate.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    tunedTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'learn-events' });
  });

  it('It should encrypt the ingest queue, require TLS, and redrive to the DLQ after 5 receives', () => {
    const [keyId] = only(template, 'AWS::KMS::Key');
    const queueId = idOf(pipeline.state.ingestQueue);
    const dlqId = idOf(pipeline.state.ingestDeadLetterQueue);
    // The ingest queue, its dead-letter queue and the recompute dead-letter queue.
    template.resourceCountIs('AWS::SQS::Queue', 3);
    expect(resource(template, queueId).Properties).toMatchObject({
      KmsMasterKeyId: getAtt(keyId),
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 5 },
      // Six times the 60 s ingest timeout, plus the 1 s batching window.
      VisibilityTimeout: 361,
      // maxQueueAge (P2D) plus a day.
      MessageRetentionPeriod: 3 * 24 * 3600,
    });
    for (const id of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('It should encrypt the dead-letter queue and keep its messages 14 days', () => {
    const [keyId] = only(template, 'AWS::KMS::Key');
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: getAtt(keyId),
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: Match.absent(),
    });
  });

  it('It should encrypt the recompute dead-letter queue, require TLS, and keep its messages 14 days', () => {
    const dlq = resource(template, idOf(pipeline.state.recomputeDeadLetterQueue));
    expect(dlq.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: idOf(pipeline.state.recomputeDeadLetterQueue) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  it('It should reject a queue age that would let dead-lettered events expire at once', () => {
    const scratch = new Stack(new App(), 'Scratch');
    const stale = { ...config, ingest: { ...config.ingest, maxQueueAge: 'P13D' } };
    expect(() => new NorthstarPipeline(scratch, 'Pipeline', { config: stale })).toThrow(
      /dead-letter retention/,
    );
  });

  it('It should reject an allowed account that is not a 12-digit account id', () => {
    const scratch = new Stack(new App(), 'Scratch');
    expect(
      () => new NorthstarPipeline(scratch, 'Pipeline', { config, allowedPutEventsAccounts: ['learn-prod'] }),
    ).toThrow(/not a 12-digit AWS account id/);
  });
});

describe('NorthstarPipeline: ingest path', () => {
  it('It should route product events to the ingest queue with the shared pattern, dead-lettering undeliverable ones', () => {
    const [, rule] = only(template, 'AWS::Events::Rule');
    const [busId] = only(template, 'AWS::Events::EventBus');
    const queueId = idOf(pipeline.state.ingestQueue);
    const dlqId = idOf(pipeline.state.ingestDeadLetterQueue);
    expect(rule.Properties.EventPattern).toEqual(productEventsPattern);
    expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: getAtt(queueId), DeadLetterConfig: { Arn: getAtt(dlqId) } }),
    ]);
  });

  it('It should let EventBridge send to the queue and use the key only from this account', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('It should run the ingest function on nodejs24.x, arm64, traced, with source maps and its environment', () => {
    const [tableId] = only(template, 'AWS::DynamoDB::Table');
    const logGroupId = idOf(pipeline.ingestFunction.logGroup);
    const fn = resource(template, idOf(pipeline.ingestFunction));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: tableId },
      NORTHSTAR_CONFIG_FILE: 'northstar.config.json',
      POWERTOOLS_SERVICE_NAME: 'northstar-ingest',
      POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
    });
    expect(resource(template, logGroupId).Properties).toMatchObject({ RetentionInDays: 30 });
  });

  it('It should bundle an ESM handler with its source map and the parsed configuration', () => {
    const bundle = bundleOf(resource(template, idOf(pipeline.ingestFunction)));
    const handler = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    expect(handler.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(readFileSync(join(bundle, 'index.mjs.map'), 'utf8').length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should read the queue with partial batch responses and the default batching', () => {
    const queueId = idOf(pipeline.state.ingestQueue);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(queueId),
      FunctionName: { Ref: idOf(pipeline.ingestFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('It should apply the batching props and keep the timeout within maxRoundSeconds', () => {
    tunedTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    expect(resource(tunedTemplate, idOf(tunedPipeline.ingestFunction)).Properties.Timeout).toBe(30);
    tunedTemplate.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 30 + 5,
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
  });

  it('It should grant the ingest role only named resources: no wildcard actions, DynamoDB on the table alone', () => {
    const [tableId] = only(template, 'AWS::DynamoDB::Table');
    const fnId = idOf(pipeline.ingestFunction);
    const roleId = roleIdOf(resource(template, fnId));
    expect(resource(template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOf(template, roleId);
    expect(statements.length, `statements of ${fnId}`).toBeGreaterThan(0);

    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action).not.toMatch(/^\*$|:\*$/);
      const actions = asList(statement.Action);
      const resources = asList(statement.Resource);
      if (actions.some((action) => action.startsWith('dynamodb:'))) {
        expect(actions.every((action) => action.startsWith('dynamodb:'))).toBe(true);
        expect(resources).toEqual([getAtt(tableId)]);
      }
      // Only X-Ray, which has no resource-level permissions, may use Resource *.
      if (resources.includes('*')) expect(actions.every((action) => action.startsWith('xray:'))).toBe(true);
    }
    const dynamoActions = statements
      .flatMap((statement) => asList(statement.Action))
      .filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    );
  });
});

describe('NorthstarPipeline: recompute path', () => {
  it('It should invoke the recompute function at the configured interval (PT5M by default)', () => {
    expect(config.recompute.every).toBe('PT5M');
    const [scheduleId, schedule] = only(template, 'AWS::Scheduler::Schedule');
    expect(scheduleId).toBe(idOf(pipeline.recomputeSchedule));
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    // The default group, which the scheduler role's trust policy names.
    expect(schedule.Properties.GroupName).toBeUndefined();
    expect(schedule.Properties.Target).toEqual({
      Arn: getAtt(idOf(pipeline.recomputeFunction)),
      RoleArn: getAtt(idOf(pipeline.recomputeSchedule.executionRole)),
      // Delivery is retried for at most one interval, then dead-lettered.
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 },
      DeadLetterConfig: { Arn: getAtt(idOf(pipeline.state.recomputeDeadLetterQueue)) },
    });
  });

  it('It should derive the rate, the timeout and both retry windows from the configured interval', () => {
    const fnId = idOf(tunedPipeline.recomputeFunction);
    tunedTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(2 minutes)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 } }),
    });
    // A run must end before the next one is due.
    expect(resource(tunedTemplate, fnId).Properties.Timeout).toBe(120);
    tunedTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
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
    const [tableId] = only(template, 'AWS::DynamoDB::Table');
    const [busId] = only(template, 'AWS::Events::EventBus');
    template.resourceCountIs('AWS::Lambda::Function', 2);
    const fn = resource(template, idOf(pipeline.recomputeFunction));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: idOf(pipeline.recomputeFunction.logGroup) } },
    });
    expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: tableId },
      NORTHSTAR_CONFIG_FILE: 'northstar.config.json',
      EVENT_BUS_NAME: { Ref: busId },
      POWERTOOLS_SERVICE_NAME: 'northstar-recompute',
      POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
    });
    expect(resource(template, idOf(pipeline.recomputeFunction.logGroup)).Properties).toMatchObject({
      RetentionInDays: 30,
    });
  });

  it('It should bundle the recompute handler with the same parsed configuration as ingest', () => {
    const bundle = bundleOf(resource(template, idOf(pipeline.recomputeFunction)));
    expect(readFileSync(join(bundle, 'index.mjs'), 'utf8')).toContain('northstar-recompute');
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should let Lambda retry a failed run within one interval, then dead-letter it', () => {
    const fnId = idOf(pipeline.recomputeFunction);
    const dlqId = idOf(pipeline.state.recomputeDeadLetterQueue);
    // Scheduler invokes asynchronously: errors of the function are Lambda's to retry, not the schedule's.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 300,
    });
    expect(resource(template, fnId).Properties.DeadLetterConfig).toEqual({ TargetArn: getAtt(dlqId) });
  });

  it('It should grant the recompute role only named resources: DynamoDB on the table, PutEvents on the bus alone', () => {
    const [tableId] = only(template, 'AWS::DynamoDB::Table');
    const [busId] = only(template, 'AWS::Events::EventBus');
    const [keyId] = only(template, 'AWS::KMS::Key');
    const fnId = idOf(pipeline.recomputeFunction);
    const roleId = roleIdOf(resource(template, fnId));
    expect(resource(template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOf(template, roleId);
    expect(statements.length, `statements of ${fnId}`).toBeGreaterThan(0);

    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const actions = asList(statement.Action);
      const resources = asList(statement.Resource);
      for (const action of actions) expect(action).not.toMatch(/^\*$|:\*$/);
      const services = new Set(actions.map((action) => action.split(':')[0]));
      expect(services.size, JSON.stringify(actions)).toBe(1);
      const [service] = [...services];
      switch (service) {
        case 'dynamodb':
          expect(resources).toEqual([getAtt(tableId)]);
          break;
        case 'events':
          expect(actions).toEqual(['events:PutEvents']);
          expect(resources).toEqual([getAtt(busId)]);
          break;
        case 'kms':
          expect(resources).toEqual([getAtt(keyId)]);
          break;
        case 'sqs':
          expect(actions).toEqual(['sqs:SendMessage']);
          expect(resources).toEqual([getAtt(idOf(pipeline.state.recomputeDeadLetterQueue))]);
          break;
        case 'logs':
          expect(resources).toEqual([getAtt(idOf(pipeline.recomputeFunction.logGroup))]);
          break;
        case 'xray':
          // X-Ray has no resource-level permissions.
          expect(resources).toEqual(['*']);
          break;
        default:
          expect.fail(`unexpected ${service} statement: ${JSON.stringify(statement)}`);
      }
    }
    const granted = statements.flatMap((statement) => asList(statement.Action));
    expect(granted).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
      ]),
    );
  });

  it("It should let only this account's default schedule group assume the scheduler role", () => {
    const roleId = idOf(pipeline.recomputeSchedule.executionRole);
    const role = resource(template, roleId);
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
    const fnArn = getAtt(idOf(pipeline.recomputeFunction));
    const statements = statementsOf(template, idOf(pipeline.recomputeSchedule.executionRole));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: getAtt(idOf(pipeline.state.recomputeDeadLetterQueue)),
      },
    ]);
  });
});

describe('NorthstarPipeline: cdk-nag', () => {
  it('AwsSolutions: every finding is fixed or acknowledged, so none is left as error or warning', () => {
    // cdk-nag 3 is a validation plugin, not an aspect: run its check on the tree directly.
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations
      .filter((violation) => violation.severity === 'error' || violation.severity === 'warning')
      .map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
    expect(findings).toEqual([]);
  });

  it('AwsSolutions: every acknowledgement carries a written reason', () => {
    const acknowledgements: [string, unknown][] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          acknowledgements.push(...Object.entries(entry.data as Record<string, unknown>));
        }
      }
      construct.node.children.forEach(visit);
    };
    visit(stack);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-IAM5\[.+\]$/);
      expect(typeof reason === 'string' && reason.length > 30, `reason for ${id}`).toBe(true);
    }
  });

  it('AwsSolutions: only the reviewed findings are acknowledged, each where it arises', () => {
    const acknowledged: string[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const id of Object.keys(entry.data as Record<string, unknown>)) {
            acknowledged.push(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`);
          }
        }
      }
      construct.node.children.forEach(visit);
    };
    visit(stack);
    const tableKey = (fn: string) => [
      `Northstar/Pipeline/${fn}Role AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`,
      `Northstar/Pipeline/${fn}Role AwsSolutions-IAM5[Action::kms:ReEncrypt*]`,
    ];
    expect(acknowledged.sort()).toEqual(
      [
        ...tableKey('IngestFunction'),
        ...tableKey('RecomputeFunction'),
        'Northstar/Pipeline/IngestFunctionTracingPolicy AwsSolutions-IAM5[Resource::*]',
        'Northstar/Pipeline/RecomputeFunctionTracingPolicy AwsSolutions-IAM5[Resource::*]',
        `Northstar/Pipeline/RecomputeScheduleRole AwsSolutions-IAM5[Resource::<${idOf(pipeline.recomputeFunction)}.Arn>:*]`,
      ].sort(),
    );
  });
});
