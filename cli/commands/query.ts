import type {
  FunnelReport,
  MetricBreakdown,
  MetricSeries,
  RetentionTable,
} from '../../shared/use-cases/read-api/schemas.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS, timestampOption } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { formatNumber, formatShare, formatTable } from '../table.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const queryHelp = `northstar query metric <id> [--grain g] [--from t] [--to t] [--version v] [--by b] [--json]
northstar query funnel <id> [--grain g] [--from t] [--to t] [--by b] [--json]
northstar query cohorts <id> [--from t] [--to t] [--json]

A metric's values per period with the expected band and status, a funnel's steps for the
entry cohorts in range, or a retention metric's start cohorts by offset (a cell marked * can
still change: its period has not settled), from the read API. --from/--to take a date (UTC midnight) or an
ISO 8601 timestamp with a zone; the defaults are the read API's (the last 12 periods of a
metric, the last 8 cohorts of a funnel). --grain: hour, day, week or month (kept grains only).
--version reads another definition version of the metric: one being backfilled, or one it
replaced (northstar backfill lists them). --by splits the metric by one of its breakdowns: a
column per value, (other) and (none) included; a value outside its own band is marked !. On a
funnel, --by splits its users by the value on their entry step.

${TARGET_HELP}`;

const GRAINS = ['hour', 'day', 'week', 'month'];

export async function queryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    grain: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    version: { type: 'string' },
    by: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${queryHelp}\n`);
    return values.help ? 0 : 2;
  }
  const [what, id, ...rest] = positionals;
  if (what !== 'metric' && what !== 'funnel' && what !== 'cohorts')
    throw new UsageError(`query takes metric, funnel or cohorts, got "${what}"`);
  if (!id) throw new UsageError(`query ${what} needs the ${what === 'funnel' ? 'funnel' : 'metric'}'s id`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.grain !== undefined && !GRAINS.includes(values.grain))
    throw new UsageError(`--grain must be one of ${GRAINS.join(', ')}, got "${values.grain}"`);
  if (what === 'cohorts' && values.grain !== undefined)
    throw new UsageError('--grain is not for cohorts: a retention metric has its own grain');
  const query = {
    grain: values.grain,
    from: timestampOption('from', values.from),
    to: timestampOption('to', values.to),
    ...(what === 'metric' && values.version !== undefined ? { version: values.version } : {}),
  };
  if (what !== 'metric' && values.version !== undefined) throw new UsageError('--version is for metrics');
  if (what === 'cohorts' && values.by !== undefined) throw new UsageError('--by is for metrics and funnels');
  if (values.by !== undefined && values.version !== undefined)
    throw new UsageError('--by reads the version shown: leave out --version');
  const api = new ReadApiClient(targetOf(values, io));
  if (what === 'cohorts') {
    const { from, to } = query;
    const table = await api.get<RetentionTable>(`/api/metrics/${encodeURIComponent(id)}/cohorts`, {
      from,
      to,
    });
    if (values.json) io.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
    else io.stdout.write(`${formatCohorts(table)}\n`);
    return 0;
  }
  const path = `/api/${what === 'metric' ? 'metrics' : 'funnels'}/${encodeURIComponent(id)}${what === 'metric' ? '/series' : ''}`;
  if (what === 'metric' && values.by !== undefined) {
    const { grain, from, to } = query;
    const split = await api.get<MetricBreakdown>(`/api/metrics/${encodeURIComponent(id)}/breakdown`, {
      by: values.by,
      grain,
      from,
      to,
    });
    if (values.json) io.stdout.write(`${JSON.stringify(split, null, 2)}\n`);
    else io.stdout.write(`${formatBreakdown(split)}\n`);
    return 0;
  }
  if (what === 'metric') {
    const series = await api.get<MetricSeries>(path, query);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(series, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(
      `${series.metric.title} (${series.metric.id}), ${series.grain}, ${series.from} to ${series.to}\n`,
    );
    io.stdout.write(
      `${formatTable(
        ['period', 'value', 'expected', 'lower', 'upper', 'status', 'deviation'],
        series.points.map((point) => [
          point.period,
          formatNumber(point.value),
          formatNumber(point.expected),
          formatNumber(point.lower),
          formatNumber(point.upper),
          point.status,
          formatShare(point.relativeDeviation),
        ]),
      )}\n`,
    );
    if (series.points.length === 0)
      io.stdout.write('(no rollups in this range yet: run `northstar recompute`)\n');
    return 0;
  }
  const report = await api.get<FunnelReport>(path, {
    ...query,
    ...(values.by === undefined ? {} : { by: values.by }),
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    `${report.funnel.title} (${report.funnel.id}), window ${report.funnel.window}, ${report.grain} cohorts ${report.from} to ${report.to}\n`,
  );
  io.stdout.write(
    `${formatTable(
      ['step', 'event', 'users', 'from previous', 'from first'],
      report.steps.map((step) => [
        step.step,
        step.event,
        step.users,
        formatShare(step.fromPrevious),
        formatShare(step.fromFirst),
      ]),
    )}\n`,
  );
  if (report.split) {
    const { split } = report;
    io.stdout.write(
      `\nBy ${split.title} on the entry step (users, share of those who entered)\n${formatTable(
        [split.title, ...report.steps.map((step) => `${step.step}. ${step.event}`)],
        split.values.map((value) => [
          value.value,
          ...value.steps.map((step) =>
            step.step === 1
              ? formatNumber(step.users)
              : `${step.users} (${formatShare(step.fromFirst) ?? '-'})`,
          ),
        ]),
      )}\n`,
    );
  }
  return 0;
}

/** Offsets shown: the metric's own and two past them, for the curve's shape; at most the API's. */
function formatCohorts(table: RetentionTable): string {
  const { metric } = table;
  const last = metric.until ?? metric.offset;
  const shown = Math.min(table.offsets, last + 2);
  const returns = metric.mode === 'on' ? `offset ${metric.offset}` : `offsets ${metric.offset} to ${last}`;
  const mark = (text: string | null, complete: boolean) => (text === null || complete ? text : `${text}*`);
  return [
    `${metric.title} (${metric.id}), ${table.grain} cohorts ${table.from} to ${table.to}, returns at ${returns}`,
    formatTable(
      ['cohort', 'users', 'value', ...Array.from({ length: shown }, (_, at) => `+${at + 1}`)],
      table.cohorts.map((cohort) => [
        cohort.period,
        cohort.size,
        mark(formatShare(cohort.value), cohort.settled),
        ...cohort.retained.slice(0, shown).map((cell) => mark(formatShare(cell.rate), cell.complete)),
      ]),
    ),
  ].join('\n');
}

/** A period per row, a value per column; `!` marks a value outside its own band. */
function formatBreakdown(split: MetricBreakdown): string {
  const periods = [...new Set(split.values.flatMap((one) => one.points.map((point) => point.period)))].sort();
  const cell = (value: MetricBreakdown['values'][number], period: string) => {
    const point = value.points.find((one) => one.period === period);
    const shown = formatNumber(point?.value);
    return shown === null ? null : `${shown}${point?.status === 'deviating' ? ' !' : ''}`;
  };
  return [
    `${split.metric.title} (${split.metric.id}) by ${split.breakdown.title}, ${split.grain}, ${split.from} to ${split.to}`,
    formatTable(
      ['period', ...split.values.map((value) => value.value)],
      periods.map((period) => [period, ...split.values.map((value) => cell(value, period))]),
    ),
  ].join('\n');
}
