import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { teamContacts } from '../../infra/alert-routing.js';
import { alertTextLines } from '../../shared/domain/alerts/alert-message.js';
import { deviationAlertPattern, reviewDigestPattern } from '../../shared/domain/bus/rule-patterns.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import {
  demoConfig,
  environmentOf,
  GROWTH_WEBHOOK,
  getAtt,
  idOf,
  only,
  type Resource,
  resource,
  roleIdOf,
  type Statement,
  SYNTH_TIMEOUT,
  type Synthesised,
  statementsOf,
  synthesise,
  withGrowthWebhook,
} from './template-helpers.js';

const TEAMS = ['courses', 'growth', 'learning', 'marketing', 'onboarding', 'revenue'];

let config: NorthstarConfig;
let demo: Synthesised;
let webhook: Synthesised;

beforeAll(async () => {
  config = await demoConfig();
  demo = synthesise({ config });
  webhook = synthesise({ config: withGrowthWebhook(config) });
}, SYNTH_TIMEOUT);

function route(synthesised: Synthesised, team: string) {
  const found = synthesised.pipeline.alerts.routes.find((candidate) => candidate.team === team);
  if (!found) throw new Error(`no alert route for ${team}`);
  return found;
}

function subscriptionsOf(synthesised: Synthesised, topicId: string): Resource[] {
  return Object.values(
    synthesised.template.findResources('AWS::SNS::Subscription') as Record<string, Resource>,
  ).filter(
    (subscription) => JSON.stringify(subscription.Properties.TopicArn) === JSON.stringify({ Ref: topicId }),
  );
}

