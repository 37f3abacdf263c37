import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_FILE } from '../../infra/bundled-config.js';
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

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config }, { bundle: true });
}, SYNTH_TIMEOUT);

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
