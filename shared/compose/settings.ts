import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { DynamoStore } from '../adapters/dynamodb/dynamodb-store.js';
import type { NorthstarConfig } from '../domain/config/schema.js';
import { parseConfig } from '../domain/config/validate.js';

/** Lambda environment, parsed once. Resource names have no defaults: a missing one fails by name. */
export const PipelineEnv = z.object({
  TABLE_NAME: z.string().min(3),
  NORTHSTAR_CONFIG_FILE: z.string().min(1),
  /** Set only for the local runtime and tests. */
  DYNAMODB_ENDPOINT: z.url().optional(),
});
export type PipelineEnv = z.infer<typeof PipelineEnv>;

/** The recompute also sends alerts to the bus. */
export const RecomputeEnv = PipelineEnv.extend({
  EVENT_BUS_NAME: z.string().min(1),
  /** Set only for the local runtime and tests. */
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
});
export type RecomputeEnv = z.infer<typeof RecomputeEnv>;

export function parsePipelineEnv(env: NodeJS.ProcessEnv): PipelineEnv {
  return parseEnv(PipelineEnv, env);
}

export function parseRecomputeEnv(env: NodeJS.ProcessEnv): RecomputeEnv {
  return parseEnv(RecomputeEnv, env);
}

function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

export function loadConfigFile(file: string): NorthstarConfig {
  return parseConfig(JSON.parse(readFileSync(file, 'utf8')));
}

const localClientSettings = (endpoint: string) => ({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

export function eventBridgeClient(endpoint?: string): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 8, ...(endpoint ? localClientSettings(endpoint) : {}) });
}

/** One client per process, endpoint from configuration: local and AWS differ only there. */
export function dynamoClient(endpoint?: string): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 8, ...(endpoint ? localClientSettings(endpoint) : {}) });
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
