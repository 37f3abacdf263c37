import { Validations } from 'aws-cdk-lib';
import type { NorthstarState } from './northstar-state.js';
import type { PipelineFunction } from './pipeline-function.js';

/** cdk-nag findings the pipeline answers another way, each acknowledged with its reason. */

/** grantReadWriteData also grants use of the table's customer-managed key, with two wildcard actions. */
export function acknowledgeTableKeyGrant(fn: PipelineFunction): void {
  const role = fn.role;
  if (role === undefined) throw new Error(`The function ${fn.node.path} has no role`);
  const reason =
    "grantReadWriteData adds these for the table's customer-managed key: the statement names that one key, and the wildcard only spans variants of the one operation.";
  Validations.of(role).acknowledge(
    { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason },
    { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason },
  );
}

/** Findings of the Serverless pack that the design answers another way. */
export function acknowledgeServerlessFindings(
  state: NorthstarState,
  ingestFunction: PipelineFunction,
  recomputeFunction: PipelineFunction,
): void {
  for (const queue of [
    state.ingestDeadLetterQueue,
    state.recomputeDeadLetterQueue,
    state.alertDeadLetterQueue,
  ]) {
    Validations.of(queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'A dead-letter queue is the end of its path: an alarm fires on its first message, and an operator inspects and redrives it (docs/deploy.md).',
    });
  }
  Validations.of(ingestFunction).acknowledge(
    {
      id: 'Serverless-LambdaDLQ',
      reason:
        "Only invoked synchronously by its SQS event source: a message that fails every receive moves to the ingest queue's dead-letter queue by its redrive policy.",
    },
    {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "SQS event source mappings take no on-failure destination: the ingest queue's redrive policy dead-letters a message after five receives.",
    },
  );
  Validations.of(recomputeFunction).acknowledge({
    id: 'Serverless-LambdaAsyncFailureDestination',
    reason:
      'Runs that failed every retry or expired go to the recompute dead-letter queue (DeadLetterConfig), which an alarm watches; an on-failure destination as well would only record them twice.',
  });
}
