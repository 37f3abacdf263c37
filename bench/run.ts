import { writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BatchWriteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import demo from '../config/demo.config.js';
import { createIngestHandler } from '../functions/ingest/handler.js';
import { demoTraffic } from '../local/demo-traffic.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { eventBridgeBody, packEntries } from '../local/entries.js';
import { deliverToHandler } from '../local/local-queue.js';
import { parseConfig } from '../shared/config/validate.js';
import { compileConfig } from '../shared/engine/compiled-config.js';
import { trackingPlanSchemas } from '../shared/events/tracking-plan.js';
import type { IngestSummary, ReceivedRecord } from '../shared/ingest/ingest-records.js';
import { dynamoClient, storeFor } from '../shared/runtime/pipeline-env.js';
import { ensureTable } from '../shared/store/table.js';
import { measureCapacity } from './capacity.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.removeAllListeners('warning');

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CALLERS = 32;
const config = parseConfig(demo);
const compiled = compileConfig(config);

const dynamo = await startDynamoDbLocal();
let tables = 0;
async function freshTable(client: DynamoDBClient): Promise<string> {
  const name = `bench-${++tables}`;
  await ensureTable(client, name);
  return name;
}

async function timed(task: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await task();
  return (performance.now() - start) / 1000;
}

async function callers(count: number, work: (caller: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, caller) => work(caller)));
}

/** Raw DynamoDB Local: single conditional puts and 25-item batch writes, 32 callers. */
async function rawRates() {
  const client = dynamoClient(dynamo.endpoint);
  const table = await freshTable(client);
  // Warm the JVM up first: its first thousand requests run interpreted.
  await callers(CALLERS, async (caller) => {
    for (let i = caller; i < 3_000; i += CALLERS) {
      await client.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: `w#${i}` }, sk: { S: 'x' } } }),
      );
    }
  });
  const puts = 4_000;
  const putSeconds = await timed(() =>
    callers(CALLERS, async (caller) => {
      for (let i = caller; i < puts; i += CALLERS) {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `p#${i}` }, sk: { S: 'x' }, n: { N: '1' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    }),
  );
  const batched = 40_000;
  const batchSeconds = await timed(() =>
    callers(CALLERS, async (caller) => {
      for (let batch = caller; batch * 25 < batched; batch += CALLERS) {
        const items = Array.from({ length: 25 }, (_, j) => ({
          PutRequest: { Item: { pk: { S: `b#${batch * 25 + j}` }, sk: { S: 'x' }, n: { N: '1' } } },
        }));
        await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
      }
    }),
  );
  client.destroy();
  return { conditionalPutsPerSecond: puts / putSeconds, batchWriteItemsPerSecond: batched / batchSeconds };
}

interface MixResult {
  label: string;
  events: number;
  entries: number;
  eventsPerSecond: number;
  writeUnitsPerEvent: number;
  readUnitsPerEvent: number;
  lowerBoundPerEvent: number;
  byItemType: Record<string, number>;
}

/** The real ingest handler on the demo mix; the clock stands at the end of each day sent. */
async function ingestMix(
  label: string,
  records: ReceivedRecord[],
  events: number,
  batchSize: number,
): Promise<MixResult> {
  const client = dynamoClient(dynamo.endpoint);
  const capacity = measureCapacity(client);
  const table = await freshTable(client);
  let now = 0;
  const deps = {
    compiled,
    schemas: trackingPlanSchemas(config),
    store: storeFor(config, client, table),
    clock: () => now,
  };
  let accepted = 0;
  const handler = createIngestHandler(() => deps, {
    logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }),
    metrics: new Metrics({ namespace: 'Northstar', serviceName: 'bench' }),
    onSummary: (summary: IngestSummary) => {
      accepted += summary.accepted;
    },
  });
  const byDay = new Map<number, ReceivedRecord[]>();
  for (const record of records) {
    const day = Math.floor(record.arrivedAt / DAY);
    byDay.set(day, [...(byDay.get(day) ?? []), record]);
  }
  const seconds = await timed(async () => {
    for (const [day, dayRecords] of [...byDay].sort(([a], [b]) => a - b)) {
      now = (day + 1) * DAY + HOUR;
      const givenUp = await deliverToHandler(handler, dayRecords, { batchSize, workers: 4 });
      if (givenUp.length > 0) throw new Error(`${givenUp.length} messages failed`);
    }
  });
  if (accepted !== events) throw new Error(`${label}: accepted ${accepted} of ${events} events`);
  client.destroy();
  const mustWrite = (capacity.writesByItemType.U ?? 0) + (capacity.writesByItemType.C ?? 0);
  return {
    label,
    events,
    entries: records.length,
    eventsPerSecond: events / seconds,
    writeUnitsPerEvent: capacity.writeUnits / events,
    readUnitsPerEvent: capacity.readUnits / events,
    lowerBoundPerEvent: mustWrite / events,
    byItemType: Object.fromEntries(
      Object.entries(capacity.writesByItemType).map(([type, units]) => [type, units / events]),
    ),
  };
}

