import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { packCalls } from '../client/pack-entries.js';
import { eventBridgeBody, type PutEntry } from '../local/entries.js';
import { type Runtime, type RuntimeTotals, startRuntime } from '../local/runtime.js';
import { statusTimesDuring } from '../scripts/status-times.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';
import type { ReceivedRecord } from '../shared/use-cases/ingest/ingest-records.js';

/** PutEvents callers at once: more than the 4 of `npm start`, so the endpoint, not the senders, sets the pace. */
export const SENDERS = 8;

/** Entries sent at once, the product events they carry, and the runtime's clock while they arrive. */
export interface EntrySet {
  readonly entries: readonly PutEntry[];
  readonly events: number;
  /** Epoch ms: at most the configuration's lateness after the oldest event. */
  readonly at: number;
}

export interface LocalRuntimeMix {
  readonly label: string;
  /**
   * Sent first to both runtimes, untimed, the way each is measured: a fresh DynamoDB Local
   * runs its first thousands of requests interpreted, and Node compiles each path on first use.
   */
  readonly warmUp: EntrySet;
  /** Timed on both runtimes in turn, so load from elsewhere on the machine falls on both alike. */
  readonly passes: readonly EntrySet[];
}

export interface LocalRuntimeResult {
  readonly label: string;
  /** Events of the timed passes. */
  readonly events: number;
  readonly entries: number;
  readonly calls: number;
  readonly passes: number;
  /** Events counted by ingest (accepted, duplicates, quarantined) over the time from each pass's first PutEvents call until drained. */
  readonly putEventsPerSecond: number;
  readonly putEventsSeconds: number;
  /** The same records handed straight to the ingest handler (`runtime.deliver`) of a second runtime, timed the same way. */
  readonly handlerPerSecond: number;
  readonly handlerSeconds: number;
  /** CPU seconds of this process (endpoint, log, pump, handler) and of DynamoDB Local, over the timed passes. */
  readonly putEventsCpu: CpuSeconds;
  readonly handlerCpu: CpuSeconds;
  /** The lowest and highest ratio of one pass (PutEvents rate / handler rate). */
  readonly passRatios: readonly [number, number];
  /** PutEvents calls the runtime answered ThrottlingException (back-pressure); they were sent again. */
  readonly throttled: number;
  /** `GET /api/status` from a process of its own every 100 ms during the PutEvents passes: ms, sorted. */
  readonly statusTimes: readonly number[];
}

export interface CpuSeconds {
  readonly node: number;
  /** Undefined where `/proc` cannot tell (not Linux). */
  readonly dynamoDbLocal: number | undefined;
}

/** Linux counts process CPU time in ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time of the JVMs (DynamoDB Local) this process started, however deep in its process tree:
 * other load on the machine lengthens wall time far more than it adds CPU time, so these say
 * where the work goes when the rates are noisy.
 */
async function dynamoDbLocalCpuSeconds(): Promise<number | undefined> {
  const stats = new Map<string, { ppid: string; command: string; ticks: number }>();
  try {
    for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) continue;
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(pid, { ppid: fields[1]!, command, ticks: Number(fields[11]) + Number(fields[12]) });
    }
  } catch {
    return undefined;
  }
  const own = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of stats)
      if (own.has(ppid) && !own.has(pid)) {
        own.add(pid);
        grew = true;
      }
  }
  let ticks = 0;
  for (const [pid, { command, ticks: used }] of stats) if (own.has(pid) && command === 'java') ticks += used;
  return ticks / TICKS_PER_SECOND;
}

interface CpuMark {
  readonly node: NodeJS.CpuUsage;
  readonly dynamoDbLocal: number | undefined;
}

const cpuMark = async (): Promise<CpuMark> => ({
  node: process.cpuUsage(),
  dynamoDbLocal: await dynamoDbLocalCpuSeconds(),
});

