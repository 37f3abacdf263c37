import { readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { packCalls } from '../client/pack-entries.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { DeviationAlert } from '../shared/domain/alerts/deviation-alert.js';
import { loadConfig } from '../shared/domain/config/load.js';
import type { ReviewDigest } from '../shared/domain/review/review-digest.js';
import { buildDashboardIfStale } from './dashboard-build.js';
import { demoTraffic, malformedDemoEntries } from './demo-traffic.js';
import { batchEntries, type PutEntry } from './entries.js';
import type { BusEvent } from './event-bus.js';
import { startRuntime } from './runtime.js';

// The SDK's notice about Node 22 concerns future SDK releases; the lockfile pins this one.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) console.warn(warning);
});
// EMF lines are for CloudWatch; on one machine the status line says the same.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const DAY = 86_400_000;
const HISTORY_DAYS = 42;
/** The live loop recomputes this often; the runtime's own schedule stays off during the history. */
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
    // An empty NORTHSTAR_TOKEN counts as unset, as shells leave it.
    token: { type: 'string', default: process.env.NORTHSTAR_TOKEN || undefined },
    'max-backlog-entries': { type: 'string', default: '20000' },
    'max-backlog-mib': { type: 'string', default: '128' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`npm start -- [--config file.ts|file.json] [--data-dir .northstar] [--in-memory] [--seed 7] [--no-demo] [--port 4000] [--host 127.0.0.1] [--token <token>]
    [--max-backlog-entries 20000] [--max-backlog-mib 128]

Starts DynamoDB Local and an EventBridge-compatible PutEvents endpoint, sends simulated
product traffic through it to the real ingest handler, recomputes the metric tree every
10 seconds and prints deviation alerts as the recompute raises them.

--host other than 127.0.0.1 (e.g. 0.0.0.0) needs --token (default $NORTHSTAR_TOKEN, at least
16 characters, e.g. from \`openssl rand -hex 24\`): the read API then takes only
"Authorization: Bearer <token>", PutEvents only calls signed with the token as the secret
access key, and the dashboard URL printed at start carries it (#token=...).

Above --max-backlog-entries entries (or --max-backlog-mib MiB of them) waiting for ingest,
PutEvents answers ThrottlingException and senders retry, as EventBridge does under load.`);
  process.exit(0);
}

