import type { z } from 'zod';
import type { AnnotationItem, AnnotationList } from '../../shared/use-cases/read-api/routes-annotations.js';
import { parseCommand, TARGET_HELP, TARGET_OPTIONS, timestampOption } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { formatTable } from '../table.js';
import { ReadApiClient, targetOf } from '../targets.js';

export const annotateHelp = `northstar annotate <label> --from t --to t [--metric id,...] [--grain hour,day,...] [--json]
northstar annotate --list [--from t] [--to t] [--json]
northstar annotate --remove <id>

Marks a span ("campaign launch", "outage"), as holidays in the configuration's calendar do
(SEMANTICS.md section 12): its periods (at the grains given, default hour and day) are left
out of later periods' history, their deviations are shown with the label and paged only for
metrics with pageMarked, and every chart shows it. --metric limits it to some metrics.
--list shows the calendar's holidays and the annotations in a range (default the last 120
days and the next 30); --remove takes an annotation away again.

${TARGET_HELP}`;

type Item = z.infer<typeof AnnotationItem>;

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');

export async function annotateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    metric: { type: 'string' },
    grain: { type: 'string' },
    list: { type: 'boolean' },
    remove: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || (positionals.length === 0 && !values.list && values.remove === undefined)) {
    io.stdout.write(`${annotateHelp}\n`);
    return values.help ? 0 : 2;
  }
  const api = new ReadApiClient(targetOf(values, io));
  const print = (body: unknown, text: string) =>
    io.stdout.write(values.json ? `${JSON.stringify(body, null, 2)}\n` : text);
  if (values.remove !== undefined) {
    if (positionals.length > 0)
      throw new UsageError(`annotate --remove takes no label, got "${positionals[0]}"`);
    const removed = await api.post(`/api/annotations/${encodeURIComponent(values.remove)}/remove`, {});
    print(removed, `Removed annotation ${values.remove}\n`);
    return 0;
  }
  if (values.list) {
    if (positionals.length > 0)
      throw new UsageError(`annotate --list takes no label, got "${positionals[0]}"`);
    const found = await api.get<z.infer<typeof AnnotationList>>('/api/annotations', {
      from: timestampOption('from', values.from),
      to: timestampOption('to', values.to),
    });
    const rows = found.annotations.map((item: Item) => [
      item.id,
      item.label,
      item.from,
      item.to,
      item.metrics?.join(', ') ?? 'every metric',
      item.grains.join(', '),
      item.source,
    ]);
    print(
      found,
      `Holidays and annotations from ${found.from} to ${found.to}: ${rows.length}\n${
        rows.length > 0
          ? `${formatTable(['id', 'label', 'from', 'to', 'metrics', 'grains', 'source'], rows)}\n`
          : ''
      }`,
    );
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`annotate takes one label (quote it), got ${positionals.length} words`);
  const from = timestampOption('from', values.from);
  const to = timestampOption('to', values.to);
  if (!from || !to) throw new UsageError('annotate needs --from and --to: the span it marks');
  const metrics = list(values.metric);
  const grains = list(values.grain);
  const added = await api.post<Item>('/api/annotations', {
    label: positionals[0],
    from,
    to,
    ...(metrics ? { metrics } : {}),
    ...(grains ? { grains } : {}),
  });
  print(
    added,
    `Annotated ${added.from} to ${added.to} "${added.label}" (${added.id}) for ${
      added.metrics?.join(', ') ?? 'every metric'
    } at ${added.grains.join(', ')}: left out of later history from the next recompute on\n`,
  );
  return 0;
}
