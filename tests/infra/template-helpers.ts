import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';
import { NorthstarPipeline, type NorthstarPipelineProps } from '../../infra/northstar-pipeline.js';
import { loadConfig } from '../../shared/domain/config/load.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { parseConfig } from '../../shared/domain/config/validate.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.config.ts', import.meta.url));
export const GROWTH_WEBHOOK = 'https://chat.example.com/hooks/growth';

export type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };
export type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
};

export interface Synthesised {
  readonly app: App;
  readonly stack: Stack;
  readonly pipeline: NorthstarPipeline;
  readonly template: Template;
}

export function demoConfig(): Promise<NorthstarConfig> {
  return loadConfig(DEMO_CONFIG);
}

/** The demo configuration where the growth team's daily sign-ups also alert a chat webhook. */
export function withGrowthWebhook(config: NorthstarConfig): NorthstarConfig {
  const daily = config.metrics.daily_signups;
  if (!daily) throw new Error('the demo configuration has no daily_signups metric');
  return {
    ...config,
    metrics: {
      ...config.metrics,
      daily_signups: { ...daily, owner: { ...daily.owner, contact: GROWTH_WEBHOOK } },
    },
  };
}

export const COLLECTOR_ORIGIN = 'https://app.example.com';

/** The demo configuration with a collector: one key listed, pages of one origin allowed. */
export function withCollector(
  config: NorthstarConfig,
  collector: Record<string, unknown> = {},
): NorthstarConfig {
  return parseConfig({
    ...config,
    collector: {
      writeKeys: { 'web-key-7f3a9c21': { source: 'app.web' } },
      names: { 'Signed Up': 'signed_up' },
      allowedOrigins: [COLLECTOR_ORIGIN],
      ...collector,
    },
  });
}

/** Synthesis (and, where a test reads bundles, esbuild) of a few stacks on a busy machine. */
export const SYNTH_TIMEOUT = 180_000;

/**
 * A stack with one pipeline, synthesised once. Functions are bundled only when a test
 * reads the bundles: otherwise CDK's own switch for skipping bundling leaves a placeholder.
 */
export function synthesise(props: NorthstarPipelineProps, options: { bundle?: boolean } = {}): Synthesised {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Northstar');
  const pipeline = new NorthstarPipeline(stack, 'Pipeline', props);
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

/** A stack for constructs that are expected to throw: nothing is bundled. */
export function scratchStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Scratch');
}

/** The one resource of a type in the template, with its logical id. */
export function only(from: Template, type: string): [string, Resource] {
  const found = Object.entries(from.findResources(type)) as [string, Resource][];
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

export function getAtt(logicalId: string, attribute = 'Arn') {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

export function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The logical id of a construct's CloudFormation resource. */
export function idOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

export function resource(from: Template, logicalId: string): Resource {
  const found = from.toJSON().Resources[logicalId] as Resource | undefined;
  expect(found, logicalId).toBeDefined();
  return found as Resource;
}

export function roleIdOf(fn: Resource): string {
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** Every statement of the policies attached to one role (and only to it). */
export function statementsOf(from: Template, roleId: string): Statement[] {
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

/** The files esbuild staged for a function (the staged bundle is named after the asset hash). */
export function bundleOf(app: App, fn: Resource): string {
  const assetHash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
  return join(app.outdir, `asset.${assetHash}`);
}

/** Environment variables of a function resource. */
export function environmentOf(fn: Resource): Record<string, unknown> {
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Every acknowledgement under a scope: `<construct path> <rule id>` and its reason. */
export function acknowledgementsUnder(scope: IConstruct): [string, unknown][] {
  const found: [string, unknown][] = [];
  const visit = (construct: IConstruct) => {
    for (const entry of construct.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          found.push([`${construct.node.path} ${id.replace(/^annotation::/i, '')}`, reason]);
        }
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(scope);
  return found;
}
