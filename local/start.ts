import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createIngestHandler } from '../functions/ingest/handler.js';
import { type DeviationAlert, EventBridgeAlertBus } from '../shared/bus/alert-bus.js';
import { deviationAlertPattern, matchesPattern, productEventsPattern } from '../shared/bus/rule-patterns.js';
import { loadConfig } from '../shared/config/load.js';
import { compileConfig } from '../shared/engine/compiled-config.js';
import { trackingPlanSchemas } from '../shared/events/tracking-plan.js';
import type { IngestSummary, ReceivedRecord } from '../shared/ingest/ingest-records.js';
import { recompute } from '../shared/recompute/recompute.js';
import { dynamoClient, eventBridgeClient, storeFor } from '../shared/runtime/pipeline-env.js';
import { RollupStore } from '../shared/store/rollup-store.js';
import { ensureTable } from '../shared/store/table.js';
import { demoTraffic, malformedDemoEntries } from './demo-traffic.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { eventBridgeBody, packEntries } from './entries.js';
import { type BusEvent, startLocalEventBus } from './event-bus.js';
import { deliverToHandler } from './local-queue.js';

// The SDK's notice about Node 22 concerns future SDK releases; the lockfile pins this one.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning') console.warn(warning);
});
// EMF lines are for CloudWatch; on one machine the status line says the same.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const DAY = 86_400_000;
/** Messages per invocation and invocations at once, like an SQS event source with a batching window. */
const BATCH_SIZE = 50;
const WORKERS = 4;
const HISTORY_DAYS = 42;
const RECOMPUTE_EVERY_MS = 10_000;

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'config/demo.config.ts' },
    'data-dir': { type: 'string', default: process.env.NORTHSTAR_DATA_DIR ?? '.northstar' },
    'in-memory': { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
    'no-demo': { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '4000' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`npm start -- [--config file.ts|file.json] [--data-dir .northstar] [--in-memory] [--seed 7] [--no-demo] [--port 4000]

Starts DynamoDB Local and an EventBridge-compatible PutEvents endpoint on 127.0.0.1,
runs simulated product traffic through the real ingest handler, recomputes the metric
tree every 10 seconds and prints deviation alerts as the recompute raises them.`);
  process.exit(0);
}

