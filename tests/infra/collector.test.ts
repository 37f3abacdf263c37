import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE } from '../../infra/bundled-config.js';
import type { Collector } from '../../infra/collector.js';
import { NorthstarPipeline } from '../../infra/northstar-pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { ROUTES } from '../../shared/use-cases/collector/segment-request.js';
import {
  asList,
  bundleOf,
  COLLECTOR_ORIGIN,
  demoConfig,
  environmentOf,
  getAtt,
  idOf,
  only,
  type Resource,
  resource,
  roleIdOf,
  SYNTH_TIMEOUT,
  type Synthesised,
  scratchStack,
  statementsOf,
  synthesise,
  withCollector,
} from './template-helpers.js';

const DOMAIN = 'collect.example.com';
const CERTIFICATE = 'arn:aws:acm:eu-west-1:111111111111:certificate/5a1c0e4e-7d1b-4b8e-9f3a-2c6d8e0f1a2b';

let demo: NorthstarConfig;
let collecting: Synthesised;
let tuned: Synthesised;
let without: Synthesised;

beforeAll(async () => {
  demo = await demoConfig();
  // Without the dashboard site: its own HTTP API would stand beside the collector's.
  collecting = synthesise({ config: withCollector(demo), dashboard: false }, { bundle: true });
  tuned = synthesise({
    config: withCollector(demo, { allowedOrigins: [] }),
    dashboard: false,
    collector: {
      domainName: DOMAIN,
      certificateArn: CERTIFICATE,
      throttle: { rateLimit: 200, burstLimit: 400 },
      routeThrottles: { '/v1/batch': { rateLimit: 50, burstLimit: 100 } },
      maxClientErrorRate: 0.2,
    },
  });
  without = synthesise({ config: demo, dashboard: false });
}, SYNTH_TIMEOUT);

const collectorOf = (from: Synthesised): Collector => {
  if (!from.pipeline.collector) throw new Error('the configuration has a collector section');
  return from.pipeline.collector;
};
const alarmNamed = (from: Synthesised, name: string): Resource => {
  const alarm = from.pipeline.monitoring.alarms.find((one) => one.node.id === name);
  if (!alarm) throw new Error(`no alarm ${name}`);
  return resource(from.template, idOf(alarm));
};

