import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE } from '../../infra/bundled-config.js';
import { productEventsPattern } from '../../shared/domain/bus/rule-patterns.js';
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
  synthesise,
} from './template-helpers.js';

let config: NorthstarConfig;
let demo: Synthesised;
let tuned: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config }, { bundle: true });
  tuned = synthesise({
    config: { ...config, ingest: { ...config.ingest, maxRoundSeconds: 30, maxQueueAge: 'P3D' } },
    ingestBatchSize: 50,
    ingestMaxBatchingWindow: Duration.seconds(5),
    ingestMaxConcurrency: 4,
  });
}, SYNTH_TIMEOUT);

describe('NorthstarPipeline: ingest path', () => {
  it('It should route product events to the ingest queue with the shared pattern, dead-lettering undeliverable ones', () => {
    const [busId] = only(demo.template, 'AWS::Events::EventBus');
    const rule = resource(demo.template, idOf(demo.pipeline.productEventsRule));
    expect(rule.Properties.EventPattern).toEqual(productEventsPattern);
    expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt(idOf(demo.pipeline.state.ingestQueue)),
        DeadLetterConfig: { Arn: getAtt(idOf(demo.pipeline.state.ingestDeadLetterQueue)) },
      }),
    ]);
  });

  it('It should let EventBridge send to the queue and use the data key only from this account', () => {
    demo.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: idOf(demo.pipeline.state.ingestQueue) }],
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
    expect(resource(demo.template, idOf(demo.pipeline.state.dataKey)).Properties.KeyPolicy).toMatchObject({
      Statement: expect.arrayContaining([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }),
      ]),
    });
  });

  it('It should run the ingest function on nodejs24.x, arm64, traced, with source maps and its environment', () => {
    const [tableId] = only(demo.template, 'AWS::DynamoDB::Table');
    const logGroupId = idOf(demo.pipeline.ingestFunction.logGroup);
    const fn = resource(demo.template, idOf(demo.pipeline.ingestFunction));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    expect(environmentOf(fn)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: tableId },
      NORTHSTAR_CONFIG_FILE: 'northstar.config.json',
      REGISTRY_CACHE_SECONDS: '30',
      POWERTOOLS_SERVICE_NAME: 'northstar-ingest',
      POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
    });
    expect(resource(demo.template, logGroupId).Properties).toMatchObject({ RetentionInDays: 30 });
  });

  it('It should bundle an ESM handler with its source map and the parsed configuration', () => {
    const bundle = bundleOf(demo.app, resource(demo.template, idOf(demo.pipeline.ingestFunction)));
    const handler = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    expect(handler.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(readFileSync(join(bundle, 'index.mjs.map'), 'utf8').length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should read the queue with partial batch responses and the default batching', () => {
    demo.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    demo.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(idOf(demo.pipeline.state.ingestQueue)),
      FunctionName: { Ref: idOf(demo.pipeline.ingestFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('It should apply the batching props and keep the visibility timeout at six function timeouts and more', () => {
    tuned.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    // The timeout never outlives maxRoundSeconds.
    const timeout = resource(tuned.template, idOf(tuned.pipeline.ingestFunction)).Properties
      .Timeout as number;
    expect(timeout).toBe(30);
    const queue = resource(tuned.template, idOf(tuned.pipeline.state.ingestQueue));
    expect(queue.Properties).toMatchObject({
      VisibilityTimeout: 6 * 30 + 5,
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
    expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
  });
});
