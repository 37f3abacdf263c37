import type { Alerts } from './alerts.js';
import type { Annotations } from './annotations.js';
import type { Counters } from './counters.js';
import type { DeadLetters } from './dead-letters.js';
import type { Digests } from './digests.js';
import type { DirtyPeriods } from './dirty-periods.js';
import type { Freshness } from './freshness.js';
import type { Quarantine } from './quarantine.js';
import type { RecomputeRuns } from './recompute-runs.js';
import type { Rollups } from './rollups.js';
import type { UsersAndRounds } from './users-and-rounds.js';
import type { Versions } from './versions.js';

/**
 * Every store the use cases talk to, one per item type. The DynamoDB adapter builds them in
 * AWS and locally; an in-memory set backs the use-case tests. Use cases take the ones they need.
 */
export interface Stores {
  readonly users: UsersAndRounds;
  readonly counters: Counters;
  readonly dirty: DirtyPeriods;
  readonly quarantine: Quarantine;
  readonly deadLetters: DeadLetters;
  readonly rollups: Rollups;
  readonly alerts: Alerts;
  readonly runs: RecomputeRuns;
  readonly freshness: Freshness;
  readonly versions: Versions;
  readonly annotations: Annotations;
  readonly digests: Digests;
}
