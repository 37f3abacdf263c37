import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { canonicalJson, shortHash } from '../../domain/events/hash.js';
import { parseEntry, type TrackingPlanSchemas } from '../../domain/events/tracking-plan.js';
import type { ArchiveObjects } from '../../ports/archive-objects.js';
import type { Clock } from '../../ports/clock.js';
import { type HistoryImportRecords, type ImportCounts, sumCounts } from '../../ports/history-imports.js';
import type { Quarantine } from '../../ports/quarantine.js';
import { HISTORY_PREFIX } from '../backfill/partition-archive.js';
import type { ImportSummary } from '../read-api/routes-versions.js';
import { checkImportId, finishedImportError, ImportError, singleEntries } from './history-entries.js';

/** A PutEvents entry, as `northstar import` sends them. */
export interface ImportEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface ArchivedImportsDeps {
  readonly objects: Pick<ArchiveObjects, 'writeLines'>;
  readonly records: HistoryImportRecords;
  readonly quarantine: Pick<Quarantine, 'putQuarantine'>;
  /** What validation checks against: the shown configuration and its tracking plan. */
  readonly compiled: CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly clock: Clock;
}

/** The object a part of an import is kept in: named by its entries, so a part sent again replaces itself. */
export const historyPartKey = (importId: string, part: string) =>
  `${HISTORY_PREFIX}${importId}/${part}.ndjson.gz`;

const summaryOf = (importId: string, counts: ImportCounts): ImportSummary => ({
  importId,
  received: counts.received,
  imported: counts.imported,
  // Events the pipeline already has are left out by the rebuild, which counts each once.
  duplicates: null,
  rejected: { ...counts.rejected },
  from: counts.from === null ? null : new Date(counts.from).toISOString(),
  to: counts.to === null ? null : new Date(counts.to).toISOString(),
  history: importId,
});

/**
 * History import on AWS (SEMANTICS.md section 9). Each part is validated against the plan
 * as if it had arrived on time (no lateness limit, nothing later than now plus the clock
 * skew), its rejections quarantined, and its events kept in the archive bucket under
 * `history/<import>/`, in the archive's line format, each event arriving when it happened:
 * a backfill reads them merged with the archive, in arrival order. Finishing records the
 * import; the recompute then plans a generation that rebuilds every version from it.
 */
export function archivedImports(deps: ArchivedImportsDeps) {
  // Imported events count as if they had arrived on time: no lateness limit.
  const lenient: CompiledConfig = { ...deps.compiled, maxLatenessMs: Number.MAX_SAFE_INTEGER };
  return {
    async stageEntries(importId: string, entries: readonly ImportEntry[]): Promise<ImportCounts> {
      checkImportId(importId);
      if (await deps.records.readFinished(importId)) throw finishedImportError(importId);
      const now = deps.clock();
      const part = shortHash(canonicalJson(entries), 16).replace(/[^A-Za-z0-9_-]/g, '_');
      const rejected: Record<string, number> = {};
      const lines: { at: number; line: string }[] = [];
      const rejections = [];
      let received = 0;
      for (const [index, entry] of entries.entries()) {
        const id = `${importId}-${part}-${index}`;
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          detail = undefined;
        }
        const bodies =
          detail !== null && typeof detail === 'object'
            ? singleEntries({ id, source: entry.Source, 'detail-type': entry.DetailType, detail })
            : // Not an object: parsed whole, so that it is quarantined with its reason and raw payload.
              [
                JSON.stringify({
                  id,
                  source: entry.Source,
                  'detail-type': entry.DetailType,
                  detail: entry.Detail,
                }),
              ];
        for (const body of bodies) {
          received++;
          const parsed = parseEntry(body, { compiled: lenient, schemas: deps.schemas, arrivedAt: now });
          rejections.push(...parsed.rejections);
          for (const rejection of parsed.rejections)
            rejected[rejection.reason] = (rejected[rejection.reason] ?? 0) + 1;
          for (const event of parsed.events)
            lines.push({
              at: event.occurredAt,
              line: JSON.stringify({
                arrivedAt: new Date(event.occurredAt).toISOString(),
                event: JSON.parse(body),
              }),
            });
        }
      }
      await deps.quarantine.putQuarantine(rejections);
      lines.sort((a, b) => a.at - b.at);
      if (lines.length > 0)
        await deps.objects.writeLines(
          historyPartKey(importId, part),
          lines.map(({ line }) => line),
        );
      const counts: ImportCounts = {
        received,
        imported: lines.length,
        rejected,
        from: lines[0]?.at ?? null,
        to: lines.at(-1)?.at ?? null,
      };
      // Recorded after the object is stored: a part counted is a part kept.
      await deps.records.recordPart(importId, part, counts);
      return counts;
    },

    async finish(importId: string): Promise<ImportSummary> {
      checkImportId(importId);
      const finished = await deps.records.readFinished(importId);
      if (finished) return summaryOf(importId, finished.counts);
      const parts = await deps.records.readParts(importId);
      if (parts.length === 0)
        throw new ImportError('unknown_import', `no events were sent for import "${importId}"`);
      const recorded = await deps.records.finish(importId, sumCounts(parts), deps.clock());
      return summaryOf(importId, recorded.counts);
    },
  };
}

export type ArchivedImports = ReturnType<typeof archivedImports>;
