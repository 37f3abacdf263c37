import type { Grain } from '../../domain/config/schema.js';
import { periodBounds, periodKey } from '../../domain/time/periods.js';
import type { QuarantinedEvent } from '../../ports/quarantine.js';
import { invalidParameter } from './api-error.js';
import { instantRange, isoTime, type TimeRange } from './period-range.js';
import { NoQuery, QuarantineEventsQuery, QuarantineQuery, RecomputeRangeBody } from './query-schemas.js';
import { defineRoute, type Route } from './route.js';
import { type QuarantinedItem, QuarantinePage, QuarantineReport, RecomputeSummary } from './schemas.js';

const DAY_MS = 86_400_000;
const MAX_SAMPLES = 20;
const MAX_RAW_CHARS = 2000;

/** A quarantined event as the read API shows it. */
interface QuarantineSample {
  readonly reason: string;
  readonly message: string;
  readonly source: string | null;
  readonly name: string | null;
  readonly eventId: string | null;
  readonly arrivedAt: number;
  readonly raw: string;
}

function quarantineSample(event: QuarantinedEvent): QuarantineSample {
  return {
    reason: event.reason,
    message: event.message,
    source: event.source ?? null,
    name: event.name ?? null,
    eventId: event.eventId ?? null,
    arrivedAt: event.arrivedAt,
    raw: event.raw,
  };
}

/** The first `max` characters, without splitting a surrogate pair at the cut. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

function newestFirst(a: QuarantineSample, b: QuarantineSample): number {
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
    const events = perDay.flat().map(quarantineSample);
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

/** A page stops before its items pass this many bytes of UTF-8 JSON: a function URL answers at most 6 MB. */
const MAX_PAGE_BYTES = 4_000_000;

const cursorOf = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
const idOf = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

function quarantinedItem(event: QuarantinedEvent): QuarantinedItem {
  return {
    id: event.id,
    reason: event.reason,
    message: event.message,
    source: event.source ?? null,
    name: event.name ?? null,
    eventId: event.eventId ?? null,
    userId: event.userId ?? null,
    arrivedAt: isoTime(event.arrivedAt),
    raw: event.raw,
  };
}

export const quarantineEventsRoute = defineRoute({
  method: 'GET',
  path: '/api/quarantine/events',
  operationId: 'listQuarantinedEvents',
  summary: 'Quarantined events of one arrival day in full, page by page',
  description:
    'Every event quarantined on a UTC arrival day with its reason and whole raw payload, in id order, `limit` at a time (and at most about 4 MB of payloads); follow `nextCursor` until it is null. For replaying them once the tracking plan is fixed.',
  query: () => QuarantineEventsQuery,
  response: QuarantinePage,
  async handle({ deps, query }) {
    const after = query.cursor === undefined ? undefined : idOf(query.cursor);
    const items = (await deps.quarantine.listQuarantine(query.day))
      .map(quarantinedItem)
      .filter((item) => after === undefined || item.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page: QuarantinedItem[] = [];
    let bytes = 0;
    for (const item of items) {
      const size = Buffer.byteLength(JSON.stringify(item));
      if (page.length === query.limit || (page.length > 0 && bytes + size > MAX_PAGE_BYTES)) break;
      page.push(item);
      bytes += size;
    }
    const more = page.length < items.length;
    return { day: query.day, items: page, nextCursor: more ? cursorOf(page.at(-1)!.id) : null };
  },
});

/** Periods of a grain a recompute over a range covers; each costs a read per metric. */
const MAX_RANGE_PERIODS = 2200;
const DIRTY_CHUNK = 1000;

/** Keys `grain#period` of every period of the grain that overlaps the range. */
function overlappingPeriods(range: TimeRange, grain: Grain, zone: string): string[] {
  const keys: string[] = [];
  let period = periodKey(range.from, grain, zone);
  let bounds = periodBounds(period, grain, zone);
  while (bounds.start < range.to) {
    if (keys.length === MAX_RANGE_PERIODS)
      throw invalidParameter(
        'from',
        `the range holds more than ${MAX_RANGE_PERIODS} ${grain} periods; ask for a shorter one`,
      );
    keys.push(`${grain}#${period}`);
    period = periodKey(bounds.end, grain, zone);
    bounds = periodBounds(period, grain, zone);
  }
  return keys;
}

const recomputeDefinition = defineRoute({
  method: 'POST',
  path: '/api/recompute',
  action: 'start a recompute',
  operationId: 'runRecompute',
  summary: 'Runs the recompute now and returns what it did',
  description:
    'The same run as the schedule makes: dirty and newly settled periods get their rollups, and alerts are raised or resolved. An optional body `{ "from": ..., "to": ... }` (ISO 8601; `to` defaults to now) also recomputes every period of every kept grain overlapping [from, to), e.g. after a replay of history; no body (or `{}`) runs the plain recompute.',
  query: () => NoQuery,
  body: RecomputeRangeBody,
  response: RecomputeSummary,
  async handle({ deps, body }) {
    if (body.from !== undefined) {
      if (!deps.dirty) throw invalidParameter('from', 'this deployment cannot recompute a range');
      const now = deps.clock();
      const range = instantRange({ from: body.from, to: body.to, now }, 0);
      const { grains, zone } = deps.compiled;
      const keys = grains.flatMap((grain) => overlappingPeriods(range, grain, zone));
      // Marked dirty now, the run below takes them with the periods ingest marked.
      for (let start = 0; start < keys.length; start += DIRTY_CHUNK)
        await deps.dirty.markDirty(
          `recompute-range-${now}-${start}`,
          now,
          keys.slice(start, start + DIRTY_CHUNK),
        );
    }
    const summary = await deps.recompute();
    return { ...summary };
  },
});

/** A request without a body runs the plain recompute, as it always did. */
export const recomputeRoute: Route = {
  ...recomputeDefinition,
  bodyOptional: true,
  handle: (deps, params, query, body) => recomputeDefinition.handle(deps, params, query, body ?? {}),
};
