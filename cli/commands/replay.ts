import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  MAX_CALL_BYTES,
  type PackedEntry,
  packBatchEntries,
  packCalls,
  packSingleEntries,
} from '../../client/pack-entries.js';
import { putEntries } from '../../client/put-events.js';
import { loadConfig } from '../../shared/domain/config/load.js';
import { trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import { integerOption, parseCommand, TARGET_HELP, TARGET_OPTIONS } from '../args.js';
import { type CliIo, CommandError, UsageError } from '../io.js';
import { ProgressBar } from '../progress.js';
import {
  addRange,
  type Checkpoint,
  isConfirmed,
  type ReplayCounters,
  readCheckpoint,
  writeCheckpoint,
  zeroCounters,
} from '../replay/checkpoint.js';
import { type LineContent, parseLine, type SourcedEvent } from '../replay/input-lines.js';
import { busClient, targetOf } from '../targets.js';
import { configPath } from './validate.js';

export const replayHelp = `northstar replay <file.ndjson|dir> [options]

Sends historical events through PutEvents, as apps do, in batch entries of up to 64 KB and
calls of up to 10 entries, with retries. A line is a product event
{ name, eventId, userId, occurredAt, properties?, context?, source? }, or an EventBridge
event as the local runtime archives it (archive.ndjson: single or "Northstar Event Batch";
the pipeline's own events are skipped), or a PutEvents entry { Source, DetailType, Detail }.
A directory replays its *.ndjson and *.jsonl files in name order.

Lines that are not valid are reported with their line number and not sent; an event whose
(source, eventId) came earlier in the input is a duplicate and not sent again. Progress is
saved in a checkpoint after every confirmed call: run the same command again after an
interruption and it resumes without sending confirmed lines again. Events older than the
pipeline's maxLateness are quarantined by it (too_late), as live ones would be.

  --source <name>          source of lines without one (e.g. app.web)
  --config <file>          also check events against this tracking plan before sending
  --checkpoint <file>      default <input>.checkpoint.json
  --restart                ignore an existing checkpoint and send everything again
  --entries batch|single   entry form (default batch)
  --events-per-call <n>    at most n events per PutEvents call (default: as many as fit)
  --concurrency <n>        PutEvents calls in flight (default 4)
  --max-attempts <n>       attempts per entry before giving up (default 8)
  --json                   print the summary as JSON
  --no-progress            no progress bar (it is drawn on a terminal's stderr)

${TARGET_HELP}

Exit code 0 when every event was accepted, 1 when some line was invalid or some event was
refused or PutEvents kept failing (run again to resume), 130 when interrupted.`;

const SEGMENT_BYTES = MAX_CALL_BYTES - 16 * 1024;
const MAX_PROBLEMS = 1000;
const SHOWN_PROBLEMS = 50;

interface InputFile {
  readonly path: string;
  readonly bytes: number;
}

async function inputFiles(input: string): Promise<InputFile[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch {
    throw new UsageError(`no such file or directory: ${input}`);
  }
  if (info.isFile()) return [{ path: input, bytes: info.size }];
  const names = (await readdir(input)).filter((name) => /\.(ndjson|jsonl)$/.test(name)).sort();
  if (names.length === 0) throw new UsageError(`${input} holds no .ndjson or .jsonl files`);
  return Promise.all(
    names.map(async (name) => ({ path: join(input, name), bytes: (await stat(join(input, name))).size })),
  );
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

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

function summaryText(input: string, counters: ReplayCounters, state: string): string {
  const row = (label: string, value: number, note = '') =>
    `  ${label.padEnd(12)}${String(value).padStart(9)}${note ? `  ${note}` : ''}`;
  return [
    `Replay of ${input}: ${state}`,
    row('lines', counters.lines),
    row('events', counters.events, 'valid and new, to send'),
    row('invalid', counters.invalid, 'reported with their line; not sent'),
    row('duplicates', counters.duplicates, 'same source and eventId as earlier in the input; not sent again'),
    row('skipped', counters.skipped, "the pipeline's own events"),
    row(
      'accepted',
      counters.accepted,
      `by PutEvents, in ${plural(counters.entries, 'entry', 'entries')} and ${plural(counters.calls, 'call', 'calls')}`,
    ),
    row('rejected', counters.rejected, 'refused by PutEvents for good'),
  ].join('\n');
}

export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    source: { type: 'string' },
    config: { type: 'string' },
    checkpoint: { type: 'string' },
    restart: { type: 'boolean' },
    entries: { type: 'string' },
    'events-per-call': { type: 'string' },
    concurrency: { type: 'string' },
    'max-attempts': { type: 'string' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${replayHelp}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('replay takes one file or directory');
  if (values.entries !== undefined && values.entries !== 'batch' && values.entries !== 'single')
    throw new UsageError(`--entries must be batch or single, got "${values.entries}"`);
  const single = values.entries === 'single';
  const eventsPerCall = integerOption('events-per-call', values['events-per-call'], 1, 100_000);
  const concurrency = integerOption('concurrency', values.concurrency, 1, 32) ?? 4;
  const maxAttempts = integerOption('max-attempts', values['max-attempts'], 1, 50) ?? 8;
  const target = targetOf(values, io);
  const input = resolve(io.cwd, positionals[0]!);
  const files = await inputFiles(input);
  const checkpointFile = resolve(io.cwd, values.checkpoint ?? `${input.replace(/\/+$/, '')}.checkpoint.json`);
  const schemas = values.config
    ? trackingPlanSchemas(await loadConfig(configPath(values.config, io)))
    : undefined;

  const fingerprint = files.map(({ path, bytes }) => ({
    path: relative(io.cwd, path) || basename(path),
    bytes,
  }));
  const saved = values.restart ? undefined : await readCheckpoint(checkpointFile);
  if (saved && JSON.stringify(saved.input) !== JSON.stringify(fingerprint))
    throw new UsageError(
      `${relative(io.cwd, checkpointFile)} belongs to another input (files or sizes differ): give --restart to send everything again, or another --checkpoint`,
    );
  const label = positionals[0]!;
  if (saved?.done) {
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ state: 'already_done', checkpoint: checkpointFile, ...saved.counters })}\n`
        : `${summaryText(label, saved.counters, 'already replayed (give --restart to send it again)')}\n`,
    );
    return saved.counters.invalid > 0 || saved.counters.rejected > 0 ? 1 : 0;
  }
  const state: Checkpoint = saved ?? {
    version: 1,
    input: fingerprint,
    confirmed: [],
    counters: zeroCounters(),
    problems: [],
    done: false,
    updatedAt: new Date().toISOString(),
  };
  const resumedFrom = saved ? state.counters.accepted : undefined;

  let writing: Promise<void> = Promise.resolve();
  const save = () => {
    // A deep copy: later segments add to the live counters before this snapshot is written.
    const snapshot = structuredClone({ ...state, updatedAt: new Date().toISOString() });
    writing = writing.then(() => writeCheckpoint(checkpointFile, snapshot));
    return writing;
  };

  const client: EventBridgeClient = busClient(target);
  const progress = new ProgressBar(
    io,
    'replay',
    !values['no-progress'] && !values.json && io.stderr.isTTY === true,
  );
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  let doneBytes = 0;
  let skippedBytes = 0;
  let shown = 0;
  let failure: string | undefined;
  const inFlight = new Set<Promise<void>>();
  const seen = new Set<string>();

  const report = (problem: string) => {
    if (shown++ < SHOWN_PROBLEMS) {
      progress.finish();
      io.stderr.write(`${problem}\n`);
    } else if (shown === SHOWN_PROBLEMS + 1)
      io.stderr.write('... more problems: see the summary (--json lists them all)\n');
  };

  const classify = (text: string): LineContent => {
    const content = parseLine(text, values.source);
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
  };

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
      const outcome = await putEntries(client, call, { eventBusName: target.bus, retry: { maxAttempts } });
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
        failure ??= `PutEvents kept failing after ${maxAttempts} attempts (${first.errorCode}: ${first.message})`;
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
    await save();
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
              for (const { source, event } of classify(text).events)
                seen.add(`${source}\u0000${event.eventId}`);
            continue;
          }
          if (stopped()) break reading;
          segment ??= {
            file: fileIndex,
            from: line,
            to: line,
            bytes: 0,
            eventBytes: 0,
            events: [],
            counters: zeroCounters(),
            problems: [],
          };
          segment.to = line;
          segment.bytes += bytes;
          segment.counters.lines++;
          if (text.trim() === '') continue;
          const content = classify(text);
          segment.counters.skipped += content.skipped;
          for (const problem of content.problems) {
            segment.counters.invalid++;
            segment.problems.push(`${name}:${line}: ${problem}`);
            report(`${name}:${line}: ${problem}`);
          }
          for (const sourced of content.events) {
            const key = `${sourced.source}\u0000${sourced.event.eventId}`;
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
    await writing.catch(() => undefined);
    client.destroy();
    progress.update(doneBytes, totalBytes, state.counters.accepted - (resumedFrom ?? 0), skippedBytes, true);
    progress.finish();
  }

  const interrupted = failure === undefined && io.signal?.aborted === true;
  state.done = !failure && !interrupted;
  await save();
  const status = failure
    ? `stopped: ${failure}`
    : interrupted
      ? 'interrupted'
      : resumedFrom !== undefined
        ? 'complete (resumed)'
        : 'complete';
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ state: failure ? 'failed' : interrupted ? 'interrupted' : 'done', ...(failure ? { error: failure } : {}), checkpoint: checkpointFile, ...state.counters, problems: state.problems })}\n`,
    );
  } else {
    io.stdout.write(`${summaryText(label, state.counters, status)}\n`);
    if (state.problems.length > 0 && state.counters.invalid + state.counters.rejected > 0)
      io.stdout.write(
        `  problems are listed above; ${relative(io.cwd, checkpointFile)} keeps the first ${MAX_PROBLEMS}\n`,
      );
    if (failure || interrupted)
      io.stdout.write(`Run the same command again to resume from ${relative(io.cwd, checkpointFile)}.\n`);
    else
      io.stdout.write(
        'Accepted events are validated by the pipeline one by one: see `northstar quarantine list`.\n',
      );
  }
  if (failure) throw new CommandError(failure);
  if (interrupted) return 130;
  return state.counters.invalid > 0 || state.counters.rejected > 0 ? 1 : 0;
}