describe('NorthstarPipeline: the collector', () => {
  it('It should serve every tracking API route with POST, and nothing else, from the collector function', () => {
    const collector = collectorOf(collecting);
    const routes = Object.values(collecting.template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      Object.keys(ROUTES)
        .map((path) => `POST ${path}`)
        .sort(),
    );
    const [integrationId, integration] = only(collecting.template, 'AWS::ApiGatewayV2::Integration');
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: getAtt(idOf(collector.function)),
    });
    for (const route of routes)
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'NONE',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    // API Gateway may invoke the function for its own routes only, one permission per route.
    const permissions = Object.values(collecting.template.findResources('AWS::Lambda::Permission')).filter(
      (permission) =>
        JSON.stringify((permission as Resource).Properties.FunctionName).includes(idOf(collector.function)),
    ) as Resource[];
    expect(permissions).toHaveLength(Object.keys(ROUTES).length);
    for (const permission of permissions)
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      });
    expect(without.pipeline.collector).toBeUndefined();
    expect(without.template.findResources('AWS::ApiGatewayV2::Api')).toEqual({});
  });

  it('It should throttle the stage by default, and single routes when asked', () => {
    const [, stage] = only(collecting.template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
    expect(stage.Properties.RouteSettings).toBeUndefined();
    const [, tunedStage] = only(tuned.template, 'AWS::ApiGatewayV2::Stage');
    expect(tunedStage.Properties).toMatchObject({
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      RouteSettings: { 'POST /v1/batch': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } },
    });
    expect(asList(tunedStage.DependsOn as string | string[])).toEqual(
      expect.arrayContaining([expect.stringMatching(/Collector.*v1batch/i)]),
    );
    expect(
      () =>
        new NorthstarPipeline(scratchStack(), 'Pipeline', {
          config: withCollector(demo),
          collector: { routeThrottles: { '/v1/everything': { rateLimit: 1, burstLimit: 1 } } },
        }),
    ).toThrow('collector.routeThrottles: /v1/everything is not a route');
  });

  it('It should write a JSON access log line per request to its own log group', () => {
    const collector = collectorOf(collecting);
    const [, stage] = only(collecting.template, 'AWS::ApiGatewayV2::Stage');
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual(getAtt(idOf(collector.accessLogs)));
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(resource(collecting.template, idOf(collector.accessLogs)).Properties).toEqual({
      RetentionInDays: 30,
    });
  });

  it("It should answer preflights from the configuration's allowed origins, and none without any", () => {
    const [, api] = only(collecting.template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties).toMatchObject({
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: [COLLECTOR_ORIGIN],
        AllowMethods: ['POST', 'OPTIONS'],
        AllowHeaders: ['Content-Type', 'Authorization', 'X-Retry-Count'],
        ExposeHeaders: ['Retry-After'],
        MaxAge: 600,
      },
    });
    const [, closed] = only(tuned.template, 'AWS::ApiGatewayV2::Api');
    expect(closed.Properties.CorsConfiguration).toBeUndefined();
  });

  /** Each action a function's role allows, with its resource and condition, in a stable order. */
  const grantsOf = (fn: IConstruct) =>
    statementsOf(collecting.template, roleIdOf(resource(collecting.template, idOf(fn))))
      .flatMap((statement) =>
        asList(statement.Action).map((action) => [action, statement.Resource, statement.Condition]),
      )
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const viaService = (service: string) => ({
    StringEquals: {
      'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] },
    },
  });
  const sorted = (grants: unknown[][]) =>
    grants.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  it('It should let the function queue requests alone, read the keys secret, only add kept objects and use only identify links of the table', () => {
    const { pipeline } = collecting;
    const collector = collectorOf(collecting);
    const secret = { Ref: idOf(collector.writeKeysSecret) };
    const dataKey = getAtt(idOf(pipeline.state.dataKey));
    const table = getAtt(idOf(pipeline.state.table));
    const identifyLinks = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDLINK#*'] } };
    expect(grantsOf(collector.function)).toEqual(
      sorted([
        ['logs:CreateLogStream', getAtt(idOf(collector.function.logGroup)), undefined],
        ['logs:PutLogEvents', getAtt(idOf(collector.function.logGroup)), undefined],
        ['xray:PutTraceSegments', '*', undefined],
        ['xray:PutTelemetryRecords', '*', undefined],
        ['sqs:SendMessage', getAtt(idOf(collector.queue)), undefined],
        ['kms:GenerateDataKey', dataKey, viaService('sqs')],
        ['kms:Decrypt', dataKey, viaService('sqs')],
        ['secretsmanager:GetSecretValue', secret, undefined],
        ['secretsmanager:DescribeSecret', secret, undefined],
        ['s3:PutObject', { 'Fn::Join': ['', [getAtt(idOf(collector.keptEntries)), '/kept/*']] }, undefined],
        ['kms:GenerateDataKey', dataKey, viaService('s3')],
        ['dynamodb:BatchGetItem', table, identifyLinks],
        ['dynamodb:PutItem', table, identifyLinks],
        ['kms:Decrypt', dataKey, viaService('dynamodb')],
        ['kms:DescribeKey', dataKey, viaService('dynamodb')],
        ['kms:Encrypt', dataKey, viaService('dynamodb')],
        ['kms:GenerateDataKey', dataKey, viaService('dynamodb')],
      ]),
    );
  });

  it('It should let the packer take from the queue and put events on the bus alone, no more', () => {
    const { pipeline, template } = collecting;
    const collector = collectorOf(collecting);
    const queue = getAtt(idOf(collector.queue));
    const dataKey = getAtt(idOf(pipeline.state.dataKey));
    expect(grantsOf(collector.packer)).toEqual(
      sorted([
        ['logs:CreateLogStream', getAtt(idOf(collector.packer.logGroup)), undefined],
        ['logs:PutLogEvents', getAtt(idOf(collector.packer.logGroup)), undefined],
        ['xray:PutTraceSegments', '*', undefined],
        ['xray:PutTelemetryRecords', '*', undefined],
        ['events:PutEvents', getAtt(idOf(pipeline.state.bus)), undefined],
        ['sqs:ReceiveMessage', queue, undefined],
        ['sqs:ChangeMessageVisibility', queue, undefined],
        ['sqs:GetQueueUrl', queue, undefined],
        ['sqs:DeleteMessage', queue, undefined],
        ['sqs:GetQueueAttributes', queue, undefined],
        ['kms:Decrypt', dataKey, undefined],
      ]),
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queue,
      FunctionName: { Ref: idOf(collector.packer) },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Encrypted with the data key, dead-lettered after five receives, alarmed on its first dead letter.
    expect(resource(template, idOf(collector.queue)).Properties).toMatchObject({
      KmsMasterKeyId: dataKey,
      VisibilityTimeout: 365,
      RedrivePolicy: { deadLetterTargetArn: getAtt(idOf(collector.deadLetterQueue)), maxReceiveCount: 5 },
    });
    expect(resource(template, idOf(collector.deadLetterQueue)).Properties).toMatchObject({
      KmsMasterKeyId: dataKey,
    });
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(
      Object.values(alarms).some(
        (alarm) =>
          JSON.stringify(alarm.Properties.Dimensions ?? []).includes(idOf(collector.deadLetterQueue)) &&
          alarm.Properties.Threshold === 1,
      ),
    ).toBe(true);
  });

  it('It should keep what PutEvents refused in a private bucket under the data key, logged, for the archive retention', () => {
    const collector = collectorOf(collecting);
    collecting.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: getAtt(idOf(collecting.pipeline.state.dataKey)),
              },
            }),
          ],
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: idOf(collecting.pipeline.eventArchive.accessLogs) },
          LogFilePrefix: 'collector-kept/',
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 400 })] },
      }),
    });
    expect(
      resource(collecting.template, idOf(collector.keptEntries)).Properties.LoggingConfiguration,
    ).toEqual({
      DestinationBucketName: { Ref: idOf(collecting.pipeline.eventArchive.accessLogs) },
      LogFilePrefix: 'collector-kept/',
    });
  });

  it('It should run the collector on nodejs24.x, arm64, under API Gateway timeout, with its environment and bundle', () => {
    const collector = collectorOf(collecting);
    const fn = resource(collecting.template, idOf(collector.function));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 25,
      TracingConfig: { Mode: 'Active' },
    });
    expect(environmentOf(fn)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      NORTHSTAR_CONFIG_FILE: BUNDLED_CONFIG_FILE,
      TABLE_NAME: { Ref: idOf(collecting.pipeline.state.table) },
      COLLECTOR_QUEUE_URL: { Ref: idOf(collector.queue) },
      KEPT_ENTRIES_BUCKET: { Ref: idOf(collector.keptEntries) },
      WRITE_KEYS_SECRET_ID: { Ref: idOf(collector.writeKeysSecret) },
      WRITE_KEYS_CACHE_SECONDS: '30',
      POWERTOOLS_SERVICE_NAME: 'northstar-collector',
      POWERTOOLS_METRICS_NAMESPACE: 'Northstar',
    });
    const bundle = bundleOf(collecting.app, fn);
    expect(readFileSync(join(bundle, 'index.mjs'), 'utf8')).toContain('northstar-collector');
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8')).collector).toEqual(
      withCollector(demo).collector,
    );
    // A new secret starts with no keys; the configuration's stay in the configuration.
    expect(resource(collecting.template, idOf(collector.writeKeysSecret)).Properties).toMatchObject({
      SecretString: '{}',
    });
  });

  it('It should alarm on the 4xx and 5xx rates, the refused calls rate and any kept entry, to the operations topic', () => {
    const topic = { Ref: idOf(collecting.pipeline.monitoring.operationsTopic) };
    const apiId = { Ref: idOf(collectorOf(collecting).api) };
    for (const [name, metric, threshold] of [
      ['CollectorClientErrorRate', '4xx', 0.05],
      ['CollectorServerErrorRate', '5xx', 0.01],
    ] as const) {
      const alarm = alarmNamed(collecting, name);
      expect(alarm.Properties).toMatchObject({
        Threshold: threshold,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      });
      const metrics = alarm.Properties.Metrics as { Expression?: string; MetricStat?: { Metric: unknown } }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(whole >= 20, part / whole, 0)');
      expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat?.Metric)).toEqual(
        expect.arrayContaining(
          [metric, 'Count'].map((MetricName) => ({
            Namespace: 'AWS/ApiGateway',
            MetricName,
            Dimensions: [{ Name: 'ApiId', Value: apiId }],
          })),
        ),
      );
    }
    const refused = alarmNamed(collecting, 'CollectorRefusedCallRate');
    expect(JSON.stringify(refused.Properties.Metrics)).toContain('"MetricName":"CallsRefused"');
    expect(alarmNamed(collecting, 'CollectorEntriesKept').Properties).toMatchObject({
      Namespace: 'Northstar',
      MetricName: 'EntriesKept',
      Dimensions: [{ Name: 'service', Value: 'northstar-collector' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
    });
    for (const name of ['CollectorErrors', 'CollectorThrottles'])
      expect(alarmNamed(collecting, name)).toBeDefined();
    expect(alarmNamed(tuned, 'CollectorClientErrorRate').Properties.Threshold).toBe(0.2);
    expect(without.pipeline.monitoring.alarms.some((alarm) => alarm.node.id.startsWith('Collector'))).toBe(
      false,
    );
  });

  it('It should serve a custom domain when given a domain name and a certificate, and say where to point it', () => {
    const [domainId, domain] = only(tuned.template, 'AWS::ApiGatewayV2::DomainName');
    expect(domain.Properties).toEqual({
      DomainName: DOMAIN,
      DomainNameConfigurations: [
        { CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ],
    });
    const [, mapping] = only(tuned.template, 'AWS::ApiGatewayV2::ApiMapping');
    expect(mapping.Properties).toMatchObject({
      ApiId: { Ref: idOf(collectorOf(tuned).api) },
      DomainName: { Ref: domainId },
      Stage: '$default',
    });
    const outputs = tuned.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const output = (name: string) => Object.entries(outputs).find(([id]) => id.includes(name))?.[1].Value;
    expect(output('CollectorUrl')).toBe(`https://${DOMAIN}/`);
    expect(output('CollectorDomainTarget')).toEqual(getAtt(domainId, 'RegionalDomainName'));
    expect(collecting.template.findResources('AWS::ApiGatewayV2::DomainName')).toEqual({});
    expect(
      () =>
        new NorthstarPipeline(scratchStack(), 'Pipeline', {
          config: withCollector(demo),
          collector: { domainName: DOMAIN },
        }),
    ).toThrow('collector: a custom domain needs both domainName and certificateArn');
    expect(
      () =>
        new NorthstarPipeline(scratchStack(), 'Pipeline', {
          config: demo,
          collector: { throttle: undefined },
        }),
    ).toThrow('the configuration has no collector section');
  });
});
