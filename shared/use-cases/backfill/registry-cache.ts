import type { VersionRegistry } from '../../domain/engine/versions.js';
import type { Clock } from '../../ports/clock.js';
import type { Versions } from '../../ports/versions.js';

/**
 * The registry as a function reads it, at most one DynamoDB read per `ttlMs`: a new
 * generation reaches every instance within that time, which the backfill's cut allows for.
 * The same object is returned while the stored registry is unchanged, so what is compiled
 * from it can be kept by identity.
 */
export function cachedRegistry(
  versions: Pick<Versions, 'readRegistry'>,
  ttlMs: number,
  clock: Clock = Date.now,
): () => Promise<VersionRegistry | undefined> {
  let held: { at: number; json: string; registry: VersionRegistry | undefined } | undefined;
  let reading: Promise<VersionRegistry | undefined> | undefined;
  return async function currentRegistry() {
    if (held && clock() - held.at < ttlMs) return held.registry;
    reading ??= versions
      .readRegistry()
      .then((registry) => {
        const json = JSON.stringify(registry ?? null);
        held = { at: clock(), json, registry: held?.json === json ? held.registry : registry };
        return held.registry;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
