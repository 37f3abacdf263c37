import { readFile, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { packBatchEntries } from '../client/pack-entries.js';
import demo from '../config/demo.config.js';
import { type DemoEvent, demoTraffic } from '../local/demo-traffic.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { batchEntries, eventBridgeBody, type PutEntry, packEntries } from '../local/entries.js';
import { parseConfig } from '../shared/domain/config/validate.js';
import { compileConfig } from '../shared/domain/engine/compiled-config.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';
import { alertQualitySection } from './alert-quality.js';
import { backfillCostLines, backfillCostPerMillion, backfillRate, partitionMsPerEvent } from './backfill.js';
import { collectorSection } from './collector-section.js';
import { costPerMillion, LAMBDA_MEMORY_GB, PRICES } from './cost.js';
import { ingestMix, type MixResult } from './ingest-mix.js';
import { endToEndLatency } from './latency.js';
import { type EntrySet, type LocalRuntimeResult, localRuntimeRates, SENDERS } from './local-runtime.js';
import { CALLERS, rawRates } from './raw-rates.js';
import { recomputeAtScale } from './recompute-scale.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.removeAllListeners('warning');

/** `npm run bench -- local-runtime latency` runs only those sections; no names runs them all. */
const SECTIONS = [
  'ingest',
  'recompute',
  'latency',
  'local-runtime',
  'backfill',
  'collector',
  'alerts',
] as const;
type Section = (typeof SECTIONS)[number];
const isSection = (name: string): name is Section => (SECTIONS as readonly string[]).includes(name);
const unknownSections = process.argv.slice(2).filter((name) => !isSection(name));
if (unknownSections.length > 0)
  throw new Error(
    `Unknown bench section ${unknownSections.join(', ')}; the sections are ${SECTIONS.join(', ')}`,
  );
const asked = process.argv.slice(2).filter(isSection);
const selected: ReadonlySet<Section> = new Set(asked.length > 0 ? asked : SECTIONS);
const everySection = selected.size === SECTIONS.length;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Smaller runs while developing: `BENCH_DAYS=2 npm run bench`. */
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const RECOMPUTE_EVENTS = Number(process.env.BENCH_RECOMPUTE_EVENTS ?? 10_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
/** The local-runtime section: one day sent untimed, then passes of a few days each, timed. */
const LOCAL_PASSES = Number(process.env.BENCH_LOCAL_PASSES ?? 3);
const LOCAL_PASS_DAYS: number = 2;
const config = parseConfig(demo);
const compiled = compileConfig(config);
/** The demo without its breakdowns: what the splits cost is the difference. */
const unsplit = parseConfig({
  ...demo,
  breakdowns: {},
  metrics: Object.fromEntries(
    Object.entries(demo.metrics).map(([id, metric]) => {
      const { breakdowns: _split, ...rest } = metric as typeof metric & { breakdowns?: unknown };
      return [id, rest];
    }),
  ),
});

const from = Date.parse('2026-11-02T00:00:00Z');
const traffic = demoTraffic({ seed: 1 });
const events = traffic.between(from, from + DAYS * DAY);

function byHour(list: readonly DemoEvent[]): DemoEvent[][] {
  const groups = new Map<number, DemoEvent[]>();
  for (const event of list) {
    const hour = Math.floor(Date.parse(event.occurredAt) / HOUR);
    groups.set(hour, [...(groups.get(hour) ?? []), event]);
  }
  return [...groups.values()];
}

/** A busy app's typed client on a server: entries of many users, filled to 64 KB, per app, in time order. */
function serverPackedEntries(list: readonly DemoEvent[]): PutEntry[] {
  return [...new Set(list.map((event) => event.source))]
    .flatMap((source) => {
      const own = list.filter((event) => event.source === source);
      const packed = packBatchEntries(
        source,
        own.map(({ source: _source, ...event }) => event),
      ).entries;
      let next = 0;
      return packed.map(({ Source, DetailType, Detail, events: count }) => {
        next += count;
        return { Source, DetailType, Detail, lastAt: Date.parse(own[next - 1]!.occurredAt) };
      });
    })
    .sort((a, b) => a.lastAt - b.lastAt);
}

/** A device's typed client: one batch entry per app and user, each user's events of an hour. */
const perUserRecords = byHour(events).flatMap((hourEvents) => packEntries(hourEvents));
const fullEntryRecords: ReceivedRecord[] = serverPackedEntries(events).map((entry, index) => ({
  messageId: `${entry.Source}-${index}`,
  body: eventBridgeBody(entry.Source, entry.DetailType, JSON.parse(entry.Detail), entry.lastAt),
  arrivedAt: entry.lastAt + 2_000,
}));
const singleRecords: ReceivedRecord[] = events.map((event, index) => {
  const { source, name, ...detail } = event;
  const at = Date.parse(event.occurredAt);
  return {
    messageId: `single-${index}`,
    body: eventBridgeBody(source, name, detail, at),
    arrivedAt: at + 2_000,
  };
});

const started = performance.now();
/** Other work on the machine slows every rate: the machine line reports it. */
const loadAtStart = loadavg()[0]!;
const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const money = (value: number) => `$${value.toFixed(3)}`;
console.log(
  `Northstar benchmark (${[...selected].join(', ')}): ${events.length} demo events (${DAYS} days), DynamoDB Local in memory, ${cpus().length} cores`,
);

let dynamo: DynamoDbLocal | undefined;
const setup = async (tableName: string, of = config) => {
  dynamo ??= await startDynamoDbLocal();
  return {
    config: of,
    compiled: of === config ? compiled : compileConfig(of),
    endpoint: dynamo.endpoint,
    tableName,
  };
};

async function ingestSection(): Promise<string[]> {
  const raw = await rawRates((await setup('bench-raw')).endpoint, 'bench-raw');
  console.log(`raw rates done (${elapsed()})`);
  const mixes: [string, ReceivedRecord[], number, typeof config?][] = [
    ['batch entries per user and hour, SQS batches of 10', perUserRecords, 10],
    ['batch entries per user and hour, SQS batches of 100', perUserRecords, 100],
    ['batch entries filled to 64 KB per app, SQS batches of 10', fullEntryRecords, 10],
    ['single-event entries, SQS batches of 10', singleRecords, 10],
    ['single-event entries, SQS batches of 100', singleRecords, 100],
    ['without breakdowns: batch entries per user and hour, SQS batches of 10', perUserRecords, 10, unsplit],
    ['without breakdowns: batch entries per user and hour, SQS batches of 100', perUserRecords, 100, unsplit],
  ];
  const results: MixResult[] = [];
  for (const [index, [label, records, batchSize, of]] of mixes.entries()) {
    results.push(
      await ingestMix(await setup(`bench-mix-${index}`, of), label, records, events.length, batchSize),
    );
    console.log(`${label} done (${elapsed()})`);
  }
  const allowed = (mix: MixResult) => raw.conditionalPutsPerSecond / mix.writeCallsPerEvent;
  return [
    '## Ingest rate',
    '',
    `Raw DynamoDB Local, ${CALLERS} callers: conditional PutItem ${fixed(raw.conditionalPutsPerSecond, 0)} items/s; BatchWriteItem ${fixed(raw.batchWriteItemsPerSecond, 0)} items/s.`,
    '',
    '| how apps send, SQS batch | entries | events/s | vs raw conditional puts | items written per event | events/s the raw puts allow | ingest vs allowed | vs raw batch-write items |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.entries} | ${fixed(r.eventsPerSecond, 0)} | ${fixed(r.eventsPerSecond / raw.conditionalPutsPerSecond)}x | ${fixed(r.writeCallsPerEvent, 3)} | ${fixed(allowed(r), 0)} | ${fixed(r.eventsPerSecond / allowed(r))}x | ${fixed(r.eventsPerSecond / raw.batchWriteItemsPerSecond)}x |`,
    ),
    '',
    '## DynamoDB units per event',
    '',
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
    '',
    '## Cost per million events',
    '',
    `AWS list prices, us-east-1, as of ${PRICES.date}: EventBridge custom events $${PRICES.eventBridgePerMillionEntries.toFixed(2)} per million entries (per 64 KB); SQS standard $${PRICES.sqsPerMillionRequests.toFixed(2)} per million requests (per 64 KB); Lambda arm64 $${PRICES.lambdaArmPerGbSecond} per GB-second and $${PRICES.lambdaPerMillionRequests.toFixed(2)} per million requests, at ${LAMBDA_MEMORY_GB * 1024} MB; DynamoDB on-demand $${PRICES.dynamoPerMillionWriteUnits} per million write request units and $${PRICES.dynamoPerMillionReadUnits} per million read request units (prices since November 2024).`,
    '',
    '| how apps send, SQS batch | events/entry | invocations | handler ms/invocation | EventBridge | SQS | Lambda | DynamoDB | total per million events |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => {
      const cost = costPerMillion(r);
      return `| ${r.label} | ${fixed(r.events / r.entries, 1)} | ${r.invocations} | ${fixed(r.handlerMs, 1)} | ${money(cost.eventBridge)} | ${money(cost.sqs)} | ${money(cost.lambda)} | ${money(cost.dynamoDb)} | **${money(cost.total)}** |`;
    }),
  ];
}

