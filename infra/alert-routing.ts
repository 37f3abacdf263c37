import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alertTextLines } from '../shared/domain/alerts/alert-message.js';
import { deviationAlertPattern, reviewDigestPattern } from '../shared/domain/bus/rule-patterns.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import { PipelineFunction } from './pipeline-function.js';
import { toCdkEventPattern } from './rule-pattern.js';

/** Where one owner team's alerts go: the distinct contacts of the metrics it owns. */
export interface TeamContacts {
  readonly team: string;
  readonly emails: readonly string[];
  readonly webhooks: readonly string[];
}

/** Owner teams of the configured metrics with their contacts, sorted, each contact once. */
export function teamContacts(config: NorthstarConfig): TeamContacts[] {
  const byTeam = new Map<string, Set<string>>();
  for (const metric of Object.values(config.metrics)) {
    const contacts = byTeam.get(metric.owner.team) ?? new Set<string>();
    contacts.add(metric.owner.contact);
    byTeam.set(metric.owner.team, contacts);
  }
  return [...byTeam.keys()].sort().map((team) => {
    const contacts = [...(byTeam.get(team) ?? [])].sort();
    // The configuration schema admits an email address or an https URL, nothing else.
    const webhooks = contacts.filter((contact) => contact.startsWith('https://'));
    return { team, webhooks, emails: contacts.filter((contact) => !webhooks.includes(contact)) };
  });
}

export interface AlertRoutingProps {
  readonly config: NorthstarConfig;
  readonly bus: events.IEventBus;
  /** Encrypts every team topic. */
  readonly key: kms.IKey;
  /** Alerts EventBridge could not deliver, and chat posts that failed every attempt. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Lock file of the project, for bundling the webhook formatter. */
  readonly depsLockFilePath: string;
  /** Entry of the chat webhook formatter. */
  readonly webhookEntry: string;
  /** Entry of the relay that publishes review digests to the team topics. */
  readonly digestEntry: string;
}

/** One owner team's alert route. */
export interface TeamAlertRoute {
  readonly team: string;
  readonly rule: events.Rule;
  /** The team's review digests, to the digest relay. */
  readonly digestRule: events.Rule;
  readonly topic: sns.Topic;
}

/**
 * Deviation and target alerts of each owner team: a rule with the shared
 * routing pattern -> the team's KMS-encrypted topic, whose message is the
 * readable alert text -> email subscriptions, and one formatter function that
 * posts the text to the teams' chat webhooks. Review digests take the same topics through a
 * relay function, so email and chat get their plain text unquoted.
 */
export class AlertRouting extends Construct {
  readonly routes: readonly TeamAlertRoute[];
  /** Posts alerts to chat webhooks; absent when no owner has a webhook contact. */
  readonly webhookFunction?: PipelineFunction;
  /** Publishes each team's review digests to its topic. */
  readonly digestFunction: PipelineFunction;

  constructor(scope: Construct, id: string, props: AlertRoutingProps) {
    super(scope, id);
    const teams = teamContacts(props.config);
    this.digestFunction = new PipelineFunction(this, 'DigestFunction', {
      entry: props.digestEntry,
      depsLockFilePath: props.depsLockFilePath,
      description: "Publishes Northstar review digests to the owner teams' topics",
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: { POWERTOOLS_SERVICE_NAME: 'northstar-review-digest' },
      // EventBridge invokes asynchronously: Lambda retries a failed publish, then dead-letters it.
      retryAttempts: 2,
      deadLetterQueue: props.deadLetterQueue,
    });
    const digestTarget = new targets.LambdaFunction(this.digestFunction, {
      deadLetterQueue: props.deadLetterQueue,
    });
    const message = events.RuleTargetInput.fromMultilineText(
      alertTextLines((path) => events.EventField.fromPath(path)).join('\n'),
    );
    this.routes = teams.map(({ team, emails }) => {
      const topic = new sns.Topic(this, `Topic-${team}`, {
        displayName: `Northstar alerts: ${team}`,
        masterKey: props.key,
        enforceSSL: true,
      });
      const deadLetterQueue = props.deadLetterQueue;
      for (const email of emails)
        topic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue }));
      const rule = new events.Rule(this, `Rule-${team}`, {
        description: `Deviation and target alerts of metrics owned by ${team}`,
        eventBus: props.bus,
        eventPattern: toCdkEventPattern(deviationAlertPattern(team)),
        targets: [new targets.SnsTopic(topic, { message, deadLetterQueue })],
      });
      // The target lets the EventBridge service publish; only this team's rule may.
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheTeamRulePublishes',
          effect: iam.Effect.DENY,
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnNotEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
      const digestRule = new events.Rule(this, `DigestRule-${team}`, {
        description: `Review digests of metrics owned by ${team}`,
        eventBus: props.bus,
        eventPattern: toCdkEventPattern(reviewDigestPattern(team)),
        targets: [digestTarget],
      });
      return { team, rule, digestRule, topic };
    });
    // Publish to the team topics only; their key's data keys without the wildcard grantPublish asks for.
    this.digestFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        resources: this.routes.map(({ topic }) => topic.topicArn),
      }),
    );
    props.key.grant(this.digestFunction, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.digestFunction.addEnvironment(
      'DIGEST_TOPICS',
      Stack.of(this).toJsonString(this.routes.map(({ team, topic }) => ({ team, topicArn: topic.topicArn }))),
    );
    acknowledgeDeadLetterOnly(this.digestFunction);

    const withWebhooks = teams.filter((team) => team.webhooks.length > 0);
    if (withWebhooks.length === 0) return;
    const topicOf = (team: string) => this.routes.find((route) => route.team === team)?.topic as sns.Topic;
    this.webhookFunction = new PipelineFunction(this, 'WebhookFunction', {
      entry: props.webhookEntry,
      depsLockFilePath: props.depsLockFilePath,
      description: "Posts Northstar alerts to the owner teams' chat webhooks",
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'northstar-alert-webhook',
        WEBHOOK_ROUTES: Stack.of(this).toJsonString(
          withWebhooks.map(({ team, webhooks }) => ({ topicArn: topicOf(team).topicArn, urls: webhooks })),
        ),
      },
      // SNS invokes asynchronously: Lambda retries a failed post, then dead-letters it.
      retryAttempts: 2,
      deadLetterQueue: props.deadLetterQueue,
    });
    // Deliveries SNS gives up on, and posts that failed every Lambda attempt, are dead-lettered.
    for (const { team } of withWebhooks)
      topicOf(team).addSubscription(
        new subscriptions.LambdaSubscription(this.webhookFunction, {
          deadLetterQueue: props.deadLetterQueue,
        }),
      );
    acknowledgeDeadLetterOnly(this.webhookFunction);
  }
}

function acknowledgeDeadLetterOnly(fn: PipelineFunction): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaAsyncFailureDestination',
    reason:
      'Invocations that failed every retry go to the alert dead-letter queue (DeadLetterConfig), which an alarm watches; an on-failure destination as well would only record them twice.',
  });
}
