import type { VersionRegistry } from '../../domain/engine/versions.js';
import type { BackfillRuns } from '../../ports/backfill-runs.js';
import type { Clock } from '../../ports/clock.js';

export interface FinishBackfillDeps {
  readonly runs: Pick<BackfillRuns, 'finishRun'>;
  readonly readRegistry: () => Promise<VersionRegistry | undefined>;
  readonly clock: Clock;
}

/**
 * The last step of a backfill: every partition has reached the cut, so the run is recorded
 * done, and the next recompute shows the generation. A generation replaced meanwhile is left
 * alone: the registry no longer waits for it.
 */
export async function finishBackfill(
  input: { readonly generation: number },
  deps: FinishBackfillDeps,
): Promise<{ readonly generation: number; readonly finished: boolean }> {
  const registry = await deps.readRegistry();
  if (registry?.next?.number !== input.generation) return { generation: input.generation, finished: false };
  await deps.runs.finishRun(input.generation, deps.clock());
  return { generation: input.generation, finished: true };
}