// Recompute: RECOMPUTE_EVENTS events ingested once, then the same tables at 10x and 100x.
async function recomputeSection(): Promise<string[]> {
  const recomputeEvents = events.slice(0, RECOMPUTE_EVENTS);
  const recomputeRecords = byHour(recomputeEvents).flatMap((hourEvents) => packEntries(hourEvents));
  const source = await setup('bench-recompute');
  await ingestMix(source, 'recompute source', recomputeRecords, recomputeEvents.length, 100);
  const recomputeTo = Math.floor(Date.parse(recomputeEvents.at(-1)!.occurredAt) / DAY + 1) * DAY + 2 * HOUR;
  const recomputes = await recomputeAtScale(
    source.endpoint,
    config,
    compiled,
    'bench-recompute',
    recomputeEvents.length,
    [1, 10, 100],
    recomputeTo,
    from,
  );
  console.log(`recompute done (${elapsed()})`);
  return [
    '## Recompute at growing event counts, same dirty periods',
    '',
    '| events | dirty and settled periods | DynamoDB calls | seconds | vs 10x fewer events |',
    '|---|---|---|---|---|',
    ...recomputes.map(
      (r, index) =>
        `| ${r.events.toLocaleString('en-US')} | ${r.periods} | ${r.calls} | ${fixed(r.seconds, 1)} | ${index === 0 ? '-' : `${fixed(r.seconds / recomputes[index - 1]!.seconds)}x`} |`,
    ),
  ];
}

