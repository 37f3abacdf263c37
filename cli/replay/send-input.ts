import { createReadStream } from 'node:fs';
import { basename, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  MAX_CALL_BYTES,
  type PackedEntry,
  packBatchEntries,
  packCalls,
  packSingleEntries,
} from '../../client/pack-entries.js';
import { type CallOutcome, putEntries } from '../../client/put-events.js';
import { type CliIo, printable } from '../io.js';
import { ProgressBar } from '../progress.js';
import { busClient } from '../targets.js';
import {
  addRange,
  type Checkpoint,
  isConfirmed,
  type ReplayCounters,
  writeCheckpoint,
  zeroCounters,
} from './checkpoint.js';
import { type LineContent, parseLine, type SourcedEvent } from './input-lines.js';
import type { ReplayOptions } from './options.js';

const SEGMENT_BYTES = MAX_CALL_BYTES - 16 * 1024;
/** Problems a checkpoint keeps, the first ones; the counters still count every one. */
export const MAX_PROBLEMS = 1000;
const SHOWN_PROBLEMS = 50;

/** How a replay ended; its counters are in the checkpoint. */
export interface ReplayOutcome {
  /** Why it stopped before the end: PutEvents kept failing. */
  readonly failure: string | undefined;
  /** Stopped by Ctrl-C (the io's signal). */
  readonly interrupted: boolean;
  /** It carried on from an earlier run's checkpoint. */
  readonly resumed: boolean;
}

/** Consecutive lines of one file and what they hold; confirmed as a whole. */
interface Segment {
  readonly file: number;
  readonly from: number;
  to: number;
  bytes: number;
  eventBytes: number;
  readonly events: SourcedEvent[];
  readonly counters: ReplayCounters;
  readonly problems: string[];
}

/**
 * What identifies an event, as the pipeline de-duplicates it (SEMANTICS.md section 1): its
 * source, user and eventId. The same eventId under two users is two events, both sent.
 */
const identityOf = ({ source, event }: SourcedEvent): string =>
  `${source}\u0000${event.userId}\u0000${event.eventId}`;

function add(into: ReplayCounters, from: ReplayCounters): void {
  for (const key of Object.keys(into) as (keyof ReplayCounters)[]) into[key] += from[key];
}

function packSegment(
  events: readonly SourcedEvent[],
  single: boolean,
): { entries: PackedEntry[]; oversized: number } {
  // Per source, in input order: an entry carries one source.
  const bySource = new Map<string, SourcedEvent['event'][]>();
  for (const { source, event } of events) {
    const list = bySource.get(source) ?? [];
    list.push(event);
    bySource.set(source, list);
  }
  const entries: PackedEntry[] = [];
  let oversized = 0;
  for (const [source, list] of bySource) {
    const packed = (single ? packSingleEntries : packBatchEntries)(source, list);
    entries.push(...packed.entries);
    oversized += packed.oversized.length;
  }
  return { entries, oversized };
}

function newSegment(file: number, line: number): Segment {
  return {
    file,
    from: line,
    to: line,
    bytes: 0,
    eventBytes: 0,
    events: [],
    counters: zeroCounters(),
    problems: [],
  };
}

/**
 * Saves snapshots of the checkpoint one after the other, so an older one never overwrites a
 * newer one; `written` waits for the last, its failure aside.
 */
function checkpointWriter(file: string, state: Checkpoint) {
  let writing: Promise<void> = Promise.resolve();
  return {
    save(): Promise<void> {
      // A deep copy: later segments add to the live counters before this snapshot is written.
      const snapshot = structuredClone({ ...state, updatedAt: new Date().toISOString() });
      writing = writing.then(() => writeCheckpoint(file, snapshot));
      return writing;
    },
    written: (): Promise<void> => writing.catch(() => undefined),
  };
}

/**
 * Prints a problem on stderr, the first 50 only: the summary and the checkpoint keep them. A
 * problem quotes its input (a file name, an event name, a bad line), so its control
 * characters are printed as escapes.
 */
function problemReporter(io: CliIo, progress: ProgressBar): (problem: string) => void {
  let shown = 0;
  return function report(problem: string): void {
    if (shown++ < SHOWN_PROBLEMS) {
      progress.finish();
      io.stderr.write(`${printable(problem)}\n`);
    } else if (shown === SHOWN_PROBLEMS + 1)
      io.stderr.write('... more problems: see the summary (--json lists them all)\n');
  };
}

