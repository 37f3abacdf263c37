import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE } from '../../infra/bundled-config.js';
import { ReadApi, type ReadApiProps } from '../../infra/read-api.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import {
  asList,
  bundleOf,
  demoConfig,
  environmentOf,
  getAtt,
  idOf,
  only,
  resource,
  roleIdOf,
  type Statement,
  SYNTH_TIMEOUT,
  type Synthesised,
  scratchStack,
  statementsOf,
  synthesise,
} from './template-helpers.js';

let config: NorthstarConfig;
let demo: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config }, { bundle: true });
}, SYNTH_TIMEOUT);

/** The statements of the read API function's role. */
function apiStatements(): Statement[] {
  return statementsOf(demo.template, roleIdOf(resource(demo.template, idOf(demo.pipeline.readApi.function))));
}

describe('NorthstarPipeline: read API', () => {
  it('It should serve the read API from a function URL that only IAM-authorised callers can reach', () => {
    const [, url] = only(demo.template, 'AWS::Lambda::Url');
    expect(url.Properties).toEqual({
      AuthType: 'AWS_IAM',
      TargetFunctionArn: getAtt(idOf(demo.pipeline.readApi.function)),
    });
    // No resource policy opens the URL to everyone: callers need lambda:InvokeFunctionUrl in their own policies.
    expect(Object.values(demo.template.findResources('AWS::Lambda::Permission'))).not.toContainEqual(
      expect.objectContaining({
        Properties: expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', Principal: '*' }),
      }),
    );
  });

  it('It should run the API on nodejs24.x, arm64, long enough to wait for a recompute run, with its environment', () => {
    const [tableId] = only(demo.template, 'AWS::DynamoDB::Table');
    const fn = resource(demo.template, idOf(demo.pipeline.readApi.function));
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      // The recompute's 300 s plus 30 s.
      Timeout: 330,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: idOf(demo.pipeline.readApi.function.logGroup) } },
    });
    expect(environmentOf(fn)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: tableId },
      NORTHSTAR_CONFIG_FILE: 'northstar.config.json',
      RECOMPUTE_FUNCTION_NAME: { Ref: idOf(demo.pipeline.recomputeFunction) },
      // History imports are written to the event archive's bucket.
      ARCHIVE_BUCKET: { Ref: idOf(demo.pipeline.eventArchive.bucket) },
      REGISTRY_CACHE_SECONDS: '5',
      POWERTOOLS_SERVICE_NAME: 'northstar-api',
      // The dashboard site's sign-in: a Cognito user pool by default.
      SIGN_IN_ISSUER: expect.objectContaining({ 'Fn::Join': expect.anything() }),
      SIGN_IN_CLIENT_ID: { Ref: idOf(demo.pipeline.dashboard!.userPoolClient!) },
      SIGN_IN_GROUPS_CLAIM: 'cognito:groups',
      SIGN_IN_ADMIN_GROUP: 'admin',
      SIGN_IN_LOGOUT_URL: expect.objectContaining({ 'Fn::Join': expect.anything() }),
    });
  });

  it('It should let the API put history import objects under the history prefix only, encrypted with the data key', () => {
    const statements = apiStatements();
    const s3 = statements.filter((s) => asList(s.Action).some((action) => action.startsWith('s3:')));
    expect(s3).toEqual([
      {
        Sid: 'WriteHistory',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [getAtt(idOf(demo.pipeline.eventArchive.bucket)), '/history/*']] },
      },
    ]);
    // The archive's key is the table's: the one key statement covers writing the objects.
    const kms = statements.filter((s) => asList(s.Action).some((action) => action.startsWith('kms:')));
    expect(kms).toEqual([
      expect.objectContaining({
        Sid: 'UseTableKey',
        Action: expect.arrayContaining(['kms:GenerateDataKey', 'kms:Encrypt']),
        Resource: getAtt(idOf(demo.pipeline.state.dataKey)),
      }),
    ]);
  });

  it('It should let the API update alert, dirty, versions and annotation items, remove annotations, and batch-write quarantine items alone', () => {
    const tableArn = getAtt(idOf(demo.pipeline.state.table));
    const writes = apiStatements().filter((s) =>
      asList(s.Action).some((action) => action.startsWith('dynamodb:') && action !== 'dynamodb:GetItem'),
    );
    expect(writes.filter((s) => s.Sid !== 'ReadTable')).toEqual([
      {
        Sid: 'AcknowledgeAlertsAndMarkRanges',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': ['ALERT', 'DIRTY', 'VERSIONS', 'ANNOTATION'],
          },
        },
      },
      {
        Sid: 'RemoveAnnotations',
        Effect: 'Allow',
        Action: 'dynamodb:DeleteItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ANNOTATION'] } },
      },
      {
        Sid: 'QuarantineImportedEvents',
        Effect: 'Allow',
        Action: 'dynamodb:BatchWriteItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['Q#*'] } },
      },
    ]);
    const actions = apiStatements().flatMap((s) => asList(s.Action));
    for (const action of ['dynamodb:PutItem', 's3:GetObject', 's3:DeleteObject'])
      expect(actions).not.toContain(action);
  });

  it('It should bundle the API handler with the parsed configuration', () => {
    const bundle = bundleOf(demo.app, resource(demo.template, idOf(demo.pipeline.readApi.function)));
    expect(readFileSync(join(bundle, 'index.mjs'), 'utf8')).toContain('northstar-api');
    expect(JSON.parse(readFileSync(join(bundle, BUNDLED_CONFIG_FILE), 'utf8'))).toEqual(config);
  });

  it('It should output the bus, the API URL, the operations topic and the dashboard', () => {
    const outputs = demo.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const byName = (name: string) => Object.entries(outputs).find(([id]) => id.includes(name))?.[1].Value;
    expect(byName('EventBusName')).toEqual({ Ref: idOf(demo.pipeline.state.bus) });
    expect(byName('ReadApiUrl')).toEqual(getAtt(idOf(demo.pipeline.readApi.url), 'FunctionUrl'));
    expect(byName('OperationsTopicArn')).toEqual({ Ref: idOf(demo.pipeline.monitoring.operationsTopic) });
    expect(byName('DashboardName')).toEqual({ Ref: idOf(demo.pipeline.monitoring.dashboard) });
  });
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A read API alone in a stack (nothing bundled), with or without an archive bucket and its own key. */
function lonelyApi(archive: 'none' | 'own key'): {
  stack: Stack;
  api: ReadApi;
  bucket?: s3.Bucket;
  key?: kms.Key;
} {
  const stack = scratchStack();
  const tableKey = new kms.Key(stack, 'TableKey');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: tableKey,
  });
  const props: ReadApiProps = {
    table,
    tableKey,
    recomputeFunction: lambda.Function.fromFunctionName(stack, 'Recompute', 'recompute'),
    recomputeTimeout: Duration.minutes(1),
    configFile: join(ROOT, 'package.json'),
    entry: join(ROOT, 'functions/api/handler.ts'),
    depsLockFilePath: join(ROOT, 'package-lock.json'),
  };
  if (archive === 'none') return { stack, api: new ReadApi(stack, 'Api', props) };
  const key = new kms.Key(stack, 'ArchiveKey');
  const bucket = new s3.Bucket(stack, 'Archive', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
  return {
    stack,
    api: new ReadApi(stack, 'Api', { ...props, archiveBucket: bucket, archiveKey: key }),
    bucket,
    key,
  };
}

