import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MAX_ENTRY_BYTES, packBatchEntries, packCalls, putEventsEntrySize } from '../client/pack-entries.js';
import type { DemoEvent } from '../local/demo-traffic.js';
import type { PutEntry } from '../local/entries.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { CollectorSettings, NorthstarConfig } from '../shared/domain/config/schema.js';
import { CALL_METRICS, COLLECTOR_SERVICE } from '../shared/use-cases/collector/call-metrics.js';
import { putQueued, queuedMessages } from '../shared/use-cases/collector/repack.js';
import { type BenchRuntime, SENDERS, sendCalls, startBenchRuntime, timedIngest } from './local-runtime.js';

/**
 * The collector on the local runtime against direct PutEvents to the same runtime: raw
 * `/v1/batch` POSTs (as `analytics-node` sends them: Basic auth, JSON, `SENDERS` at once) with
 * a fixed number of events per request, and the real EventBridge client with the typed
 * client's packing, each way given its own days of the demo traffic, the ways in turn.
 */

/** One write key per demo app; limits far above the bench's rate, which must not be throttled. */
export function benchCollectorSettings(sources: readonly string[]): Partial<CollectorSettings> {
  return {
    writeKeys: Object.fromEntries(
      sources.map((source) => [
        `bench-${source.replace(/\W/g, '-')}`,
        { source, rateLimit: { eventsPerSecond: 1_000_000, burst: 1_000_000 } },
      ]),
    ),
  };
}
const writeKeyOf = (source: string) => `bench-${source.replace(/\W/g, '-')}`;

export type CollectorWay =
  | {
      readonly label: string;
      readonly kind: 'put-events';
      readonly pack: (events: DemoEvent[]) => PutEntry[];
    }
  | { readonly label: string; readonly kind: 'collector'; readonly eventsPerRequest: number };

/** A day's events and the runtime's clock while they arrive (a minute after the day). */
export interface DaySet {
  readonly events: DemoEvent[];
  readonly at: number;
}

export interface CollectorRequest {
  readonly source: string;
  readonly body: string;
  readonly events: DemoEvent[];
}

/** Segment track calls, `eventsPerRequest` at a time per app, in time order, as a server's SDK batches them. */
export function collectorRequests(
  events: readonly DemoEvent[],
  eventsPerRequest: number,
  sentAt: number,
): CollectorRequest[] {
  const bySource = new Map<string, DemoEvent[]>();
  for (const event of events) bySource.set(event.source, [...(bySource.get(event.source) ?? []), event]);
  const requests: (CollectorRequest & { lastAt: number })[] = [];
  for (const [source, own] of bySource)
    for (let start = 0; start < own.length; start += eventsPerRequest) {
      const chunk = own.slice(start, start + eventsPerRequest);
      const batch = chunk.map((event) => ({
        type: 'track',
        event: event.name,
        messageId: event.eventId,
        userId: event.userId,
        timestamp: event.occurredAt,
        properties: event.properties,
      }));
      requests.push({
        source,
        // The device clock agrees with the runtime's: the collector keeps each timestamp as sent.
        body: JSON.stringify({ batch, sentAt: new Date(sentAt).toISOString() }),
        events: chunk,
        lastAt: Date.parse(chunk.at(-1)!.occurredAt),
      });
    }
  return requests.sort((a, b) => a.lastAt - b.lastAt).map(({ lastAt: _lastAt, ...request }) => request);
}

/** What the collector's queue and its packer make of those requests on AWS. */
export interface QueuedPacking {
  /** Sizes of the queued messages, one or more a request. */
  readonly messageBytes: number[];
  readonly batches: number;
  /** The packer's median time per batch here, its PutEvents left out. */
  readonly medianMsPerBatch: number;
  readonly putEventsCalls: number;
  /** The entries the packer puts on the bus, with their last event's time. */
  readonly entries: PutEntry[];
}

/**
 * The requests as the collector queues them (each request's events in entries of their own,
 * in messages), taken by the packer `batchSize` messages at a time in arrival order, and
 * packed again by the packer's own code.
 */
export async function queuedPacking(
  events: readonly DemoEvent[],
  eventsPerRequest: number,
  batchSize: number,
): Promise<QueuedPacking> {
  const messages = collectorRequests(events, eventsPerRequest, 0).flatMap((request) =>
    queuedMessages(
      packBatchEntries(
        request.source,
        request.events.map(({ source: _source, ...event }) => event),
      ).entries.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
    ),
  );
  const entries: PutEntry[] = [];
  const times: number[] = [];
  let putEventsCalls = 0;
  for (let start = 0; start < messages.length; start += batchSize) {
    const batch = messages
      .slice(start, start + batchSize)
      .map((message, index) => ({ messageId: String(start + index), body: message.body }));
    const started = performance.now();
    await putQueued(batch, async (packed) => {
      putEventsCalls += packCalls(packed).length;
      for (const entry of packed) {
        const last = (JSON.parse(entry.Detail) as { events: { occurredAt: string }[] }).events.at(-1)!;
        entries.push({ ...entry, lastAt: Date.parse(last.occurredAt) });
      }
      return [];
    });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    messageBytes: messages.map((message) => Buffer.byteLength(message.body)),
    batches: times.length,
    medianMsPerBatch: times[Math.floor(times.length / 2)] ?? 0,
    putEventsCalls,
    entries,
  };
}

