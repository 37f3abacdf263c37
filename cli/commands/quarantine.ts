import {
  type BatchEvent,
  type PackedEntry,
  packBatchEntries,
  packCalls,
  utf8Bytes,
} from '../../client/pack-entries.js';
import { putEntries } from '../../client/put-events.js';
import type { QuarantinedItem, QuarantinePage } from '../../shared/use-cases/read-api/schemas.js';
import { dayOption, integerOption, parseCommand, TARGET_HELP, TARGET_OPTIONS } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { formatTable } from '../table.js';
import { busClient, ReadApiClient, type Target, targetOf } from '../targets.js';

export const quarantineHelp = `northstar quarantine list [--days n | --day YYYY-MM-DD] [--reason r] [--name e] [--json]
northstar quarantine replay [--days n | --day YYYY-MM-DD] [--reason r] [--name e] [--dry-run] [--json]

list:   quarantined events with their reason, by UTC arrival day (default the last 7 days,
        today included), read page by page from GET /api/quarantine/events.
replay: sends their raw payloads again through PutEvents, once the tracking plan (or the
        app) is fixed: a quarantined event does not claim its (source, eventId), so the
        corrected pipeline counts it; one still invalid is quarantined again.
        Payloads that were not JSON cannot be replayed and are listed.

  --reason <code>   only this rejection reason (unknown_event, invalid_property, ...)
  --name <event>    only this event name
  --dry-run         list what would be sent, send nothing

${TARGET_HELP}`;

const DAY_MS = 86_400_000;

function daysOf(values: { days?: string | undefined; day?: string | undefined }): string[] {
  if (values.day !== undefined && values.days !== undefined)
    throw new UsageError('give --days or --day, not both');
  const day = dayOption('day', values.day);
  if (day !== undefined) return [day];
  const days = integerOption('days', values.days, 1, 30) ?? 7;
  const now = Date.now();
  return Array.from({ length: days }, (_, back) => new Date(now - back * DAY_MS).toISOString().slice(0, 10));
}

