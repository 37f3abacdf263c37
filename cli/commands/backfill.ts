import type { VersionsResponse } from '../../shared/use-cases/read-api/routes-versions.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { formatTable } from '../table.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const backfillHelp = `northstar backfill [--watch] [--json]

Shows the definition versions (GET /api/versions): which version of each metric, funnel
and the journey is shown, which is backfilling from the archive with its progress (entries,
percent, rate, time left, days of history), and which were replaced or removed (still
readable: northstar query metric <id> --version <id>). A backfill starts by itself when the
runtime starts with a new or changed definition; once it has reached the present, the new
version is shown instead. With --watch, the progress is printed every 2 s until it is shown.

${TARGET_HELP}`;

const duration = (seconds: number | null) =>
  seconds === null ? 'unknown' : seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;

function progressLine(backfill: NonNullable<VersionsResponse['backfill']>): string {
  return `Generation ${backfill.generation} backfilling: ${backfill.percent}% of the archive, ${backfill.events} entries at ${backfill.rate}/s, ${backfill.periods.done} of ${backfill.periods.total} days, ${duration(backfill.etaSeconds)} left${backfill.reached ? ` (reached ${backfill.reached})` : ''}`;
}

function report(versions: VersionsResponse): string {
  const rows = versions.definitions.flatMap((definition) =>
    definition.versions.map((version) => [
      definition.key,
      version.id,
      version.state,
      version.since ?? 'start',
    ]),
  );
  const head = versions.backfill
    ? progressLine(versions.backfill)
    : `Generation ${versions.shown.generation} shown${versions.shown.since ? ` since ${versions.shown.since}` : ''}; no backfill running`;
  return `${head}\n\n${formatTable(['definition', 'version', 'state', 'since'], rows)}\n`;
}

export async function backfillCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    watch: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${backfillHelp}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`backfill takes no arguments, got "${positionals[0]}"`);
  const api = new ReadApiClient(targetOf(values, io));
  let versions = await api.get<VersionsResponse>('/api/versions');
  while (values.watch && versions.backfill) {
    io.stderr.write(`${progressLine(versions.backfill)}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    versions = await api.get<VersionsResponse>('/api/versions');
  }
  io.stdout.write(values.json ? `${JSON.stringify(versions, null, 2)}\n` : report(versions));
  return 0;
}
