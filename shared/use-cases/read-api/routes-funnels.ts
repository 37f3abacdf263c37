import type { Grain } from '../../domain/config/schema.js';
import { type CompiledBreakdown, seriesId } from '../../domain/engine/breakdowns.js';
import type { CompiledConfig, CompiledFunnel } from '../../domain/engine/compiled-config.js';
import { ALL_TIME, itemKey } from '../../domain/engine/deltas.js';
import { invalidParameter, notFound } from './api-error.js';
import { isoTime, periodRange, periodsStartingIn, type RangePeriod } from './period-range.js';
import { FunnelQuery, JourneyQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { FunnelReport, JourneyReport } from './schemas.js';

const DEFAULT_FUNNEL_PERIODS = 8;
const DEFAULT_JOURNEY_DAYS = 28;
/** Each period is one counter query: a cap keeps a request's reads bounded (28 days of hours fit). */
const MAX_COUNTER_PERIODS = 800;
/** Counter queries in flight at once for one request. */
const READ_CONCURRENCY = 16;
const GRAIN_ORDER: readonly Grain[] = ['hour', 'day', 'week', 'month'];

/** `part / whole`, or null when there is nothing to divide by. */
export const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** Reads the counter items of the periods, a few at a time, in the periods' order. */
export async function periodCounters(
  read: (item: string) => Promise<Map<string, number>>,
  grain: Grain,
  periods: readonly RangePeriod[],
): Promise<Map<string, number>[]> {
  const results: Map<string, number>[] = new Array(periods.length);
  let next = 0;
  const worker = async () => {
    while (next < periods.length) {
      const index = next++;
      results[index] = await read(itemKey(grain, (periods[index] as RangePeriod).period));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, periods.length) }, worker));
  return results;
}

function funnelOf(compiled: CompiledConfig, id: string): CompiledFunnel {
  const funnel = compiled.funnels.find((candidate) => candidate.id === id);
  if (!funnel) throw notFound(`no funnel "${id}" in the configuration`);
  return funnel;
}

/** Week when kept, otherwise the coarsest kept grain. */
function defaultFunnelGrain(grains: readonly Grain[]): Grain {
  if (grains.includes('week')) return 'week';
  return [...grains].sort((a, b) => GRAIN_ORDER.indexOf(b) - GRAIN_ORDER.indexOf(a))[0] ?? 'day';
}

/** Day when kept, otherwise the finest kept grain: new users are summed over its items. */
function journeyGrain(grains: readonly Grain[]): Grain {
  if (grains.includes('day')) return 'day';
  return [...grains].sort((a, b) => GRAIN_ORDER.indexOf(a) - GRAIN_ORDER.indexOf(b))[0] ?? 'day';
}

export const funnelRoute = defineRoute({
  method: 'GET',
  path: '/api/funnels/{id}',
  operationId: 'getFunnel',
  summary: 'Users per funnel step and conversions, summed over the entry cohorts in range',
  description:
    'For each entry cohort (period of the users’ first step) that starts in [from, to): the users who reached each step; and the steps summed over those cohorts with conversion from the previous and from the first step.',
  query: (compiled) => FunnelQuery(compiled.grains),
  pathParams: (compiled) => ({ id: compiled.funnels.map((funnel) => funnel.id) }),
  notFound: 'No funnel with this id in the configuration.',
  response: FunnelReport,
  async handle({ deps, params, query }) {
    const { compiled } = deps;
    const { id, defId, funnel } = funnelOf(compiled, params.id ?? '');
    const grain = query.grain ?? defaultFunnelGrain(compiled.grains);
    const range = periodRange(
      { from: query.from, to: query.to, now: deps.clock() },
      grain,
      compiled.zone,
      DEFAULT_FUNNEL_PERIODS,
    );
    const periods = periodsStartingIn(range, grain, compiled.zone, MAX_COUNTER_PERIODS);
    const counters = await periodCounters((item) => deps.counters.readCounters(item), grain, periods);
    const cohorts = periods.map((period, index) => ({
      period: period.period,
      start: isoTime(period.start),
      users: funnel.steps.map((_, step) => counters[index]?.get(`${defId}.${step + 1}`) ?? 0),
    }));
    // Steps summed over the cohorts, from the counters named by `prefix`.
    const stepsOf = (prefix: string) => {
      const totals = funnel.steps.map((_, step) =>
        counters.reduce((sum, found) => sum + (found?.get(`${prefix}.${step + 1}`) ?? 0), 0),
      );
      return totals.map((users, step) => ({
        step: step + 1,
        users,
        fromPrevious: step === 0 ? null : rate(users, totals[step - 1] ?? 0),
        fromFirst: rate(users, totals[0] ?? 0),
      }));
    };
    const totals = funnel.steps.map((_, step) =>
      cohorts.reduce((sum, cohort) => sum + (cohort.users[step] ?? 0), 0),
    );
    const first = totals[0] ?? 0;
    const split = query.by === undefined ? undefined : funnelSplit(compiled, id, query.by);
    return {
      funnel: {
        id,
        title: funnel.title,
        window: funnel.window,
        definitionVersion: defId,
        breakdowns: [...new Set(funnelSplits(compiled, id).map((one) => one.by))].map((by) => ({
          id: by,
          title: compiled.config.breakdowns[by]?.title ?? by,
        })),
        steps: funnel.steps.map(({ event, where }) => ({ event, where })),
      },
      grain,
      from: isoTime(range.from),
      to: isoTime(range.to),
      steps: funnel.steps.map(({ event }, step) => {
        const users = totals[step] ?? 0;
        return {
          step: step + 1,
          event,
          users,
          fromPrevious: step === 0 ? null : rate(users, totals[step - 1] ?? 0),
          fromFirst: rate(users, first),
        };
      }),
      cohorts,
      ...(split
        ? {
            split: {
              by: split.by,
              title: compiled.config.breakdowns[split.by]?.title ?? split.by,
              metric: split.metricId,
              values: split.labels.map((value, index) => ({
                value,
                steps: stepsOf(seriesId(split.defId, index)),
              })),
            },
          }
        : {}),
    };
  },
});

