import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE, NorthstarPipeline } from '../../infra/northstar-pipeline.js';
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
let template: Template;
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

beforeAll(async () => {
  config = await loadConfig(DEMO_CONFIG);
  app = new App();
  // Both stacks synthesise (and bundle) once, with the first Template.fromStack.
  stack = new Stack(app, 'Northstar');
  new NorthstarPipeline(stack, 'Pipeline', { config, allowedPutEventsAccounts: PRODUCT_ACCOUNTS });
  const tunedStack = new Stack(app, 'Tuned');
  new NorthstarPipeline(tunedStack, 'Pipeline', {
    config: { ...config, ingest: { ...config.ingest, maxRoundSeconds: 30, maxQueueAge: 'P3D' } },
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
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, Resource>;
    const [queueId, queue] = Object.entries(queues).find(([, q]) => q.Properties.RedrivePolicy) ?? [];
    const [dlqId] = Object.entries(queues).find(([, q]) => !q.Properties.RedrivePolicy) ?? [];
    expect(Object.keys(queues)).toHaveLength(2);
    expect(queue?.Properties).toMatchObject({
      KmsMasterKeyId: getAtt(keyId),
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId as string), maxReceiveCount: 5 },
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
    const queues = Object.entries(template.findResources('AWS::SQS::Queue') as Record<string, Resource>);
    const queueId = queues.find(([, q]) => q.Properties.RedrivePolicy)?.[0] as string;
    const dlqId = queues.find(([, q]) => !q.Properties.RedrivePolicy)?.[0] as string;
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
    const [logGroupId] = only(template, 'AWS::Logs::LogGroup');
    const [, fn] = only(template, 'AWS::Lambda::Function');
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
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('It should bundle an ESM handler with its source map and the parsed configuration', () => {
    const [, fn] = only(template, 'AWS::Lambda::Function');
    // Asset metadata is off outside the CLI; the staged bundle is named after the asset hash.
    const assetHash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const bundle = join(app.outdir, `asset.${assetHash}`);
    const handler = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    expect(handler.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(readFileSync(join(bundle, 'index.mjs.map'), 'utf8').length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should read the queue with partial batch responses and the default batching', () => {
    const queues = Object.entries(template.findResources('AWS::SQS::Queue') as Record<string, Resource>);
    const queueId = queues.find(([, q]) => q.Properties.RedrivePolicy)?.[0] as string;
    const [fnId] = only(template, 'AWS::Lambda::Function');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(queueId),
      FunctionName: { Ref: fnId },
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
    tunedTemplate.hasResourceProperties('AWS::Lambda::Function', { Timeout: 30 });
    tunedTemplate.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 30 + 5,
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
  });

  it('It should grant the ingest role only named resources: no wildcard actions, DynamoDB on the table alone', () => {
    const [tableId] = only(template, 'AWS::DynamoDB::Table');
    const [fnId, fn] = only(template, 'AWS::Lambda::Function');
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy') as Record<string, Resource>,
    ).filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    const statements = policies.flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
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
});