/** A line's events, those the tracking plan (when given) refuses moved to its problems. */
function classify(text: string, options: ReplayOptions): LineContent {
  const content = parseLine(text, options.source);
  const { schemas } = options;
  if (!schemas) return content;
  const kept: SourcedEvent[] = [];
  for (const sourced of content.events) {
    const schema = schemas.get(sourced.event.name);
    const parsed = schema?.safeParse(sourced.event);
    if (!schema) content.problems.push(`event "${sourced.event.name}" is not in the tracking plan`);
    else if (!parsed?.success) {
      const issue = parsed?.error.issues[0];
      content.problems.push(
        `${sourced.event.name}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    } else kept.push(sourced);
  }
  return { ...content, events: kept };
}

/**
 * Reads the input line by line, cuts it into segments of about one PutEvents call, sends up to
 * `concurrency` of them at a time and confirms each in the checkpoint once PutEvents answered
 * for all its entries. Lines the checkpoint already confirms are not sent again. Mutates and
 * saves `state`, last with `done` set when every line was sent.
 */
/** Sends one call's entries somewhere other than PutEvents (a history import on AWS goes to the read API). */
export type PutCall = (call: PackedEntry[]) => Promise<CallOutcome<PackedEntry>>;

export async function sendInput(
  options: ReplayOptions,
  state: Checkpoint,
  resumed: boolean,
  io: CliIo,
  putCall?: PutCall,
): Promise<ReplayOutcome> {
  const { files, single, eventsPerCall, concurrency, maxAttempts, target } = options;
  const resumedFrom = resumed ? state.counters.accepted : undefined;

  const checkpoint = checkpointWriter(options.checkpointFile, state);
  const client: EventBridgeClient | undefined = putCall ? undefined : busClient(target);
  const put: PutCall =
    putCall ?? ((call) => putEntries(client!, call, { eventBusName: target.bus, retry: { maxAttempts } }));
  const progress = new ProgressBar(io, 'replay', options.progress);
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  let doneBytes = 0;
  let skippedBytes = 0;
  let failure: string | undefined;
  const inFlight = new Set<Promise<void>>();
  const seen = new Set<string>();
  const report = problemReporter(io, progress);

  const stopped = () => failure !== undefined || io.signal?.aborted === true;

  async function send(segment: Segment): Promise<void> {
    const { entries, oversized } = packSegment(segment.events, single);
    if (oversized > 0) {
      segment.counters.rejected += oversized;
      segment.problems.push(
        `${oversized} events of lines ${segment.from}-${segment.to} are larger than one entry`,
      );
    }
    for (const call of packCalls(entries)) {
      const outcome = await put(call);
      segment.counters.calls += outcome.attempts;
      segment.counters.entries += outcome.accepted.length;
      segment.counters.accepted += outcome.accepted.reduce((sum, entry) => sum + entry.events, 0);
      if (outcome.rejected.length > 0) {
        const first = outcome.rejected[0]!;
        segment.counters.rejected += outcome.rejected.reduce((sum, { entry }) => sum + entry.events, 0);
        segment.problems.push(
          `${relative(io.cwd, files[segment.file]!.path)}:${segment.from}-${segment.to}: PutEvents refused ${outcome.rejected.length} entries: ${first.errorCode} ${first.message}`,
        );
      }
      if (outcome.exhausted.length > 0) {
        const first = outcome.exhausted[0]!;
        // Printed as the command's error too: the endpoint's message is escaped like input.
        failure ??= printable(
          `PutEvents kept failing after ${maxAttempts} attempts (${first.errorCode}: ${first.message})`,
        );
        return; // not confirmed: a resumed replay sends these lines again
      }
    }
    for (const problem of segment.problems.filter(
      (one) => one.includes('PutEvents refused') || one.includes('larger than'),
    ))
      report(problem);
    state.confirmed = addRange(state.confirmed, { file: segment.file, from: segment.from, to: segment.to });
    add(state.counters, segment.counters);
    state.problems.push(...segment.problems.slice(0, Math.max(0, MAX_PROBLEMS - state.problems.length)));
    doneBytes += segment.bytes;
    progress.update(doneBytes, totalBytes, state.counters.accepted - (resumedFrom ?? 0), skippedBytes);
    await checkpoint.save();
  }

  async function dispatch(segment: Segment | undefined): Promise<void> {
    if (!segment) return;
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    // Stopped while waiting: these lines stay unconfirmed for the resumed run.
    if (stopped()) return;
    const sending: Promise<void> = send(segment).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }

  try {
    reading: for (const [fileIndex, file] of files.entries()) {
      const name = relative(io.cwd, file.path) || basename(file.path);
      let segment: Segment | undefined;
      let line = 0;
      const lines = createInterface({
        input: createReadStream(file.path),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      try {
        for await (const text of lines) {
          line++;
          const bytes = Buffer.byteLength(text) + 1;
          if (isConfirmed(state.confirmed, fileIndex, line)) {
            // Sent before: only remember its events, so later duplicates are still found.
            await dispatch(segment);
            segment = undefined;
            doneBytes += bytes;
            skippedBytes += bytes;
            if (text.trim() !== '')
              for (const { source, event } of classify(text, options).events)
                seen.add(identityOf({ source, event }));
            continue;
          }
          if (stopped()) break reading;
          segment ??= newSegment(fileIndex, line);
          segment.to = line;
          segment.bytes += bytes;
          segment.counters.lines++;
          if (text.trim() === '') continue;
          const content = classify(text, options);
          segment.counters.skipped += content.skipped;
          for (const problem of content.problems) {
            segment.counters.invalid++;
            segment.problems.push(`${name}:${line}: ${problem}`);
            report(`${name}:${line}: ${problem}`);
          }
          for (const sourced of content.events) {
            const key = identityOf(sourced);
            if (seen.has(key)) {
              segment.counters.duplicates++;
              continue;
            }
            seen.add(key);
            segment.counters.events++;
            segment.events.push(sourced);
            segment.eventBytes += bytes / Math.max(content.events.length, 1);
          }
          const full = single ? segment.events.length >= 10 : segment.eventBytes >= SEGMENT_BYTES;
          if (full || (eventsPerCall !== undefined && segment.events.length >= eventsPerCall)) {
            await dispatch(segment);
            segment = undefined;
          }
        }
        if (!stopped()) await dispatch(segment);
      } finally {
        lines.close();
      }
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    await checkpoint.written();
    client?.destroy();
    progress.update(doneBytes, totalBytes, state.counters.accepted - (resumedFrom ?? 0), skippedBytes, true);
    progress.finish();
  }

  const interrupted = failure === undefined && io.signal?.aborted === true;
  state.done = !failure && !interrupted;
  await checkpoint.save();
  return { failure, interrupted, resumed };
}
