import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists } from '../shared/adapters/file/read-if-exists.js';
import type { CompiledConfig } from '../shared/domain/engine/compiled-config.js';
import { parseEntry, type TrackingPlanSchemas } from '../shared/domain/events/tracking-plan.js';
import type { Clock } from '../shared/ports/clock.js';
import type { Quarantine } from '../shared/ports/quarantine.js';
import {
  checkImportId,
  finishedImportError,
  ImportError,
  singleEntries,
} from '../shared/use-cases/history-import/history-entries.js';
import type { ImportSummary } from '../shared/use-cases/read-api/routes-versions.js';
import {
  archiveLine,
  type EventArchive,
  openArchiveFile,
  openEventArchive,
  readArchiveLine,
} from './event-archive.js';
import type { BusEvent } from './event-bus.js';

export interface HistoryImportsOptions {
  readonly dataDir: string;
  readonly archive: EventArchive;
  /** The history the shown versions were built from, if any (a file name in the data directory). */
  readonly currentHistory: () => string | undefined;
  /** What validation checks against: the configuration and its tracking plan. */
  readonly compiled: () => CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly quarantine: Pick<Quarantine, 'putQuarantine'>;
  readonly clock: Clock;
  /** Every version is rebuilt from the new history; resolves once the backfill has started. */
  readonly rebuild: (history: string) => Promise<void>;
}

export interface HistoryImports {
  /** Takes an import's PutEvents entries: staged on disk, durably, before the call is answered. */
  stage(importId: string, events: readonly BusEvent[]): Promise<void>;
  /** Validates, de-duplicates and adds what was staged to the history, then rebuilds every version. */
  finish(importId: string): Promise<ImportSummary>;
}

