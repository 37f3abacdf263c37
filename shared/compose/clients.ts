import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

const localClientSettings = (endpoint: string) => ({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** For a caller someone waits on (the collector behind API Gateway): fewer attempts, each bounded in time. */
export interface ClientTuning {
  /** @default 8 */
  readonly maxAttempts?: number;
  /** Longest one attempt may wait for its answer. @default - the SDK's: no limit */
  readonly requestTimeoutMs?: number;
}

const tuned = (tuning: ClientTuning) => ({
  maxAttempts: tuning.maxAttempts ?? 8,
  ...(tuning.requestTimeoutMs === undefined
    ? {}
    : {
        requestHandler: {
          requestTimeout: tuning.requestTimeoutMs,
          connectionTimeout: tuning.requestTimeoutMs,
        },
      }),
});

/** One client per process, endpoint from configuration: local and AWS differ only there. */
export function dynamoClient(endpoint?: string, tuning: ClientTuning = {}): DynamoDBClient {
  return new DynamoDBClient({ ...tuned(tuning), ...(endpoint ? localClientSettings(endpoint) : {}) });
}

/**
 * With a `token`, calls to the local runtime are signed with it as the secret access key, which
 * is what a runtime started with that token (`npm start -- --token`) checks.
 */
export function eventBridgeClient(
  endpoint?: string,
  token?: string,
  tuning: ClientTuning = {},
): EventBridgeClient {
  return new EventBridgeClient({
    ...tuned(tuning),
    ...(endpoint ? localClientSettings(endpoint) : {}),
    ...(endpoint && token ? { credentials: { accessKeyId: 'northstar', secretAccessKey: token } } : {}),
  });
}

/** AWS only: the local runtime keeps nothing in S3, Secrets Manager or SQS. */
export function s3Client(tuning: ClientTuning = {}): S3Client {
  return new S3Client(tuned(tuning));
}

export function secretsManagerClient(tuning: ClientTuning = {}): SecretsManagerClient {
  return new SecretsManagerClient(tuned(tuning));
}

export function sqsClient(tuning: ClientTuning = {}): SQSClient {
  return new SQSClient(tuned(tuning));
}
