import { basename, relative } from 'node:path';
import { type CliIo, printable, UsageError } from '../io.js';
import { type Checkpoint, readCheckpoint, zeroCounters } from './checkpoint.js';
import type { ReplayOptions } from './options.js';

/** Each input file's path and size: a checkpoint applies only to the input it was made for. */
function fingerprintOf(options: ReplayOptions, io: CliIo): Checkpoint['input'] {
  return options.files.map(({ path, bytes }) => ({
    path: relative(io.cwd, path) || basename(path),
    bytes,
  }));
}

/**
 * The checkpoint of an earlier run of the same replay, to resume from; undefined with
 * --restart or when there is none. One made for other files (or other sizes) is refused
 * rather than applied to lines it does not describe.
 */
export async function savedCheckpoint(options: ReplayOptions, io: CliIo): Promise<Checkpoint | undefined> {
  const saved = options.restart ? undefined : await readCheckpoint(options.checkpointFile);
  if (saved && JSON.stringify(saved.input) !== JSON.stringify(fingerprintOf(options, io)))
    throw new UsageError(
      `${printable(relative(io.cwd, options.checkpointFile))} belongs to another input (files or sizes differ): give --restart to send everything again, or another --checkpoint`,
    );
  return saved;
}

/** The checkpoint of a replay that starts from the first line. */
export function freshCheckpoint(options: ReplayOptions, io: CliIo): Checkpoint {
  return {
    version: 1,
    input: fingerprintOf(options, io),
    confirmed: [],
    counters: zeroCounters(),
    problems: [],
    done: false,
    updatedAt: new Date().toISOString(),
  };
}