describe('ReadApi: history imports', () => {
  it('It should use an archive key other than the table key to encrypt history objects, and nothing more', () => {
    const { stack, api, bucket, key } = lonelyApi('own key');
    const template = Template.fromStack(stack);
    const statements = statementsOf(template, roleIdOf(resource(template, idOf(api.function))));
    expect(statements.filter((s) => s.Sid === 'UseArchiveKey')).toEqual([
      {
        Sid: 'UseArchiveKey',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Encrypt'],
        Resource: getAtt(idOf(key!)),
      },
    ]);
    expect(statements.find((s) => s.Sid === 'WriteHistory')?.Resource).toEqual({
      'Fn::Join': ['', [getAtt(idOf(bucket!)), '/history/*']],
    });
    expect(environmentOf(resource(template, idOf(api.function)))).toMatchObject({
      ARCHIVE_BUCKET: { Ref: idOf(bucket!) },
    });
  });

  it('It should grant nothing of S3 and set no bucket without an archive bucket', () => {
    const { stack, api } = lonelyApi('none');
    const template = Template.fromStack(stack);
    const statements = statementsOf(template, roleIdOf(resource(template, idOf(api.function))));
    expect(statements.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(statements.map((s) => s.Sid)).not.toContain('UseArchiveKey');
    expect(environmentOf(resource(template, idOf(api.function)))).not.toHaveProperty('ARCHIVE_BUCKET');
  });
});
