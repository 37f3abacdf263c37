import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { backfillFromEnv, once } from '../../shared/compose/lambda-env.js';
import {
  type BackfillSteps,
  finishStep,
  partitionStep,
  workerStep,
} from '../../shared/use-cases/backfill/backfill-steps.js';

const Generation = z.number().int().nonnegative();
const RunName = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/);

/** A batch of the distributed map over the archive: S3 ListObjectsV2 items and the run's settings. */
export const PartitionRequest = z.object({
  Items: z.array(z.object({ Key: z.string().min(1) })).min(1),
  BatchInput: z.object({
    generation: Generation,
    run: RunName,
    cut: z.number().int(),
    partitions: z.number().int().min(1).max(1000),
    imports: z.array(z.string().min(1)).default([]),
  }),
});

export const WorkerRequest = z.object({
  generation: Generation,
  run: RunName,
  partition: z.number().int().nonnegative(),
  cursor: z
    .object({
      arrivedAt: z.number(),
      file: z.string(),
      line: z.number().int(),
      events: z.number().int(),
      firstArrivedAt: z.number().nullable(),
    })
    .nullish(),
});

export const FinishRequest = z.object({ generation: Generation });

/** A step failed is thrown: the state machine retries it with backoff, from the same input. */
export function createBackfillHandlers(steps: () => BackfillSteps, logger: Logger) {
  const partition = middy(async function partitionObjects(event: unknown) {
    const { Items, BatchInput } = PartitionRequest.parse(event);
    const summary = await partitionStep(steps(), { ...BatchInput, keys: Items.map((item) => item.Key) });
    logger.info('archive objects partitioned', { ...summary, run: BatchInput.run });
    return summary;
  }).use(injectLambdaContext(logger));
  const worker = middy(async function countPartition(event: unknown, context: Context) {
    const request = WorkerRequest.parse(event);
    const result = await workerStep(steps(), request, () => context.getRemainingTimeInMillis());
    logger.info('partition step counted', {
      run: request.run,
      partition: request.partition,
      events: result.cursor?.events ?? 0,
      done: result.done,
    });
    return result;
  }).use(injectLambdaContext(logger));
  const finish = middy(async function finishRun(event: unknown) {
    const result = await finishStep(steps(), FinishRequest.parse(event));
    logger.info('backfill finished', result);
    return result;
  }).use(injectLambdaContext(logger));
  return { partition, worker, finish };
}

const handlers = createBackfillHandlers(
  once(() => backfillFromEnv(process.env)),
  new Logger({ serviceName: 'northstar-backfill' }),
);

export const partitionHandler = handlers.partition;
export const workerHandler = handlers.worker;
export const finishHandler = handlers.finish;
