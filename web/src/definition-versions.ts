import type { DefinitionVersion, MetricNode, VersionsResponse } from './api.js';

/**
 * The registry as the freshness line last read it, once per render: every view of that
 * render shows the same backfill progress, and the page asks for it once.
 */
let latest: VersionsResponse | undefined;

export function setDefinitionVersions(versions: VersionsResponse | undefined): void {
  latest = versions;
}

/** Undefined when the last read failed: views then show no progress rather than a guess. */
export function definitionVersions(): VersionsResponse | undefined {
  return latest;
}

/** A version of a metric; generation unknown when only the tree named it. */
export interface MetricVersion {
  readonly id: string;
  readonly state: DefinitionVersion['state'];
  readonly generation: number | null;
  readonly since: string | null;
}

/** The metric's versions, newest state first; from the tree alone when the registry is unknown. */
export function metricVersions(
  metric: MetricNode,
  versions: VersionsResponse | undefined,
): readonly MetricVersion[] {
  const known = versions?.definitions.find(
    (definition) => definition.key === `metric:${metric.id}`,
  )?.versions;
  if (known && known.length > 0) return known;
  const shown = { id: metric.definitionVersion, state: 'shown', generation: null, since: null } as const;
  return metric.backfilling
    ? [
        shown,
        { id: metric.backfilling.definitionVersion, state: 'backfilling', generation: null, since: null },
      ]
    : [shown];
}