/** EventBridge bills each entry per started 64 KB. */
export const billedEntries = (entries: readonly PutEntry[]) =>
  entries.reduce(
    (sum, entry) => sum + Math.max(1, Math.ceil(putEventsEntrySize(entry) / MAX_ENTRY_BYTES)),
    0,
  );

const basic = (source: string) => `Basic ${Buffer.from(`${writeKeyOf(source)}:`).toString('base64')}`;

/** POSTs one request until it is taken; a 429 or 503 waits its Retry-After, as the Segment SDKs do. */
async function postUntilTaken(url: string, request: CollectorRequest): Promise<number> {
  for (let pushedBack = 0; ; pushedBack++) {
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(request.source) },
      body: request.body,
    });
    const text = await response.text();
    if (response.status === 200) {
      if ((JSON.parse(text) as { refused?: unknown[] }).refused)
        throw new Error(`the collector refused calls of a bench request: ${text}`);
      return pushedBack;
    }
    if (response.status !== 429 && response.status !== 503)
      throw new Error(`the collector answered ${response.status}: ${text}`);
    await new Promise((resolve) =>
      setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000),
    );
  }
}

/** Sends every request from `SENDERS` callers; returns how many answers pushed back. */
async function postAll(url: string, requests: readonly CollectorRequest[]): Promise<number> {
  let next = 0;
  let pushedBack = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < requests.length) pushedBack += await postUntilTaken(url, requests[next++]!);
    }),
  );
  return pushedBack;
}

export interface CollectorWayResult {
  readonly label: string;
  readonly events: number;
  /** HTTP requests: collector POSTs, or PutEvents calls. */
  readonly requests: number;
  /** From the first request until the last was answered. */
  readonly takenSeconds: number;
  /** From the first request until ingest drained. */
  readonly drainedSeconds: number;
  /** Answers of 429/503 (collector) or ThrottlingException (PutEvents), sent again. */
  readonly pushedBack: number;
  /** CPU seconds of this process (senders, endpoint or collector, log, ingest) over the timed passes. */
  readonly nodeCpuSeconds: number;
  /** The lowest and highest drained time of one pass over the reference way's in the same pass. */
  readonly passRatios: readonly [number, number];
}

export interface HandlingTime {
  readonly eventsPerRequest: number;
  readonly requests: number;
  /** Median time of one request sent alone, answered 200. */
  readonly medianMs: number;
  readonly bodyBytes: number;
}

export interface CollectorRatesResult {
  readonly ways: readonly CollectorWayResult[];
  readonly handling: readonly HandlingTime[];
}

interface Pass {
  readonly events: number;
  readonly requests: number;
  readonly taken: number;
  readonly drained: number;
  readonly pushedBack: number;
  readonly cpu: number;
}

async function sendWay(bench: BenchRuntime, way: CollectorWay, set: DaySet, label: string): Promise<Pass> {
  bench.at = set.at;
  const url = bench.runtime.url;
  let taken = 0;
  let pushedBack = 0;
  let requests: number;
  let send: () => Promise<void>;
  if (way.kind === 'collector') {
    const list = collectorRequests(set.events, way.eventsPerRequest, set.at);
    requests = list.length;
    send = async () => {
      const started = performance.now();
      pushedBack = await postAll(url, list);
      taken = (performance.now() - started) / 1000;
    };
  } else {
    const calls = packCalls(way.pack(set.events));
    requests = calls.length;
    send = async () => {
      const client = eventBridgeClient(url);
      const started = performance.now();
      try {
        await sendCalls(client, calls);
      } finally {
        client.destroy();
      }
      taken = (performance.now() - started) / 1000;
    };
  }
  const result = await timedIngest(bench, `${way.label}, ${label}`, set.events.length, send);
  return {
    events: set.events.length,
    requests,
    taken,
    drained: result.seconds,
    pushedBack: pushedBack + result.throttled,
    cpu: result.cpu.node,
  };
}

