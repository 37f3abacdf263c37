import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'BatchWriteItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
]);

export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/**
 * SDK middleware that lets `k` writes through, then behaves like a dead process: every
 * later call fails. Writes already sent when the crash happens still land, as they would.
 */
export function crashAfterWrites(client: DynamoDBClient, k: number) {
  const state = { writes: 0, crashed: false };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (state.crashed) throw new InjectedCrash('process is down');
      if (WRITE_COMMANDS.has(context.commandName ?? '')) {
        if (state.writes >= k) {
          state.crashed = true;
          throw new InjectedCrash(`crash before write ${k + 1}`);
        }
        state.writes++;
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectCrash' },
  );
  return state;
}

/** Counts write calls, to know how many crash points a run has. */
export function countWrites(client: DynamoDBClient) {
  return crashAfterWrites(client, Number.POSITIVE_INFINITY);
}
