import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { BackfillExecutions } from '../../ports/backfill-runs.js';

/** The backfill state machine: one execution per name, which a retried start finds there. */
export function stepFunctionsBackfills(client: SFNClient, stateMachineArn: string): BackfillExecutions {
  return {
    async start(name, input) {
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      } catch (error) {
        // Started already (with another cut, by a planner that crashed before recording it).
        if (!(error instanceof ExecutionAlreadyExists)) throw error;
      }
    },
  };
}
