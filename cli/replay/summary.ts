import { relative } from 'node:path';
import { type CliIo, printable, printableJson } from '../io.js';
import type { Checkpoint, ReplayCounters } from './checkpoint.js';
import type { ReplayOptions } from './options.js';
import { MAX_PROBLEMS, type ReplayOutcome } from './send-input.js';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The summary table; `input` and `state` may quote the input or a server, and are escaped. */
function summaryText(input: string, counters: ReplayCounters, state: string): string {
  const row = (label: string, value: number, note = '') =>
    `  ${label.padEnd(12)}${String(value).padStart(9)}${note ? `  ${note}` : ''}`;
  return [
    `Replay of ${printable(input)}: ${printable(state)}`,
    row('lines', counters.lines),
    row('events', counters.events, 'valid and new, to send'),
    row('invalid', counters.invalid, 'reported with their line; not sent'),
    row(
      'duplicates',
      counters.duplicates,
      'same source, userId and eventId as earlier in the input; not sent again',
    ),
    row('skipped', counters.skipped, "the pipeline's own events"),
    row(
      'accepted',
      counters.accepted,
      `by PutEvents, in ${plural(counters.entries, 'entry', 'entries')} and ${plural(counters.calls, 'call', 'calls')}`,
    ),
    row('rejected', counters.rejected, 'refused by PutEvents for good'),
  ].join('\n');
}

/** Exit code of a replay that ran to its end: 1 when some line was invalid or some event refused. */
export function finishedExitCode(counters: ReplayCounters): number {
  return counters.invalid > 0 || counters.rejected > 0 ? 1 : 0;
}

/** A second run of a replay whose checkpoint says done: what it did then, nothing sent now. */
export function writeAlreadyDone(io: CliIo, options: ReplayOptions, saved: Checkpoint): void {
  io.stdout.write(
    options.json
      ? `${printableJson({ state: 'already_done', checkpoint: options.checkpointFile, ...saved.counters })}\n`
      : `${summaryText(options.label, saved.counters, 'already replayed (give --restart to send it again)')}\n`,
  );
}

/** The summary on stdout, as a table or JSON, with what to do next. */
export function writeSummary(
  io: CliIo,
  options: ReplayOptions,
  state: Checkpoint,
  { failure, interrupted, resumed }: ReplayOutcome,
): void {
  const { checkpointFile } = options;
  const shownCheckpoint = printable(relative(io.cwd, checkpointFile));
  if (options.json) {
    io.stdout.write(
      `${printableJson({ state: failure ? 'failed' : interrupted ? 'interrupted' : 'done', ...(failure ? { error: failure } : {}), checkpoint: checkpointFile, ...state.counters, problems: state.problems })}\n`,
    );
    return;
  }
  const status = failure
    ? `stopped: ${failure}`
    : interrupted
      ? 'interrupted'
      : resumed
        ? 'complete (resumed)'
        : 'complete';
  io.stdout.write(`${summaryText(options.label, state.counters, status)}\n`);
  if (state.problems.length > 0 && state.counters.invalid + state.counters.rejected > 0)
    io.stdout.write(`  problems are listed above; ${shownCheckpoint} keeps the first ${MAX_PROBLEMS}\n`);
  if (failure || interrupted)
    io.stdout.write(`Run the same command again to resume from ${shownCheckpoint}.\n`);
  else
    io.stdout.write(
      'Accepted events are validated by the pipeline one by one: see `northstar quarantine list`.\n',
    );
}
