import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import type { VersionRegistry } from '../../domain/engine/versions.js';
import { type TrackingPlanSchemas, trackingPlanSchemas } from '../../domain/events/tracking-plan.js';
import type { ArchiveObjects } from '../../ports/archive-objects.js';
import type { BackfillRuns } from '../../ports/backfill-runs.js';
import type { Clock } from '../../ports/clock.js';
import type { Stores } from '../../ports/stores.js';
import { type CountPartitionInput, type CountPartitionResult, countPartition } from './count-partition.js';
import { finishBackfill } from './finish-backfill.js';
import {
  type PartitionArchiveInput,
  type PartitionArchiveSummary,
  partitionArchive,
} from './partition-archive.js';

/** What the backfill state machine's three steps work with. */
export interface BackfillSteps {
  readonly objects: ArchiveObjects;
  readonly runs: BackfillRuns;
  readonly readRegistry: () => Promise<VersionRegistry | undefined>;
  readonly storesOf: (scope: string) => Stores;
  readonly clock: Clock;
}

const schemasOf = new WeakMap<CompiledConfig, TrackingPlanSchemas>();
/** The tracking plan's schemas of a compiled configuration, built once for it. */
export function schemas(compiled: CompiledConfig): TrackingPlanSchemas {
  let found = schemasOf.get(compiled);
  if (!found) schemasOf.set(compiled, (found = trackingPlanSchemas(compiled.config)));
  return found;
}

export const partitionStep = (
  steps: BackfillSteps,
  input: PartitionArchiveInput,
): Promise<PartitionArchiveSummary> => partitionArchive(input, steps);

export const workerStep = (
  steps: BackfillSteps,
  input: CountPartitionInput,
  remainingMs: () => number,
  options: { reserveMs?: number; batchSize?: number } = {},
): Promise<CountPartitionResult> => countPartition(input, { ...steps, schemas, remainingMs, ...options });

export const finishStep = (steps: BackfillSteps, input: { generation: number }) =>
  finishBackfill(input, steps);