async function cpuSince(mark: CpuMark): Promise<CpuSeconds> {
  const dynamoDbLocal = await dynamoDbLocalCpuSeconds();
  const node = process.cpuUsage(mark.node);
  return {
    node: (node.user + node.system) / 1e6,
    dynamoDbLocal:
      dynamoDbLocal === undefined || mark.dynamoDbLocal === undefined
        ? undefined
        : dynamoDbLocal - mark.dynamoDbLocal,
  };
}

const addCpu = (a: CpuSeconds, b: CpuSeconds): CpuSeconds => ({
  node: a.node + b.node,
  dynamoDbLocal:
    a.dynamoDbLocal === undefined || b.dynamoDbLocal === undefined
      ? undefined
      : a.dynamoDbLocal + b.dynamoDbLocal,
});

/** A fresh runtime as `npm start` runs it (data directory, recompute off), on a clock the bench sets. */
export interface BenchRuntime {
  readonly runtime: Runtime;
  at: number;
  close(): Promise<void>;
}

export async function startBenchRuntime(config: NorthstarConfig): Promise<BenchRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'northstar-bench-'));
  const bench = { at: 0 } as { at: number };
  const runtime = await startRuntime({
    config,
    port: 0,
    dataDir,
    recomputeEveryMs: 0,
    clock: () => bench.at,
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return Object.assign(bench, {
    runtime,
    async close() {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

const isThrottling = (error: unknown) => (error as Error | undefined)?.name === 'ThrottlingException';

/** Sends every call from `SENDERS` callers, each taking the next call as soon as its last one is answered. */
export async function sendCalls(client: EventBridgeClient, calls: readonly PutEntry[][]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        const command = new PutEventsCommand({
          Entries: call.map(({ Source, DetailType, Detail }) => ({ Source, DetailType, Detail })),
        });
        for (;;) {
          try {
            const result = await client.send(command);
            if ((result.FailedEntryCount ?? 0) > 0)
              throw new Error(`PutEvents refused ${result.FailedEntryCount} of ${call.length} entries`);
            break;
          } catch (error) {
            // The SDK retries throttling itself; once its attempts or retry quota are spent the
            // call goes again, as an app's tracker sends it again.
            if (!isThrottling(error)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      }
    }),
  );
}

/** Queue records of the entries as the runtime's PutEvents hands them on: the bus event's JSON, arrived at `at`. */
function queueRecords(entries: readonly PutEntry[], at: number): ReceivedRecord[] {
  return entries.map((entry) => ({
    messageId: randomUUID(),
    body: eventBridgeBody(entry.Source, entry.DetailType, JSON.parse(entry.Detail), at),
    arrivedAt: at,
  }));
}

/** What ingest counted: every event ends accepted, a duplicate or quarantined. */
const countedOf = (totals: RuntimeTotals) => totals.accepted + totals.duplicates + totals.quarantined;

/**
 * Runs `send` and waits until drained; fails unless ingest counted exactly `events`, every one
 * accepted (the bench's events are all valid and new) and none dead-lettered.
 */
export async function timedIngest(
  { runtime }: BenchRuntime,
  label: string,
  events: number,
  send: () => Promise<void>,
): Promise<{ seconds: number; cpu: CpuSeconds; throttled: number }> {
  const { totals } = runtime;
  const before = { ...totals };
  const cpu = await cpuMark();
  const started = performance.now();
  await send();
  await runtime.drained();
  const seconds = (performance.now() - started) / 1000;
  const used = await cpuSince(cpu);
  const counted = countedOf(totals) - countedOf(before);
  const accepted = totals.accepted - before.accepted;
  const deadLettered = totals.deadLettered - before.deadLettered;
  if (counted !== events || deadLettered !== 0)
    throw new Error(
      `${label}: sent ${events} events, ingest counted ${counted} (${accepted} accepted) and dead-lettered ${deadLettered}`,
    );
  if (accepted !== events)
    throw new Error(
      `${label}: ${events - accepted} of ${events} valid, new events were counted as duplicates or quarantined: the bench's clock or data is wrong`,
    );
  return { seconds, cpu: used, throttled: totals.throttled - before.throttled };
}

interface PassResult {
  readonly putEvents: number;
  readonly handler: number;
  readonly throttled: number;
  readonly cpu: readonly [CpuSeconds, CpuSeconds];
}

/**
 * The sustained ingest rate through the local runtime's PutEvents endpoint (the real
 * EventBridge client, `SENDERS` callers as fast as the endpoint takes the calls, until
 * drained) next to the rate of a second runtime whose ingest handler gets the same records
 * through `runtime.deliver`. Both have a data directory, as `npm start` runs; the passes
 * alternate between them.
 */
export async function localRuntimeRates(
  config: NorthstarConfig,
  mix: LocalRuntimeMix,
): Promise<LocalRuntimeResult> {
  if (mix.passes.length === 0) throw new Error(`${mix.label}: no passes to time`);
  const [viaPutEvents, viaHandler] = await Promise.all([
    startBenchRuntime(config),
    startBenchRuntime(config),
  ]);
  const client = eventBridgeClient(viaPutEvents.runtime.url);
  const statusTimes: number[] = [];
  const putEventsPass = async (set: EntrySet, label: string) => {
    viaPutEvents.at = set.at;
    const calls = packCalls(set.entries);
    const [result, times] = await statusTimesDuring(viaPutEvents.runtime.url, () =>
      timedIngest(viaPutEvents, `${mix.label}, ${label} through PutEvents`, set.events, () =>
        sendCalls(client, calls),
      ),
    );
    statusTimes.push(...times);
    return result;
  };
  const handlerPass = (set: EntrySet, label: string) => {
    viaHandler.at = set.at;
    const records = queueRecords(set.entries, set.at);
    return timedIngest(viaHandler, `${mix.label}, ${label} to the handler`, set.events, () =>
      viaHandler.runtime.deliver(records),
    );
  };
  try {
    await putEventsPass(mix.warmUp, 'warm-up');
    await handlerPass(mix.warmUp, 'warm-up');
    const passes: PassResult[] = [];
    for (const [index, set] of mix.passes.entries()) {
      const label = `pass ${index + 1}`;
      // Each goes first in every other pass, so a slower or faster stretch of the machine is shared.
      const putEvents = index % 2 === 0 ? await putEventsPass(set, label) : undefined;
      const handler = await handlerPass(set, label);
      const measured = putEvents ?? (await putEventsPass(set, label));
      passes.push({
        putEvents: measured.seconds,
        handler: handler.seconds,
        throttled: measured.throttled,
        cpu: [measured.cpu, handler.cpu],
      });
    }
    const events = mix.passes.reduce((sum, set) => sum + set.events, 0);
    const putEventsSeconds = passes.reduce((sum, pass) => sum + pass.putEvents, 0);
    const handlerSeconds = passes.reduce((sum, pass) => sum + pass.handler, 0);
    const ratios = passes.map((pass) => pass.handler / pass.putEvents);
    return {
      label: mix.label,
      events,
      entries: mix.passes.reduce((sum, set) => sum + set.entries.length, 0),
      calls: mix.passes.reduce((sum, set) => sum + packCalls(set.entries).length, 0),
      passes: passes.length,
      putEventsPerSecond: events / putEventsSeconds,
      putEventsSeconds,
      handlerPerSecond: events / handlerSeconds,
      handlerSeconds,
      putEventsCpu: passes.map((pass) => pass.cpu[0]).reduce(addCpu),
      handlerCpu: passes.map((pass) => pass.cpu[1]).reduce(addCpu),
      passRatios: [Math.min(...ratios), Math.max(...ratios)],
      throttled: passes.reduce((sum, pass) => sum + pass.throttled, 0),
      statusTimes: statusTimes.sort((a, b) => a - b),
    };
  } finally {
    client.destroy();
    await Promise.all([viaPutEvents.close(), viaHandler.close()]);
  }
}
