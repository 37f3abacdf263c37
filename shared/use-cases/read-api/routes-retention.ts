import { tableOffsets } from '../../domain/engine/retention.js';
import { periodEnd, periodsAfter } from '../../domain/time/period-steps.js';
import { durationMs } from '../../domain/time/periods.js';
import { notFound } from './api-error.js';
import { isoTime, periodRange, periodsStartingIn } from './period-range.js';
import { CohortsQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { periodCounters, rate } from './routes-funnels.js';
import { RetentionTable } from './schemas.js';

const DEFAULT_COHORTS = 12;
/** Cohorts per request: each is one counter query. */
const MAX_COHORTS = 400;

export const retentionCohortsRoute = defineRoute({
  method: 'GET',
  path: '/api/metrics/{id}/cohorts',
  operationId: 'getRetentionCohorts',
  summary: 'A retention metric’s cohorts by offset',
  description:
    'For each start cohort (period of the users’ earliest start event) that starts in [from, to), oldest first: its size, the metric’s value, and the users with a return event at each offset, with whether that cell is complete.',
  query: () => CohortsQuery,
  pathParams: (compiled) => ({ id: compiled.retentions.map((retention) => retention.id) }),
  notFound: 'No retention metric with this id in the configuration.',
  response: RetentionTable,
  async handle({ deps, params, query }) {
    const { compiled } = deps;
    const retention = compiled.retentions.find((candidate) => candidate.id === params.id);
    if (!retention) throw notFound(`no retention metric "${params.id ?? ''}" in the configuration`);
    const { id, defId, metric } = retention;
    const grain = metric.grain;
    const now = deps.clock();
    const settleDelayMs = durationMs(compiled.config.recompute.settleDelay);
    const range = periodRange({ from: query.from, to: query.to, now }, grain, compiled.zone, DEFAULT_COHORTS);
    const periods = periodsStartingIn(range, grain, compiled.zone, MAX_COHORTS);
    const counters = await periodCounters((item) => deps.counters.readCounters(item), grain, periods);
    const offsets = tableOffsets(metric);
    const last = metric.mode === 'on_or_after' ? metric.until! : metric.offset;
    const complete = (period: string) => periodEnd(period, grain, compiled.zone) + settleDelayMs <= now;
    return {
      metric: {
        id,
        title: metric.title,
        definitionVersion: defId,
        offset: metric.offset,
        mode: metric.mode,
        until: metric.until ?? null,
      },
      grain,
      from: isoTime(range.from),
      to: isoTime(range.to),
      offsets,
      cohorts: periods.map((period, index) => {
        const found = counters[index]!;
        const size = found.get(`${defId}.c`) ?? 0;
        const after = periodsAfter(period.period, grain, compiled.zone, offsets);
        return {
          period: period.period,
          start: isoTime(period.start),
          size,
          value: rate(found.get(`${defId}.r`) ?? 0, size),
          settled: complete(after[last - 1]!),
          retained: after.map((later, at) => {
            const users = found.get(`${defId}.r${at + 1}`) ?? 0;
            return { offset: at + 1, users, rate: rate(users, size), complete: complete(later) };
          }),
        };
      }),
    };
  },
});
