import type { VersionRegistry } from '../domain/engine/versions.js';

/** The definition versions' registry: one record, written when a configuration starts or a backfill is shown. */
export interface Versions {
  readRegistry(): Promise<VersionRegistry | undefined>;
  writeRegistry(registry: VersionRegistry): Promise<void>;
}
