import type { NorthstarConfig } from '../../domain/config/schema.js';
import {
  backfillScopes,
  type Generation,
  planVersions,
  showNext,
  type VersionRegistry,
} from '../../domain/engine/versions.js';
import { canonicalJson, shortHash } from '../../domain/events/hash.js';
import type {
  BackfillExecutionInput,
  BackfillExecutions,
  BackfillRun,
  BackfillRuns,
} from '../../ports/backfill-runs.js';
import type { Clock } from '../../ports/clock.js';
import type { HistoryImportRecords } from '../../ports/history-imports.js';
import type { Versions } from '../../ports/versions.js';

export interface PlanBackfillDeps {
  readonly versions: Versions;
  readonly runs: Pick<BackfillRuns, 'readRun' | 'createRun'>;
  readonly executions: BackfillExecutions;
  /** The configuration deployed with the function. */
  readonly config: NorthstarConfig;
  readonly clock: Clock;
  readonly partitions: number;
  /**
   * From the start to the cut: how long until every ingest instance counts the new namespaces
   * (the registry cache) plus how long an entry may wait in Firehose's buffer before S3.
   */
  readonly cutAfterMs: number;
  /** From the cut until the archive's listing: Firehose's delivery of its last buffer. */
  readonly listAfterMs: number;
  /** Finished history imports: a new one rebuilds every version, and every backfill reads them. */
  readonly imports?: Pick<HistoryImportRecords, 'listFinished'>;
}

/**
 * The execution's name: from the generation and its versions, so two planners (a retried
 * run, the API's recompute beside the schedule's) start the same one, and Step Functions
 * starts it once.
 */
export function executionNameOf(next: Generation): string {
  const versions = Object.fromEntries(Object.entries(next.versions).map(([key, entry]) => [key, entry.id]));
  return `northstar-g${next.number}-${shortHash(canonicalJson(versions), 6)}`;
}

export function executionInputOf(
  run: Pick<BackfillRun, 'generation' | 'executionName' | 'cut' | 'partitions'>,
  listAfterMs: number,
  imports: readonly string[] = [],
): BackfillExecutionInput {
  return {
    imports: [...imports],
    generation: run.generation,
    run: run.executionName,
    cut: run.cut,
    listAfter: new Date(run.cut + listAfterMs).toISOString(),
    partitions: Array.from({ length: run.partitions }, (_, index) => index),
    partitionCount: run.partitions,
  };
}

/**
 * The registry on AWS, planned by the recompute on each run (SEMANTICS.md section 8): the
 * deployed configuration against the stored registry; a new next generation starts its
 * backfill; a backfill recorded done shows its generation. Returns the registry to recompute with.
 */
export async function planBackfill(deps: PlanBackfillDeps): Promise<VersionRegistry> {
  const now = deps.clock();
  const stored = await deps.versions.readRegistry();
  const finished = (await deps.imports?.listFinished()) ?? [];
  // A finished import no generation was built from yet: every version is rebuilt with it.
  const newest = finished.at(-1)?.importId;
  const built = new Set(Object.values(stored?.histories ?? {}));
  const planned = planVersions(
    stored,
    deps.config,
    now,
    true,
    newest !== undefined && !built.has(newest) ? { rebuild: true, history: newest } : {},
  );
  let registry = planned.registry;
  if (planned.changed) await deps.versions.writeRegistry(registry);
  const next = registry.next;
  if (!next) return registry;
  const scopes = [...backfillScopes(registry)];
  let run = await deps.runs.readRun(next.number);
  if (scopes.length > 0 && !run) {
    const fresh = {
      generation: next.number,
      executionName: executionNameOf(next),
      scopes,
      startedAt: now,
      cut: now + deps.cutAfterMs,
      partitions: deps.partitions,
    };
    // The imports finished when the generation was planned: a second start has the same input.
    const imports = finished.filter((one) => one.finishedAt <= next.registeredAt).map((one) => one.importId);
    // Started before it is recorded: a crash between the two starts the same name again, which exists.
    await deps.executions.start(fresh.executionName, executionInputOf(fresh, deps.listAfterMs, imports));
    run = await deps.runs.createRun(fresh);
  }
  if (scopes.length === 0 || run?.doneAt !== undefined) {
    registry = showNext(registry, now);
    await deps.versions.writeRegistry(registry);
  }
  return registry;
}
