import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type {
  EventBridgeClient,
  PutEventsCommandInput,
  PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { BATCH_DETAIL_TYPE } from '../../../client/pack-entries.js';
import { createCollectorHandler } from '../../../functions/collector/handler.js';
import { type Runtime, startRuntime } from '../../../local/runtime.js';
import { eventBridgeClient } from '../../../shared/compose/clients.js';
import { composeCollector } from '../../../shared/compose/collector.js';
import type { KeptEntry } from '../../../shared/ports/bus-entries.js';
import { CALL_METRICS } from '../../../shared/use-cases/collector/call-metrics.js';
import {
  basicAuth,
  collectorProductConfig,
  numbersAgainstReference,
  type SourcedEvent,
} from '../../support/collector-product.js';

/** The Lambda handler with a real API Gateway HTTP API (payload 2.0) event, PutEvents to the local runtime. */

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
/** PutEvents faults: entries answered failed in their place (not sent), or the whole service down. */
let refuseEntries: number;
let busDown: boolean;
let published: [string, number][];
let handle: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

class RecordingMetrics extends Metrics {
  override addMetric(...[name, , value]: Parameters<Metrics['addMetric']>): this {
    published.push([name, value]);
    return this;
  }
}

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
    client,
    busName: 'northstar',
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
    clock: () => RECEIVED,
  });
  handle = (event) =>
    createCollectorHandler(() => api, {
      logger: new Logger({ serviceName: 'test' }),
      metrics: new RecordingMetrics({ namespace: 'Test' }),
    })(event, context) as Promise<APIGatewayProxyStructuredResultV2>;
});

afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

beforeEach(() => {
  secret = JSON.stringify({ [WEB_KEY]: { source: 'app.web' } });
  kept = [];
  keeperDown = false;
  refuseEntries = 0;
  busDown = false;
  published = [];
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
const metric = (name: string) =>
  published.filter(([published]) => published === name).reduce((sum, [, value]) => sum + value, 0);

describe('collector handler', () => {
  test('It should put a batch from a key in the secret on the bus, counted exactly once ingested', async () => {
    // Act
    const result = await handle(fixture);
    const again = await handle(fixture);

    // Assess
    expect(result).toMatchObject({ statusCode: 200, body: '{"success":true}' });
    expect(again.statusCode).toBe(200);
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

    // Assess
    expect(result.statusCode).toBe(200);
    expect(kept).toEqual([]);
    expect(metric(CALL_METRICS.entriesRetried)).toBe(3);
    expect(metric(CALL_METRICS.entriesPut)).toBe(4);
    await runtime.drained();
    expect(runtime.totals.accepted - before).toBe(80);
  });

  test('It should keep for replay what PutEvents did not take after retries, and answer 200', async () => {
    // Refused at every attempt; then the service down altogether.
    refuseEntries = Number.POSITIVE_INFINITY;
    const refused = await handle(eventWith({ batch: [track('kept-1', 'ann'), track('kept-2', 'bob')] }));
    refuseEntries = 0;
    busDown = true;
    const down = await handle(eventWith({ batch: [track('kept-3', 'cid')] }));

    expect(refused.statusCode).toBe(200);
    expect(down.statusCode).toBe(200);
    expect(kept).toHaveLength(2);
    expect(kept[0]).toEqual([
      expect.objectContaining({
        Source: 'app.web',
        DetailType: BATCH_DETAIL_TYPE,
        ErrorCode: 'ThrottlingException',
        ErrorMessage: 'Rate exceeded',
      }),
    ]);
    expect(JSON.parse(kept[0]![0]!.Detail).events.map((event: { eventId: string }) => event.eventId)).toEqual(
      ['kept-1', 'kept-2'],
    );
    expect(kept[1]![0]).toMatchObject({ ErrorCode: 'InternalException' });
    expect(metric(CALL_METRICS.entriesKept)).toBe(2);
  });

  test('It should answer 503 when entries could be neither put nor kept, so the app sends them again', async () => {
    busDown = true;
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