const seed = Number(args.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${args.seed}"`);
const config = await loadConfig(args.config);
const compiled = compileConfig(config);
const dataDir = resolve(args['data-dir']);
if (!args['in-memory']) await mkdir(join(dataDir, 'dynamodb'), { recursive: true });

const dynamo = await startDynamoDbLocal(args['in-memory'] ? {} : { dataDir: join(dataDir, 'dynamodb') });
const client = dynamoClient(dynamo.endpoint);
const tableName = 'northstar';
await ensureTable(client, tableName);
const store = storeFor(config, client, tableName);

/** Apps' events go through the same rule pattern as in AWS; alerts are printed for the owner. */
async function onBusEvents(events: BusEvent[]): Promise<void> {
  const product = events.filter((event) => matchesPattern(productEventsPattern, event));
  if (product.length > 0) {
    const arrivedAt = Date.now();
    await deliver(product.map((event) => ({ messageId: event.id, body: JSON.stringify(event), arrivedAt })));
  }
  for (const event of events.filter((event) => matchesPattern(deviationAlertPattern(), event))) {
    totals.alerts++;
    const alert = event.detail as DeviationAlert;
    const cause = alert.contributors[0];
    const change =
      alert.relativeDeviation === null ? '' : ` (${(alert.relativeDeviation * 100).toFixed(0)}%)`;
    console.log(
      `\n${event['detail-type']}: ${alert.metric.title}, ${alert.grain} ${alert.period}: observed ${alert.observed}, expected ${alert.expected.toFixed(1)}${change} -> ${alert.owner.name} <${alert.owner.contact}>${cause && cause.share > 0 ? `; likely cause: ${cause.title} (${(cause.share * 100).toFixed(0)}% of the move)` : ''}`,
    );
  }
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  throw new Error(`--port must be a port number, got "${args.port}"`);
const bus = await startLocalEventBus({ port, host: args.host, onEvents: onBusEvents }).catch(
  (cause: unknown) => {
    throw new Error(
      `Cannot listen on ${args.host}:${port} (${(cause as Error).message}); choose another with --port`,
      { cause },
    );
  },
);

// The demo replays history as if it had been sent live: the clock follows the traffic.
let now = Date.now();
const clock = () => now;
const totals = { accepted: 0, duplicates: 0, quarantined: 0, failed: 0, alerts: 0 };
const deps = { compiled, schemas: trackingPlanSchemas(config), store, clock };
const handler = createIngestHandler(() => deps, {
  logger: new Logger({ serviceName: 'northstar-ingest', logLevel: 'WARN' }),
  metrics: new Metrics({ namespace: 'Northstar', serviceName: 'northstar-ingest' }),
  onSummary: (summary: IngestSummary) => {
    totals.accepted += summary.accepted;
    totals.duplicates += summary.duplicates;
    totals.quarantined += Object.values(summary.quarantined).reduce((sum, count) => sum + count, 0);
  },
});
/** Delivers records to the handler, as the SQS event source would. */
async function deliver(records: readonly ReceivedRecord[]): Promise<void> {
  const givenUp = await deliverToHandler(handler, records, { batchSize: BATCH_SIZE, workers: WORKERS });
  totals.failed += givenUp.length;
}

const statePath = join(dataDir, 'demo-state.json');
async function readSentUntil(): Promise<number | undefined> {
  if (args['in-memory']) return undefined;
  try {
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { seed: number; sentUntil: number };
    return state.seed === seed ? state.sentUntil : undefined;
  } catch {
    return undefined;
  }
}
async function writeSentUntil(sentUntil: number): Promise<void> {
  if (!args['in-memory']) await writeFile(statePath, JSON.stringify({ seed, sentUntil }));
}

function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stdout.write(
    `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / Math.max(total, 1)) * 100)}%`,
  );
}

const startedAt = Date.now();
const incidentDay = new Date(startedAt - 10 * DAY).toISOString().slice(0, 10);
const traffic = demoTraffic({ seed, incident: { day: incidentDay, signupDrop: 0.6 } });
let sentUntil = (await readSentUntil()) ?? startedAt - HISTORY_DAYS * DAY;

console.log(
  `Northstar: DynamoDB Local at ${dynamo.endpoint}, table "${tableName}", ${args['in-memory'] ? 'in memory' : `data in ${args['data-dir']}`}`,
);
if (!args['no-demo']) {
  const days = Math.ceil((startedAt - sentUntil) / DAY);
  for (let day = 0; sentUntil < startedAt; day++) {
    const until = Math.min(sentUntil + DAY, startedAt);
    // History is processed as if live: the clock stands at the end of each day sent.
    now = until + 5_000;
    await deliver(packEntries(traffic.between(sentUntil, until)));
    sentUntil = until;
    await writeSentUntil(sentUntil);
    progress(`Sending ${days} days of demo history`, day + 1, days);
  }
  process.stdout.write('\n');
  now = Date.now();
  const malformed = malformedDemoEntries(seed, now).map((entry) => ({
    messageId: `bad-${entry.detailType}-${now}`,
    body: eventBridgeBody(entry.source, entry.detailType, entry.detail, now),
    arrivedAt: now,
  }));
  await deliver(malformed);
}

const rollups = new RollupStore(client, tableName);
const recomputeDeps = {
  compiled,
  rollups,
  ingest: store,
  bus: new EventBridgeAlertBus(eventBridgeClient(bus.endpoint), 'northstar'),
  clock: () => Date.now(),
};

async function printTree(): Promise<void> {
  const ids = Object.keys(config.metrics);
  const children = (parent: string | undefined) => ids.filter((id) => config.metrics[id]?.parent === parent);
  const lines: string[] = [];
  const format = (value: number | null | undefined) =>
    value === null || value === undefined ? '-' : Number.isInteger(value) ? String(value) : value.toFixed(3);
  const walk = async (id: string, depth: number) => {
    const metric = config.metrics[id]!;
    const latest = (await rollups.latestRollups(compiled.defIds[`metric:${id}`]!, metric.grain, 4)).map(
      (rollup) => `${rollup.period} ${format(rollup.value)}${rollup.status === 'deviating' ? ' (!)' : ''}`,
    );
    lines.push(
      `${'  '.repeat(depth)}${id === config.northStar ? '★ ' : '- '}${metric.title} (${metric.grain}): ${latest.join('  ')}`,
    );
    for (const child of children(id)) await walk(child, depth + 1);
  };
  for (const root of children(undefined)) await walk(root, 0);
  console.log(lines.join('\n'));
}

process.stdout.write('Recomputing the metric tree over the history...');
const first = await recompute(recomputeDeps, { since: startedAt - HISTORY_DAYS * DAY });
console.log(` ${first.periods} periods, ${first.rollups} rollups, ${first.detected} alerts.`);
await printTree();
console.log(`PutEvents endpoint: ${bus.endpoint} (use it as the endpoint of @aws-sdk/client-eventbridge)`);
console.log('Sending live traffic every second, recomputing every 10 seconds. Ctrl-C stops.');

let stopping = false;
let lastRecompute = Date.now();
let busy = false;
const timer = setInterval(async () => {
  if (stopping || busy) return;
  busy = true;
  try {
    now = Date.now();
    const until = now;
    if (!args['no-demo'] && until > sentUntil) {
      const events = traffic.between(sentUntil, until);
      await deliver(
        packEntries(events, 0).map((record) => ({ ...record, arrivedAt: Math.min(record.arrivedAt, now) })),
      );
      sentUntil = until;
      await writeSentUntil(sentUntil);
    }
    if (now - lastRecompute >= RECOMPUTE_EVERY_MS) {
      lastRecompute = now;
      await recompute(recomputeDeps);
    }
    process.stdout.write(
      `\rlive ${new Date(now).toISOString().slice(0, 19)}Z  accepted ${totals.accepted}  duplicates ${totals.duplicates}  quarantined ${totals.quarantined}  failed ${totals.failed}  alerts ${totals.alerts}   `,
    );
  } catch (error) {
    console.error('\nlocal runtime step failed; it runs again in a second:', error);
  } finally {
    busy = false;
  }
}, 1000);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write('\nStopping...\n');
  await bus.close();
  client.destroy();
  await dynamo.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