async function latencySection(): Promise<string[]> {
  const latency = await endToEndLatency(config, LATENCY_SAMPLES);
  console.log(`latency done (${elapsed()})`);
  return [
    '## End-to-end latency',
    '',
    `PutEvents to the number in the read API (\`/api/journey\`), ${latency.samples} events one at a time through the local runtime: p50 ${fixed(latency.p50Ms, 0)} ms, p99 ${fixed(latency.p99Ms, 0)} ms.`,
  ];
}

/** Days of traffic packed day by day, sent at once, the clock a minute after the last day. */
function localEntries(start: number, days: number, pack: (list: DemoEvent[]) => PutEntry[]): EntrySet {
  const end = start + days * DAY;
  if (end + MINUTE - start > compiled.maxLatenessMs)
    throw new Error(
      `${days} days sent at once: events older than ${config.maxLateness} would be quarantined`,
    );
  const entries: PutEntry[] = [];
  let count = 0;
  for (let day = start; day < end; day += DAY) {
    const list = traffic.between(day, day + DAY);
    count += list.length;
    entries.push(...pack(list));
  }
  return { entries, events: count, at: end + MINUTE };
}

const cpuPair = (putEvents: number | undefined, handler: number | undefined) =>
  putEvents === undefined || handler === undefined ? '-' : `${fixed(putEvents, 1)} / ${fixed(handler, 1)}`;

/** The handler's CPU seconds over those through PutEvents, both processes: the ratio the work alone gives. */
function cpuRatio({ putEventsCpu, handlerCpu }: LocalRuntimeResult): string {
  if (putEventsCpu.dynamoDbLocal === undefined || handlerCpu.dynamoDbLocal === undefined) return '-';
  const ratio =
    (handlerCpu.node + handlerCpu.dynamoDbLocal) / (putEventsCpu.node + putEventsCpu.dynamoDbLocal);
  return `${fixed(ratio)}x`;
}

/** Median, 95th percentile and slowest of sorted read times; a failed read (-1) is said. */
function statusSummary(sorted: readonly number[]): string {
  const answered = sorted.filter((time) => time >= 0);
  if (answered.length === 0) return 'none answered';
  const at = (share: number) =>
    fixed(answered[Math.min(answered.length - 1, Math.floor(answered.length * share))]!, 0);
  const failed = sorted.length - answered.length;
  return `${at(0.5)} / ${at(0.95)} / ${fixed(answered.at(-1)!, 0)} (${answered.length} reads${failed > 0 ? `, ${failed} failed` : ''})`;
}

