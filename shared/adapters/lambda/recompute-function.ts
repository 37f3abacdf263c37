import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { NorthstarError } from '../../domain/errors.js';
import { RecomputeSummary as RecomputeSummarySchema } from '../../use-cases/read-api/schemas.js';
import type { RecomputeSummary } from '../../use-cases/recompute/recompute.js';

export class RecomputeInvokeError extends NorthstarError {
  override readonly name = 'RecomputeInvokeError';

  constructor(message: string) {
    super('recompute_failed', message);
  }
}

/** Runs the recompute function and waits for its summary: it stays the one writer of rollups and alerts. */
export function invokeRecomputeFunction(client: LambdaClient, functionName: string) {
  return async function invokeRecompute(): Promise<RecomputeSummary> {
    const result = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse' }),
    );
    const payload = new TextDecoder().decode(result.Payload);
    if (result.FunctionError)
      throw new RecomputeInvokeError(`The recompute failed: ${payload.slice(0, 500)}`);
    return RecomputeSummarySchema.parse(JSON.parse(payload));
  };
}
