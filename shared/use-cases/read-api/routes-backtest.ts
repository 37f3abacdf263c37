import { DateTime } from 'luxon';
import { z } from 'zod';
import { Severity } from '../../domain/alerts/deviation-alert.js';
import type { Grain } from '../../domain/config/schema.js';
import { periodBounds, periodKey } from '../../domain/time/periods.js';
import { ALERT_VERDICTS } from '../../ports/alerts.js';
import { backtestMetric } from '../backtest/backtest-metric.js';
import { invalidParameter } from './api-error.js';
import { periodsStartingIn, startOfLastPeriods } from './period-range.js';
import { defineRoute } from './route.js';
import { metricOf } from './routes-metrics.js';
import { Instant } from './schemas.js';

/** Most periods one backtest judges and reports (the lead-in history is read on top). */
export const MAX_BACKTEST_PERIODS = 400;
/** Days a backtest looks back over when no `from` is given (fewer for hours: the last 400). */
const DEFAULT_BACKTEST_DAYS = 90;

const Timestamp = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 timestamp with a zone, such as 2026-11-25T00:00:00Z',
  })
  .transform((value) => Date.parse(value));

const sensitivityMessage = 'must be a number above 0, at most 100';

export function BacktestQuery(grains: readonly Grain[]) {
  return z
    .strictObject({
      grain: z
        .enum(grains as [Grain, ...Grain[]], {
          error: `must be one of the kept grains: ${grains.join(', ')}`,
        })
        .optional()
        .describe("Grain of the periods judged. Default: the metric's own grain."),
      sensitivity: z.coerce
        .number({ error: sensitivityMessage })
        .gt(0, { error: sensitivityMessage })
        .max(100, { error: sensitivityMessage })
        .optional()
        .describe(
          "Multiplier on the band's half width: above 1 alerts less, below 1 more. Default: the metric's own sensitivity.",
        ),
      from: Timestamp.optional().describe(
        'Start of the range, inclusive (ISO 8601 timestamp). Default: the start of the period 90 days before to (for hours, of the last 400).',
      ),
      to: Timestamp.optional().describe(
        'End of the range, exclusive (ISO 8601 timestamp). Default: the start of the current period.',
      ),
    })
    .refine((query) => query.from === undefined || query.to === undefined || query.from < query.to, {
      path: ['from'],
      message: 'must be earlier than to',
    });
}

export const BacktestAlertSchema = z.object({
  period: z.string().describe('Period key: 2026-11-25T13, 2026-11-25, 2026-W48 or 2026-11'),
  periodStart: Instant,
  kind: z
    .enum(['detected', 'level_shift'])
    .describe('level_shift: the period completed a run of deviations on one side; the band follows'),
  observed: z.number().nullable(),
  expected: z.number(),
  lower: z.number(),
  upper: z.number(),
  relativeDeviation: z.number().nullable(),
  severity: Severity,
  marks: z.array(z.string()).describe('Labels of the holidays and annotations covering the period'),
  verdict: z
    .enum(ALERT_VERDICTS)
    .nullable()
    .describe("The owner's verdict on the stored alert of the same period, if one was given"),
});

export const BacktestReport = z.object({
  metric: z.object({ id: z.string(), title: z.string(), definitionVersion: z.string() }),
  grain: z.enum(['hour', 'day', 'week', 'month']),
  sensitivity: z.number().describe('The sensitivity the band was drawn with'),
  from: Instant,
  to: Instant,
  periods: z.number().int().describe('Periods starting in [from, to)'),
  judged: z.number().int().describe('Of those, judged normal or deviating'),
  learning: z.number().int().describe('Of those, with too little history for a band'),
  alerts: z
    .array(BacktestAlertSchema)
    .describe(
      'The alerts the detector would have raised, oldest first: each period judged only with what came before it',
    ),
  quiet: z
    .array(BacktestAlertSchema)
    .describe(
      'Deviations of periods a holiday or annotation marks, where the metric does not page for marked periods: kept, not counted',
    ),
  months: z
    .array(z.object({ month: z.string().describe('YYYY-MM in the time zone'), alerts: z.number().int() }))
    .describe('Every calendar month the range touches, with its alerts by period start'),
  monthSpan: z.number().describe('Length of the range in months, to one decimal'),
  alertsPerMonth: z.number().describe('alerts / monthSpan, to one decimal'),
  precision: z
    .object({
      judged: z.number().int().describe('Alerts whose period has a stored alert with a verdict'),
      real: z.number().int(),
      expected: z.number().int(),
      noise: z.number().int(),
      precision: z.number().describe('real / judged'),
    })
    .nullable()
    .describe("From the owners' verdicts on the stored alerts of the alerted periods; null without any"),
});
export type BacktestReport = z.infer<typeof BacktestReport>;

export const backtestRoute = defineRoute({
  method: 'GET',
  path: '/api/metrics/{id}/backtest',
  operationId: 'backtestMetric',
  summary: 'The alerts the deviation detector would have raised over a metric’s stored history',
  description:
    "Replays the detector of the live recompute over the metric's stored values of a grain: every period starting in [from, to) judged in order, each only with what came before it (the band from its seasonal history without marked periods, level shifts). Reports the alerts it would have raised, alerts a month, and where owners gave verdicts on the stored alerts of those periods, the precision. At most 400 periods.",
  query: (compiled) => BacktestQuery(compiled.grains),
  pathParams: (compiled) => ({ id: Object.keys(compiled.config.metrics) }),
  notFound: 'No metric with this id in the configuration.',
  response: BacktestReport,
  async handle({ deps, params, query }) {
    const { compiled } = deps;
    const { zone } = compiled;
    const id = params.id ?? '';
    const { metric } = metricOf(compiled, id);
    const grain = query.grain ?? metric.grain;
    const now = deps.clock();
    // The current period is not settled: by default the range ends where it starts.
    const to = query.to ?? periodBounds(periodKey(now, grain, zone), grain, zone).start;
    if (query.from !== undefined && query.from >= to)
      throw invalidParameter(
        'from',
        query.to === undefined
          ? 'must be earlier than the start of the current period (to defaults to it)'
          : 'must be earlier than to',
      );
    const back = DateTime.fromMillis(to, { zone }).minus({ days: DEFAULT_BACKTEST_DAYS }).toMillis();
    const from =
      query.from ??
      Math.max(
        periodBounds(periodKey(back, grain, zone), grain, zone).start,
        startOfLastPeriods(to, grain, zone, MAX_BACKTEST_PERIODS),
      );
    // 400 on `from` for a longer range.
    periodsStartingIn({ from, to }, grain, zone, MAX_BACKTEST_PERIODS);
    return backtestMetric(
      {
        compiled,
        rollups: deps.rollups,
        alerts: deps.alerts,
        annotations: deps.annotations,
      },
      { metricId: id, grain, sensitivity: query.sensitivity, from, to },
    );
  },
});
