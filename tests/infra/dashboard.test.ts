import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSite, DashboardSiteOptions } from '../../infra/dashboard-site.js';
import { NorthstarPipeline } from '../../infra/northstar-pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { policyAllows } from '../support/csp-sources.js';
import {
  acknowledgementsUnder,
  demoConfig,
  getAtt,
  idOf,
  resource,
  SYNTH_TIMEOUT,
} from './template-helpers.js';

const DASHBOARD_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** What the tests read of a distribution's configuration. */
interface DistributionConfig {
  readonly DefaultCacheBehavior: { ViewerProtocolPolicy: string; ResponseHeadersPolicyId: { Ref: string } };
  readonly CacheBehaviors: { PathPattern: string }[];
  readonly ViewerCertificate?: Record<string, unknown>;
  readonly Aliases?: string[];
}
const distributionConfig = (template: Template, site: DashboardSite) =>
  (resource(template, idOf(site.distribution)).Properties as { DistributionConfig: DistributionConfig })
    .DistributionConfig;

/** The page's security headers as synthesised: the CSP may still hold CloudFormation references. */
function securityHeadersOf(template: Template, site: DashboardSite) {
  const config = distributionConfig(template, site);
  return (
    resource(template, config.DefaultCacheBehavior.ResponseHeadersPolicyId.Ref).Properties as {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Record<string, { ContentSecurityPolicy?: unknown }>;
      };
    }
  ).ResponseHeadersPolicyConfig.SecurityHeadersConfig;
}

/** A synthesised string as CloudFormation would deploy it, with each reference given its value. */
function deployed(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  const { Ref, 'Fn::Join': join } = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (Ref !== undefined) {
    const known = refs[Ref];
    if (known === undefined) throw new Error(`the test gives no value for the reference ${Ref}`);
    return known;
  }
  if (join) return join[1].map((part) => deployed(part, refs)).join(join[0]);
  throw new Error(`the test cannot deploy ${JSON.stringify(value)}`);
}

const OWN_ISSUER = 'https://login.example.com/tenant/';

/** A pipeline with its dashboard site, signed in by a new Cognito user pool or by the team's own provider. */
function withSite(config: NorthstarConfig, options: DashboardSiteOptions = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Northstar');
  const pipeline = new NorthstarPipeline(stack, 'Pipeline', {
    config,
    dashboard: options,
    dashboardDir: DASHBOARD_DIST,
  });
  const site = pipeline.dashboard;
  if (!site) throw new Error('the pipeline deploys its dashboard by default');
  return { stack, pipeline, site, template: Template.fromStack(stack) };
}

let cognitoSite: ReturnType<typeof withSite>;
let ownProvider: ReturnType<typeof withSite>;

beforeAll(async () => {
  const config = await demoConfig();
  cognitoSite = withSite(config);
  ownProvider = withSite(config, {
    identityProvider: {
      // A path and a trailing slash, as Auth0's issuers end and Entra's and Okta's carry a path.
      issuer: OWN_ISSUER,
      clientId: 'northstar-dashboard',
      groupsClaim: 'groups',
    },
    domainName: 'metrics.example.com',
    certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/5a1c0e4e-7d1b-4b8e-9f3a-2c6d8e0f1a2b',
  });
}, SYNTH_TIMEOUT);