const from = Date.parse('2026-11-02T00:00:00Z');
const events = demoTraffic({ seed: 1 }).between(from, from + 7 * DAY);
// The typed client flushes a user's events every few seconds; an hour per entry is generous packing.
const byHour = events.reduce((groups, event) => {
  const hour = Math.floor(Date.parse(event.occurredAt) / HOUR);
  groups.set(hour, [...(groups.get(hour) ?? []), event]);
  return groups;
}, new Map<number, typeof events>());
const batchRecords = [...byHour.values()].flatMap((hourEvents) => packEntries(hourEvents));
const singleRecords = events.map((event, index) => {
  const { source, name, ...detail } = event;
  const at = Date.parse(event.occurredAt);
  return {
    messageId: `single-${index}`,
    body: eventBridgeBody(source, name, detail, at),
    arrivedAt: at + 2_000,
  };
});

console.log(
  `Northstar benchmark: ${events.length} demo events (7 days), DynamoDB Local in memory, ${cpus().length} cores`,
);
const raw = await rawRates();
const results = [
  await ingestMix('batch entries, SQS batches of 10', batchRecords, events.length, 10),
  await ingestMix('single-event entries, SQS batches of 10', singleRecords, events.length, 10),
  await ingestMix('single-event entries, SQS batches of 100', singleRecords, events.length, 100),
];
await dynamo.stop();

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const lines = [
  `raw DynamoDB Local, ${CALLERS} callers: conditional PutItem ${fixed(raw.conditionalPutsPerSecond, 0)} items/s; BatchWriteItem ${fixed(raw.batchWriteItemsPerSecond, 0)} items/s`,
  '',
  '| mix | events/s | vs raw conditional puts | vs raw batch writes | write units/event | lower bound | ratio | read units/event | writes by item (U user, C counters, R rounds, DIRTY, Q) |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.label} (${r.entries} entries) | ${fixed(r.eventsPerSecond, 0)} | ${fixed(r.eventsPerSecond / raw.conditionalPutsPerSecond)}x | ${fixed(r.eventsPerSecond / raw.batchWriteItemsPerSecond)}x | ${fixed(r.writeUnitsPerEvent, 3)} | ${fixed(r.lowerBoundPerEvent, 3)} | ${fixed(r.writeUnitsPerEvent / r.lowerBoundPerEvent)}x | ${fixed(r.readUnitsPerEvent, 3)} | ${Object.entries(
        r.byItemType,
      )
        .map(([type, units]) => `${type} ${fixed(units, 3)}`)
        .join(', ')} |`,
  ),
];
console.log(lines.join('\n'));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB memory (${Math.round(freemem() / 2 ** 30)} GiB free), Node.js ${process.version}, ${process.platform}`;
await writeFile(
  'bench/RESULTS.md',
  `# Benchmark results

Latest run of \`npm run bench\`: ${new Date().toISOString().slice(0, 16)}Z on ${machine}.
Every figure comes from the same run on the same machine; ratios compare the pipeline
with raw DynamoDB Local writes measured in that run.

Workload: ${events.length} events of the demo product over 7 days (seed 1), ingested by the
real ingest handler on DynamoDB Local (in memory), 4 invocations at once.

${lines.join('\n')}

- **Lower bound**: the write units of the items a batch cannot avoid writing: each user
  with new events once and each touched counter item once. The rest is the round record,
  the dirty set and quarantine. See docs/data-model.md.
- Write and read units are DynamoDB's own \`ConsumedCapacity\` as DynamoDB Local reports it.

Reproduce: \`npm ci && npm run bench\`.
`,
);
console.log('Wrote bench/RESULTS.md');
