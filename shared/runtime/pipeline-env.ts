import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { NorthstarConfig } from '../config/schema.js';
import { parseConfig } from '../config/validate.js';
import { DynamoStore } from '../store/dynamodb-store.js';

/** Lambda environment, parsed once. Resource names have no defaults: a missing one fails by name. */
export const PipelineEnv = z.object({
  TABLE_NAME: z.string().min(3),
  NORTHSTAR_CONFIG_FILE: z.string().min(1),
  /** Set only for the local runtime and tests. */
  DYNAMODB_ENDPOINT: z.url().optional(),
});
export type PipelineEnv = z.infer<typeof PipelineEnv>;

export function parsePipelineEnv(env: NodeJS.ProcessEnv): PipelineEnv {
  const parsed = PipelineEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

export function loadConfigFile(file: string): NorthstarConfig {
  return parseConfig(JSON.parse(readFileSync(file, 'utf8')));
}

/** One client per process, endpoint from configuration: local and AWS differ only there. */
export function dynamoClient(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 8,
    ...(endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
}

export function storeFor(
  config: NorthstarConfig,
  client: DynamoDBClient,
  tableName: string,
  scope?: string,
): DynamoStore {
  return new DynamoStore({
    client,
    tableName,
    counterShards: config.ingest.counterShards,
    maxRoundMs: config.ingest.maxRoundSeconds * 1000,
    ...(scope ? { scope } : {}),
  });
}
