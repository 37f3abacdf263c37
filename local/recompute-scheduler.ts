import type { RecomputeRequest } from '../functions/recompute/handler.js';
import type { RecomputeSummary } from '../shared/use-cases/recompute/recompute.js';

export interface RecomputeSchedulerOptions {
  /** One run of the recompute handler. */
  readonly run: (request: RecomputeRequest) => Promise<RecomputeSummary>;
  /** Waits for the queue: a run counts what was sent before it. */
  readonly drained: () => Promise<void>;
  /** 0 turns the schedule off (recompute on demand only). */
  readonly everyMs: number;
  readonly onRun?: (summary: RecomputeSummary) => void;
}

export interface RecomputeScheduler {
  /** Drains the queue, then runs the recompute (a scheduled run does not drain); runs never overlap. */
  recomputeNow(request?: RecomputeRequest): Promise<RecomputeSummary>;
  /**
   * Stops the schedule without draining the queue; a run in progress gets `graceMs` to
   * finish (a recompute is idempotent: one cut short is simply run again later).
   */
  stop(graceMs?: number): Promise<void>;
}

/** EventBridge Scheduler on one machine: a timer that runs the recompute handler, one run at a time. */
export function createRecomputeScheduler(options: RecomputeSchedulerOptions): RecomputeScheduler {
  let recomputing: Promise<RecomputeSummary> | undefined;
  let stopped = false;
  const runOnce = async (request: RecomputeRequest, drain: boolean) => {
    if (drain) await options.drained();
    while (recomputing) await recomputing.catch(() => undefined);
    if (stopped) throw new Error('the runtime is stopping: no recompute starts now');
    recomputing = options.run(request);
    try {
      const summary = await recomputing;
      options.onRun?.(summary);
      return summary;
    } finally {
      recomputing = undefined;
    }
  };
  const recomputeNow = (request: RecomputeRequest = {}) => runOnce(request, true);
  // A scheduled run does not wait for the queue, as on AWS: under a steady load it would wait
  // for ever. Periods whose entries still wait are held back by the ingest watermark instead.
  const timer =
    options.everyMs > 0
      ? setInterval(() => {
          if (recomputing || stopped) return;
          void runOnce({}, false).catch((error) => console.error('recompute failed; it runs again:', error));
        }, options.everyMs)
      : undefined;
  return {
    recomputeNow,
    async stop(graceMs = 2000) {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.race([
        recomputing?.catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    },
  };
}
