import type { BacktestReport } from '../../shared/use-cases/read-api/routes-backtest.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS, timestampOption } from '../args.js';
import { type CliIo, printable, UsageError } from '../io.js';
import { formatNumber, formatShare, formatTable } from '../table.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const backtestHelp = `northstar backtest <metric> [--grain g] [--sensitivity s] [--from t] [--to t] [--json]

Replays the deviation detector over the metric's own stored values, as the recompute would
have seen them: each period judged only with what came before it (the band from its seasonal
history without holidays and annotations, level shifts). Prints the alerts it would have
raised, the alerts a month, and, where owners gave verdicts on the stored alerts of those
periods, the precision (GET /api/metrics/{id}/backtest).

--grain        hour, day, week or month (kept grains only); default the metric's own
--sensitivity  the band's multiplier, above 0: above 1 alerts less, below 1 more;
               default the metric's own, so a try at 1.5 shows what raising it would do
--from/--to    a date (UTC midnight) or an ISO 8601 timestamp with a zone; default the
               last 90 days up to the current period (for hours, the last 400); at most
               400 periods
--json         the report as JSON

${TARGET_HELP}`;

const GRAINS = ['hour', 'day', 'week', 'month'];

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export async function backtestCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    grain: { type: 'string' },
    sensitivity: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${backtestHelp}\n`);
    return values.help ? 0 : 2;
  }
  const [id, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.grain !== undefined && !GRAINS.includes(values.grain))
    throw new UsageError(`--grain must be one of ${GRAINS.join(', ')}, got "${values.grain}"`);
  if (values.sensitivity !== undefined) {
    const sensitivity = Number(values.sensitivity);
    if (values.sensitivity.trim() === '' || !Number.isFinite(sensitivity) || sensitivity <= 0)
      throw new UsageError(`--sensitivity must be a number above 0, got "${values.sensitivity}"`);
  }
  const api = new ReadApiClient(targetOf(values, io));
  const report = await api.get<BacktestReport>(`/api/metrics/${encodeURIComponent(id!)}/backtest`, {
    grain: values.grain,
    sensitivity: values.sensitivity,
    from: timestampOption('from', values.from),
    to: timestampOption('to', values.to),
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const out = (line: string) => io.stdout.write(`${line}\n`);
  out(
    printable(
      `${report.metric.title} (${report.metric.id}), ${report.grain}, ${report.from} to ${report.to}: ${report.periods} periods, ${report.judged} judged, ${report.learning} learning`,
    ),
  );
  const verdicts = report.alerts.some((alert) => alert.verdict !== null);
  if (report.alerts.length > 0)
    out(
      formatTable(
        ['period', 'kind', 'observed', 'expected', 'band', 'labels', ...(verdicts ? ['verdict'] : [])],
        report.alerts.map((alert) => [
          alert.period,
          alert.kind,
          formatNumber(alert.observed),
          formatNumber(alert.expected),
          `${formatNumber(alert.lower)} to ${formatNumber(alert.upper)}`,
          alert.marks.length > 0 ? printable(alert.marks.join(', ')) : '-',
          ...(verdicts ? [alert.verdict ?? '-'] : []),
        ]),
      ),
    );
  else out('No alerts.');
  out(
    `${plural(report.alerts.length, 'alert')} in ${formatNumber(report.monthSpan)} months: ${formatNumber(report.alertsPerMonth)} a month at sensitivity ${formatNumber(report.sensitivity)}`,
  );
  if (report.quiet.length > 0)
    out(
      printable(
        `${plural(report.quiet.length, 'deviation')} in marked periods kept quiet, not counted: ${report.quiet
          .map((alert) => `${alert.period} (${alert.marks.join(', ')})`)
          .join(', ')}`,
      ),
    );
  if (report.precision)
    out(
      `Precision ${formatShare(report.precision.precision)}: ${report.precision.real} real, ${report.precision.expected} expected, ${report.precision.noise} noise of ${plural(report.precision.judged, 'alert')} with a verdict`,
    );
  return 0;
}
