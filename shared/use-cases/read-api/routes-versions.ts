import { z } from 'zod';
import {
  type BackfillProgress,
  backfillScopes,
  type VersionsReport,
  versionsOf,
} from '../../domain/engine/versions.js';
import { invalidParameter, notFound } from './api-error.js';
import { isoTime } from './period-range.js';
import { NoQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { Instant } from './schemas.js';

const DAY_MS = 86_400_000;

export const VersionState = z
  .enum(['shown', 'backfilling', 'replaced', 'removed', 'abandoned'])
  .describe(
    'shown: the one the dashboard and alerts use; backfilling: being filled from the archive; replaced or removed: no longer counted, still readable with ?version=; abandoned: its backfill was given up for a later definition',
  );

export const DefinitionVersion = z.object({
  id: z.string().describe('The version id: counters, rollups and alerts are kept under it'),
  state: VersionState,
  generation: z.number().int(),
  since: Instant.nullable().describe(
    'When it was shown, started backfilling, or was retired; null: from the start',
  ),
});

export const BackfillStatus = z.object({
  generation: z.number().int(),
  startedAt: Instant,
  events: z
    .number()
    .int()
    .describe('Archive entries counted by the backfill so far (since it started or resumed)'),
  percent: z.number().describe('Share of the archive counted, 0-100, by its slowest namespace'),
  rate: z.number().describe('Entries counted a second'),
  etaSeconds: z.number().nullable().describe('Time left at the current rate; null before there is a rate'),
  reached: Instant.nullable().describe('Arrival time of the latest entry counted'),
  periods: z
    .object({ done: z.number().int(), total: z.number().int() })
    .describe('Days of history counted, of the days the archive holds'),
  caughtUp: z.boolean(),
});

export const VersionsResponse = z.object({
  shown: z.object({ generation: z.number().int(), since: Instant.nullable() }),
  backfill: BackfillStatus.nullable().describe('The next generation being backfilled, if any'),
  definitions: z
    .array(z.object({ key: z.string(), versions: z.array(DefinitionVersion) }))
    .describe('Every metric, funnel and journey definition, with its versions, newest state first'),
});
export type VersionsResponse = z.infer<typeof VersionsResponse>;

/** The slowest namespace of the next generation: the backfill is as far as it is. */
function backfillStatus(report: VersionsReport, now: number): z.input<typeof BackfillStatus> | null {
  const next = report.registry.next;
  if (!next) return null;
  const scopes = backfillScopes(report.registry);
  const parts: BackfillProgress[] = report.backfills.filter((progress) => scopes.has(progress.scope));
  const slowest = parts.reduce<BackfillProgress | undefined>(
    (low, part) =>
      !low || part.position / Math.max(part.size, 1) < low.position / Math.max(low.size, 1) ? part : low,
    undefined,
  );
  const size = slowest?.size ?? 0;
  const position = slowest?.position ?? 0;
  const left = Math.max(size - position, 0);
  const reached = slowest?.reachedArrivedAt ?? null;
  const from = report.historyFrom;
  const days = (to: number | null) =>
    from === null || to === null ? 0 : Math.max(0, Math.ceil((to - from) / DAY_MS));
  return {
    generation: next.number,
    startedAt: isoTime(next.registeredAt),
    events: parts.reduce((sum, part) => sum + part.events, 0),
    percent: size === 0 ? 100 : Math.min(100, Math.round((1000 * position) / size) / 10),
    rate: Math.round(parts.reduce((sum, part) => sum + part.rate, 0) / Math.max(parts.length, 1)),
    etaSeconds:
      left === 0 ? 0 : slowest && slowest.bytesRate > 0 ? Math.ceil(left / slowest.bytesRate) : null,
    reached: reached === null ? null : isoTime(reached),
    periods: { done: Math.min(days(reached), days(now)), total: days(now) },
    caughtUp: parts.every((part) => part.caughtUp),
  };
}

/** The report, or one with only the shown generation where the runtime keeps no registry. */
export function versionsResponse(report: VersionsReport, now: number): z.input<typeof VersionsResponse> {
  const { registry } = report;
  const keys = [
    ...new Set([
      ...Object.keys(registry.shown.versions),
      ...Object.keys(registry.next?.versions ?? {}),
      ...registry.retired.map((version) => version.key),
    ]),
  ];
  return {
    shown: {
      generation: registry.shown.number,
      since: registry.shown.shownAt > 0 ? isoTime(registry.shown.shownAt) : null,
    },
    backfill: backfillStatus(report, now),
    definitions: keys.map((key) => ({
      key,
      versions: versionsOf(registry, key).map((version) => ({
        id: version.id,
        state: version.state,
        generation: version.generation,
        since: version.at > 0 ? isoTime(version.at) : null,
      })),
    })),
  };
}

export const versionsRoute = defineRoute({
  method: 'GET',
  path: '/api/versions',
  operationId: 'getDefinitionVersions',
  summary: 'Definition versions and the backfill of new ones',
  description:
    'Every metric, funnel and journey definition with its versions (shown, backfilling, retired), and the progress of the backfill that fills a new or changed definition from the archive: entries, percent, rate, time left, days of history.',
  query: () => NoQuery,
  response: VersionsResponse,
  async handle({ deps }) {
    const report = deps.versionsReport?.();
    const now = deps.clock();
    if (report) return versionsResponse(report, now);
    const versions = Object.fromEntries(
      Object.entries(deps.compiled.defIds).map(([key, id]) => [
        key,
        { id, fingerprint: deps.compiled.fingerprints[key] ?? id, scope: 'live' },
      ]),
    );
    return versionsResponse(
      {
        registry: {
          shown: { number: 0, config: deps.compiled.config, versions, registeredAt: 0, shownAt: 0 },
          retired: [],
        },
        backfills: [],
        historyFrom: null,
      },
      now,
    );
  },
});

export const ImportSummary = z.object({
  importId: z.string(),
  received: z.number().int().describe('Events received for the import'),
  imported: z.number().int().describe('New events that joined the history'),
  duplicates: z
    .number()
    .int()
    .nullable()
    .describe(
      'Events the pipeline already had (same source, user and event id), or repeated in the import; null on AWS, where the rebuild leaves them out as it counts each event once',
    ),
  rejected: z
    .record(z.string(), z.number().int())
    .describe('Events the tracking plan refused, by reason; quarantined'),
  from: Instant.nullable().describe('The earliest imported event'),
  to: Instant.nullable().describe('The latest imported event'),
  history: z
    .string()
    .describe('The history every version is rebuilt from; GET /api/versions shows the backfill'),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

export const ImportPartCounts = z.object({
  received: z.number().int().describe('Events received in this call'),
  imported: z.number().int().describe('Events that joined the history'),
  rejected: z
    .record(z.string(), z.number().int())
    .describe('Events the tracking plan refused, by reason; quarantined'),
});

/** PutEvents entries, as northstar import sends a history to AWS. */
export const ImportEventsBody = z.object({
  entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
      }),
    )
    .min(1)
    .max(500),
});