describe('NorthstarPipeline: alerts per owner team', () => {
  it('It should gather each owner team with its distinct contacts, emails apart from webhooks', () => {
    expect(teamContacts(config).map(({ team }) => team)).toEqual(TEAMS);
    expect(teamContacts(config).find(({ team }) => team === 'growth')).toEqual({
      team: 'growth',
      emails: ['growth@example.com'],
      webhooks: [],
    });
    expect(teamContacts(withGrowthWebhook(config)).find(({ team }) => team === 'growth')).toEqual({
      team: 'growth',
      emails: ['growth@example.com'],
      webhooks: [GROWTH_WEBHOOK],
    });
  });

  it('It should give each team a KMS-encrypted topic that requires TLS', () => {
    demo.template.resourceCountIs('AWS::SNS::Topic', TEAMS.length + 1);
    for (const team of TEAMS) {
      const topicId = idOf(route(demo, team).topic);
      expect(resource(demo.template, topicId).Properties).toEqual({
        DisplayName: `Northstar alerts: ${team}`,
        KmsMasterKeyId: getAtt(idOf(demo.pipeline.state.notificationKey)),
      });
      demo.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it("It should route each team's alerts with the shared pattern to its topic, as readable text, dead-lettering failures", () => {
    const [busId] = only(demo.template, 'AWS::Events::EventBus');
    const paths: string[] = [];
    alertTextLines((path) => {
      paths.push(path);
      return '';
    });
    for (const team of TEAMS) {
      const { rule, topic } = route(demo, team);
      const properties = resource(demo.template, idOf(rule)).Properties;
      expect(properties.EventBusName).toEqual({ Ref: busId });
      expect(properties.EventPattern).toEqual(deviationAlertPattern(team));
      const [target] = properties.Targets as Record<string, unknown>[];
      expect(target).toMatchObject({
        Arn: { Ref: idOf(topic) },
        DeadLetterConfig: { Arn: getAtt(idOf(demo.pipeline.state.alertDeadLetterQueue)) },
      });
      const transformer = target?.InputTransformer as {
        InputPathsMap: Record<string, string>;
        InputTemplate: string;
      };
      expect(Object.values(transformer.InputPathsMap).sort()).toEqual([...paths].sort());
      const lines = transformer.InputTemplate.split('\n');
      expect(lines).toHaveLength(alertTextLines(() => '').length);
      // Each line a JSON string, as an input transformer requires.
      for (const line of lines) expect(typeof JSON.parse(line)).toBe('string');
      expect(lines[0]).toBe('"<detail-type>: <detail-metric-title>"');
    }
  });

  it('It should let EventBridge publish to a team topic only through that team rule', () => {
    for (const team of TEAMS) {
      const { rule, topic } = route(demo, team);
      const [, policy] = Object.entries(demo.template.findResources('AWS::SNS::TopicPolicy')).find(
        ([, candidate]) =>
          JSON.stringify(candidate.Properties.Topics) === JSON.stringify([{ Ref: idOf(topic) }]),
      ) as [string, Resource];
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'OnlyTheTeamRulePublishes',
          Effect: 'Deny',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { ArnNotEquals: { 'aws:SourceArn': getAtt(idOf(rule)) } },
        }),
      );
    }
  });

  it("It should subscribe each team's email contacts, dead-lettering what SNS cannot deliver", () => {
    for (const { team, emails } of teamContacts(config)) {
      const subscriptions = subscriptionsOf(demo, idOf(route(demo, team).topic));
      expect(subscriptions.map((s) => s.Properties.Endpoint).sort()).toEqual([...emails].sort());
      for (const subscription of subscriptions) {
        expect(subscription.Properties).toMatchObject({
          Protocol: 'email',
          RedrivePolicy: { deadLetterTargetArn: getAtt(idOf(demo.pipeline.state.alertDeadLetterQueue)) },
        });
      }
    }
  });

  it('It should create no webhook formatter when no owner has a webhook contact', () => {
    expect(demo.pipeline.alerts.webhookFunction).toBeUndefined();
    // Ingest, recompute, the read API, the backfill's three steps, the digest relay and CDK's
    // copier of the dashboard's files.
    demo.template.resourceCountIs('AWS::Lambda::Function', 8);
  });

  it("It should subscribe one formatter to the topics of teams with a webhook, routing each topic to its teams' URLs", () => {
    const fn = webhook.pipeline.alerts.webhookFunction;
    if (!fn) throw new Error('a webhook contact should create the formatter');
    const growthTopicId = idOf(route(webhook, 'growth').topic);
    const lambdaSubscriptions = Object.values(
      webhook.template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'lambda' } }),
    ) as Resource[];
    expect(lambdaSubscriptions).toHaveLength(1);
    expect(lambdaSubscriptions[0]?.Properties).toMatchObject({
      TopicArn: { Ref: growthTopicId },
      Endpoint: getAtt(idOf(fn)),
      RedrivePolicy: { deadLetterTargetArn: getAtt(idOf(webhook.pipeline.state.alertDeadLetterQueue)) },
    });
    const properties = resource(webhook.template, idOf(fn)).Properties;
    expect(properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 30 });
    expect(properties.DeadLetterConfig).toEqual({
      TargetArn: getAtt(idOf(webhook.pipeline.state.alertDeadLetterQueue)),
    });
    const routes = JSON.stringify(environmentOf(resource(webhook.template, idOf(fn))).WEBHOOK_ROUTES);
    expect(routes).toContain(growthTopicId);
    expect(routes).toContain(GROWTH_WEBHOOK);
    webhook.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(idOf(fn)),
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: growthTopicId },
    });
  });

  it("It should route each team's review digests to the relay, which may publish to the team topics alone", () => {
    const fn = demo.pipeline.alerts.digestFunction;
    const fnResource = resource(demo.template, idOf(fn));
    expect(fnResource.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 30,
    });
    expect(fnResource.Properties.DeadLetterConfig).toEqual({
      TargetArn: getAtt(idOf(demo.pipeline.state.alertDeadLetterQueue)),
    });
    const topics = TEAMS.map((team) => ({ team, topicArn: { Ref: idOf(route(demo, team).topic) } }));
    // A JSON string CloudFormation joins around each topic's Ref.
    const routesText = JSON.stringify(environmentOf(fnResource).DIGEST_TOPICS);
    for (const { team, topicArn } of topics) {
      expect(routesText).toContain(`\\"team\\":\\"${team}\\"`);
      expect(routesText).toContain(JSON.stringify(topicArn));
      const { digestRule } = route(demo, team);
      const properties = resource(demo.template, idOf(digestRule)).Properties;
      expect(properties.EventPattern).toEqual(reviewDigestPattern(team));
      expect(properties.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(idOf(fn)),
          DeadLetterConfig: { Arn: getAtt(idOf(demo.pipeline.state.alertDeadLetterQueue)) },
        }),
      ]);
      // The whole event reaches the relay: no input transformer quotes its text.
      expect((properties.Targets as unknown[])[0]).not.toHaveProperty('InputTransformer');
    }
    const statements = statementsOf(demo.template, roleIdOf(fnResource));
    const publish = statements.filter((statement) => JSON.stringify(statement.Action).includes('sns:'));
    expect(publish).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: topics.map((t) => t.topicArn),
      }),
    ]);
    const kms = statements.filter((statement) => JSON.stringify(statement.Action).includes('kms:'));
    expect(kms).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: getAtt(idOf(demo.pipeline.state.notificationKey)),
      }),
    ]);
    expect(statements.flatMap((statement) => statement.Action)).not.toContain('dynamodb:*');
  });
});
