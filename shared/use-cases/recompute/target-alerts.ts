import type { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import type { Rollup } from '../../domain/rollup.js';
import { cadencePeriod } from '../../domain/time/cadence.js';
import { durationMs, periodBounds, periodKey } from '../../domain/time/periods.js';
import { type AlertDeps, alertOf, sendAlert } from './deviation-alerts.js';

/**
 * A key result whose pace no longer reaches its target alerts its owner once per review
 * period of the metric's cadence, from the latest settled period. Returns how many.
 */
export async function raiseTargetAlerts(
  deps: AlertDeps,
  rollups: readonly Rollup[],
  now: number,
): Promise<number> {
  const { config, zone } = deps.compiled;
  let raised = 0;
  for (const rollup of rollups) {
    const metric = config.metrics[rollup.metricId]!;
    if (
      !metric.target ||
      rollup.target?.state !== 'off_track' ||
      !rollup.settled ||
      metric.grain !== rollup.grain
    )
      continue;
    // Only the latest settled period speaks for the target now: not one the next period has replaced.
    const next = periodBounds(periodKey(rollup.end, rollup.grain, zone), rollup.grain, zone);
    if (now >= next.end + durationMs(config.recompute.settleDelay)) continue;
    const review = cadencePeriod(metric.cadence, now, zone);
    const alert: DeviationAlert = {
      ...alertOf(rollup, new Map(), deps.compiled, 'target_off_track'),
      alertId: `${rollup.defId}:target:${review.key}`,
      grain: `target-${metric.cadence}`,
      period: review.key,
      periodStart: new Date(review.start).toISOString(),
      target: { ...metric.target, ...rollup.target },
    };
    if (await deps.alerts.openAlert(alert, now)) {
      await sendAlert(deps, alert);
      raised++;
    }
  }
  return raised;
}
