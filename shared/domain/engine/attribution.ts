export interface ParentMove {
  readonly observed: number;
  readonly expected: number;
}

export interface ChildValue {
  readonly metricId: string;
  readonly observed: number | null;
  readonly expected: number | null;
}

export interface ChildAttribution {
  readonly metricId: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** (observed - expected) / |expected|; null without both values, or when expected is 0. */
  readonly relativeDeviation: number | null;
  /** Part of the parent's move this child explains, 0 to 1; the shares sum to 1 or are all 0. */
  readonly share: number;
}

function relativeDeviationOf(child: ChildValue): number | null {
  const { observed, expected } = child;
  if (observed === null || expected === null || expected === 0) return null;
  const deviation = (observed - expected) / Math.abs(expected);
  return Number.isFinite(deviation) ? deviation : null;
}

/** The child's relative move in the parent's direction; a move the other way explains nothing. */
function scoreOf(relativeDeviation: number | null, parentDirection: number): number {
  if (relativeDeviation === null || parentDirection === 0) return 0;
  return Math.max(0, relativeDeviation * parentDirection);
}

function byExplanation(a: ChildAttribution, b: ChildAttribution): number {
  if (a.share !== b.share) return b.share - a.share;
  const sizeA = a.relativeDeviation === null ? -1 : Math.abs(a.relativeDeviation);
  const sizeB = b.relativeDeviation === null ? -1 : Math.abs(b.relativeDeviation);
  if (sizeA !== sizeB) return sizeB - sizeA;
  return a.metricId < b.metricId ? -1 : a.metricId > b.metricId ? 1 : 0;
}

/**
 * Ranks a metric's children by how much of the metric's move (observed against
 * expected) each one explains: a child's share is its relative deviation in the
 * parent's direction, over the sum of those of all children.
 */
export function attribute(parent: ParentMove, children: readonly ChildValue[]): ChildAttribution[] {
  const parentDirection = Math.sign(parent.observed - parent.expected) || 0;
  const scored = children.map((child) => {
    const relativeDeviation = relativeDeviationOf(child);
    return { child, relativeDeviation, score: scoreOf(relativeDeviation, parentDirection) };
  });
  // Summed smallest first, so the shares do not depend on the order of the children.
  const total = scored
    .map(({ score }) => score)
    .sort((a, b) => a - b)
    .reduce((sum, score) => sum + score, 0);
  return scored
    .map(({ child, relativeDeviation, score }) => ({
      metricId: child.metricId,
      observed: child.observed,
      expected: child.expected,
      relativeDeviation,
      share: total > 0 && Number.isFinite(total) ? score / total : 0,
    }))
    .sort(byExplanation);
}