/** A whole-number flag, or exit with a message that names it: a typo is the operator's to fix, no stack. */
function integerFlag(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    process.exit(2);
  }
  return value;
}
const seed = integerFlag('seed', args.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
const port = integerFlag('port', args.port, 0, 65535);
const maxBacklogEntries = integerFlag('max-backlog-entries', args['max-backlog-entries'], 1, 10_000_000);
const maxBacklogMib = integerFlag('max-backlog-mib', args['max-backlog-mib'], 1, 1_000_000);
const config = await loadConfig(args.config);
const dataDir = args['in-memory'] ? undefined : resolve(args['data-dir']);

function printAlert(event: BusEvent): void {
  const alert = event.detail as DeviationAlert;
  if (alert.target) {
    const { target } = alert;
    console.log(
      `\n${event['detail-type']}: ${alert.metric.title} (${alert.period}): ${target.current ?? '-'} now, target ${target.value} by ${target.by}, projected ${target.projection === null ? '-' : target.projection.toFixed(2)} -> ${alert.owner.name} <${alert.owner.contact}>`,
    );
    return;
  }
  const change = alert.relativeDeviation === null ? '' : ` (${(alert.relativeDeviation * 100).toFixed(0)}%)`;
  const likely = alert.cause ? `; likely cause: ${alert.cause}` : '';
  console.log(
    `\n${event['detail-type']}: ${alert.metric.title}, ${alert.grain} ${alert.period}: observed ${alert.observed}, expected ${alert.expected.toFixed(1)}${change} -> ${alert.owner.name} <${alert.owner.contact}>${likely}`,
  );
}

function printDigest(event: BusEvent): void {
  const digest = event.detail as ReviewDigest;
  console.log(
    `\n${digest.subject}: ${digest.metrics.length} metrics -> ${digest.owners.join(', ')}; ${digest.link}`,
  );
}

if (await buildDashboardIfStale()) console.log('Built the dashboard (web/dist).');

// The demo sends history as if it had been sent live: the clock follows the traffic. Once
// the history is in, arrivals and the API read the real clock, even while a drain runs.
const statePath = dataDir ? join(dataDir, 'demo-state.json') : undefined;
async function readSentUntil(): Promise<number | undefined> {
  if (!statePath) return undefined;
  try {
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { seed: number; sentUntil: number };
    return state.seed === seed ? state.sentUntil : undefined;
  } catch {
    return undefined;
  }
}
async function writeSentUntil(sentUntil: number): Promise<void> {
  if (statePath) await writeFile(statePath, JSON.stringify({ seed, sentUntil }));
}

// A restart during the history goes on from where it was: the log's entries that wait are
// ingested at the history's clock, as they would have been (not as expired).
const resumedAt = await readSentUntil();
let now =
  resumedAt === undefined || args['no-demo'] ? Date.now() : Math.min(resumedAt + DAY + 5_000, Date.now());
let live = false;
const runtime = await startRuntime({
  config,
  port,
  host: args.host,
  token: args.token,
  ...(dataDir ? { dataDir } : {}),
  clock: () => (live ? Date.now() : now),
  // The demo's history carries expiry times of its own clock, long past by the real time.
  expireItems: Boolean(args['no-demo']),
  recomputeEveryMs: 0,
  callerRecomputeEveryMs: RECOMPUTE_EVERY_MS,
  maxBacklogEntries,
  maxBacklogBytes: maxBacklogMib * 1024 * 1024,
  onAlert: printAlert,
  onDigest: printDigest,
}).catch((error: unknown) => {
  // A data directory or port that cannot be used is the operator's to fix: say which, no stack.
  console.error((error as Error).message);
  process.exit(1);
});
const apps = eventBridgeClient(runtime.url, args.token);

// Ctrl-C stops within seconds at any point, history included: what waits stays in the
// archive for the next start, which goes on from there.
let stopping = false;
let timer: NodeJS.Timeout | undefined;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write('\nStopping...\n');
  apps.destroy();
  await runtime.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Once stopping, the history or a recompute cut off mid-way is expected to fail: not news.
process.on('uncaughtException', (error) => {
  if (stopping) return;
  console.error(error);
  process.exit(1);
});
console.log(
  `Northstar on ${runtime.url}: dashboard at ${runtime.url}/, read API at ${runtime.url}/api, PutEvents endpoint (the endpoint for @aws-sdk/client-eventbridge); ${dataDir ? `data in ${args['data-dir']}` : 'in memory'}`,
);

/** The runtime's URL; for a wildcard address (0.0.0.0, ::), the addresses it is reached by instead. */
function reachableUrls(url: string): string[] {
  const { hostname, port } = new URL(url);
  if (hostname !== '0.0.0.0' && hostname !== '[::]') return [url];
  const network = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => address.family === 'IPv4' && !address.internal)
    .map((address) => address.address);
  return ['127.0.0.1', ...network].map((address) => `http://${address}:${port}`);
}

if (config.collector) {
  const { writeKeys, writeKeysFile, writeKeysEnv } = config.collector;
  const from = [
    ...(writeKeys ? [`${Object.keys(writeKeys).length} in the configuration`] : []),
    ...(writeKeysFile ? [`the file ${writeKeysFile}`] : []),
    ...(writeKeysEnv ? [`$${writeKeysEnv}`] : []),
  ];
  console.log(
    `Collector (Segment tracking API) at ${runtime.url}/v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen; write keys: ${from.join(', ') || 'none yet'}`,
  );
}

if (args.token !== undefined) {
  // Printed once: the dashboard takes the token from the fragment and drops it from the address.
  const fragment = `#token=${encodeURIComponent(args.token)}`;
  const urls = reachableUrls(runtime.url).map((url) => `  ${url}/${fragment}`);
  console.log(`The read API and PutEvents need the token. Open the dashboard with it:\n${urls.join('\n')}`);
}

/** Sends entries as apps do: PutEvents calls of 10 entries, a few at once. */
async function send(entries: readonly Omit<PutEntry, 'lastAt'>[]): Promise<void> {
  // Calls within PutEvents' limits of 10 entries and 256 KB, packed as the typed client packs them.
  const calls = packCalls(entries);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        const result = await apps.send(
          new PutEventsCommand({
            Entries: call.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
          }),
        );
        if ((result.FailedEntryCount ?? 0) > 0)
          throw new Error(`PutEvents refused ${result.FailedEntryCount} demo entries`);
      }
    }),
  );
}

