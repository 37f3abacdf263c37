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
  /** Drains the queue, then runs the recompute; runs never overlap. */
  recomputeNow(request?: RecomputeRequest): Promise<RecomputeSummary>;
  /** Stops the schedule, lets the queue drain, and waits for a run in progress (one the drain released too). */
  stop(): Promise<void>;
}

/** EventBridge Scheduler on one machine: a timer that runs the recompute handler, one run at a time. */
export function createRecomputeScheduler(options: RecomputeSchedulerOptions): RecomputeScheduler {
  let recomputing: Promise<RecomputeSummary> | undefined;
  const recomputeNow = async (request: RecomputeRequest = {}) => {
    await options.drained();
    while (recomputing) await recomputing.catch(() => undefined);
    recomputing = options.run(request);
    try {
      const summary = await recomputing;
      options.onRun?.(summary);
      return summary;
    } finally {
      recomputing = undefined;
    }
  };
  const timer =
    options.everyMs > 0
      ? setInterval(
          () =>
            void recomputeNow().catch((error) => console.error('recompute failed; it runs again:', error)),
          options.everyMs,
        )
      : undefined;
  return {
    recomputeNow,
    async stop() {
      if (timer) clearInterval(timer);
      await options.drained();
      await recomputing?.catch(() => undefined);
    },
  };
}