async function writeDurably(path: string, lines: readonly string[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let i = 0; i < lines.length; i += 10_000) await handle.write(lines.slice(i, i + 10_000).join(''));
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * History import on the local runtime (SEMANTICS.md section 9). An import's entries are
 * staged as they come; at the end every event is validated against the plan as if it had
 * arrived on time (no lateness limit, but nothing later than now plus the clock skew),
 * events the pipeline already has are left out (the first received stands), and the rest
 * join the history: a file in arrival order, each event arriving when it happened, read
 * merged with the archive. A new history changes numbers of every definition, so every
 * version is rebuilt from it by the same backfill; until that reaches the present, what
 * was shown stays shown.
 */
export function createHistoryImports(options: HistoryImportsOptions): HistoryImports {
  const { dataDir, clock } = options;
  const stagingDir = join(dataDir, 'imports');
  const staged = (id: string) => join(stagingDir, `${id}.ndjson`);
  const done = (id: string) => join(stagingDir, `${id}.done.json`);
  const staging = new Map<string, Promise<EventArchive>>();
  let finishing: Promise<unknown> = Promise.resolve();

  const checkId = checkImportId;
  const stagingFile = (id: string) => {
    let file = staging.get(id);
    if (!file) {
      file = mkdir(stagingDir, { recursive: true }).then(async () =>
        openEventArchive(await openArchiveFile(staged(id))),
      );
      staging.set(id, file);
    }
    return file;
  };

  /** Keys of the events the pipeline has: its history and its archive. */
  async function knownKeys(lenient: CompiledConfig, history: EventArchive | undefined): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const log of [history, options.archive]) {
      if (!log) continue;
      for (let at = 0; at < log.size(); ) {
        const { lines, next } = await log.read(at, 4 * 1024 * 1024);
        for (const line of lines) {
          const archived = readArchiveLine(line.text);
          if (!archived) continue;
          const { events } = parseEntry(archived.eventJson, {
            compiled: lenient,
            schemas: options.schemas,
            arrivedAt: archived.arrivedAt,
          });
          for (const event of events) keys.add(`${event.userId}\u0000${event.key}`);
        }
        if (next === at) break;
        at = next;
      }
    }
    return keys;
  }

  async function finishNow(importId: string): Promise<ImportSummary> {
    const finished = await readTextIfExists(done(importId));
    if (finished !== undefined) return JSON.parse(finished) as ImportSummary;
    const text = await readTextIfExists(staged(importId));
    if (text === undefined)
      throw new ImportError('unknown_import', `no events were sent for import "${importId}"`);
    const now = clock();
    // Imported events count as if they had arrived on time: no lateness limit.
    const lenient: CompiledConfig = { ...options.compiled(), maxLatenessMs: Number.MAX_SAFE_INTEGER };
    const currentName = options.currentHistory();
    const current = currentName
      ? await openEventArchive(await openArchiveFile(join(dataDir, currentName)))
      : undefined;
    const known = await knownKeys(lenient, current);
    const rejected: Record<string, number> = {};
    const added: { at: number; line: string }[] = [];
    let received = 0;
    let duplicates = 0;
    for (const stagedLine of text.split('\n')) {
      const archived = stagedLine.trim() === '' ? undefined : readArchiveLine(stagedLine);
      if (!archived) continue;
      for (const single of singleEntries(archived.event as BusEvent)) {
        received++;
        const parsed = parseEntry(single, { compiled: lenient, schemas: options.schemas, arrivedAt: now });
        if (parsed.rejections.length > 0) {
          await options.quarantine.putQuarantine(parsed.rejections);
          for (const rejection of parsed.rejections)
            rejected[rejection.reason] = (rejected[rejection.reason] ?? 0) + 1;
          continue;
        }
        const event = parsed.events[0]!;
        const key = `${event.userId}\u0000${event.key}`;
        if (known.has(key)) {
          duplicates++;
          continue;
        }
        known.add(key);
        added.push({ at: event.occurredAt, line: archiveLine(single, event.occurredAt) });
      }
    }
    added.sort((a, b) => a.at - b.at);
    // The new history: the current one and the imported events, merged in arrival order.
    const lines: string[] = [];
    let next = 0;
    if (current) {
      for (let at = 0; at < current.size(); ) {
        const { lines: read, next: after } = await current.read(at, 4 * 1024 * 1024);
        for (const line of read) {
          const arrivedAt = readArchiveLine(line.text)?.arrivedAt ?? 0;
          while (next < added.length && added[next]!.at < arrivedAt) lines.push(added[next++]!.line);
          lines.push(`${line.text}\n`);
        }
        if (after === at) break;
        at = after;
      }
      await current.close();
    }
    while (next < added.length) lines.push(added[next++]!.line);
    const names = (await readdir(dataDir)).filter((name) => /^history-\d+\.ndjson$/.test(name));
    const number = Math.max(0, ...names.map((name) => Number(name.slice(8, -7)))) + 1;
    const history = `history-${number}.ndjson`;
    await writeDurably(join(dataDir, `${history}.next`), lines);
    await rename(join(dataDir, `${history}.next`), join(dataDir, history));
    await options.rebuild(history);
    const summary: ImportSummary = {
      importId,
      received,
      imported: added.length,
      duplicates,
      rejected,
      from: added.length > 0 ? new Date(added[0]!.at).toISOString() : null,
      to: added.length > 0 ? new Date(added[added.length - 1]!.at).toISOString() : null,
      history,
    };
    await writeFile(done(importId), JSON.stringify(summary));
    await (await staging.get(importId))?.close();
    staging.delete(importId);
    await rm(staged(importId), { force: true });
    return summary;
  }

  return {
    async stage(importId, events) {
      checkId(importId);
      if ((await readTextIfExists(done(importId))) !== undefined) throw finishedImportError(importId);
      const file = await stagingFile(importId);
      const at = clock();
      await file.append(events.map((event) => archiveLine(JSON.stringify(event), at)));
    },
    finish(importId) {
      checkId(importId);
      // One at a time: each builds on the history the one before wrote.
      const result = finishing.then(() => finishNow(importId));
      finishing = result.catch(() => undefined);
      return result;
    },
  };
}