/** The split of a funnel conversion of this funnel by `by`, or 400 naming the breakdowns there are. */
function funnelSplits(compiled: CompiledConfig, funnelId: string): CompiledBreakdown[] {
  return compiled.breakdowns.filter((split) => {
    const metric = compiled.config.metrics[split.metricId];
    return metric?.kind === 'funnel_conversion' && metric.funnel === funnelId;
  });
}

function funnelSplit(compiled: CompiledConfig, funnelId: string, by: string): CompiledBreakdown {
  const splits = funnelSplits(compiled, funnelId);
  const found = splits.find((split) => split.by === by);
  if (found) return found;
  const names = [...new Set(splits.map((split) => split.by))];
  throw invalidParameter(
    'by',
    names.length === 0
      ? `no funnel conversion of funnel "${funnelId}" is split by a breakdown`
      : `funnel "${funnelId}" is split by ${names.join(', ')}, not "${by}"`,
  );
}

export const journeyRoute = defineRoute({
  method: 'GET',
  path: '/api/journey',
  operationId: 'getJourney',
  summary: 'New users per journey stage in range, and all users by their highest stage',
  description:
    'newUsers sums the users who first reached each stage in the periods starting in [from, to); currentUsers counts every user by the highest stage reached, whatever the range.',
  query: () => JourneyQuery,
  notFound: 'The configuration has no journey.',
  response: JourneyReport,
  async handle({ deps, query }) {
    const { compiled } = deps;
    const journey = compiled.journey;
    const stages = compiled.config.journey?.stages;
    if (!journey || !stages) throw notFound('the configuration has no journey');
    const grain = journeyGrain(compiled.grains);
    const range = periodRange(
      { from: query.from, to: query.to, now: deps.clock() },
      'day',
      compiled.zone,
      DEFAULT_JOURNEY_DAYS,
    );
    const periods = periodsStartingIn(range, grain, compiled.zone, MAX_COUNTER_PERIODS);
    const [current, counters] = await Promise.all([
      deps.counters.readCounters(ALL_TIME),
      periodCounters((item) => deps.counters.readCounters(item), grain, periods),
    ]);
    const currentUsers = stages.map((stage) => current.get(`${journey.defId}.current.${stage.id}`) ?? 0);
    // Users whose highest stage is this one or later: the stage's "reached" in the distribution.
    const atOrBeyond = currentUsers.map((_, index) =>
      currentUsers.slice(index).reduce((sum, users) => sum + users, 0),
    );
    return {
      definitionVersion: journey.defId,
      grain,
      from: isoTime(range.from),
      to: isoTime(range.to),
      stages: stages.map((stage, index) => ({
        id: stage.id,
        title: stage.title,
        newUsers: counters.reduce(
          (sum, fields) => sum + (fields.get(`${journey.defId}.${stage.id}`) ?? 0),
          0,
        ),
        currentUsers: currentUsers[index] ?? 0,
        atOrBeyond: atOrBeyond[index] ?? 0,
        conversionFromPrevious: index === 0 ? null : rate(atOrBeyond[index] ?? 0, atOrBeyond[index - 1] ?? 0),
      })),
    };
  },
});