/** Requests of `eventsPerRequest` events sent one at a time: what the collector's work per request takes. */
async function handlingTime(bench: BenchRuntime, set: DaySet, eventsPerRequest: number, count: number) {
  bench.at = set.at;
  const requests = collectorRequests(set.events, eventsPerRequest, set.at).slice(0, count);
  const times: number[] = [];
  for (const request of requests) {
    const started = performance.now();
    await postUntilTaken(bench.runtime.url, request);
    times.push(performance.now() - started);
  }
  await bench.runtime.drained();
  times.sort((a, b) => a - b);
  return {
    eventsPerRequest,
    requests: requests.length,
    medianMs: times[Math.floor(times.length / 2)]!,
    bodyBytes: requests.reduce((sum, request) => sum + Buffer.byteLength(request.body), 0) / requests.length,
  };
}

/**
 * Each way gets a day of its own for a warm-up, then `passes` days each, timed, the order of
 * the ways turned by one every pass so a busy stretch of the machine falls on all; the first
 * way is the reference of the pass ratios. Then requests of 1, 10 and 100 events one at a time.
 */
export async function collectorRates(
  config: NorthstarConfig,
  options: {
    readonly ways: readonly CollectorWay[];
    readonly day: (index: number) => DaySet;
    readonly passes: number;
    readonly handlingSamples: readonly { eventsPerRequest: number; requests: number }[];
  },
): Promise<CollectorRatesResult> {
  const { ways, day, passes } = options;
  const bench = await startBenchRuntime(config);
  try {
    let nextDay = 0;
    for (const way of ways) await sendWay(bench, way, day(nextDay++), 'warm-up');
    const byWay: Pass[][] = ways.map(() => []);
    for (let pass = 0; pass < passes; pass++)
      for (let turn = 0; turn < ways.length; turn++) {
        const index = (turn + pass) % ways.length;
        byWay[index]!.push(await sendWay(bench, ways[index]!, day(nextDay++), `pass ${pass + 1}`));
      }
    const handling: HandlingTime[] = [];
    for (const sample of options.handlingSamples)
      handling.push(await handlingTime(bench, day(nextDay++), sample.eventsPerRequest, sample.requests));
    const sum = (list: readonly Pass[], field: keyof Pass) =>
      list.reduce((total, one) => total + one[field], 0);
    const reference = byWay[0]!;
    return {
      ways: ways.map((way, index) => {
        const own = byWay[index]!;
        // Rates per event, since each pass has a day of its own.
        const ratios = own.map(
          (one, pass) => reference[pass]!.drained / reference[pass]!.events / (one.drained / one.events),
        );
        return {
          label: way.label,
          events: sum(own, 'events'),
          requests: sum(own, 'requests'),
          takenSeconds: sum(own, 'taken'),
          drainedSeconds: sum(own, 'drained'),
          pushedBack: sum(own, 'pushedBack'),
          nodeCpuSeconds: sum(own, 'cpu'),
          passRatios: [Math.min(...ratios), Math.max(...ratios)],
        };
      }),
      handling,
    };
  } finally {
    await bench.close();
  }
}

/** An access log line's fields as API Gateway fills them for a browser's /v1/batch. */
const ACCESS_LOG_SAMPLE: Readonly<Record<string, string>> = {
  '$context.requestId': 'JZ9zsh2KoAMEJxQ=',
  '$context.requestTime': '02/Dec/2026:13:45:12 +0000',
  '$context.identity.sourceIp': '203.0.113.24',
  '$context.identity.userAgent':
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  '$context.domainName': 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
  '$context.routeKey': 'POST /v1/batch',
  '$context.status': '200',
  '$context.responseLength': '16',
  '$context.responseLatency': '23',
  '$context.integrationStatus': '200',
  '$context.integrationLatency': '21',
  '$context.error.message': '-',
  '$context.integrationErrorMessage': '-',
};
/** Assumed: Lambda's START, END and REPORT lines of an invocation with tracing. */
const PLATFORM_LOG_BYTES = 330;
/** CloudWatch Logs bills each log event's 26 bytes of metadata too. */
const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * CloudWatch Logs bytes per collector request: the access log line in the stage's own format,
 * the metrics blob the function writes (Powertools EMF, serialized here) and the platform lines.
 */
export function collectorLogBytes(accessLogFormat: string): {
  accessLog: number;
  metrics: number;
  total: number;
} {
  const accessLog = Buffer.byteLength(
    accessLogFormat.replace(/\$context\.[A-Za-z.]+/g, (field) => ACCESS_LOG_SAMPLE[field] ?? '-'),
  );
  const metrics = new Metrics({ namespace: 'Northstar', serviceName: COLLECTOR_SERVICE });
  for (const name of Object.values(CALL_METRICS)) metrics.addMetric(name, MetricUnit.Count, 1);
  const emf = Buffer.byteLength(JSON.stringify(metrics.serializeMetrics()));
  return {
    accessLog,
    metrics: emf,
    total: accessLog + emf + PLATFORM_LOG_BYTES + 5 * LOG_EVENT_OVERHEAD_BYTES,
  };
}
