import { writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { packBatchEntries } from '../client/pack-entries.js';
import demo from '../config/demo.config.js';
import { type DemoEvent, demoTraffic } from '../local/demo-traffic.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { eventBridgeBody, packEntries } from '../local/entries.js';
import { parseConfig } from '../shared/domain/config/validate.js';
import { compileConfig } from '../shared/domain/engine/compiled-config.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { costPerMillion, LAMBDA_MEMORY_GB, PRICES } from './cost.js';
import { ingestMix, type MixResult } from './ingest-mix.js';
import { endToEndLatency } from './latency.js';
import { CALLERS, rawRates } from './raw-rates.js';
import { recomputeAtScale } from './recompute-scale.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.removeAllListeners('warning');

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Smaller runs while developing: `BENCH_DAYS=2 npm run bench`. */
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const RECOMPUTE_EVENTS = Number(process.env.BENCH_RECOMPUTE_EVENTS ?? 10_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const config = parseConfig(demo);
const compiled = compileConfig(config);

const from = Date.parse('2026-11-02T00:00:00Z');
const events = demoTraffic({ seed: 1 }).between(from, from + DAYS * DAY);

function byHour(list: readonly DemoEvent[]): DemoEvent[][] {
  const groups = new Map<number, DemoEvent[]>();
  for (const event of list) {
    const hour = Math.floor(Date.parse(event.occurredAt) / HOUR);
    groups.set(hour, [...(groups.get(hour) ?? []), event]);
  }
  return [...groups.values()];
}

/** A device's typed client: one batch entry per app and user, each user's events of an hour. */
const perUserRecords = byHour(events).flatMap((hourEvents) => packEntries(hourEvents));
/** A busy app's typed client on a server: entries of many users, filled to 64 KB, in time order. */
const fullEntryRecords: ReceivedRecord[] = [...new Set(events.map((event) => event.source))]
  .flatMap((source) => {
    const own = events.filter((event) => event.source === source);
    const packed = packBatchEntries(
      source,
      own.map(({ source: _source, ...event }) => event),
    ).entries;
    let next = 0;
    return packed.map((entry, index) => {
      next += entry.events;
      const lastAt = Date.parse(own[next - 1]!.occurredAt);
      return {
        messageId: `${source}-${index}`,
        body: eventBridgeBody(source, entry.DetailType, JSON.parse(entry.Detail), lastAt),
        arrivedAt: lastAt + 2_000,
      };
    });
  })
  .sort((a, b) => a.arrivedAt - b.arrivedAt);
const singleRecords: ReceivedRecord[] = events.map((event, index) => {
  const { source, name, ...detail } = event;
  const at = Date.parse(event.occurredAt);
  return {
    messageId: `single-${index}`,
    body: eventBridgeBody(source, name, detail, at),
    arrivedAt: at + 2_000,
  };
});

console.log(
  `Northstar benchmark: ${events.length} demo events (${DAYS} days), DynamoDB Local in memory, ${cpus().length} cores`,
);
const started = performance.now();
const dynamo = await startDynamoDbLocal();
const setup = (tableName: string) => ({ config, compiled, endpoint: dynamo.endpoint, tableName });
const raw = await rawRates(dynamo.endpoint, 'bench-raw');
console.log(`raw rates done (${Math.round((performance.now() - started) / 1000)} s)`);
const mixes: [string, ReceivedRecord[], number][] = [
  ['batch entries per user and hour, SQS batches of 10', perUserRecords, 10],
  ['batch entries per user and hour, SQS batches of 100', perUserRecords, 100],
  ['batch entries filled to 64 KB per app, SQS batches of 10', fullEntryRecords, 10],
  ['single-event entries, SQS batches of 10', singleRecords, 10],
  ['single-event entries, SQS batches of 100', singleRecords, 100],
];
const results: MixResult[] = [];
for (const [index, [label, records, batchSize]] of mixes.entries()) {
  results.push(await ingestMix(setup(`bench-mix-${index}`), label, records, events.length, batchSize));
  console.log(`${label} done (${Math.round((performance.now() - started) / 1000)} s)`);
}

// Recompute: RECOMPUTE_EVENTS events ingested once, then the same tables at 10x and 100x.
const recomputeEvents = events.slice(0, RECOMPUTE_EVENTS);
const recomputeRecords = byHour(recomputeEvents).flatMap((hourEvents) => packEntries(hourEvents));
await ingestMix(setup('bench-recompute'), 'recompute source', recomputeRecords, recomputeEvents.length, 100);
const recomputeTo = Math.floor(Date.parse(recomputeEvents.at(-1)!.occurredAt) / DAY + 1) * DAY + 2 * HOUR;
const recomputes = await recomputeAtScale(
  dynamo.endpoint,
  config,
  compiled,
  'bench-recompute',
  recomputeEvents.length,
  [1, 10, 100],
  recomputeTo,
  from,
);
console.log(`recompute done (${Math.round((performance.now() - started) / 1000)} s)`);
await dynamo.stop();
const latency = await endToEndLatency(config, LATENCY_SAMPLES);
console.log(`latency done (${Math.round((performance.now() - started) / 1000)} s)`);

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const money = (value: number) => `$${value.toFixed(3)}`;
const allowed = (mix: MixResult) => raw.conditionalPutsPerSecond / mix.writeCallsPerEvent;
const ingestLines = [
  `Raw DynamoDB Local, ${CALLERS} callers: conditional PutItem ${fixed(raw.conditionalPutsPerSecond, 0)} items/s; BatchWriteItem ${fixed(raw.batchWriteItemsPerSecond, 0)} items/s.`,
  '',
  '| how apps send, SQS batch | entries | events/s | vs raw conditional puts | items written per event | events/s the raw puts allow | ingest vs allowed | vs raw batch-write items |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.label} | ${r.entries} | ${fixed(r.eventsPerSecond, 0)} | ${fixed(r.eventsPerSecond / raw.conditionalPutsPerSecond)}x | ${fixed(r.writeCallsPerEvent, 3)} | ${fixed(allowed(r), 0)} | ${fixed(r.eventsPerSecond / allowed(r))}x | ${fixed(r.eventsPerSecond / raw.batchWriteItemsPerSecond)}x |`,
  ),
];
const unitLines = [
  '| how apps send, SQS batch | write units/event | lower bound | ratio | read units/event | write units by item (U user, C counters, R rounds, DIRTY, Q quarantine) |',
  '|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.label} | ${fixed(r.writeUnitsPerEvent, 3)} | ${fixed(r.lowerBoundPerEvent, 3)} | ${fixed(r.writeUnitsPerEvent / r.lowerBoundPerEvent)}x | ${fixed(r.readUnitsPerEvent, 3)} | ${Object.entries(
        r.byItemType,
      )
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, units]) => `${type} ${fixed(units, 3)}`)
        .join(', ')} |`,
  ),
];
const costLines = [
  '| how apps send, SQS batch | events/entry | invocations | handler ms/invocation | EventBridge | SQS | Lambda | DynamoDB | total per million events |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const cost = costPerMillion(r);
    return `| ${r.label} | ${fixed(r.events / r.entries, 1)} | ${r.invocations} | ${fixed(r.handlerMs, 1)} | ${money(cost.eventBridge)} | ${money(cost.sqs)} | ${money(cost.lambda)} | ${money(cost.dynamoDb)} | **${money(cost.total)}** |`;
  }),
];
const recomputeLines = [
  '| events | dirty and settled periods | DynamoDB calls | seconds | vs 10x fewer events |',
  '|---|---|---|---|---|',
  ...recomputes.map(
    (r, index) =>
      `| ${r.events.toLocaleString('en-US')} | ${r.periods} | ${r.calls} | ${fixed(r.seconds, 1)} | ${index === 0 ? '-' : `${fixed(r.seconds / recomputes[index - 1]!.seconds)}x`} |`,
  ),
];
const latencyLine = `PutEvents to the number in the read API (\`/api/journey\`), ${latency.samples} events one at a time through the local runtime: p50 ${fixed(latency.p50Ms, 0)} ms, p99 ${fixed(latency.p99Ms, 0)} ms.`;
const report = [
  '## Ingest rate',
  '',
  ...ingestLines,
  '',
  '## DynamoDB units per event',
  '',
  ...unitLines,
  '',
  '## Cost per million events',
  '',
  `AWS list prices, us-east-1, as of ${PRICES.date}: EventBridge custom events $${PRICES.eventBridgePerMillionEntries.toFixed(2)} per million entries (per 64 KB); SQS standard $${PRICES.sqsPerMillionRequests.toFixed(2)} per million requests (per 64 KB); Lambda arm64 $${PRICES.lambdaArmPerGbSecond} per GB-second and $${PRICES.lambdaPerMillionRequests.toFixed(2)} per million requests, at ${LAMBDA_MEMORY_GB * 1024} MB; DynamoDB on-demand $${PRICES.dynamoPerMillionWriteUnits} per million write request units and $${PRICES.dynamoPerMillionReadUnits} per million read request units (prices since November 2024).`,
  '',
  ...costLines,
  '',
  '## Recompute at growing event counts, same dirty periods',
  '',
  ...recomputeLines,
  '',
  '## End-to-end latency',
  '',
  latencyLine,
];
console.log(report.join('\n'));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB memory (${Math.round(freemem() / 2 ** 30)} GiB free), Node.js ${process.version}, ${process.platform}`;
await writeFile(
  'bench/RESULTS.md',
  `# Benchmark results

Latest run of \`npm run bench\`: ${new Date().toISOString().slice(0, 16)}Z on ${machine}; the run took ${Math.round((performance.now() - started) / 1000)} s.
Every figure comes from the same run on the same machine. Rates are compared with raw
DynamoDB Local writes measured in that run; absolute rates depend on the machine.

Workload: ${events.length} events of the demo product over ${DAYS} days (seed 1), ingested by the
real ingest handler on DynamoDB Local (in memory), 4 invocations at once, in five ways of sending.
How the figures are taken and the lower bound derived: [docs/benchmarks.md](../docs/benchmarks.md).

${report.join('\n')}

Reproduce: \`npm ci && npm run bench\` (Java 17+ for DynamoDB Local).
`,
);
console.log('Wrote bench/RESULTS.md');
