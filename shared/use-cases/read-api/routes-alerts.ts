import { DateTime } from 'luxon';
import { Grain } from '../../domain/config/schema.js';
import { periodBounds } from '../../domain/time/periods.js';
import type { AlertKey, StoredAlert } from '../../ports/alerts.js';
import { notFound } from './api-error.js';
import { instantRange, isoTime } from './period-range.js';
import { AlertAcknowledgementBody, AlertsQuery, NoQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { AlertList, AlertSummary } from './schemas.js';

const DEFAULT_ALERT_SPAN_MS = 30 * 86_400_000;

export function alertSummary(stored: StoredAlert): AlertSummary {
  const { alert, state, resolution, raisedAt, resolvedAt, acknowledgement } = stored;
  return {
    alertId: alert.alertId,
    kind: alert.kind,
    // Resolution is the recompute's word and outranks an acknowledgement, which is kept.
    state: state === 'resolved' ? 'resolved' : acknowledgement ? 'acknowledged' : 'open',
    acknowledgement: acknowledgement
      ? {
          by: acknowledgement.by,
          note: acknowledgement.note,
          at: isoTime(acknowledgement.at),
          verdict: acknowledgement.verdict ?? null,
        }
      : null,
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
    ...(alert.explanation ? { explanation: structuredClone(alert.explanation) } : {}),
    ...(alert.cause === undefined ? {} : { cause: alert.cause }),
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
    historical: alert.historical === true,
    marks: [...(alert.marks ?? [])],
    quiet: alert.quiet === true,
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
    const stored: StoredAlert[] = await deps.alerts.listAlerts(isoTime(range.from), isoTime(range.to));
    const alerts = stored
      .filter(({ alert }) => {
        const start = Date.parse(alert.periodStart);
        return start >= range.from && start < range.to;
      })
      .map(alertSummary)
      .sort(newestFirst);
    return { from: isoTime(range.from), to: isoTime(range.to), alerts, precision: precisionOf(alerts) };
  },
});

/**
 * Each metric's alert precision from its owners' verdicts on the listed deviation alerts:
 * real among those judged. Expected moves count against it too: a page about a holiday is
 * one the calendar should have spared.
 */
function precisionOf(alerts: readonly AlertSummary[]) {
  const byMetric = new Map<string, { real: number; expected: number; noise: number; unjudged: number }>();
  for (const alert of alerts) {
    if (alert.kind === 'target_off_track' || alert.historical || alert.quiet) continue;
    const counts = byMetric.get(alert.metric.id) ?? { real: 0, expected: 0, noise: 0, unjudged: 0 };
    const verdict = alert.acknowledgement?.verdict;
    if (verdict) counts[verdict]++;
    else counts.unjudged++;
    byMetric.set(alert.metric.id, counts);
  }
  return [...byMetric]
    .map(([metricId, counts]) => {
      const judged = counts.real + counts.expected + counts.noise;
      return { metricId, ...counts, precision: judged === 0 ? null : counts.real / judged };
    })
    .sort((a, b) => a.metricId.localeCompare(b.metricId));
}

const CADENCE_OF_KEY: readonly [RegExp, string][] = [
  [/^\d{4}-\d{2}-\d{2}$/, 'daily'],
  [/^\d{4}-W\d{2}$/, 'weekly'],
  [/^\d{4}-\d{2}$/, 'monthly'],
  [/^\d{4}-Q[1-4]$/, 'quarterly'],
];
const GRAIN_OF_CADENCE: Readonly<Record<string, Grain>> = { daily: 'day', weekly: 'week', monthly: 'month' };

/**
 * Where an alert is stored, from its id: `<version>:<grain>:<period>` for a deviation,
 * `<version>:target:<review period>` for a target. Undefined for an id of neither form.
 */
export function alertKeyOf(alertId: string, zone: string): AlertKey | undefined {
  const [version, kind, period, ...rest] = alertId.split(':');
  if (!version || !kind || !period || rest.length > 0) return undefined;
  try {
    if (kind === 'target') {
      const cadence = CADENCE_OF_KEY.find(([pattern]) => pattern.test(period))?.[1];
      if (!cadence) return undefined;
      const grain = GRAIN_OF_CADENCE[cadence];
      const start = grain
        ? periodBounds(period, grain, zone).start
        : DateTime.fromObject(
            { year: Number(period.slice(0, 4)), month: (Number(period.slice(6)) - 1) * 3 + 1, day: 1 },
            { zone },
          ).toMillis();
      return {
        periodStart: isoTime(start),
        metric: { definitionVersion: version },
        grain: `target-${cadence}`,
      };
    }
    const grain = Grain.safeParse(kind);
    if (!grain.success) return undefined;
    const { start } = periodBounds(period, grain.data, zone);
    return { periodStart: isoTime(start), metric: { definitionVersion: version }, grain: grain.data };
  } catch {
    // Not a period of its grain: no such alert.
    return undefined;
  }
}

export const acknowledgeAlertRoute = defineRoute({
  method: 'POST',
  path: '/api/alerts/{id}/ack',
  action: 'acknowledge an alert',
  operationId: 'acknowledgeAlert',
  summary: "Acknowledges an alert with its owner's note",
  description:
    'Records who acknowledged the alert and why (`{ "by": "1-100 characters", "note": "1-500 characters" }`) and returns the alert as listed, now `acknowledged` (or still `resolved`, with the note). Acknowledging again replaces the note. The alert keeps being resolved by the recompute as before.',
  query: () => NoQuery,
  body: AlertAcknowledgementBody,
  response: AlertSummary,
  notFound: 'No alert has this id.',
  pathParams: () => ({ id: [] }),
  async handle({ deps, params, body, caller }) {
    const alertId = params.id ?? '';
    const key = alertKeyOf(alertId, deps.compiled.zone);
    // Behind sign-in the token says who acknowledged, whatever the body claims.
    const acknowledgement = {
      by: caller ?? body.by,
      note: body.note,
      at: deps.clock(),
      ...(body.verdict ? { verdict: body.verdict } : {}),
    };
    const stored = key && (await deps.alerts.acknowledgeAlert(key, alertId, acknowledgement));
    if (!stored) throw notFound(`no alert with id ${alertId}`);
    return alertSummary(stored);
  },
});
