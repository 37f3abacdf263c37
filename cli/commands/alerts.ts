import type { AlertList, AlertSummary } from '../../shared/use-cases/read-api/schemas.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS, timestampOption } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { formatNumber, formatShare, formatTable } from '../table.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const alertsHelp = `northstar alerts list [--from t] [--to t] [--json]
northstar alerts ack <alertId> --by <name> --note <text> [--verdict real|expected|noise] [--json]

list: alerts whose period starts in [from, to) (default the last 30 days), newest first.
ack:  records who acknowledged an alert and why (POST /api/alerts/{id}/ack), with the
      owner's verdict if given; each metric's alert precision is counted from verdicts.

${TARGET_HELP}`;

export async function alertsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    by: { type: 'string' },
    note: { type: 'string' },
    verdict: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${alertsHelp}\n`);
    return values.help ? 0 : 2;
  }
  const [action, id, ...rest] = positionals;
  const api = () => new ReadApiClient(targetOf(values, io));
  if (action === 'list') {
    if (id !== undefined) throw new UsageError(`alerts list takes no arguments, got "${id}"`);
    const list = await api().get<AlertList>('/api/alerts', {
      from: timestampOption('from', values.from),
      to: timestampOption('to', values.to),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(`Alerts for periods starting ${list.from} to ${list.to}: ${list.alerts.length}\n`);
    if (list.alerts.length > 0)
      io.stdout.write(
        `${formatTable(
          ['alert', 'metric', 'period', 'kind', 'state', 'observed', 'expected', 'deviation', 'owner'],
          list.alerts.map((alert) => [
            alert.alertId,
            alert.metric.id,
            alert.period,
            alert.kind,
            alert.state,
            formatNumber(alert.observed),
            formatNumber(alert.expected),
            formatShare(alert.relativeDeviation),
            alert.owner.name,
          ]),
        )}\n`,
      );
    return 0;
  }
  if (action === 'ack') {
    if (!id) throw new UsageError('alerts ack needs the alert id (see `northstar alerts list`)');
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (!values.by || !values.note) throw new UsageError('alerts ack needs --by <name> and --note <text>');
    const alert = await api().post<AlertSummary>(`/api/alerts/${encodeURIComponent(id)}/ack`, {
      by: values.by,
      note: values.note,
      ...(values.verdict === undefined ? {} : { verdict: values.verdict }),
    });
    if (values.json) io.stdout.write(`${JSON.stringify(alert, null, 2)}\n`);
    else
      io.stdout.write(
        `Acknowledged ${alert.alertId} (${alert.metric.title}, ${alert.period}): now ${alert.state}\n`,
      );
    return 0;
  }
  throw new UsageError(`alerts takes list or ack, got "${action}"`);
}