describe('DashboardSite', () => {
  it('It should keep the page in a private bucket that only the distribution reads, through origin access control', () => {
    const { site, template } = cognitoSite;
    expect(resource(template, idOf(site.bucket)).Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (one) => JSON.stringify(one.Properties.Bucket) === JSON.stringify({ Ref: idOf(site.bucket) }),
    );
    const reads = (
      policy!.Properties.PolicyDocument.Statement as {
        Action: unknown;
        Principal?: unknown;
        Condition?: unknown;
      }[]
    ).filter((statement) => statement.Action === 's3:GetObject');
    expect(reads).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
  });

  it('It should serve HTTPS only with the security headers, and the read API at /api/* of the same origin, uncached', () => {
    const { site, template } = cognitoSite;
    const config = distributionConfig(template, site);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.ViewerCertificate ?? {}).not.toHaveProperty('MinimumProtocolVersion', 'TLSv1');
    const api = config.CacheBehaviors.find(
      (behavior: { PathPattern: string }) => behavior.PathPattern === '/api/*',
    );
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
    });
    const headers = securityHeadersOf(template, site);
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    const csp = JSON.stringify(headers.ContentSecurityPolicy?.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('cognito-idp');
  });

  it("It should let the page reach the Cognito issuer's discovery document, keys and token endpoint: origins in the CSP, no issuer path", () => {
    const { site, template } = cognitoSite;
    const refs = {
      'AWS::Region': 'eu-west-1',
      [idOf(site.userPool!)]: 'eu-west-1_Abc123XYZ',
      [template.getResourceId('AWS::Cognito::UserPoolDomain')]: 'northstar-111111111111',
    };
    const synthesised = securityHeadersOf(template, site).ContentSecurityPolicy?.ContentSecurityPolicy;
    // The pool id, the issuer's path, is not in the policy at all.
    expect(JSON.stringify(synthesised)).not.toContain(idOf(site.userPool!));
    const policy = deployed(synthesised, refs);
    const issuer = deployed(Stack.of(site).resolve(site.issuer), refs);
    expect(issuer).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123XYZ');
    const page = 'https://d1234abcd.cloudfront.net/';
    for (const url of [
      `${issuer}/.well-known/openid-configuration`,
      `${issuer}/.well-known/jwks.json`,
      'https://northstar-111111111111.auth.eu-west-1.amazoncognito.com/oauth2/token',
      'https://northstar-111111111111.auth.eu-west-1.amazoncognito.com/oauth2/revoke',
    ])
      expect(policyAllows(policy, 'connect-src', url, page), url).toBe(true);
    expect(policyAllows(policy, 'connect-src', 'https://elsewhere.example.com/', page)).toBe(false);
    expect(policy).toContain(
      "form-action 'self' https://cognito-idp.eu-west-1.amazonaws.com https://northstar-111111111111.auth.eu-west-1.amazoncognito.com",
    );
  });

  it("It should let the page reach its own provider's endpoints under an issuer with a path: the issuer's origin, no path", () => {
    const { site, template } = ownProvider;
    const policy = securityHeadersOf(template, site).ContentSecurityPolicy?.ContentSecurityPolicy;
    if (typeof policy !== 'string') throw new Error('the policy of an own provider is a plain string');
    expect(policy).not.toContain('/tenant');
    const page = 'https://metrics.example.com/';
    for (const url of [
      'https://login.example.com/tenant/.well-known/openid-configuration',
      'https://login.example.com/tenant/oauth/token',
    ])
      expect(policyAllows(policy, 'connect-src', url, page), url).toBe(true);
    expect(policy).toMatch(/form-action 'self' https:\/\/login\.example\.com(;|$)/);
  });

  it('It should take only valid tokens of the sign-in provider for the dashboard client at the API, but the sign-in route', () => {
    const { site, template } = cognitoSite;
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Audience: [{ Ref: idOf(site.userPoolClient!) }], Issuer: Match.anyValue() },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter(
      (route) => JSON.stringify(route.Properties.ApiId) === JSON.stringify({ Ref: idOf(site.api) }),
    );
    expect(
      routes.map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType ?? 'NONE']).sort(),
    ).toEqual([
      ['ANY /api/{proxy+}', 'JWT'],
      ['GET /api/sign-in', 'NONE'],
    ]);
  });

  it('It should add users only by an administrator, with MFA, and gate writes on the admin group', () => {
    const { site, template } = cognitoSite;
    expect(resource(template, idOf(site.userPool!)).Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    expect(resource(template, idOf(site.userPoolClient!)).Properties).toMatchObject({
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', getAtt(idOf(site.distribution), 'DomainName'), '/']] }],
    });
    const environment = (
      resource(template, idOf(cognitoSite.pipeline.readApi.function)).Properties as {
        Environment: { Variables: Record<string, unknown> };
      }
    ).Environment.Variables;
    expect(environment).toMatchObject({
      SIGN_IN_CLIENT_ID: { Ref: idOf(site.userPoolClient!) },
      SIGN_IN_GROUPS_CLAIM: 'cognito:groups',
      SIGN_IN_ADMIN_GROUP: 'admin',
    });
  });

  it("It should sign in with the team's own provider on a custom domain, with no user pool", () => {
    const { site, template } = ownProvider;
    expect(site.userPool).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::Cognito::UserPool'))).toEqual([]);
    expect(site.url).toBe('https://metrics.example.com/');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      // The issuer as its tokens' `iss` states it, trailing slash and all: the authorizer compares exactly.
      JwtConfiguration: { Audience: ['northstar-dashboard'], Issuer: OWN_ISSUER },
    });
    expect(site.issuer).toBe(OWN_ISSUER);
    const environment = (
      resource(template, idOf(ownProvider.pipeline.readApi.function)).Properties as {
        Environment: { Variables: Record<string, unknown> };
      }
    ).Environment.Variables;
    expect(environment.SIGN_IN_ISSUER).toBe(OWN_ISSUER);
    const config = distributionConfig(template, site);
    expect(config.Aliases).toEqual(['metrics.example.com']);
    expect(config.ViewerCertificate).toMatchObject({
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
  });

  it('It should lead every alert link to the deployed dashboard, and say where to add users', () => {
    const { site, pipeline, template } = cognitoSite;
    const url = { 'Fn::Join': ['', ['https://', getAtt(idOf(site.distribution), 'DomainName'), '/']] };
    const recompute = resource(template, idOf(pipeline.recomputeFunction)).Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(recompute.Environment.Variables.DASHBOARD_URL).toEqual(url);
    template.hasOutput('*', { Value: url, Description: Match.stringLikeRegexp('alert links') });
    template.hasOutput('*', { Value: { Ref: idOf(site.userPool!) } });
    const own = resource(ownProvider.template, idOf(ownProvider.pipeline.recomputeFunction)).Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(own.Environment.Variables.DASHBOARD_URL).toBe('https://metrics.example.com/');
  });

  it('It should be left out with dashboard: false, alert links then following the configuration', async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Northstar');
    const pipeline = new NorthstarPipeline(stack, 'Pipeline', {
      config: await demoConfig(),
      dashboard: false,
    });
    expect(pipeline.dashboard).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    const recompute = resource(template, idOf(pipeline.recomputeFunction)).Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(recompute.Environment.Variables).not.toHaveProperty('DASHBOARD_URL');
  });

  it("It should alarm the operations topic on the dashboard API's share of 5xx answers", () => {
    const { site, pipeline, template } = cognitoSite;
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((one) =>
      String(one.Properties.AlarmDescription).includes('dashboard API'),
    );
    expect(alarm?.Properties).toMatchObject({
      Threshold: 0.01,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      AlarmActions: [{ Ref: idOf(pipeline.monitoring.operationsTopic) }],
    });
    expect(JSON.stringify(alarm?.Properties.Metrics)).toContain('5xx');
    expect(JSON.stringify(alarm?.Properties.Metrics)).toContain(idOf(site.api));
  });

  it('cdk-nag: every finding of the site is fixed or acknowledged, each with a reason', () => {
    for (const { site, stack } of [cognitoSite, ownProvider]) {
      for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
        const found = pack
          .validateScope(stack)
          .violations.filter(
            (violation) => violation.severity === 'error' || violation.severity === 'warning',
          )
          .map(
            (violation) =>
              `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
          );
        expect(found).toEqual([]);
      }
      for (const [id, reason] of acknowledgementsUnder(site))
        expect(String(reason).length, id).toBeGreaterThan(40);
    }
  });
});
