import { TARGET_HELP } from '../args.js';
import { type CliIo, CommandError } from '../io.js';
import { replayOptions } from '../replay/options.js';
import { freshCheckpoint, savedCheckpoint } from '../replay/resume.js';
import { sendInput } from '../replay/send-input.js';
import { finishedExitCode, writeAlreadyDone, writeSummary } from '../replay/summary.js';

export const replayHelp = `northstar replay <file.ndjson|dir> [options]

Sends historical events through PutEvents, as apps do, in batch entries of up to 64 KB and
calls of up to 10 entries, with retries. A line is a product event
{ name, eventId, userId, occurredAt, properties?, context?, source? }, or an EventBridge
event as the local runtime archives it (archive.ndjson lines { arrivedAt, event }, or the bare
event: single or "Northstar Event Batch";
the pipeline's own events are skipped), or a PutEvents entry { Source, DetailType, Detail }.
A directory replays its *.ndjson and *.jsonl files in name order.

Lines that are not valid are reported with their line number and not sent; an event whose
(source, userId, eventId) came earlier in the input is a duplicate and not sent again. Progress is
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

export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const options = await replayOptions(argv, io);
  if (options === 'help') {
    io.stdout.write(`${replayHelp}\n`);
    return 0;
  }
  const saved = await savedCheckpoint(options, io);
  if (saved?.done) {
    writeAlreadyDone(io, options, saved);
    return finishedExitCode(saved.counters);
  }
  const state = saved ?? freshCheckpoint(options, io);
  const outcome = await sendInput(options, state, saved !== undefined, io);
  writeSummary(io, options, state, outcome);
  if (outcome.failure) throw new CommandError(outcome.failure);
  if (outcome.interrupted) return 130;
  return finishedExitCode(state.counters);
}