async function listItems(
  api: ReadApiClient,
  days: readonly string[],
  filter: { reason?: string | undefined; name?: string | undefined },
): Promise<QuarantinedItem[]> {
  const items: QuarantinedItem[] = [];
  for (const day of days) {
    let cursor: string | undefined;
    do {
      const page: QuarantinePage = await api.get<QuarantinePage>('/api/quarantine/events', { day, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return items.filter(
    (item) =>
      (filter.reason === undefined || item.reason === filter.reason) &&
      (filter.name === undefined || item.name === filter.name),
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The entries that send quarantined payloads again: a whole entry as it was received, or
 * a batch element `{ source, event }` packed with others of its source.
 */
export function replayEntries(items: readonly QuarantinedItem[]): {
  entries: PackedEntry[];
  unreplayable: QuarantinedItem[];
} {
  const entries: PackedEntry[] = [];
  const unreplayable: QuarantinedItem[] = [];
  const elements = new Map<string, BatchEvent[]>();
  for (const item of items) {
    let raw: unknown;
    try {
      raw = JSON.parse(item.raw);
    } catch {
      unreplayable.push(item);
      continue;
    }
    if (
      isObject(raw) &&
      typeof raw.source === 'string' &&
      typeof raw['detail-type'] === 'string' &&
      isObject(raw.detail)
    ) {
      const Detail = JSON.stringify(raw.detail);
      const Source = raw.source;
      const DetailType = raw['detail-type'];
      entries.push({ Source, DetailType, Detail, events: 1, bytes: utf8Bytes(Source + DetailType + Detail) });
    } else if (isObject(raw) && typeof raw.source === 'string' && isObject(raw.event)) {
      const list = elements.get(raw.source) ?? [];
      list.push(raw.event as unknown as BatchEvent);
      elements.set(raw.source, list);
    } else unreplayable.push(item);
  }
  for (const [source, events] of elements) {
    const packed = packBatchEntries(source, events);
    entries.push(...packed.entries);
  }
  return { entries, unreplayable };
}

async function replay(target: Target, entries: readonly PackedEntry[], maxAttempts: number) {
  const client = busClient(target);
  const totals = { accepted: 0, rejected: 0, failed: 0, calls: 0, errors: [] as string[] };
  try {
    for (const call of packCalls(entries)) {
      const outcome = await putEntries(client, call, { eventBusName: target.bus, retry: { maxAttempts } });
      totals.calls += outcome.attempts;
      totals.accepted += outcome.accepted.reduce((sum, entry) => sum + entry.events, 0);
      totals.rejected += outcome.rejected.reduce((sum, { entry }) => sum + entry.events, 0);
      totals.failed += outcome.exhausted.reduce((sum, { entry }) => sum + entry.events, 0);
      for (const failure of [...outcome.rejected, ...outcome.exhausted])
        totals.errors.push(`${failure.errorCode}: ${failure.message}`);
    }
  } finally {
    client.destroy();
  }
  return totals;
}

export async function quarantineCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    days: { type: 'string' },
    day: { type: 'string' },
    reason: { type: 'string' },
    name: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'max-attempts': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${quarantineHelp}\n`);
    return values.help ? 0 : 2;
  }
  const [action, ...rest] = positionals;
  if (action !== 'list' && action !== 'replay')
    throw new UsageError(`quarantine takes list or replay, got "${action}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const target = targetOf(values, io);
  const days = daysOf(values);
  const maxAttempts = integerOption('max-attempts', values['max-attempts'], 1, 50) ?? 8;
  const items = await listItems(new ReadApiClient(target), days, values);

  if (action === 'list') {
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ days, items }, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(`${items.length} quarantined events arrived ${days.at(-1)} to ${days[0]} (UTC)\n`);
    if (items.length > 0)
      io.stdout.write(
        `${formatTable(
          ['arrived', 'reason', 'source', 'event', 'eventId', 'message'],
          items.map((item) => [
            item.arrivedAt.slice(0, 19),
            item.reason,
            item.source,
            item.name,
            item.eventId,
            item.message.length > 80 ? `${item.message.slice(0, 79)}…` : item.message,
          ]),
        )}\n`,
      );
    return 0;
  }

  const { entries, unreplayable } = replayEntries(items);
  const events = entries.reduce((sum, entry) => sum + entry.events, 0);
  if (values['dry-run']) {
    const summary = {
      found: items.length,
      replayable: events,
      entries: entries.length,
      unreplayable: unreplayable.length,
    };
    io.stdout.write(
      values.json
        ? `${JSON.stringify(summary)}\n`
        : `Would send ${events} quarantined events in ${entries.length} entries; ${unreplayable.length} cannot be replayed (not JSON)\n`,
    );
    return 0;
  }
  const totals = await replay(target, entries, maxAttempts);
  const summary = {
    found: items.length,
    replayable: events,
    accepted: totals.accepted,
    rejected: totals.rejected,
    failed: totals.failed,
    unreplayable: unreplayable.length,
    calls: totals.calls,
  };
  if (values.json) io.stdout.write(`${JSON.stringify({ ...summary, errors: totals.errors })}\n`);
  else {
    io.stdout.write(
      `Replayed ${items.length} quarantined events: ${totals.accepted} accepted by PutEvents, ${totals.rejected} refused, ${totals.failed} still failing, ${unreplayable.length} not replayable\n`,
    );
    for (const item of unreplayable)
      io.stderr.write(`not replayable (${item.reason}, ${item.arrivedAt}): ${item.raw.slice(0, 120)}\n`);
    for (const error of totals.errors.slice(0, 20)) io.stderr.write(`${error}\n`);
    io.stdout.write('The pipeline validates them again: still invalid ones are quarantined again.\n');
  }
  return totals.rejected + totals.failed > 0 ? 1 : 0;
}
