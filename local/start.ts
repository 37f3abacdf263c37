import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createIngestHandler } from '../functions/ingest/handler.js';
import { loadConfig } from '../shared/config/load.js';
import { compileConfig } from '../shared/engine/compiled-config.js';
import { itemKey } from '../shared/engine/deltas.js';
import { metricValue } from '../shared/engine/metric-values.js';
import { trackingPlanSchemas } from '../shared/events/tracking-plan.js';
import type { IngestSummary, ReceivedRecord } from '../shared/ingest/ingest-records.js';
import { recoverStaleRounds } from '../shared/ingest/rounds.js';
import { dynamoClient, storeFor } from '../shared/runtime/pipeline-env.js';
import { ensureTable } from '../shared/store/table.js';
import { periodKey } from '../shared/time/periods.js';
import { demoTraffic, malformedDemoEntries } from './demo-traffic.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { eventBridgeBody, packEntries } from './entries.js';
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

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'config/demo.config.ts' },
    'data-dir': { type: 'string', default: process.env.NORTHSTAR_DATA_DIR ?? '.northstar' },
    'in-memory': { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
    'no-demo': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`npm start -- [--config file.ts|file.json] [--data-dir .northstar] [--in-memory] [--seed 7] [--no-demo]

Starts DynamoDB Local, creates the table and runs simulated product traffic through
the real ingest handler, then keeps sending live traffic and prints what it counted.`);
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

// The demo replays history as if it had been sent live: the clock follows the traffic.
let now = Date.now();
const clock = () => now;
const totals = { accepted: 0, duplicates: 0, quarantined: 0, failed: 0 };
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
  `Northstar (ingest only for now): DynamoDB Local at ${dynamo.endpoint}, table "${tableName}", ${args['in-memory'] ? 'in memory' : `data in ${args['data-dir']}`}`,
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

async function printTree(): Promise<void> {
  const ids = Object.keys(config.metrics);
  const children = (parent: string | undefined) => ids.filter((id) => config.metrics[id]?.parent === parent);
  const lines: string[] = [];
  const format = (value: number | null) =>
    value === null ? '-' : Number.isInteger(value) ? String(value) : value.toFixed(3);
  const walk = async (id: string, depth: number) => {
    const metric = config.metrics[id]!;
    const periods = [3, 2, 1, 0].map((back) => {
      const step = { hour: 3_600_000, day: DAY, week: 7 * DAY, month: 30 * DAY }[metric.grain];
      return periodKey(Date.now() - back * step, metric.grain, config.timeZone);
    });
    const values = await Promise.all(
      periods.map(async (period) =>
        metricValue(id, await store.readCounters(itemKey(metric.grain, period)), compiled),
      ),
    );
    lines.push(
      `${'  '.repeat(depth)}${id === config.northStar ? '★ ' : '- '}${metric.title} (${metric.grain}): ${periods.map((p, i) => `${p} ${format(values[i] ?? null)}`).join('  ')}`,
    );
    for (const child of children(id)) await walk(child, depth + 1);
  };
  for (const root of children(undefined)) await walk(root, 0);
  console.log(lines.join('\n'));
}

await printTree();
console.log('Sending live traffic every second. Ctrl-C stops.');

let stopping = false;
let lastSweep = Date.now();
const timer = setInterval(async () => {
  if (stopping) return;
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
  if (now - lastSweep > 30_000) {
    lastSweep = now;
    await recoverStaleRounds({ store, compiled, clock }, DAY);
  }
  process.stdout.write(
    `\rlive ${new Date(now).toISOString().slice(0, 19)}Z  accepted ${totals.accepted}  duplicates ${totals.duplicates}  quarantined ${totals.quarantined}  failed ${totals.failed}   `,
  );
}, 1000);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write('\nStopping DynamoDB Local...\n');
  client.destroy();
  await dynamo.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
