import type { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import { attribute } from '../../domain/engine/attribution.js';
import type { CompiledConfig } from '../../domain/engine/compiled-config.js';
import { explainMove } from '../../domain/engine/explanation.js';
import type { Rollup } from '../../domain/rollup.js';
import { durationMs } from '../../domain/time/periods.js';
import type { AlertBus } from '../../ports/alert-bus.js';
import type { Stores } from '../../ports/stores.js';
import { settledAt } from './period-rollups.js';

export interface AlertDeps extends Pick<Stores, 'alerts'> {
  readonly compiled: CompiledConfig;
  readonly bus: AlertBus;
  /**
   * When the versions of `compiled` were shown: deviations of periods that settled before
   * are history a backfill found, recorded but not sent. @default 0
   */
  readonly shownAt?: number;
}

/** A rollup as an alert: the numbers, the owner, and the child metrics ranked by how much of the move they explain. */
export function alertOf(
  rollup: Rollup,
  siblings: ReadonlyMap<string, Rollup>,
  compiled: CompiledConfig,
  kind: DeviationAlert['kind'],
  /** The period's breakdown series, for the explanation. */
  series: readonly Rollup[] = [],
): DeviationAlert {
  const { config } = compiled;
  const metric = config.metrics[rollup.metricId]!;
  const children = Object.entries(config.metrics)
    .filter(([, child]) => child.parent === rollup.metricId)
    .map(([childId]) => ({
      metricId: childId,
      observed: siblings.get(childId)?.value ?? null,
      expected: siblings.get(childId)?.expected ?? null,
    }));
  const contributors = attribute(
    { observed: rollup.value ?? 0, expected: rollup.expected ?? 0 },
    children,
  ).map((child) => ({ ...child, title: config.metrics[child.metricId]?.title ?? child.metricId }));
  const explained = explanationOf(rollup, series, compiled, kind);
  return {
    alertId: `${rollup.defId}:${rollup.grain}:${rollup.period}`,
    kind,
    metric: {
      id: rollup.metricId,
      title: metric.title,
      definitionVersion: rollup.defId,
      definition: metric.definition,
    },
    grain: rollup.grain,
    period: rollup.period,
    periodStart: new Date(rollup.start).toISOString(),
    periodEnd: new Date(rollup.end).toISOString(),
    observed: rollup.value,
    expected: rollup.expected ?? 0,
    band: { lower: rollup.lower ?? 0, upper: rollup.upper ?? 0 },
    relativeDeviation: rollup.relativeDeviation,
    severity: rollup.severity,
    owner: { name: metric.owner.name, contact: metric.owner.contact, team: metric.owner.team },
    contributors,
    ...explained,
    cause: causeOf(kind, explained.explanation, contributors),
    link: `${config.recompute.dashboardUrl.replace(/\/$/, '')}/#/metrics/${rollup.metricId}?grain=${rollup.grain}&period=${rollup.period}`,
  };
}

/** The alert's likely cause in one line: a message template cannot branch, so every alert has one. */
function causeOf(
  kind: DeviationAlert['kind'],
  explanation: DeviationAlert['explanation'],
  contributors: DeviationAlert['contributors'],
): string {
  if (kind === 'resolved') return 'back within its band';
  if (kind === 'target_off_track') return 'the pace of recent periods falls short of the target';
  if (explanation?.headline) return explanation.headline;
  const [top] = contributors;
  if (top && top.share >= 0.5) return `${Math.round(top.share * 100)}% of the move: ${top.title}`;
  if (explanation) return 'spread over all values of its breakdowns and child metrics';
  return contributors.length > 0 ? 'spread over its child metrics' : 'no child metrics or breakdowns to tell';
}

function explanationOf(
  rollup: Rollup,
  series: readonly Rollup[],
  compiled: CompiledConfig,
  kind: DeviationAlert['kind'],
): { explanation?: DeviationAlert['explanation'] } {
  if (kind === 'resolved' || series.length === 0) return {};
  const points = new Map(
    series.map((one) => [`${one.metricId}\u0000${one.series!.by}\u0000${one.series!.value}`, one]),
  );
  const explanation = explainMove(
    compiled,
    rollup.metricId,
    rollup.value,
    rollup.expected,
    (metricId, by, label) => points.get(`${metricId}\u0000${by}\u0000${label}`),
  );
  return explanation ? { explanation } : {};
}

/**
 * Sends an alert this run recorded, then notes it sent; a crash in between is resent by a
 * later run. A historical one is only noted, so no run sends it.
 */
export async function sendAlert(deps: AlertDeps, alert: DeviationAlert): Promise<void> {
  if (!alert.historical && !alert.quiet) await deps.bus.publish([alert]);
  await deps.alerts.markSent(alert);
}

/** Opens one alert per deviating settled period and resolves it once the period is back in its band. */
export async function raiseDeviationAlerts(
  deps: AlertDeps,
  rollups: readonly Rollup[],
  now: number,
  /** The same period's breakdown series: they explain the alerts. */
  series: readonly Rollup[] = [],
): Promise<{ detected: number; resolved: number }> {
  const byMetric = new Map(rollups.map((rollup) => [rollup.metricId, rollup]));
  let detected = 0;
  let resolved = 0;
  const settleDelayMs = durationMs(deps.compiled.config.recompute.settleDelay);
  for (const rollup of rollups) {
    const metric = deps.compiled.config.metrics[rollup.metricId]!;
    if (!rollup.settled || metric.grain !== rollup.grain) continue;
    const historical =
      settledAt(metric, rollup.end, settleDelayMs, deps.compiled) < (deps.shownAt ?? 0)
        ? { historical: true }
        : {};
    if (rollup.status === 'deviating') {
      // A marked period's deviation is kept with its labels; it pages only if the metric asks.
      const marked =
        rollup.marks && rollup.marks.length > 0
          ? { marks: [...rollup.marks], ...(metric.pageMarked ? {} : { quiet: true }) }
          : {};
      const alert = {
        ...alertOf(rollup, byMetric, deps.compiled, rollup.shift ? 'level_shift' : 'detected', series),
        ...historical,
        ...marked,
      };
      if (await deps.alerts.openAlert(alert, now)) {
        await sendAlert(deps, alert);
        detected++;
      }
    } else if (rollup.status === 'normal') {
      const existing = await deps.alerts.getAlert(alertOf(rollup, byMetric, deps.compiled, 'resolved'));
      const alert = {
        ...alertOf(rollup, byMetric, deps.compiled, 'resolved'),
        // A resolution goes where its detection went: sent, or kept as history or quiet.
        ...(existing?.alert.historical ? { historical: true } : {}),
        ...(existing?.alert.quiet ? { quiet: true } : {}),
      };
      if (existing?.state === 'open' && (await deps.alerts.resolveAlert(alert, now))) {
        await sendAlert(deps, alert);
        resolved++;
      }
    }
  }
  return { detected, resolved };
}
