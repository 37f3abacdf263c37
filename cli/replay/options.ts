import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../shared/domain/config/load.js';
import { type TrackingPlanSchemas, trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import { integerOption, parseCommand, TARGET_OPTIONS } from '../args.js';
import { configPath } from '../commands/validate.js';
import { type CliIo, printable, UsageError } from '../io.js';
import { type Target, targetOf } from '../targets.js';

export interface InputFile {
  readonly path: string;
  readonly bytes: number;
}

/** What `northstar replay` was asked to do, checked: every field is ready to use. */
export interface ReplayOptions {
  /** The input as the user wrote it, for the summary. */
  readonly label: string;
  /** The file, or the directory's *.ndjson and *.jsonl files in name order. */
  readonly files: readonly InputFile[];
  readonly checkpointFile: string;
  readonly restart: boolean;
  /** Source of lines without one. */
  readonly source: string | undefined;
  /** The tracking plan's event schemas, when --config asks to check events before sending. */
  readonly schemas: TrackingPlanSchemas | undefined;
  /** One event per entry instead of batch entries. */
  readonly single: boolean;
  readonly eventsPerCall: number | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly target: Target;
  readonly json: boolean;
  /** Draw the progress bar: only on a terminal, and never over JSON output. */
  readonly progress: boolean;
}

async function inputFiles(input: string): Promise<InputFile[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch {
    throw new UsageError(`no such file or directory: ${printable(input)}`);
  }
  if (info.isFile()) return [{ path: input, bytes: info.size }];
  const names = (await readdir(input)).filter((name) => /\.(ndjson|jsonl)$/.test(name)).sort();
  if (names.length === 0) throw new UsageError(`${printable(input)} holds no .ndjson or .jsonl files`);
  return Promise.all(
    names.map(async (name) => ({ path: join(input, name), bytes: (await stat(join(input, name))).size })),
  );
}

/**
 * The command line of `northstar replay`, or `'help'` when it asks for the help text. A wrong
 * flag, a missing input or an invalid --config fails here, before anything is sent.
 */
export async function replayOptions(argv: readonly string[], io: CliIo): Promise<ReplayOptions | 'help'> {
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
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('replay takes one file or directory');
  if (values.entries !== undefined && values.entries !== 'batch' && values.entries !== 'single')
    throw new UsageError(`--entries must be batch or single, got "${printable(values.entries)}"`);
  const eventsPerCall = integerOption('events-per-call', values['events-per-call'], 1, 100_000);
  const concurrency = integerOption('concurrency', values.concurrency, 1, 32) ?? 4;
  const maxAttempts = integerOption('max-attempts', values['max-attempts'], 1, 50) ?? 8;
  const target = targetOf(values, io);
  const label = positionals[0]!;
  const input = resolve(io.cwd, label);
  const files = await inputFiles(input);
  const checkpointFile = resolve(io.cwd, values.checkpoint ?? `${input.replace(/\/+$/, '')}.checkpoint.json`);
  const schemas = values.config
    ? trackingPlanSchemas(await loadConfig(configPath(values.config, io)))
    : undefined;
  return {
    label,
    files,
    checkpointFile,
    restart: values.restart === true,
    source: values.source,
    schemas,
    single: values.entries === 'single',
    eventsPerCall,
    concurrency,
    maxAttempts,
    target,
    json: values.json === true,
    progress: !values['no-progress'] && !values.json && io.stderr.isTTY === true,
  };
}
