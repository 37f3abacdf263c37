import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { isoTime } from './period-range.js';
import { NoQuery, QuarantineQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { QuarantineReport, RecomputeSummary } from './schemas.js';

const DAY_MS = 86_400_000;
const MAX_SAMPLES = 20;
const MAX_RAW_CHARS = 2000;

/** A quarantine item as the read API shows it. */
interface QuarantinedEvent {
  readonly reason: string;
  readonly message: string;
  readonly source: string | null;
  readonly name: string | null;
  readonly eventId: string | null;
  readonly arrivedAt: number;
  readonly raw: string;
}

function quarantinedEvent(item: Record<string, AttributeValue>): QuarantinedEvent {
  return {
    reason: item.reason?.S ?? 'unknown',
    message: item.message?.S ?? '',
    source: item.source?.S ?? null,
    name: item.name?.S ?? null,
    eventId: item.eventId?.S ?? null,
    arrivedAt: Number(item.arrivedAt?.N ?? 0),
    raw: item.raw?.S ?? '',
  };
}

/** The first `max` characters, without splitting a surrogate pair at the cut. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

function newestFirst(a: QuarantinedEvent, b: QuarantinedEvent): number {
  if (a.arrivedAt !== b.arrivedAt) return b.arrivedAt - a.arrivedAt;
  if (a.reason !== b.reason) return a.reason < b.reason ? -1 : 1;
  return (a.eventId ?? '') < (b.eventId ?? '') ? -1 : (a.eventId ?? '') > (b.eventId ?? '') ? 1 : 0;
}

export const quarantineRoute = defineRoute({
  method: 'GET',
  path: '/api/quarantine',
  operationId: 'getQuarantine',
  summary: 'Rejected events by reason, with recent samples',
  description:
    'Events quarantined over the last `days` UTC arrival days (today included): counts by reason and up to 20 of the most recent, with their raw payload cut at 2000 characters.',
  query: () => QuarantineQuery,
  response: QuarantineReport,
  async handle({ deps, query }) {
    const now = deps.clock();
    const days = Array.from({ length: query.days }, (_, back) => isoTime(now - back * DAY_MS).slice(0, 10));
    const perDay = await Promise.all(days.map((day) => deps.quarantine.listQuarantine(day)));
    const events = perDay.flat().map(quarantinedEvent);
    const counts = new Map<string, number>();
    for (const event of events) counts.set(event.reason, (counts.get(event.reason) ?? 0) + 1);
    return {
      days,
      total: events.length,
      reasons: [...counts]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
      samples: events
        .sort(newestFirst)
        .slice(0, MAX_SAMPLES)
        .map(({ arrivedAt, raw, ...event }) => ({
          ...event,
          arrivedAt: isoTime(arrivedAt),
          raw: truncate(raw, MAX_RAW_CHARS),
          rawTruncated: raw.length > MAX_RAW_CHARS,
        })),
    };
  },
});

export const recomputeRoute = defineRoute({
  method: 'POST',
  path: '/api/recompute',
  operationId: 'runRecompute',
  summary: 'Runs the recompute now and returns what it did',
  description:
    'The same run as the schedule makes: dirty and newly settled periods get their rollups, and alerts are raised or resolved. The request body is ignored.',
  query: () => NoQuery,
  response: RecomputeSummary,
  async handle({ deps }) {
    const summary = await deps.recompute();
    return { ...summary };
  },
});
