import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

/** Whether the written metric names its owner's team. */
function writesTeam(input: unknown, id: string): boolean {
  const metrics = (input as { metrics?: Record<string, { owner?: { team?: unknown } }> } | undefined)
    ?.metrics;
  return typeof metrics?.[id]?.owner?.team === 'string';
}

export const ownerTeamImplicit: LintRule = {
  id: 'owner-team-implicit',
  severity: 'warning',
  title: "A metric's owner has no team",
  why: "Alerts and review digests route by the owner's team. Left out, the team is a slug of the owner's name, so renaming the owner silently moves the metric to another topic and nobody is paged.",
  needs: 'the configuration as written, before defaults',
  fix: 'Set `owner.team` to the routing key of the team that answers for the metric.',
  check({ config, input }) {
    if (input === undefined) return undefined;
    return metricsOf(config)
      .filter(([id]) => !writesTeam(input, id))
      .map(([id, metric]) => ({
        metric: id,
        path: `metrics.${id}.owner.team`,
        message: `"${id}" has no owner.team: it routes as "${metric.owner.team}", a slug of "${metric.owner.name}"`,
      }));
  },
};
