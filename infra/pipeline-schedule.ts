import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Duration as IsoDuration } from 'luxon';

/** Bounds EventBridge Scheduler puts on how long it retries delivering one run. */
const MIN_EVENT_AGE = Duration.minutes(1);
const MAX_EVENT_AGE = Duration.hours(24);

/**
 * The rate of a schedule from an ISO 8601 duration such as `PT5M`: whole
 * minutes, rounded up so runs never come more often than configured, and at
 * least the one minute a rate allows.
 */
export function scheduleInterval(every: string): Duration {
  const minutes = IsoDuration.fromISO(every).as('minutes');
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new Error(`"${every}" is not a positive ISO 8601 duration such as PT5M`);
  }
  return Duration.minutes(Math.max(1, Math.ceil(minutes)));
}

export interface PipelineScheduleProps {
  /** The function each run invokes. */
  readonly target: lambda.IFunction;
  /** Time between runs, in whole minutes; see `scheduleInterval`. */
  readonly interval: Duration;
  /** Where runs the schedule could not deliver to the function end up. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * What the schedule is for, shown in the console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * How often Scheduler retries delivering one run (0 to 185).
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * An EventBridge Scheduler schedule that invokes a pipeline function at a
 * fixed rate, with Northstar's defaults: an execution role of its own that
 * only this account's default schedule group may assume and that may only
 * invoke the function and dead-letter to the queue; delivery retried for at
 * most one interval, so a late run does not arrive after the next one is due;
 * undeliverable runs dead-lettered.
 *
 * Scheduler invokes Lambda asynchronously: its retries and dead-letter queue
 * cover delivery only. Errors of the function itself are retried by Lambda,
 * per the function's own asynchronous invocation settings.
 */
export class PipelineSchedule extends scheduler.Schedule {
  /** The role Scheduler assumes to invoke the target. */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineScheduleProps) {
    const stack = Stack.of(scope);
    // Created beside the schedule: a subclass cannot add children before super().
    const executionRole = new iam.Role(scope, `${id}Role`, {
      description: `Invokes the target of the ${id} schedule`,
      // Only schedules of this account's default group, against the confused deputy problem.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    const maxEventAge = Duration.seconds(
      Math.min(MAX_EVENT_AGE.toSeconds(), Math.max(MIN_EVENT_AGE.toSeconds(), props.interval.toSeconds())),
    );

    super(scope, id, {
      description: props.description,
      schedule: scheduler.ScheduleExpression.rate(props.interval),
      // Grants the role lambda:InvokeFunction on the function and sqs:SendMessage on the queue.
      target: new LambdaInvoke(props.target, {
        role: executionRole,
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge,
      }),
    });
    this.executionRole = executionRole;

    // grantInvoke names the function and `<function ARN>:*`, its versions and aliases.
    Validations.of(executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagReference(stack, props.target.functionArn)}:*]`,
      reason:
        'LambdaInvoke grants lambda:InvokeFunction on the target function and its qualified ARNs (<function ARN>:*): the wildcard spans only versions and aliases of that one function.',
    });
  }
}

/** A resource the way cdk-nag names it in a finding: a literal ARN, or `<LogicalId.Attribute>`. */
function nagReference(stack: Stack, value: string): string {
  const resolved: unknown = stack.resolve(value);
  if (typeof resolved === 'string') return resolved;
  const getAtt = (resolved as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2) return `<${getAtt[0]}.${getAtt[1]}>`;
  throw new Error(
    `Cannot name ${JSON.stringify(resolved)} as cdk-nag does; give the target as a function of this stack`,
  );
}
