import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

const localClientSettings = (endpoint: string) => ({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** One client per process, endpoint from configuration: local and AWS differ only there. */
export function dynamoClient(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 8, ...(endpoint ? localClientSettings(endpoint) : {}) });
}

/**
 * With a `token`, calls to the local runtime are signed with it as the secret access key, which
 * is what a runtime started with that token (`npm start -- --token`) checks.
 */
export function eventBridgeClient(endpoint?: string, token?: string): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 8,
    ...(endpoint ? localClientSettings(endpoint) : {}),
    ...(endpoint && token ? { credentials: { accessKeyId: 'northstar', secretAccessKey: token } } : {}),
  });
}
