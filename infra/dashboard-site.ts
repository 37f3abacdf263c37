import { Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

/** An OIDC provider the team already uses, instead of the Cognito user pool the construct makes. */
export interface DashboardIdentityProvider {
  /** The issuer URL (`iss` of its tokens); its discovery document is at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The dashboard's client id there: a public client, authorization code with PKCE, this site's URL as redirect. */
  readonly clientId: string;
  /** @default 'cognito:groups' */
  readonly groupsClaim?: string;
}

export interface DashboardSiteOptions {
  /**
   * Sign in with this provider instead of a new Cognito user pool.
   * @default - a Cognito user pool with an admin group and a hosted sign-in domain
   */
  readonly identityProvider?: DashboardIdentityProvider;
  /**
   * The group whose members may acknowledge alerts and start a recompute.
   * @default 'admin'
   */
  readonly adminGroup?: string;
  /**
   * The Cognito hosted sign-in domain prefix (`<prefix>.auth.<region>.amazoncognito.com`).
   * @default 'northstar-<account>'
   */
  readonly cognitoDomainPrefix?: string;
  /** A custom domain for the dashboard (`metrics.example.com`); needs `certificateArn`. @default - the distribution's own */
  readonly domainName?: string;
  /** An ACM certificate for `domainName` in us-east-1, as CloudFront requires. @default - none */
  readonly certificateArn?: string;
  /** @default CloudFront's PRICE_CLASS_100 (North America and Europe edges) */
  readonly priceClass?: cloudfront.PriceClass;
}

export interface DashboardSiteProps extends DashboardSiteOptions {
  /** The read API's function: served at `/api/*` of the same origin, behind sign-in. */
  readonly apiFunction: lambda.Function;
  /** The built dashboard (Vite's output folder). */
  readonly dashboardDir: string;
  /** Where the site bucket's and the distribution's access logs go. */
  readonly accessLogsBucket: s3.IBucket;
}

export const DEFAULT_ADMIN_GROUP = 'admin';
export const DEFAULT_GROUPS_CLAIM = 'cognito:groups';

/**
 * The page's content security policy, with the origins the browser calls to sign in. Each is
 * an origin (scheme, host, port) and never a URL with a path: a source with a path matches
 * that one URL only, so an issuer such as `https://cognito-idp.<region>.amazonaws.com/<pool>`
 * would block its own discovery document and keys.
 */
export function dashboardContentSecurityPolicy(signInOrigins: readonly string[]): string {
  const origins = ["'self'", ...signInOrigins].join(' ');
  return [
    "default-src 'self'",
    `connect-src ${origins}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    `form-action ${origins}`,
  ].join('; ');
}

/**
 * The dashboard on AWS: the built page in a private S3 bucket behind Amazon CloudFront
 * (origin access control, HTTPS only, security headers), and the read API at `/api/*` of
 * the same origin through an API Gateway HTTP API that takes only valid tokens of the sign-in
 * provider, so the page and the API share one URL and need no CORS. The read API checks the
 * token again and gates writes on the admin group. The SigV4 function URL for the CLI stays.
 */
export class DashboardSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly api: apigwv2.HttpApi;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  readonly adminGroup: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Where alert links lead: `https://<domain>/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    if ((props.domainName === undefined) !== (props.certificateArn === undefined))
      throw new Error('dashboard: a custom domain needs both domainName and certificateArn');
    const stack = Stack.of(this);
    this.adminGroup = props.adminGroup ?? DEFAULT_ADMIN_GROUP;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // The page's own files, no product data: S3's managed key is enough, and CloudFront reads them through OAC.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'dashboard-site/',
      // The files are rebuilt from the source on every deploy.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Northstar read API for the signed-in dashboard (behind CloudFront)',
      createDefaultStage: false,
    });
    // The distribution names only the API's endpoint: the API's routes may name the client, which names the distribution.
    const apiDomain = Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    const securityHeaders = (signInOrigins: readonly string[]) =>
      new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
        comment: 'Northstar dashboard: CSP, no sniffing, no framing, HSTS',
        securityHeadersBehavior: {
          contentSecurityPolicy: {
            contentSecurityPolicy: dashboardContentSecurityPolicy(signInOrigins),
            override: true,
          },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
          referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
          strictTransportSecurity: {
            accessControlMaxAge: Duration.days(365),
            includeSubdomains: true,
            override: true,
          },
        },
      });

    const certificate = props.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
      : undefined;
    const logsBucket = props.accessLogsBucket;
    const distributionFor = (signInOrigins: readonly string[]) =>
      new cloudfront.Distribution(this, 'Distribution', {
        comment: 'Northstar dashboard and its read API',
        defaultRootObject: 'index.html',
        priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        ...(certificate && props.domainName ? { certificate, domainNames: [props.domainName] } : {}),
        enableLogging: true,
        logBucket: logsBucket,
        logFilePrefix: 'dashboard-cdn/',
        defaultBehavior: {
          origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          responseHeadersPolicy: securityHeaders(signInOrigins),
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        },
        additionalBehaviors: {
          '/api/*': {
            origin: new origins.HttpOrigin(apiDomain, {
              protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            }),
            viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
            cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
            // The token and the query reach the API; the Host header stays the API's own.
            originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
          },
        },
      });

    if (props.identityProvider) {
      const { issuer, clientId } = props.identityProvider;
      if (!/^https:\/\/[^/]+/.test(issuer))
        throw new Error(`dashboard.identityProvider.issuer: ${issuer} is not an https URL`);
      if (!clientId)
        throw new Error('dashboard.identityProvider.clientId: empty; give the dashboard client id');
      // Verbatim: the API's authorizer and the read API compare it with `iss` exactly (Auth0's ends in `/`).
      this.issuer = issuer;
      this.clientId = clientId;
      this.distribution = distributionFor([new URL(issuer).origin]);
    } else {
      this.userPool = new cognito.UserPool(this, 'Users', {
        // Users are added by an administrator (docs/deploy.md): no one signs up on their own.
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        passwordPolicy: {
          minLength: 12,
          requireDigits: true,
          requireLowercase: true,
          requireUppercase: true,
          requireSymbols: true,
        },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
        userPoolId: this.userPool.userPoolId,
        groupName: this.adminGroup,
        description: 'May acknowledge alerts and start a recompute',
      });
      const domain = this.userPool.addDomain('SignInDomain', {
        cognitoDomain: { domainPrefix: props.cognitoDomainPrefix ?? `northstar-${stack.account}` },
      });
      // The pool id is known at deploy time only: the origin is built from the region, not parsed from the issuer.
      const issuerOrigin = `https://cognito-idp.${stack.region}.amazonaws.com`;
      this.issuer = `${issuerOrigin}/${this.userPool.userPoolId}`;
      // Cognito's hosted pages and token endpoint live on the sign-in domain (an origin, no path).
      this.distribution = distributionFor([issuerOrigin, domain.baseUrl()]);
      const siteUrl = props.domainName
        ? `https://${props.domainName}/`
        : `https://${this.distribution.distributionDomainName}/`;
      this.userPoolClient = this.userPool.addClient('Dashboard', {
        // A page cannot keep a secret: a public client, authorization code with PKCE.
        generateSecret: false,
        authFlows: {},
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
          callbackUrls: [siteUrl],
          logoutUrls: [siteUrl],
        },
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      this.clientId = this.userPoolClient.userPoolClientId;
      const plusPlan =
        'Threat protection needs the Plus feature plan, a per-user price the dashboard of a metrics pipeline does not warrant; MFA is required and users are added by an administrator only.';
      Validations.of(this.userPool).acknowledge(
        { id: 'AwsSolutions-COG3', reason: plusPlan },
        { id: 'AwsSolutions-COG8', reason: plusPlan },
      );
    }
    this.url = props.domainName
      ? `https://${props.domainName}/`
      : `https://${this.distribution.distributionDomainName}/`;

    // The API takes only tokens of the provider for this client; the function checks them again and the groups.
    const authorizer = new HttpJwtAuthorizer('SignIn', this.issuer, { jwtAudience: [this.clientId] });
    const integration = new HttpLambdaIntegration('ReadApi', props.apiFunction);
    this.api.addRoutes({ path: '/api/{proxy+}', methods: [apigwv2.HttpMethod.ANY], integration, authorizer });
    // The page asks before signing in whether sign-in is needed, and where.
    this.api.addRoutes({ path: '/api/sign-in', methods: [apigwv2.HttpMethod.GET], integration });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            user: '$context.authorizer.claims.sub',
            error: '$context.error.message',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /api/sign-in is public on purpose: it tells the page whether and where to sign in, and holds no data; every other route takes only valid tokens (JWT authorizer).',
    });

    props.apiFunction.addEnvironment('SIGN_IN_ISSUER', this.issuer);
    props.apiFunction.addEnvironment('SIGN_IN_CLIENT_ID', this.clientId);
    props.apiFunction.addEnvironment(
      'SIGN_IN_GROUPS_CLAIM',
      props.identityProvider?.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
    );
    props.apiFunction.addEnvironment('SIGN_IN_ADMIN_GROUP', this.adminGroup);
    if (this.userPool)
      props.apiFunction.addEnvironment(
        'SIGN_IN_LOGOUT_URL',
        `https://${props.cognitoDomainPrefix ?? `northstar-${stack.account}`}.auth.${stack.region}.amazoncognito.com/logout`,
      );

    new s3deploy.BucketDeployment(this, 'Files', {
      sources: [s3deploy.Source.asset(props.dashboardDir)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html'],
      memoryLimit: 256,
    });
    // CDK's own deployment function, one per stack: it copies the built page at deploy time only.
    const deployTimeOnly = (what: string) =>
      `CDK's bucket deployment function ${what}; it runs at deploy time only, to copy the built page.`;
    const bucketId = stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    for (const child of stack.node.children.filter((one) =>
      one.node.id.startsWith('Custom::CDKBucketDeployment'),
    ))
      Validations.of(child).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: deployTimeOnly('writes its logs with the AWS managed basic execution policy'),
        },
        ...[
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:List*',
          'Action::s3:DeleteObject*',
          'Action::s3:Abort*',
          'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
          `Resource::<${bucketId}.Arn>/*`,
          'Resource::*',
        ].map((finding) => ({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason: deployTimeOnly(
            'reads the CDK asset bucket, replaces every object of the dashboard bucket and invalidates the distribution, so its grants are CDK’s own prefixes and actions',
          ),
        })),
        {
          id: 'AwsSolutions-L1',
          reason: deployTimeOnly('runs the Python runtime CDK ships it with, not ours to upgrade'),
        },
        {
          id: 'Serverless-LambdaLatestVersion',
          reason: deployTimeOnly('runs the Python runtime CDK ships it with, not ours to upgrade'),
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason: deployTimeOnly(
            'is called by CloudFormation, which sees its failure and rolls the deploy back',
          ),
        },
        {
          id: 'Serverless-LambdaTracing',
          reason: deployTimeOnly('is CDK’s, configured by CDK; a failed copy fails the deploy with its log'),
        },
      );
    if (!certificate)
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution uses the default *.cloudfront.net certificate, for which CloudFront sets the minimum TLS version; with `domainName` and `certificateArn` it is TLS 1.2 (2021).',
      });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Owners sign in from wherever they work; access is gated by sign-in, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every data request needs a valid token (API Gateway JWT authorizer, checked again in the function) and the API is throttled; a web ACL is an option a team can attach.',
      },
    );
  }
}
