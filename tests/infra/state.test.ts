import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NorthstarPipeline } from '../../infra/northstar-pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import {
  asList,
  demoConfig,
  getAtt,
  idOf,
  only,
  resource,
  type Statement,
  SYNTH_TIMEOUT,
  type Synthesised,
  scratchStack,
  synthesise,
} from './template-helpers.js';

const PRODUCT_ACCOUNTS = ['111111111111', '222222222222'];

let config: NorthstarConfig;
let demo: Synthesised;
let named: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config, allowedPutEventsAccounts: PRODUCT_ACCOUNTS });
  named = synthesise({ config, busName: 'learn-events' });
}, SYNTH_TIMEOUT);

function deniesPlainHttp(queueId: string) {
  demo.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
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

describe('NorthstarPipeline: stateful resources', () => {
  it('It should create the table with pk/sk keys, on-demand billing, PITR, TTL and the data key', () => {
    const keyId = idOf(demo.pipeline.state.dataKey);
    demo.template.hasResource('AWS::DynamoDB::Table', {
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

  it('It should rotate both keys and keep the data key when the stack is deleted', () => {
    demo.template.resourceCountIs('AWS::KMS::Key', 2);
    expect(resource(demo.template, idOf(demo.pipeline.state.dataKey))).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    expect(resource(demo.template, idOf(demo.pipeline.state.notificationKey)).Properties).toMatchObject({
      EnableKeyRotation: true,
    });
  });

  it('It should let CloudWatch alarms of this account use the notification key to publish', () => {
    const key = resource(demo.template, idOf(demo.pipeline.state.notificationKey));
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'CloudWatchAlarmsPublish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it('It should name the bus northstar by default and archive every event on it, without expiry', () => {
    const [busId] = only(demo.template, 'AWS::Events::EventBus');
    demo.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'northstar' });
    demo.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(busId),
      EventPattern: Match.absent(),
      RetentionDays: 0,
    });
  });

  it('It should let only the listed accounts PutEvents to the bus', () => {
    const [busId] = only(demo.template, 'AWS::Events::EventBus');
    const [, policy] = only(demo.template, 'AWS::Events::EventBusPolicy');
    expect(policy.Properties.EventBusName).toEqual({ Ref: busId });
    const statement = policy.Properties.Statement as Statement & { Principal: { AWS: unknown } };
    expect(statement.Effect).toBe('Allow');
    expect(asList(statement.Action)).toEqual(['events:PutEvents']);
    expect(statement.Resource).toEqual(getAtt(busId));
    const principals = JSON.stringify(statement.Principal.AWS);
    for (const account of PRODUCT_ACCOUNTS) expect(principals).toContain(`:iam::${account}:root`);
    expect(asList(statement.Principal.AWS)).toHaveLength(PRODUCT_ACCOUNTS.length);
  });

  it('It should add no bus policy when no accounts are listed, and use the given bus name', () => {
    named.template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    named.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'learn-events' });
  });

  it('It should encrypt the ingest queue, require TLS, and redrive to the DLQ after 5 receives', () => {
    const keyId = idOf(demo.pipeline.state.dataKey);
    const queueId = idOf(demo.pipeline.state.ingestQueue);
    const dlqId = idOf(demo.pipeline.state.ingestDeadLetterQueue);
    // The ingest queue and the ingest, recompute, alert and archive dead-letter queues.
    demo.template.resourceCountIs('AWS::SQS::Queue', 5);
    expect(resource(demo.template, queueId).Properties).toMatchObject({
      KmsMasterKeyId: getAtt(keyId),
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 5 },
      // Six times the 60 s ingest timeout, plus the 1 s batching window.
      VisibilityTimeout: 361,
      // maxQueueAge (P2D) plus a day.
      MessageRetentionPeriod: 3 * 24 * 3600,
    });
    expect(resource(demo.template, dlqId).Properties).toEqual({
      KmsMasterKeyId: getAtt(keyId),
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const id of [queueId, dlqId]) deniesPlainHttp(id);
  });

  it('It should encrypt the recompute and alert dead-letter queues, require TLS, and keep messages 14 days', () => {
    for (const queue of [
      demo.pipeline.state.recomputeDeadLetterQueue,
      demo.pipeline.state.alertDeadLetterQueue,
    ]) {
      expect(resource(demo.template, idOf(queue)).Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      deniesPlainHttp(idOf(queue));
    }
  });

  it('It should reject a queue age that would let dead-lettered events expire at once', () => {
    const scratch = scratchStack();
    const stale = { ...config, ingest: { ...config.ingest, maxQueueAge: 'P13D' } };
    expect(() => new NorthstarPipeline(scratch, 'Pipeline', { config: stale })).toThrow(
      /dead-letter retention/,
    );
  });

  it('It should reject an allowed account that is not a 12-digit account id', () => {
    const scratch = scratchStack();
    expect(
      () => new NorthstarPipeline(scratch, 'Pipeline', { config, allowedPutEventsAccounts: ['learn-prod'] }),
    ).toThrow(/not a 12-digit AWS account id/);
  });
});