/** What a runtime that takes imports offers the read API. */
export interface HistoryImportPort {
  finish(importId: string): Promise<ImportSummary>;
  /** Takes a part of an import through the API (on AWS; the local runtime takes PutEvents at /imports/{id}). */
  stageEntries?(
    importId: string,
    entries: z.infer<typeof ImportEventsBody>['entries'],
  ): Promise<z.input<typeof ImportPartCounts>>;
}

/** The import errors as API errors: an unknown import is not found, a bad or finished one a bad parameter. */
async function importCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'unknown_import') throw notFound((error as Error).message);
    if (code === 'invalid_import_id' || code === 'finished_import')
      throw invalidParameter('id', (error as Error).message);
    throw error;
  }
}

export const importEventsRoute = defineRoute({
  method: 'POST',
  path: '/api/imports/{id}/events',
  action: 'import history',
  operationId: 'importEvents',
  summary: 'Takes a part of a history import: validated, quarantined where refused, kept as history',
  description:
    'On AWS, northstar import sends its events here as PutEvents entries (single events or batch entries), at most 500 a call. They are checked against the tracking plan as if they had arrived on time (no lateness limit; nothing later than now plus the clock skew); refused events are quarantined with their reason, the rest are kept in the archive bucket as history, each arriving when it happened. The same entries sent again replace their part. Finish the import to rebuild every version from it.',
  query: () => NoQuery,
  body: ImportEventsBody,
  notFound: 'This runtime takes history through PutEvents at /imports/{id} instead.',
  response: ImportPartCounts,
  async handle({ deps, params, body }) {
    const stage = deps.imports?.stageEntries?.bind(deps.imports);
    if (!stage) throw notFound('this runtime takes history through PutEvents at /imports/{id}, not here');
    return importCall(() => stage(params.id ?? '', body.entries));
  },
});

export const finishImportRoute = defineRoute({
  method: 'POST',
  path: '/api/imports/{id}/finish',
  action: 'finish a history import',
  operationId: 'finishImport',
  summary: 'Ends a history import: its events join the history, and every version is rebuilt from it',
  description:
    'An import sends its events with PutEvents to `/imports/{id}` on the local runtime, or to `POST /api/imports/{id}/events` on AWS (northstar import does either). Finishing adds them to the history (locally it first validates them against the tracking plan as if they had arrived on time and leaves out events the pipeline already has) and starts a backfill that rebuilds every definition from the history and the archive (GET /api/versions); on AWS the next recompute run starts it. Finishing again answers the same summary.',
  query: () => NoQuery,
  notFound: 'No events were sent for this import, or this runtime keeps no history (no data directory).',
  response: ImportSummary,
  async handle({ deps, params }) {
    const imports = deps.imports;
    if (!imports) throw notFound('this runtime takes no history import: start it with a data directory');
    return importCall(() => imports.finish(params.id ?? ''));
  },
});