async function localRuntimeSection(): Promise<string[]> {
  if (!(Number.isInteger(LOCAL_PASSES) && LOCAL_PASSES >= 1))
    throw new Error(`BENCH_LOCAL_PASSES must be a whole number of at least 1, got ${LOCAL_PASSES}`);
  const mixes = [
    { label: 'demo mix: batch entries per user and day, as `npm start` sends', pack: batchEntries },
    { label: 'batch entries filled to 64 KB per app, many users each', pack: serverPackedEntries },
  ];
  const results: LocalRuntimeResult[] = [];
  for (const { label, pack } of mixes) {
    results.push(
      await localRuntimeRates(config, {
        label,
        warmUp: localEntries(from, 1, pack),
        passes: Array.from({ length: LOCAL_PASSES }, (_, pass) =>
          localEntries(from + (1 + pass * LOCAL_PASS_DAYS) * DAY, LOCAL_PASS_DAYS, pack),
        ),
      }),
    );
    console.log(`local runtime, ${label} done (${elapsed()})`);
  }
  const measured = results[0];
  return [
    '## Local runtime: PutEvents endpoint vs the ingest handler',
    '',
    `${measured?.events ?? 0} events of the demo product (seed 1, ${LOCAL_PASSES} passes of ${LOCAL_PASS_DAYS === 1 ? 'a day' : `${LOCAL_PASS_DAYS} days`} each, after one day untimed), each pass sent at once by ${SENDERS} callers with \`@aws-sdk/client-eventbridge\` to a local runtime with a data directory (as \`npm start\`) and timed from the first call until \`drained()\`; the handler: the same records handed to a second runtime's ingest handler (\`runtime.deliver\`), timed the same way, the two runtimes in turn. CPU seconds over the timed passes: this process (endpoint, log, pump, handler) and the DynamoDB Local JVMs; other load on the machine stretches the times far more than the CPU seconds, so their ratio says what the work alone would give. How it is measured and why: [docs/benchmarks.md](../docs/benchmarks.md#local-runtime-putevents-endpoint-vs-the-ingest-handler).`,
    '',
    '| how apps send | events | entries | PutEvents calls | PutEvents events/s (s) | handler events/s (s) | PutEvents vs handler | passes, lowest-highest | throttled calls | CPU s of Node, PutEvents / handler | CPU s of DynamoDB Local, PutEvents / handler | PutEvents vs handler, by CPU s | status reads during the passes: median / 95th / slowest ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.events} | ${r.entries} | ${r.calls} | ${fixed(r.putEventsPerSecond, 0)} (${fixed(r.putEventsSeconds, 1)}) | ${fixed(r.handlerPerSecond, 0)} (${fixed(r.handlerSeconds, 1)}) | **${fixed(r.putEventsPerSecond / r.handlerPerSecond)}x** | ${fixed(r.passRatios[0])}-${fixed(r.passRatios[1])}x | ${r.throttled} | ${cpuPair(r.putEventsCpu.node, r.handlerCpu.node)} | ${cpuPair(r.putEventsCpu.dynamoDbLocal, r.handlerCpu.dynamoDbLocal)} | ${cpuRatio(r)} | ${statusSummary(r.statusTimes)} |`,
    ),
  ];
}

/** The same demo configuration with one filter changed: a backfill of that metric and the ratio over it. */
const redefined = parseConfig({
  ...demo,
  metrics: {
    ...demo.metrics,
    weekly_visitors: { ...demo.metrics.weekly_visitors, where: { channel: 'paid' } },
  },
});

async function backfillSection(): Promise<string[]> {
  // The last two days: inside the lateness limit of the clock the runtime is given.
  const recent = traffic.between(from + (DAYS - 2) * DAY, from + DAYS * DAY);
  const entries = serverPackedEntries(recent);
  const result = await backfillRate(config, redefined, entries, recent.length, from + DAYS * DAY + MINUTE);
  console.log(`backfill done (${elapsed()})`);
  const live = result.events / result.liveSeconds;
  const backfill = result.events / result.backfillSeconds;
  const costInputs = {
    eventsPerEntry: result.events / entries.length,
    bytesPerEvent: entries.reduce((sum, entry) => sum + entry.Detail.length + 200, 0) / result.events,
    partitionMsPerEvent: await partitionMsPerEvent(entries, result.events, from + DAYS * DAY),
    workerMsPerEvent: (1000 * result.backfillSeconds) / result.events,
    liveMsPerEvent: (1000 * result.liveSeconds) / result.events,
  };
  const cost = backfillCostPerMillion(costInputs);
  return [
    '## Backfill of a changed definition',
    '',
    `${result.events} demo events (two days) in ${entries.length} server-packed entries, through PutEvents into a local runtime with a data directory; then a restart with one definition changed and its backfill from the archive, from the restarted runtime's start until it is shown.`,
    '',
    '| live ingest events/s | backfill events/s | backfill vs live |',
    '|---|---|---|',
    `| ${fixed(live, 0)} | ${fixed(backfill, 0)} | ${fixed(backfill / live)}x |`,
    ...backfillCostLines(cost, costInputs),
  ];
}

