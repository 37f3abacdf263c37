import { ACCESS_LOG_FORMAT, DEFAULT_PACKER_BATCH_SIZE } from '../infra/collector.js';
import type { DemoEvent, DemoTraffic } from '../local/demo-traffic.js';
import { batchEntries, eventBridgeBody, type PutEntry } from '../local/entries.js';
import { parseConfig } from '../shared/domain/config/validate.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import {
  benchCollectorSettings,
  billedEntries,
  type CollectorWay,
  collectorLogBytes,
  collectorRates,
  collectorRequests,
  queuedPacking,
} from './collector.js';
import {
  COLLECTOR_MEMORY_GB,
  collectorCostPerMillion,
  costPerMillion,
  PRICES,
  PUT_EVENTS_ROUND_TRIP_MS,
  SEND_MESSAGE_ROUND_TRIP_MS,
} from './cost.js';
import { ingestMix, type MixSetup } from './ingest-mix.js';
import { SENDERS } from './local-runtime.js';

/** What the collector section takes from the bench run: its traffic, packing and in-memory table. */
export interface CollectorSectionContext {
  /** The demo configuration as written: the section adds its collector. */
  readonly demo: object;
  readonly traffic: DemoTraffic;
  readonly from: number;
  readonly serverPackedEntries: (events: readonly DemoEvent[]) => PutEntry[];
  readonly setup: (tableName: string) => Promise<MixSetup>;
  readonly elapsed: () => string;
}

const DAY = 86_400_000;
const MINUTE = 60_000;
const API_GATEWAY_CHUNK_BYTES = 512 * 1024;
/** Timed days per way; `BENCH_COLLECTOR_PASSES=1` for a quick look. */
const PASSES = Number(process.env.BENCH_COLLECTOR_PASSES ?? 3);
/** Days of traffic ingested for the cost of each way. */
const COST_DAYS = 2;
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const money = (value: number) => `$${value.toFixed(3)}`;

const recordsOf = (entries: readonly PutEntry[]): ReceivedRecord[] =>
  entries.map((entry, index) => ({
    messageId: `${entry.Source}-${index}`,
    body: eventBridgeBody(entry.Source, entry.DetailType, JSON.parse(entry.Detail), entry.lastAt),
    arrivedAt: entry.lastAt + 2_000,
  }));

