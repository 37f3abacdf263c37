import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  EventBridgeClient,
  PutEventsCommandInput,
  PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { type SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSRecord,
} from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { BATCH_DETAIL_TYPE } from '../../../client/pack-entries.js';
import { createCollectorHandler } from '../../../functions/collector/handler.js';
import { createPackerHandler } from '../../../functions/collector/packer.js';
import { type Runtime, startRuntime } from '../../../local/runtime.js';
import { eventBridgeClient } from '../../../shared/compose/clients.js';
import { composeCollector, packerPut } from '../../../shared/compose/collector.js';
import type { KeptEntry } from '../../../shared/ports/bus-entries.js';
import { CALL_METRICS, PACKER_METRICS } from '../../../shared/use-cases/collector/call-metrics.js';
import {
  basicAuth,
  collectorProductConfig,
  numbersAgainstReference,
  type SourcedEvent,
} from '../../support/collector-product.js';
import { memoryIdentityLinks } from '../../support/memory-identity-links.js';

/**
 * The collector's Lambda handler with a real API Gateway HTTP API (payload 2.0) event, its
 * messages taken from the queue by the packer's handler, whose PutEvents go to the local
 * runtime. SQS has no local counterpart: the queue is a list here, delivering again what the
 * packer reports failed.
 */

const WEB_KEY = 'web-key-7f3a9c21';
const LISTED_KEY = 'listed-key-0c55d2e1';
const RECEIVED = Date.parse('2026-10-07T12:00:00.000Z');
const context = { functionName: 'northstar-collector', awsRequestId: 'request-1' } as Context;
const fixture = JSON.parse(
  readFileSync(new URL('../../events/collector-batch.json', import.meta.url), 'utf8'),
) as APIGatewayProxyEventV2;

let runtime: Runtime;
let client: EventBridgeClient;
/** The secret's text as Secrets Manager would answer it; undefined: it cannot be read. */
let secret: string | undefined;
/** What the keeper was given, and whether it fails. */
let kept: KeptEntry[][];
let keeperDown: boolean;
/** Messages waiting in the collector's queue, and whether SendMessage fails. */
let queued: { messageId: string; body: string }[];
let queueDown: boolean;
let sent = 0;
/** PutEvents faults: entries answered failed in their place (not sent), or the whole service down. */
let refuseEntries: number;
let busDown: boolean;
let published: [string, number][];
let handle: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
let packer: (records: SQSRecord[]) => Promise<SQSBatchResponse>;

/** Metrics each function publishes, by the function's service. */
let publishedByPacker: [string, number][];

class RecordingMetrics extends Metrics {
  /** Set once constructed: the base constructor publishes nothing the test looks at. */
  into?: () => [string, number][];

  override addMetric(...[name, , value]: Parameters<Metrics['addMetric']>): this {
    this.into?.().push([name, value]);
    return this;
  }
}
const recording = (into: () => [string, number][]) =>
  Object.assign(new RecordingMetrics({ namespace: 'Test' }), { into });

/**
 * EventBridge under load answers some entries with `ThrottlingException` in their place; the
 * SDK does not retry those. The refused entries never reach the runtime, as on AWS.
 */
function injectPutEventsFaults(bus: EventBridgeClient) {
  bus.middlewareStack.add(
    (next, { commandName }) =>
      async (args) => {
        if (commandName !== 'PutEventsCommand') return next(args);
        if (busDown)
          throw Object.assign(new Error('injected: service unavailable'), { name: 'InternalException' });
        const input = args.input as PutEventsCommandInput;
        const entries = input.Entries ?? [];
        const refused = entries.map(() => refuseEntries-- > 0);
        const sent = entries.filter((_, index) => !refused[index]);
        const answer =
          sent.length > 0
            ? await next({ ...args, input: { ...input, Entries: sent } })
            : { output: { $metadata: {}, FailedEntryCount: 0, Entries: [] }, response: {} };
        const output = answer.output as PutEventsCommandOutput;
        const results = [...(output.Entries ?? [])];
        return {
          ...answer,
          output: {
            ...output,
            FailedEntryCount: (output.FailedEntryCount ?? 0) + refused.filter(Boolean).length,
            Entries: refused.map((no) =>
              no ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : results.shift(),
            ),
          },
        };
      },
    { step: 'initialize', name: 'injectPutEventsFaults' },
  );
}

