import type { StoredAlert } from '../store/rollup-store.js';
import { instantRange, isoTime } from './period-range.js';
import { AlertsQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { AlertList, type AlertSummary } from './schemas.js';

const DEFAULT_ALERT_SPAN_MS = 30 * 86_400_000;

export function alertSummary(stored: StoredAlert): AlertSummary {
  const { alert, state, resolution, raisedAt, resolvedAt } = stored;
  return {
    alertId: alert.alertId,
    kind: alert.kind,
    state,
    metric: { ...alert.metric },
    grain: alert.grain,
    period: alert.period,
    periodStart: alert.periodStart,
    periodEnd: alert.periodEnd,
    observed: alert.observed,
    expected: alert.expected,
    band: { ...alert.band },
    relativeDeviation: alert.relativeDeviation,
    severity: alert.severity,
    owner: { ...alert.owner },
    contributors: alert.contributors.map((contributor) => ({ ...contributor })),
    link: alert.link,
    raisedAt: new Date(raisedAt).toISOString(),
    ...(resolvedAt === undefined ? {} : { resolvedAt: new Date(resolvedAt).toISOString() }),
    ...(resolution
      ? {
          resolution: {
            observed: resolution.observed,
            expected: resolution.expected,
            relativeDeviation: resolution.relativeDeviation,
          },
        }
      : {}),
    ...(alert.target ? { target: { ...alert.target } } : {}),
  };
}

/** Newest period first; within a period by metric, then grain, so the order is stable. */
function newestFirst(a: AlertSummary, b: AlertSummary): number {
  if (a.periodStart !== b.periodStart) return a.periodStart < b.periodStart ? 1 : -1;
  if (a.metric.id !== b.metric.id) return a.metric.id < b.metric.id ? -1 : 1;
  return a.grain < b.grain ? -1 : a.grain > b.grain ? 1 : 0;
}

export const alertsRoute = defineRoute({
  method: 'GET',
  path: '/api/alerts',
  operationId: 'listAlerts',
  summary: 'Deviation and target alerts whose period starts in range, newest first',
  description:
    'Every alert recorded for a period starting in [from, to), with its state: open, or resolved once a later recompute found the period back inside its band.',
  query: () => AlertsQuery,
  response: AlertList,
  async handle({ deps, query }) {
    const range = instantRange({ from: query.from, to: query.to, now: deps.clock() }, DEFAULT_ALERT_SPAN_MS);
    const stored: StoredAlert[] = await deps.rollups.listAlerts(isoTime(range.from), isoTime(range.to));
    const alerts = stored
      .filter(({ alert }) => {
        const start = Date.parse(alert.periodStart);
        return start >= range.from && start < range.to;
      })
      .map(alertSummary)
      .sort(newestFirst);
    return { from: isoTime(range.from), to: isoTime(range.to), alerts };
  },
});
