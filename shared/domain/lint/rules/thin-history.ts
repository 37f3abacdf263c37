import type { NorthstarConfig } from '../../config/schema.js';
import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

/**
 * The least typical count a period needs for a 50% drop to leave its band: the band's half
 * width is at least countNoise x sqrt(expected), so 0.5 v > c sqrt(v) gives v > (2c)^2.
 */
export function minJudgeableVolume(config: NorthstarConfig): number {
  return config.lint.minVolume ?? Math.max(1, (2 * config.recompute.countNoise) ** 2);
}

/** Which metric's volume decides a metric's noise: a ratio's denominator, a count itself. */
function volumeMetric(config: NorthstarConfig, id: string): string | undefined {
  const metric = config.metrics[id];
  if (!metric) return undefined;
  if (metric.kind === 'ratio') return metric.denominator;
  if (metric.kind === 'count' || metric.kind === 'distinct_users') return id;
  return undefined;
}

export const thinHistory: LintRule = {
  id: 'thin-history',
  severity: 'warning',
  title: 'Alerting on a metric whose history is too thin to judge',
  why: 'At a few dozen a period, counting noise alone moves a count by a third: the band must be so wide that even a halving stays inside it, so the metric never alerts, or, narrowed, alerts on chance.',
  needs: "each metric's typical value per period, read from the pipeline (`northstar lint --history`)",
  fix: 'Judge it at a coarser grain (a week instead of a day), or count a more frequent event; or acknowledge it while the product is young.',
  check({ config, volumes }) {
    if (!volumes) return undefined;
    const least = minJudgeableVolume(config);
    return metricsOf(config).flatMap(([id, metric]) => {
      const source = volumeMetric(config, id);
      const volume = source === undefined ? undefined : volumes.get(source);
      if (volume === undefined || volume >= least) return [];
      const of = source === id ? '' : ` (its denominator "${source}")`;
      return [
        {
          metric: id,
          path: `metrics.${id}.grain`,
          message: `"${id}"${of} is typically ${Math.round(volume * 10) / 10} a ${metric.grain}, below the ${Math.ceil(least)} a period needs for a 50% drop to alert`,
        },
      ];
    });
  },
};