/** SQS as the collector sees it: SendMessage takes a message into `queued`, or fails. */
function queueClient(): SQSClient {
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  sqs.middlewareStack.add(
    () => async (args) => {
      if (queueDown)
        throw Object.assign(new Error('injected: queue unavailable'), { name: 'ServiceUnavailable' });
      const { MessageBody } = args.input as SendMessageCommand['input'];
      const messageId = `message-${++sent}`;
      queued.push({ messageId, body: MessageBody! });
      return { output: { $metadata: {}, MessageId: messageId }, response: {} } as never;
    },
    { step: 'initialize', name: 'queueInMemory' },
  );
  return sqs;
}

const recordOf = ({ messageId, body }: { messageId: string; body: string }): SQSRecord => ({
  messageId,
  receiptHandle: `handle-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(RECEIVED),
    SenderId: 'collector',
    ApproximateFirstReceiveTimestamp: String(RECEIVED),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:northstar-collector',
  awsRegion: 'us-east-1',
});

/** One receive of everything queued; what the packer reports failed stays queued, as SQS delivers it again. */
async function pack(): Promise<SQSBatchResponse> {
  const batch = queued;
  queued = [];
  const answer = await packer(batch.map(recordOf));
  const failed = new Set(answer.batchItemFailures.map((failure) => failure.itemIdentifier));
  queued.push(...batch.filter((message) => failed.has(message.messageId)));
  return answer;
}

beforeAll(async () => {
  const config = collectorProductConfig({
    writeKeys: { [LISTED_KEY]: { source: 'app.server', rateLimit: { eventsPerSecond: 1, burst: 3 } } },
    allowedOrigins: ['https://app.example.com'],
  });
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0, clock: () => RECEIVED });
  client = eventBridgeClient(runtime.url, undefined, { maxAttempts: 2 });
  injectPutEventsFaults(client);
  const api = composeCollector({
    settings: config.collector!,
    maxEventBytes: config.ingest.maxEventBytes,
    client: queueClient(),
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/111111111111/northstar-collector',
    readSecret: async () => {
      if (secret === undefined) throw new Error('AccessDeniedException: not allowed to read the secret');
      return secret;
    },
    cacheMs: 0,
    keeper: {
      async keep(entries) {
        if (keeperDown) throw new Error('injected: the bucket cannot be written');
        kept.push([...entries]);
      },
    },
    log: () => {},
    identityLinks: memoryIdentityLinks(),
    clock: () => RECEIVED,
  });
  const logger = new Logger({ serviceName: 'test' });
  handle = (event) =>
    createCollectorHandler(() => api, { logger, metrics: recording(() => published) })(
      event,
      context,
    ) as Promise<APIGatewayProxyStructuredResultV2>;
  const put = packerPut(client, 'northstar');
  packer = (records) =>
    createPackerHandler(() => put, { logger, metrics: recording(() => publishedByPacker) })(
      { Records: records },
      context,
    ) as Promise<SQSBatchResponse>;
});

afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

beforeEach(() => {
  secret = JSON.stringify({ [WEB_KEY]: { source: 'app.web' } });
  kept = [];
  keeperDown = false;
  queued = [];
  queueDown = false;
  refuseEntries = 0;
  busDown = false;
  published = [];
  publishedByPacker = [];
});

/** The fixture with another body (JSON, base64-encoded as API Gateway does for binary types) and headers. */
function eventWith(body: unknown, headers: Record<string, string> = {}, route = 'POST /v1/batch') {
  const text = JSON.stringify(body);
  return {
    ...fixture,
    routeKey: route,
    headers: { ...fixture.headers, 'content-length': String(Buffer.byteLength(text)), ...headers },
    body: Buffer.from(text).toString('base64'),
    isBase64Encoded: true,
  } as APIGatewayProxyEventV2;
}

const track = (messageId: string, userId: string, event = 'Signed Up') => ({
  type: 'track',
  event,
  messageId,
  userId,
  timestamp: '2026-10-07T11:50:30.000Z',
});
const errorOf = (result: APIGatewayProxyStructuredResultV2) => [
  result.statusCode,
  (JSON.parse(result.body ?? '{}') as { error?: { code: string } }).error?.code,
];
const sumOf = (metrics: [string, number][], name: string) =>
  metrics.filter(([published]) => published === name).reduce((sum, [, value]) => sum + value, 0);
const metric = (name: string) => sumOf(published, name);
const packerMetric = (name: string) => sumOf(publishedByPacker, name);

describe('collector handler', () => {
  test('It should queue a batch from a key in the secret, and the packer put it on the bus, counted exactly once ingested', async () => {
    // Act
    const result = await handle(fixture);
    const again = await handle(fixture);
    const packed = await pack();

    // Assess
    expect(result).toMatchObject({ statusCode: 200, body: '{"success":true}' });
    expect(again.statusCode).toBe(200);
    expect(packed.batchItemFailures).toEqual([]);
    const events: SourcedEvent[] = [
      ['visited', 'page-0001', 'anon-1', '2026-10-07T11:00:30.000Z'],
      ['signed_up', 'track-0001', 'ann', '2026-10-07T11:06:30.000Z'],
      ['lesson_completed', 'track-0002', 'ann', '2026-10-07T11:30:30.000Z'],
      ['signed_up', 'track-0003', 'bob', '2026-10-07T11:40:30.000Z'],
    ].map(([name, eventId, userId, occurredAt]) => ({
      source: 'app.web',
      name: name!,
      eventId: eventId!,
      userId: userId!,
      occurredAt: occurredAt!,
    }));
    await runtime.drained();
    const { counters, reference, differing } = await numbersAgainstReference(runtime, events);
    expect(counters).toEqual(reference);
    expect(differing).toEqual([]);
    expect(metric(CALL_METRICS.calls)).toBe(10);
    expect(metric(CALL_METRICS.events)).toBe(8);
    expect(metric(CALL_METRICS.entriesPut)).toBe(2);
    expect(metric(CALL_METRICS.entriesKept)).toBe(0);
    // Two requests' entries, one entry on the bus.
    expect(packerMetric(PACKER_METRICS.messages)).toBe(2);
    expect(packerMetric(PACKER_METRICS.events)).toBe(8);
    expect(packerMetric(PACKER_METRICS.entriesPut)).toBe(1);
  });

  test('It should pack the events of many requests and users into full entries', async () => {
    // Prepare: 60 requests of 2 events of about 1 KB from 60 users: 60 entries as sent.
    for (let i = 0; i < 60; i++)
      await handle(
        eventWith({
          batch: [0, 1].map((j) => ({
            ...track(`pack-${i}-${j}`, `packed-${i}`),
            properties: { note: 'x'.repeat(900) },
          })),
        }),
      );
    await runtime.drained();
    const before = runtime.totals.accepted;

    // Act
    const packed = await pack();

    // Assess: 120 KB of events fill two entries of 64 KB.
    expect(packed.batchItemFailures).toEqual([]);
    expect(metric(CALL_METRICS.entriesPut)).toBe(60);
    expect(packerMetric(PACKER_METRICS.messages)).toBe(60);
    expect(packerMetric(PACKER_METRICS.entriesPut)).toBe(2);
    await runtime.drained();
    expect(runtime.totals.accepted - before).toBe(120);
  });

  test('It should take keys listed in the configuration too, and refuse a key revoked in the secret at once', async () => {
    const listed = await handle(
      eventWith(track('listed-1', 'cid'), { authorization: basicAuth(LISTED_KEY) }, 'POST /v1/track'),
    );
    expect(listed.statusCode).toBe(200);

    secret = '{}';
    const revoked = await handle(eventWith({ batch: [track('revoked-1', 'ann')] }));
    expect(errorOf(revoked)).toEqual([401, 'invalid_write_key']);
    expect(revoked.headers).toMatchObject({ 'www-authenticate': 'Basic realm="northstar-collector"' });

    secret = undefined;
    const unreadable = await handle(eventWith({ batch: [track('unreadable-1', 'ann')] }));
    expect(errorOf(unreadable)).toEqual([503, 'write_keys_unavailable']);
    expect(unreadable.headers).toMatchObject({ 'retry-after': '1' });
  });

  test('It should retry the entries PutEvents refused in their place until they are put', async () => {
    // Prepare: 80 events of 3 KB fill 4 entries of 64 KB, one PutEvents call.
    const calls = Array.from({ length: 80 }, (_, i) => ({
      ...track(`retry-${i}`, `user-${i}`),
      properties: { note: 'x'.repeat(3000) },
    }));
    refuseEntries = 3;
    await runtime.drained();
    const before = runtime.totals.accepted;

    // Act
    const result = await handle(eventWith({ batch: calls }));
    const packed = await pack();

    // Assess
    expect(result.statusCode).toBe(200);
    expect(packed.batchItemFailures).toEqual([]);
    expect(packerMetric(PACKER_METRICS.entriesPut)).toBe(4);
    await runtime.drained();
    expect(runtime.totals.accepted - before).toBe(80);
  });

  test('It should have SQS deliver again the messages whose entries PutEvents did not take, until they are put', async () => {
    // Prepare: refused at every attempt, then the service down altogether.
    await handle(eventWith({ batch: [track('again-1', 'ann'), track('again-2', 'bob')] }));
    await handle(eventWith({ batch: [track('again-3', 'cid')] }));
    await runtime.drained();
    const before = runtime.totals.accepted;

    // Act
    refuseEntries = Number.POSITIVE_INFINITY;
    const refused = await pack();
    refuseEntries = 0;
    busDown = true;
    const down = await pack();
    busDown = false;
    const recovered = await pack();

    // Assess
    expect(refused.batchItemFailures).toHaveLength(2);
    expect(down.batchItemFailures).toHaveLength(2);
    expect(recovered.batchItemFailures).toEqual([]);
    expect(queued).toEqual([]);
    expect(kept).toEqual([]);
    await runtime.drained();
    expect(runtime.totals.accepted - before).toBe(3);
  });

  test('It should report a message that is not the collector’s as failed, for the dead-letter queue', async () => {
    queued.push({ messageId: 'foreign-1', body: '{"hello":"world"}' });
    await handle(eventWith({ batch: [track('beside-1', 'ann')] }));
    const answer = await pack();
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'foreign-1' }]);
    expect(packerMetric(PACKER_METRICS.entriesPut)).toBe(1);
  });

  test('It should keep for replay what the queue did not take, and answer 200', async () => {
    queueDown = true;
    const result = await handle(eventWith({ batch: [track('kept-1', 'ann'), track('kept-2', 'bob')] }));

    expect(result.statusCode).toBe(200);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toEqual([
      expect.objectContaining({
        Source: 'app.web',
        DetailType: BATCH_DETAIL_TYPE,
        ErrorCode: 'ServiceUnavailable',
        ErrorMessage: 'injected: queue unavailable',
      }),
    ]);
    expect(JSON.parse(kept[0]![0]!.Detail).events.map((event: { eventId: string }) => event.eventId)).toEqual(
      ['kept-1', 'kept-2'],
    );
    expect(metric(CALL_METRICS.entriesKept)).toBe(1);
    expect(queued).toEqual([]);
  });

  test('It should answer 503 when entries could be neither queued nor kept, so the app sends them again', async () => {
    queueDown = true;
    keeperDown = true;
    const result = await handle(eventWith({ batch: [track('lost-1', 'ann')] }));
    expect(errorOf(result)).toEqual([503, 'unavailable']);
    expect(result.headers).toMatchObject({ 'retry-after': '1' });
  });

  test('It should refuse what it cannot take as on the local runtime', async () => {
    const oversized = await handle(
      eventWith({ ...track('big-1', 'ann'), properties: { note: 'x'.repeat(40_000) } }, {}, 'POST /v1/track'),
    );
    expect(errorOf(oversized)).toEqual([413, 'payload_too_large']);
    expect(oversized.headers).not.toHaveProperty('connection');

    const foreign = await handle(eventWith({ batch: [] }, { origin: 'https://evil.example.net' }));
    expect(errorOf(foreign)).toEqual([403, 'forbidden_origin']);
    const listed = await handle(
      eventWith({ batch: [track('cors-1', 'ann')] }, { origin: 'https://app.example.com' }),
    );
    expect(listed.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com' });

    const invalid = await handle(
      eventWith({ batch: [{ type: 'track', event: 'Signed Up', userId: 'ann' }] }),
    );
    expect(errorOf(invalid)).toEqual([400, 'invalid_calls']);
    expect(metric(CALL_METRICS.refusedCalls)).toBe(1);

    // Three events at once, then one a second: the fourth is refused with the wait.
    const limited = eventWith(
      {
        batch: [
          track('rate-1', 'ann'),
          track('rate-2', 'ann'),
          track('rate-3', 'ann'),
          track('rate-4', 'ann'),
        ],
      },
      { authorization: basicAuth(LISTED_KEY) },
    );
    await handle(limited);
    const over = await handle(limited);
    expect(errorOf(over)).toEqual([429, 'rate_limited']);
    expect(Number(over.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
