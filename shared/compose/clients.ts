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

export function eventBridgeClient(endpoint?: string): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 8, ...(endpoint ? localClientSettings(endpoint) : {}) });
}
