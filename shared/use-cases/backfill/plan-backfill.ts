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
): BackfillExecutionInput {
  return {
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
  const planned = planVersions(await deps.versions.readRegistry(), deps.config, now, true);
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
    // Started before it is recorded: a crash between the two starts the same name again, which exists.
    await deps.executions.start(fresh.executionName, executionInputOf(fresh, deps.listAfterMs));
    run = await deps.runs.createRun(fresh);
  }
  if (scopes.length === 0 || run?.doneAt !== undefined) {
    registry = showNext(registry, now);
    await deps.versions.writeRegistry(registry);
  }
  return registry;
}
