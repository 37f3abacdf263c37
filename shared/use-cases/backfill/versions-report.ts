import { backfillScopes, type VersionRegistry, type VersionsReport } from '../../domain/engine/versions.js';
import type { BackfillRun } from '../../ports/backfill-runs.js';

/**
 * What GET /api/versions reports on AWS: the stored registry and, while a backfill runs, its
 * run's progress as the workers recorded it. Positions count archive entries: the partition
 * step's total is the size, the workers' counts the position; every namespace of the run
 * stands where its workers do.
 */
export function runVersionsReport(
  registry: VersionRegistry,
  run: BackfillRun | undefined,
  now: number,
): VersionsReport {
  if (!registry.next || !run) return { registry, backfills: [], historyFrom: null };
  const parts = Object.values(run.progress);
  const events = parts.reduce((sum, part) => sum + part.events, 0);
  const allDone = run.doneAt !== undefined || (parts.length === run.partitions && parts.every((p) => p.done));
  // A retried partition step adds its entries twice: once every worker is done, the position is the size.
  const size = allDone ? events : Math.max(run.partitioned, events);
  const unfinished = parts.filter((part) => !part.done);
  // The slowest partition says how far the backfill is; one not yet started says nothing yet.
  const started =
    parts.length === run.partitions && unfinished.every((part) => part.reachedArrivedAt !== null);
  const reached = allDone
    ? run.cut
    : started
      ? Math.min(...unfinished.map((part) => part.reachedArrivedAt ?? run.cut))
      : null;
  const firsts = parts.map((part) => part.firstArrivedAt).filter((at) => at !== null);
  const seconds = Math.max((now - run.startedAt) / 1000, 0.001);
  return {
    registry,
    backfills: [...backfillScopes(registry)].map((scope) => ({
      scope,
      events,
      position: events,
      size,
      reachedArrivedAt: reached,
      rate: events / seconds,
      bytesRate: events / seconds,
      caughtUp: allDone,
    })),
    historyFrom: firsts.length > 0 ? Math.min(...firsts) : null,
  };
}