function progress(label: string, done: number, total: number): void {
  const width = 30;
  const share = done / Math.max(total, 1);
  process.stdout.write(
    `\r${label} [${'#'.repeat(Math.round(share * width))}${'.'.repeat(width - Math.round(share * width))}] ${Math.round(share * 100)}%`,
  );
}

const startedAt = Date.now();
const traffic = demoTraffic({
  seed,
  incident: { day: new Date(startedAt - 10 * DAY).toISOString().slice(0, 10), signupDrop: 0.8 },
});
// History starts at a midnight (UTC), so its first day is a whole day like the others.
let sentUntil = resumedAt ?? Math.floor(startedAt / DAY) * DAY - HISTORY_DAYS * DAY;
const historyFrom = sentUntil;

if (!args['no-demo']) {
  const days = Math.ceil((startedAt - sentUntil) / DAY);
  for (let day = 0; sentUntil < startedAt; day++) {
    const until = Math.min(sentUntil + DAY, startedAt);
    now = until + 5_000;
    await send(batchEntries(traffic.between(sentUntil, until)));
    await runtime.drained();
    // Stopping: the drain returned early; the clock must not move on under ingest still running.
    if (stopping) await new Promise<never>(() => undefined);
    sentUntil = until;
    await writeSentUntil(sentUntil);
    progress(`Sending ${days} days of demo history through PutEvents`, day + 1, days);
  }
  if (days > 0) process.stdout.write('\n');
  now = Date.now();
  await send(
    malformedDemoEntries(seed, now).map((entry) => ({
      Source: entry.source,
      DetailType: entry.detailType,
      Detail: JSON.stringify(entry.detail),
    })),
  );
}

now = Date.now();
live = true;
process.stdout.write('Recomputing the metric tree...');
const first = await runtime.recomputeNow({ since: Math.min(historyFrom, startedAt - HISTORY_DAYS * DAY) });
console.log(` ${first.periods} periods, ${first.rollups} rollups.`);

async function printTree(): Promise<void> {
  const ids = Object.keys(config.metrics);
  const children = (parent: string | undefined) => ids.filter((id) => config.metrics[id]?.parent === parent);
  const format = (value: number | null) =>
    value === null ? '-' : Number.isInteger(value) ? String(value) : value.toFixed(3);
  const lines: string[] = [];
  const walk = async (id: string, depth: number) => {
    const metric = config.metrics[id]!;
    const latest = await runtime.stores.rollups.latestRollups(
      runtime.compiled.defIds[`metric:${id}`]!,
      metric.grain,
      4,
    );
    const values = latest.map(
      (rollup) => `${rollup.period} ${format(rollup.value)}${rollup.status === 'deviating' ? ' (!)' : ''}`,
    );
    lines.push(
      `${'  '.repeat(depth)}${id === config.northStar ? '★ ' : '- '}${metric.title} (${metric.grain}): ${values.join('  ')}`,
    );
    for (const child of children(id)) await walk(child, depth + 1);
  };
  for (const root of children(undefined)) await walk(root, 0);
  console.log(lines.join('\n'));
}
await printTree();
console.log('Sending live traffic every second, recomputing every 10 seconds. Ctrl-C stops.');

let busy = false;
let lastRecompute = Date.now();
timer = setInterval(async () => {
  if (stopping || busy) return;
  busy = true;
  try {
    now = Date.now();
    if (!args['no-demo'] && now > sentUntil) {
      await send(batchEntries(traffic.between(sentUntil, now)));
      sentUntil = now;
      await writeSentUntil(sentUntil);
    }
    if (now - lastRecompute >= RECOMPUTE_EVERY_MS) {
      lastRecompute = now;
      await runtime.recomputeNow();
    }
    const { totals } = runtime;
    process.stdout.write(
      `\rlive ${new Date(now).toISOString().slice(0, 19)}Z  accepted ${totals.accepted}  quarantined ${totals.quarantined}  dead-lettered ${totals.deadLettered}  throttled ${totals.throttled}  alerts ${totals.alerts}  last recompute ${totals.lastRecomputeAt ? new Date(totals.lastRecomputeAt).toISOString().slice(11, 19) : '-'}   `,
    );
  } catch (error) {
    console.error('\nlocal runtime step failed; it runs again in a second:', error);
  } finally {
    busy = false;
  }
}, 1000);
