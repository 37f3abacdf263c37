import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createIngestHandler } from '../../functions/ingest/handler.js';
import { composePipeline } from '../../shared/compose/pipeline.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { type QueuedEntry, sqsEvent } from './entries.js';

export const lambdaContext = {
  functionName: 'northstar-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:northstar-ingest',
  memoryLimitInMB: '512',
  awsRequestId: 'test',
  logGroupName: 'test',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** The real ingest handler on a real table, with a clock the test controls. */
export function ingestPipeline(
  config: NorthstarConfig,
  client: DynamoDBClient,
  tableName: string,
  clock: () => number,
) {
  // A new pipeline is a new process: no caches carried over. As the deployed handler, it
  // writes freshness too: one more point a crash can hit.
  const deps = composePipeline({ config, client, tableName, clock }).ingest;
  const handler = createIngestHandler(() => deps, {
    logger: new Logger({ serviceName: 'northstar-ingest', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
  });
  return {
    deps,
    /** Delivers entries in SQS batches of `batchSize`; returns the ids of failed messages. */
    async deliver(entries: readonly QueuedEntry[], batchSize = 10): Promise<string[]> {
      const failed: string[] = [];
      for (let start = 0; start < entries.length; start += batchSize) {
        const response = await handler(sqsEvent(entries.slice(start, start + batchSize)), lambdaContext);
        failed.push(...response.batchItemFailures.map((failure) => failure.itemIdentifier));
      }
      return failed;
    },
  };
}

/** Delivers again what failed, as SQS does after the visibility timeout, until nothing fails. */
export async function deliverUntilDone(
  pipeline: ReturnType<typeof ingestPipeline>,
  entries: readonly QueuedEntry[],
  batchSize = 10,
  maxReceives = 10,
): Promise<number> {
  let pending = [...entries];
  let receives = 0;
  while (pending.length > 0) {
    if (++receives > maxReceives)
      throw new Error(`${pending.length} entries still failing after ${maxReceives} receives`);
    const failed = new Set(await pipeline.deliver(pending, batchSize));
    pending = pending.filter((entry) => failed.has(entry.messageId));
  }
  return receives;
}
