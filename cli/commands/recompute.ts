import type { RecomputeSummary } from '../../shared/use-cases/read-api/schemas.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS, timestampOption } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const recomputeHelp = `northstar recompute [--from t] [--to t] [--json]

Runs the recompute now (POST /api/recompute): dirty and newly settled periods get their
rollups, alerts are raised or resolved. With --from/--to, every period of every kept grain
that overlaps [from, to) is recomputed as well, e.g. after a replay of history. A date is
taken as UTC midnight.

${TARGET_HELP}`;

export async function recomputeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${recomputeHelp}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`recompute takes no arguments, got "${positionals[0]}"`);
  const from = timestampOption('from', values.from);
  const to = timestampOption('to', values.to);
  if (to !== undefined && from === undefined) throw new UsageError('--to needs --from');
  const api = new ReadApiClient(targetOf(values, io));
  const summary = await api.post<RecomputeSummary>('/api/recompute', {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
  if (values.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else
    io.stdout.write(
      `Recomputed ${summary.periods} periods (${summary.rollups} rollups): ${summary.detected} alerts raised, ${summary.resolved} resolved, ${summary.offTrack} targets off track\n`,
    );
  return 0;
}