export async function collectorSection(context: CollectorSectionContext): Promise<string[]> {
  if (!(Number.isInteger(PASSES) && PASSES >= 1))
    throw new Error(`BENCH_COLLECTOR_PASSES must be a whole number of at least 1, got ${PASSES}`);
  const { traffic, from, serverPackedEntries } = context;
  const day = (index: number) => ({
    events: traffic.between(from + index * DAY, from + (index + 1) * DAY),
    at: from + (index + 1) * DAY + MINUTE,
  });
  const sources = [...new Set(day(0).events.map((event) => event.source))].sort();
  const config = parseConfig({ ...context.demo, collector: benchCollectorSettings(sources) });
  const ways: CollectorWay[] = [
    { label: 'PutEvents, entries filled to 64 KB per app', kind: 'put-events', pack: serverPackedEntries },
    { label: 'PutEvents, one entry per app and user', kind: 'put-events', pack: batchEntries },
    { label: 'collector, /v1/batch of 10 events', kind: 'collector', eventsPerRequest: 10 },
    { label: 'collector, /v1/batch of 100 events', kind: 'collector', eventsPerRequest: 100 },
  ];
  const rates = await collectorRates(config, {
    ways,
    day,
    passes: PASSES,
    handlingSamples: [
      { eventsPerRequest: 1, requests: 300 },
      { eventsPerRequest: 10, requests: 150 },
      { eventsPerRequest: 100, requests: 20 },
    ],
  });
  console.log(`collector rates done (${context.elapsed()})`);

  // Cost: the same events sent each way, ingested by the real handler on the in-memory table.
  const costEvents = traffic.between(from, from + COST_DAYS * DAY);
  const costRows: string[] = [];
  const direct = serverPackedEntries(costEvents);
  const directMix = await ingestMix(
    await context.setup('bench-collector-direct'),
    'direct PutEvents',
    recordsOf(direct),
    costEvents.length,
    10,
  );
  const directCost = costPerMillion(directMix);
  costRows.push(
    `| direct PutEvents, entries filled to 64 KB per app (typed client on a server) | - | ${fixed(costEvents.length / direct.length, 1)} | - | - | - | - | ${money(directCost.eventBridge)} | **${money(directCost.eventBridge)}** | ${money(directCost.sqs)} | ${money(directCost.lambda)} | ${money(directCost.dynamoDb)} | **${money(directCost.total)}** |`,
  );
  const logBytes = collectorLogBytes(ACCESS_LOG_FORMAT);
  const packings = [];
  for (const handling of rates.handling) {
    const perRequest = handling.eventsPerRequest;
    const requests = collectorRequests(costEvents, perRequest, 0);
    const packing = await queuedPacking(costEvents, perRequest, DEFAULT_PACKER_BATCH_SIZE);
    packings.push({ perRequest, packing });
    const front = collectorCostPerMillion({
      events: costEvents.length,
      requests: requests.length,
      billedRequests: requests.reduce(
        (sum, request) =>
          sum + Math.max(1, Math.ceil(Buffer.byteLength(request.body) / API_GATEWAY_CHUNK_BYTES)),
        0,
      ),
      handlingMs: handling.medianMs,
      messageBytes: packing.messageBytes,
      packerBatches: packing.batches,
      packerMsPerBatch: packing.medianMsPerBatch,
      putEventsCalls: packing.putEventsCalls,
      logBytesPerRequest: logBytes.total,
    });
    const mix = await ingestMix(
      await context.setup(`bench-collector-${perRequest}`),
      `collector, ${perRequest} events per request`,
      recordsOf(packing.entries),
      costEvents.length,
      10,
    );
    const pipeline = costPerMillion(mix);
    const eventBridge =
      (billedEntries(packing.entries) / costEvents.length) * PRICES.eventBridgePerMillionEntries;
    const toBus = front.total + eventBridge;
    costRows.push(
      `| collector, ${perRequest} event${perRequest === 1 ? '' : 's'} per request | ${fixed(costEvents.length / requests.length, 1)} | ${fixed(costEvents.length / packing.entries.length, 1)} | ${money(front.apiGateway)} | ${money(front.lambda)} | ${money(front.logs)} | ${money(front.sqs)} | ${money(eventBridge)} | **${money(toBus)}** | ${money(pipeline.sqs)} | ${money(pipeline.lambda)} | ${money(pipeline.dynamoDb)} | **${money(toBus + pipeline.sqs + pipeline.lambda + pipeline.dynamoDb)}** |`,
    );
    console.log(`collector cost, ${perRequest} per request done (${context.elapsed()})`);
  }

  const reference = rates.ways[0]!;
  const referenceTaken = reference.events / reference.takenSeconds;
  const referenceDrained = reference.events / reference.drainedSeconds;
  return [
    '## Collector: Segment `/v1/batch` against direct PutEvents',
    '',
    `Each way sends its own days of the demo traffic (seed 1; a day each to warm up, then ${PASSES} timed days each, the order of the ways turned every day) to one local runtime with a data directory (as \`npm start\`), ${SENDERS} callers at once: PutEvents with \`@aws-sdk/client-eventbridge\` and the typed client's packing, the collector with raw \`POST /v1/batch\` of Segment track calls, Basic auth, per app in time order (as \`analytics-node\` batches on a server). *Answered*: from the first request until the last was answered; *ingested*: until \`drained()\`. Ratios are over the first way's rate. How it is measured: [docs/benchmarks.md](../docs/benchmarks.md#collector-segment-v1batch-against-direct-putevents).`,
    '',
    '| how apps send | events | requests | events/request | answered events/s | vs PutEvents | ingested events/s | vs PutEvents | per day, lowest-highest | pushed back | CPU s of Node |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rates.ways.map((way) => {
      const taken = way.events / way.takenSeconds;
      const drained = way.events / way.drainedSeconds;
      return `| ${way.label} | ${way.events} | ${way.requests} | ${fixed(way.events / way.requests, 1)} | ${fixed(taken, 0)} | ${fixed(taken / referenceTaken)}x | ${fixed(drained, 0)} | **${fixed(drained / referenceDrained)}x** | ${fixed(way.passRatios[0])}-${fixed(way.passRatios[1])}x | ${way.pushedBack} | ${fixed(way.nodeCpuSeconds, 1)} |`;
    }),
    '',
    `Requests sent one at a time (the collector's work per request, locally; its PutEvents runs in process): ${rates.handling.map((one) => `${one.eventsPerRequest} event${one.eventsPerRequest === 1 ? '' : 's'}: median ${fixed(one.medianMs, 1)} ms over ${one.requests} requests of ${fixed(one.bodyBytes / 1024, 1)} KB`).join('; ')}.`,
    '',
    '### Cost per million events through the collector on AWS',
    '',
    `AWS list prices, us-east-1, as of ${PRICES.date}: API Gateway HTTP API $${PRICES.apiGatewayHttpPerMillionRequests.toFixed(2)} per million requests (per 512 KB); Lambda arm64 $${PRICES.lambdaPerMillionRequests.toFixed(2)} per million requests and $${PRICES.lambdaArmPerGbSecond} per GB-second at ${COLLECTOR_MEMORY_GB * 1024} MB: the collector billed the median time per request above + an **assumed** ${SEND_MESSAGE_ROUND_TRIP_MS} ms SendMessage round trip, the packer its measured time per batch (median ${packings.map(({ perRequest, packing }) => `${fixed(packing.medianMsPerBatch, 1)} ms at ${perRequest}/request`).join(', ')}) + an **assumed** ${PUT_EVENTS_ROUND_TRIP_MS} ms per PutEvents call; CloudWatch Logs $${PRICES.cloudWatchLogsPerGb.toFixed(2)} per GB at ${logBytes.total} bytes per request (the stage's access log line in its own format, ${logBytes.accessLog} bytes with a browser's user agent; the function's metrics as Powertools writes them, ${logBytes.metrics} bytes; an **assumed** 330 bytes of Lambda's START/END/REPORT lines; 26 bytes per log event); SQS $${PRICES.sqsPerMillionRequests.toFixed(2)} per million requests (per 64 KB) for the collector's queue: a message per request, the packer's receives and deletes per 10 messages; EventBridge $${PRICES.eventBridgePerMillionEntries.toFixed(2)} per million entries (per 64 KB), the entries the packer makes of ${DEFAULT_PACKER_BATCH_SIZE} queued requests at a time (its default batch, full from about ${DEFAULT_PACKER_BATCH_SIZE / 5} requests a second; at lower rates a batch holds what arrives in its 5 s window). Then the pipeline behind the bus as in the ingest section: ${costEvents.length} events (${COST_DAYS} days) through the real ingest handler, SQS batches of 10, on DynamoDB Local in memory. The queue's long polling costs about $0.26 a month whatever the traffic, left out here.`,
    '',
    '| how apps send | events/request | events/entry | API Gateway | collector and packer Lambda | logs | collector queue | EventBridge | to the bus | SQS | ingest Lambda | DynamoDB | all-in per million events |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...costRows,
  ];
}
