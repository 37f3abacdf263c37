import { durationMs } from '../../domain/time/periods.js';
import { isoTime } from './period-range.js';
import { NoQuery } from './query-schemas.js';
import { defineRoute } from './route.js';
import { PipelineStatus } from './schemas.js';

/** The recompute is late after missing this many scheduled runs. */
const MISSED_RUNS = 3;
/** Ingest is lagging when an event took longer than this from arrival to its counters. */
const MAX_INGEST_LAG_MS = 5 * 60_000;
/** No accepted event for this long is worth saying: traffic stopped, or ingest did. */
const QUIET_AFTER_MS = 60 * 60_000;

type StaleReason = PipelineStatus['staleReasons'][number];

const seconds = (ms: number) => Math.round(ms / 1000);

export const statusRoute = defineRoute({
  method: 'GET',
  path: '/api/status',
  operationId: 'getPipelineStatus',
  summary: 'How fresh the numbers are: latest accepted event, ingest lag, last recompute',
  description:
    'The latest accepted event (its time, arrival and when its counters were committed), what waits for ingest (locally), the last recompute run, how far it judged periods settled (the ingest watermark) and the schedule it runs on, and whether the pipeline looks stale: entries wait for ingest, the recompute missed 3 scheduled runs or never ran, the latest event took over 5 minutes to ingest, or no event was accepted in the last hour.',
  query: () => NoQuery,
  response: PipelineStatus,
  async handle({ deps }) {
    const now = deps.clock();
    const [latest, lastRunAt, settledThrough] = await Promise.all([
      deps.freshness.readLatest(),
      deps.runs.lastRunAt(),
      deps.runs.settledThrough?.(),
    ]);
    // The schedule in use: the local runtime's own, or the configured one (AWS). 0: on demand only.
    const everyMs = deps.recomputeEveryMs ?? durationMs(deps.compiled.config.recompute.every);
    const scheduled = everyMs > 0;
    const reasons: StaleReason[] = [];
    if (!latest) reasons.push({ code: 'no_events', message: 'no event has been accepted yet' });
    else {
      const lag = latest.committedAt - latest.arrivedAt;
      if (lag > MAX_INGEST_LAG_MS)
        reasons.push({
          code: 'ingest_lagging',
          message: `the latest event took ${seconds(lag)} s from arrival to its counters`,
        });
      if (now - latest.arrivedAt > QUIET_AFTER_MS)
        reasons.push({
          code: 'events_quiet',
          message: `no event accepted since ${isoTime(latest.arrivedAt)}`,
        });
    }
    const backlog = deps.backlog?.();
    if (backlog && backlog.entries > 0)
      reasons.push({
        code: 'ingest_behind',
        message: `${backlog.entries} entries are waiting for ingest${backlog.oldestArrivedAt === undefined ? '' : `, the oldest since ${isoTime(backlog.oldestArrivedAt)}`}`,
      });
    if (lastRunAt === undefined)
      reasons.push({ code: 'never_recomputed', message: 'the recompute has not run yet' });
    else if (scheduled && now - lastRunAt > MISSED_RUNS * everyMs)
      reasons.push({
        code: 'recompute_late',
        message: `the recompute last ran at ${isoTime(lastRunAt)}, over ${MISSED_RUNS} scheduled runs ago`,
      });
    return {
      now: isoTime(now),
      latestEvent: latest
        ? {
            occurredAt: isoTime(latest.occurredAt),
            arrivedAt: isoTime(latest.arrivedAt),
            committedAt: isoTime(latest.committedAt),
            ingestLagSeconds: (latest.committedAt - latest.arrivedAt) / 1000,
          }
        : null,
      lastRecomputeAt: lastRunAt === undefined ? null : isoTime(lastRunAt),
      settledThrough: settledThrough === undefined ? null : isoTime(settledThrough),
      recomputeEverySeconds: scheduled ? everyMs / 1000 : null,
      backlog: backlog
        ? {
            entries: backlog.entries,
            oldestArrivedAt: backlog.oldestArrivedAt === undefined ? null : isoTime(backlog.oldestArrivedAt),
          }
        : null,
      stale: reasons.length > 0,
      staleReasons: reasons,
    };
  },
});
