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

/** What DynamoDB or the network does to a request instead of answering it. */
export type TransientFault =
  | 'ProvisionedThroughputExceededException'
  | 'ThrottlingException'
  | 'InternalServerError'
  | 'ServiceUnavailable'
  | 'ECONNRESET before sending'
  | 'ECONNRESET after the write landed';

export const TRANSIENT_FAULTS: readonly TransientFault[] = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'ECONNRESET before sending',
  'ECONNRESET after the write landed',
];

/** An HTTP answer as DynamoDB gives it for an error (AWS JSON 1.0). */
export function errorResponse(status: number, type: string, message = 'injected') {
  return {
    response: {
      statusCode: status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
      body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })),
    },
  };
}

function socketReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** The partition key of the item a request reads or writes ('' for batch and query calls). */
function partitionOf(input: unknown): string {
  const request = input as { Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } } };
  return request.Item?.pk?.S ?? request.Key?.pk?.S ?? '';
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing run repeats. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * SDK middleware below the retry layer: a share of requests is answered with throttling,
 * a 500 or 503, or a reset socket (before the request reaches DynamoDB, or after a write
 * landed with its answer lost). The SDK's retry strategy sees them as it would in AWS.
 */
export function injectTransientFaults(
  client: DynamoDBClient,
  options: {
    rate: number;
    seed: number;
    faults?: readonly TransientFault[];
    /** Only requests on items whose `pk` starts with this are hit. */
    pkPrefix?: string;
  },
) {
  const random = seededRandom(options.seed);
  const faults = options.faults ?? TRANSIENT_FAULTS;
  const injected = { total: 0, byFault: {} as Partial<Record<TransientFault, number>> };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const pk = partitionOf(args.input);
      if (options.pkPrefix !== undefined && !pk.startsWith(options.pkPrefix)) return next(args);
      if (random() >= options.rate) return next(args);
      const fault = faults[Math.floor(random() * faults.length)]!;
      const isWrite = WRITE_COMMANDS.has(context.commandName ?? '');
      if (fault === 'ECONNRESET after the write landed' && !isWrite) return next(args);
      injected.total++;
      injected.byFault[fault] = (injected.byFault[fault] ?? 0) + 1;
      switch (fault) {
        case 'ProvisionedThroughputExceededException':
        case 'ThrottlingException':
          return errorResponse(400, fault) as never;
        case 'InternalServerError':
          return errorResponse(500, fault) as never;
        case 'ServiceUnavailable':
          return errorResponse(503, fault) as never;
        case 'ECONNRESET before sending':
          throw socketReset();
        case 'ECONNRESET after the write landed':
          await next(args);
          throw socketReset();
      }
    },
    { step: 'deserialize', priority: 'low', name: 'injectTransientFaults' },
  );
  return injected;
}

/**
 * DynamoDB refuses every write of one item, as it does for an item over its size limit:
 * a message carrying that item's events can never succeed (a poison message).
 */
export function refuseWritesOf(client: DynamoDBClient, pk: string, message: string) {
  const state = { refused: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      if (partitionOf(args.input) !== pk) return next(args);
      state.refused++;
      return errorResponse(400, 'ValidationException', message) as never;
    },
    { step: 'deserialize', priority: 'low', name: 'refuseWrites' },
  );
  return state;
}

/**
 * A write lands but its answer is lost, and the SDK's retry of it gets a client error
 * (an expired token, a bad signature): the retry's answer says nothing of the first attempt.
 */
export function clientErrorAfterLandedWrites(
  client: DynamoDBClient,
  options: { pkPrefix: string; every: number; type?: string },
) {
  const landed = new WeakSet<object>();
  const state = { landed: 0, seen: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const pk = partitionOf(args.input);
      if (!WRITE_COMMANDS.has(context.commandName ?? '') || !pk.startsWith(options.pkPrefix))
        return next(args);
      if (landed.has(args.input as object))
        return errorResponse(400, options.type ?? 'InvalidSignatureException') as never;
      if (state.seen++ % options.every !== 0) return next(args);
      await next(args);
      landed.add(args.input as object);
      state.landed++;
      throw socketReset();
    },
    { step: 'deserialize', priority: 'low', name: 'clientErrorAfterLandedWrites' },
  );
  return state;
}