const runners: Record<Section, () => Promise<string[]>> = {
  ingest: ingestSection,
  recompute: recomputeSection,
  latency: latencySection,
  'local-runtime': localRuntimeSection,
  backfill: backfillSection,
  collector: () => collectorSection({ demo, traffic, from, serverPackedEntries, setup, elapsed }),
  alerts: alertQualitySection,
};
const reports = new Map<Section, string[]>();
try {
  for (const section of SECTIONS.filter((name) => selected.has(name))) {
    // The runtimes start their own DynamoDB Local: the in-memory one of the sections before stops first.
    if (
      section === 'latency' ||
      section === 'local-runtime' ||
      section === 'backfill' ||
      section === 'collector'
    ) {
      await dynamo?.stop();
      dynamo = undefined;
    }
    reports.set(section, await runners[section]());
  }
} finally {
  await dynamo?.stop();
}
const report = SECTIONS.flatMap((section) => {
  const lines = reports.get(section);
  return lines ? [`<!-- bench:${section} -->`, ...lines, `<!-- /bench:${section} -->`, ''] : [];
});
console.log(report.join('\n'));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB memory (${Math.round(freemem() / 2 ** 30)} GiB free), Node.js ${process.version}, ${process.platform}, load average ${fixed(loadAtStart, 1)} at the start and ${fixed(loadavg()[0]!, 1)} at the end`;
const when = `${new Date().toISOString().slice(0, 16)}Z`;
const REPRODUCE = 'Reproduce: `npm ci && npm run bench` (Java 17+ for DynamoDB Local).';

/** RESULTS.md with the sections of this run in place of their earlier figures, each saying which run it is from. */
async function withSectionsReplaced(): Promise<string> {
  let text = await readFile('bench/RESULTS.md', 'utf8');
  for (const [section, lines] of reports) {
    const block = [
      `<!-- bench:${section} -->`,
      lines[0]!,
      '',
      `Measured by \`npm run bench -- ${section}\` at ${when} on ${machine} (that run took ${elapsed()}), apart from the full run above.`,
      ...lines.slice(1),
      `<!-- /bench:${section} -->`,
    ].join('\n');
    const begin = text.indexOf(`<!-- bench:${section} -->`);
    const endMark = `<!-- /bench:${section} -->`;
    const end = text.indexOf(endMark);
    if (begin >= 0 && end > begin) text = text.slice(0, begin) + block + text.slice(end + endMark.length);
    else if (text.includes(REPRODUCE)) text = text.replace(REPRODUCE, `${block}\n\n${REPRODUCE}`);
    else text = `${text.trimEnd()}\n\n${block}\n`;
  }
  return text;
}

await writeFile(
  'bench/RESULTS.md',
  everySection
    ? `# Benchmark results

Latest run of \`npm run bench\`: ${when} on ${machine}; the run took ${elapsed()}.
Every figure comes from the same run on the same machine, unless its section says it was
measured by a run of that section alone (\`npm run bench -- <section>\`). Rates are compared
with references measured in that run; absolute rates depend on the machine.

Workload: ${events.length} events of the demo product over ${DAYS} days (seed 1), ingested by the
real ingest handler on DynamoDB Local (in memory), 4 invocations at once, in five ways of sending;
the local-runtime section sends the first ${1 + LOCAL_PASSES * LOCAL_PASS_DAYS} days of the same demo traffic (from the same start) through the local runtime.
How the figures are taken and the lower bound derived: [docs/benchmarks.md](../docs/benchmarks.md).

${report.join('\n')}
${REPRODUCE}
`
    : await withSectionsReplaced(),
);
console.log('Wrote bench/RESULTS.md');
