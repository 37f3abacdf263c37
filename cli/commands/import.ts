import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { shortHash } from '../../shared/domain/events/hash.js';
import type { ImportSummary, VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import { TARGET_HELP } from '../args.js';
import { csvToEvents, parseMapping } from '../import/csv.js';
import { importCalls } from '../import/import-calls.js';
import { type CliIo, CommandError, printable, printableJson, UsageError } from '../io.js';
import { replayOptions } from '../replay/options.js';
import { freshCheckpoint, savedCheckpoint } from '../replay/resume.js';
import { sendInput } from '../replay/send-input.js';
import { ReadApiClient } from '../targets.js';

export const importHelp = `northstar import <file|dir> [options]

Imports historical events (SEMANTICS.md section 9): events from before the pipeline existed,
or from another system. They are checked against the tracking plan as if they had arrived on
time (the lateness limit does not apply; nothing later than now), events the pipeline already
has (same source, userId and eventId) are left out, and the rest join the history. Every
metric is then rebuilt from the history and the archive by a backfill (northstar backfill
shows it); what was shown stays shown until the backfill reaches the present, and deviations
it finds in the past are kept as history, never sent.

On the local runtime the events go to its PutEvents at /imports/<id> (--endpoint, the
default). On AWS (--api-url <ReadApiUrl> with --region or --profile, no --endpoint) they go to
the read API, which checks them against the deployed tracking plan, quarantines what it
refuses and keeps the rest in the archive bucket under history/<id>/; finishing records the
import and runs a recompute, which starts the backfill that rebuilds every metric. There,
events the pipeline already has are left out by the rebuild, which counts each event once.

Input: NDJSON, one line per product event { name, eventId, userId, occurredAt, properties?,
context?, source? }, or EventBridge events as archived ({ arrivedAt, event } or bare, single
or "Northstar Event Batch"), or PutEvents entries; or a warehouse export in CSV (*.csv) with
--map. A directory imports its *.ndjson, *.jsonl and *.csv files in name order.

  --map <fields>       CSV columns to event fields, e.g.
                       name=event,eventId=id,userId=user_id,occurredAt=ts,properties.plan=plan,
                       properties.amount:number=amount (":number", ":boolean" type a value;
                       "@text" is a constant, e.g. name=@signed_up; a bare date-time is UTC)
  --source <name>      source of events without one (e.g. app.web)
  --import-id <id>     the import's id (default: from the input's paths and sizes, so a
                       second run of the same command resumes the same import)
  --wait               wait until the rebuild is shown, printing its progress
  --checkpoint <file>  default <input>.import.json; --restart, --concurrency,
                       --max-attempts, --json and --no-progress as for replay

${TARGET_HELP}

Exit code 0 when every event was imported or found known, 1 when some line was invalid or
some event refused (they are in the quarantine), 130 when interrupted.`;

/** Flags of import only; the rest are replay's, which sends the events. */
function ownFlags(argv: readonly string[]): {
  map?: string;
  importId?: string;
  wait: boolean;
  rest: string[];
} {
  const rest: string[] = [];
  let map: string | undefined;
  let importId: string | undefined;
  let wait = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--map') map = value();
    else if (flag === '--import-id') importId = value();
    else if (flag === '--wait') wait = true;
    else rest.push(arg);
  }
  return { ...(map ? { map } : {}), ...(importId ? { importId } : {}), wait, rest };
}

/** The input's CSV files turned into NDJSON beside the checkpoint, once; the NDJSON input as it is. */
async function ndjsonInput(
  input: string,
  map: string | undefined,
  io: CliIo,
): Promise<{ path: string; problems: string[] }> {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new UsageError(`no such file or directory: ${printable(input)}`);
  const csvFiles = info.isFile()
    ? input.endsWith('.csv')
      ? [input]
      : []
    : (await readdir(input))
        .filter((name) => name.endsWith('.csv'))
        .sort()
        .map((name) => join(input, name));
  if (csvFiles.length === 0) return { path: input, problems: [] };
  if (!map) throw new UsageError('a CSV input needs --map (northstar import --help shows how)');
  const mapping = parseMapping(map);
  const converted = `${input.replace(/\/+$/, '')}.import`;
  await mkdir(converted, { recursive: true });
  const problems: string[] = [];
  for (const file of csvFiles) {
    const { lines, problems: found } = csvToEvents(await readFile(file, 'utf8'), mapping);
    problems.push(...found.map((problem) => `${basename(file)}: ${problem}`));
    await writeFile(
      join(converted, `${basename(file, '.csv')}.ndjson`),
      lines.map((line) => `${line}\n`).join(''),
    );
  }
  // NDJSON files beside the CSV ones in a directory are imported too.
  if (!info.isFile())
    for (const name of (await readdir(input)).filter((one) => /\.(ndjson|jsonl)$/.test(one)))
      await writeFile(join(converted, name), await readFile(join(input, name)));
  for (const problem of problems.slice(0, 20)) io.stderr.write(`northstar import: ${printable(problem)}\n`);
  return { path: converted, problems };
}

