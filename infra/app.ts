import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { buildDashboardIfStale } from '../local/dashboard-build.js';
import { loadConfig } from '../shared/domain/config/load.js';
import { NorthstarPipeline } from './northstar-pipeline.js';

const app = new App();

/** A string context value (`--context name=value`), or undefined when not given. */
function context(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`Context "${name}" must be a string`);
  return value;
}

/** A comma-separated context value as a list: `--context alarmEmails=a@example.com,b@example.com`. */
function listContext(name: string): string[] | undefined {
  return context(name)
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const config = await loadConfig(context('config') ?? 'config/demo.config.ts');
if (context('dashboardIssuer') && !context('dashboardClientId'))
  throw new Error(
    '--context dashboardIssuer needs --context dashboardClientId: the dashboard client at that provider',
  );
// The dashboard site deploys the built page: build it first when its sources changed.
if (context('dashboard') !== 'false') await buildDashboardIfStale();

const stack = new Stack(app, context('stackName') ?? 'NorthstarStack', {
  description: 'Northstar: serverless north star metric pipeline',
});
new NorthstarPipeline(stack, 'Pipeline', {
  config,
  busName: context('busName'),
  allowedPutEventsAccounts: listContext('allowedPutEventsAccounts'),
  alarmEmails: listContext('alarmEmails'),
  ...(context('dashboard') === 'false'
    ? { dashboard: false as const }
    : {
        dashboard: {
          ...(context('dashboardDomainName') ? { domainName: context('dashboardDomainName') } : {}),
          ...(context('dashboardCertificateArn')
            ? { certificateArn: context('dashboardCertificateArn') }
            : {}),
          ...(context('dashboardIssuer')
            ? {
                identityProvider: {
                  issuer: context('dashboardIssuer')!,
                  clientId: context('dashboardClientId')!,
                  ...(context('dashboardGroupsClaim')
                    ? { groupsClaim: context('dashboardGroupsClaim') }
                    : {}),
                },
              }
            : {}),
        },
      }),
  // Only with a `collector` section in the configuration; its other options are construct props.
  ...(context('collectorDomainName') || context('collectorCertificateArn')
    ? {
        collector: {
          domainName: context('collectorDomainName'),
          certificateArn: context('collectorCertificateArn'),
        },
      }
    : {}),
});

// A validation plugin, not an aspect, in cdk-nag 3: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