export async function importCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const own = ownFlags(argv);
  if (own.rest.includes('--help') || own.rest.includes('-h')) {
    io.stdout.write(`${importHelp}\n`);
    return 0;
  }
  const positionals = own.rest.filter(
    (arg, i) =>
      !arg.startsWith('-') &&
      !own.rest[i - 1]?.match(
        /^--(source|checkpoint|concurrency|max-attempts|endpoint|api-url|region|profile|bus|token|config|entries|events-per-call)$/,
      ),
  );
  if (positionals.length !== 1) throw new UsageError('import takes one file or directory');
  const input = resolve(io.cwd, positionals[0]!);
  const { path, problems } = await ndjsonInput(input, own.map, io);
  const rest = own.rest.map((arg) => (arg === positionals[0] ? path : arg));
  if (!rest.includes('--checkpoint')) rest.push('--checkpoint', `${input.replace(/\/+$/, '')}.import.json`);
  const options = await replayOptions(rest, io);
  if (options === 'help') {
    io.stdout.write(`${importHelp}\n`);
    return 0;
  }
  const endpoint = options.target.endpoint;
  const importId =
    own.importId ??
    `i${shortHash(JSON.stringify(options.files.map(({ path: file, bytes }) => [file, bytes])), 9).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const api = new ReadApiClient(options.target);
  // Locally the events go to the runtime's PutEvents at /imports/<id>; on AWS (no --endpoint)
  // to the read API, which keeps them in the archive bucket as history.
  const sending =
    endpoint === undefined
      ? options
      : { ...options, target: { ...options.target, endpoint: `${endpoint}/imports/${importId}` } };
  const saved = await savedCheckpoint(sending, io);
  const state = saved ?? freshCheckpoint(sending, io);
  if (!saved?.done) {
    const outcome = await sendInput(
      sending,
      state,
      saved !== undefined,
      io,
      endpoint === undefined ? importCalls(api, importId, options.maxAttempts) : undefined,
    );
    if (outcome.failure) throw new CommandError(`${outcome.failure}; run the same command again to resume`);
    if (outcome.interrupted) return 130;
  }
  const summary = await api.post<ImportSummary>(`/api/imports/${encodeURIComponent(importId)}/finish`, {});
  // On AWS the recompute plans the rebuild: a run now starts it, rather than the next scheduled one.
  if (endpoint === undefined)
    await api.post('/api/recompute', {}).catch((error: unknown) => {
      io.stderr.write(
        `northstar import: the rebuild starts with the next scheduled recompute run (${printable((error as Error).message)})\n`,
      );
    });
  let versions = await api.get<VersionsResponse>('/api/versions');
  while (own.wait && versions.backfill) {
    const { percent, events, rate } = versions.backfill;
    io.stderr.write(`rebuilding: ${percent}% of the history and archive, ${events} entries at ${rate}/s\n`);
    await new Promise((done) => setTimeout(done, 1000));
    versions = await api.get<VersionsResponse>('/api/versions');
  }
  const rejected = Object.values(summary.rejected).reduce((sum, count) => sum + count, 0);
  const invalid = state.counters.invalid + problems.length;
  if (options.json)
    io.stdout.write(
      `${printableJson({ ...summary, invalid, sent: state.counters.accepted, rebuilt: !versions.backfill })}\n`,
    );
  else
    io.stdout.write(
      [
        `Import ${importId}: ${summary.imported} events joined the history${summary.from ? ` (${summary.from} to ${summary.to})` : ''}`,
        `  ${summary.duplicates === null ? 'events the pipeline already has are counted once by the rebuild' : `${summary.duplicates} already known`}, ${rejected} refused by the tracking plan (in the quarantine), ${invalid} lines invalid`,
        versions.backfill || endpoint === undefined
          ? `  every metric is being rebuilt from the history${endpoint === undefined && !versions.backfill ? ' from the next recompute run on' : ''}: northstar backfill shows the progress`
          : '  every metric is rebuilt from the history and shown',
        '',
      ].join('\n'),
    );
  return invalid > 0 || rejected > 0 || state.counters.rejected > 0 ? 1 : 0;
}
