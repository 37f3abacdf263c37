import { backoffDelay, type RetryPolicy } from './backoff.js';
import { TrackerError } from './errors.js';

/**
 * The browser client's delivery to the collector's `/v1/batch`: a queue of Segment calls,
 * each serialized once with its `messageId`, sent in batches (by count, bytes and age), one
 * request at a time, retried with backoff until answered, and handed to `sendBeacon` when the
 * page goes away. A call leaves the queue only once it is answered for good, so a retry
 * carries the same `messageId`s and the collector counts each call once. No DOM or Node API
 * here: the page's are given in, so tests drive their own.
 */

/** What the sender needs of the collector's answer. */
export interface CollectorAnswer {
  readonly status: number;
  /** The `Retry-After` header, when the answer has one. */
  readonly retryAfter: string | null;
  readonly body: string;
}

export interface SenderEnvironment {
  /** POSTs the body; rejects when no answer came (offline, reset, timeout, CORS refusal). */
  readonly post: (url: string, body: string) => Promise<CollectorAnswer>;
  /** `navigator.sendBeacon`: true once the browser has queued the body. */
  readonly beacon?: ((url: string, body: string) => boolean) | undefined;
  readonly now: () => number;
  readonly setTimeout: (run: () => void, ms: number) => unknown;
  readonly clearTimeout: (timer: unknown) => void;
  readonly random: () => number;
}

export interface SenderOptions {
  /** The collector's `/v1/batch` URL. */
  readonly url: string;
  readonly writeKey: string;
  readonly flushAtEvents: number;
  readonly flushIntervalMs: number;
  readonly maxBatchBytes: number;
  readonly maxBeaconBytes: number;
  readonly maxBufferedEvents: number;
  readonly retry: Required<RetryPolicy>;
  readonly report: (error: TrackerError) => void;
}

export interface SenderStats {
  /** Calls answered 2xx and taken (refused ones are in `failed`). */
  readonly sent: number;
  /** Calls handed to `sendBeacon`: the browser sends them; their answer cannot be read. */
  readonly beaconed: number;
  readonly buffered: number;
  /** Dropped because the queue was full. */
  readonly dropped: number;
  /** Refused by the collector, or given up after the last attempt. */
  readonly failed: number;
  /** Requests made: retries and beacons included. */
  readonly requests: number;
}

interface Queued {
  readonly seq: number;
  readonly json: string;
  readonly bytes: number;
  readonly queuedAt: number;
  gone: boolean;
}

type Outcome =
  | { readonly kind: 'taken'; readonly refused: readonly { index: number; reason: string }[] }
  | { readonly kind: 'refused'; readonly errorCode: string; readonly message: string }
  | { readonly kind: 'retry'; readonly counted: boolean; readonly waitMs?: number; readonly message: string };

const encoder = new TextEncoder();
export const utf8Length = (text: string): number => encoder.encode(text).length;

/** `Retry-After` in ms: whole seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function errorOf(body: string): { code?: string; message?: string; refused?: unknown } {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (error && typeof error === 'object') return error as { code?: string; message?: string };
    return { refused: (parsed as { refused?: unknown } | null)?.refused };
  } catch {
    return {};
  }
}

/** What an answer means: 2xx taken, 429 and 5xx again (429 after its Retry-After), any other 4xx never. */
export function judgeAnswer(answer: CollectorAnswer, now: number): Outcome {
  const { status } = answer;
  const error = errorOf(answer.body);
  if (status >= 200 && status < 300) {
    const refused = Array.isArray(error.refused)
      ? error.refused.filter(
          (one): one is { index: number; reason: string } => typeof one?.index === 'number',
        )
      : [];
    return { kind: 'taken', refused };
  }
  const message = `${status} ${error.code ?? ''} ${error.message ?? ''}`.trim();
  if (status === 429) {
    const waitMs = retryAfterMs(answer.retryAfter, now);
    // As both Segment SDKs do: a rate limit says when to come back, it is not a failed attempt.
    return { kind: 'retry', counted: false, ...(waitMs === undefined ? {} : { waitMs }), message };
  }
  if (status >= 500) return { kind: 'retry', counted: true, message };
  return { kind: 'refused', errorCode: error.code ?? `http_${status}`, message };
}

export interface CollectorSender {
  /** Queues one serialized call; false when the queue is full (the call is dropped and reported). */
  enqueue(json: string, bytes: number): boolean;
  /** Resolves once every call queued so far was answered for good, given up or beaconed. */
  flush(): Promise<void>;
  /** Hands everything not yet answered to `sendBeacon`, in bodies of at most `maxBeaconBytes`. */
  beaconAll(): void;
  stop(): void;
  stats(): SenderStats;
}

export function createCollectorSender(options: SenderOptions, env: SenderEnvironment): CollectorSender {
  const { url, writeKey, flushAtEvents, flushIntervalMs, maxBatchBytes, maxBeaconBytes, retry, report } =
    options;
  let queue: Queued[] = [];
  let queuedBytes = 0;
  let nextSeq = 0;
  let inFlight = false;
  let failedAttempts = 0;
  let retryTimer: unknown;
  let retryDue = false;
  let ageTimer: unknown;
  let ageDue = false;
  let flushUpTo = -1;
  let droppedUnreported = 0;
  let stopped = false;
  const waiters: { upTo: number; resolve: () => void }[] = [];
  const counts = { sent: 0, beaconed: 0, dropped: 0, failed: 0, requests: 0 };

  // Every sentAt has the same length: the envelope's bytes are known once.
  const envelopeBytes = utf8Length(
    `{"batch":[],"sentAt":"${new Date(0).toISOString()}","writeKey":${JSON.stringify(writeKey)}}`,
  );
  const bodyOf = (calls: readonly Queued[]) =>
    `{"batch":[${calls.map((call) => call.json).join(',')}],"sentAt":"${new Date(env.now()).toISOString()}","writeKey":${JSON.stringify(writeKey)}}`;

  /** Calls from the head of the queue: at least one, then as many as the limits allow. */
  function take(maxEvents: number, maxBytes: number): Queued[] {
    const taken: Queued[] = [];
    let bytes = envelopeBytes;
    for (const call of queue) {
      if (taken.length >= maxEvents) break;
      if (taken.length > 0 && bytes + 1 + call.bytes > maxBytes) break;
      bytes += call.bytes + (taken.length > 0 ? 1 : 0);
      taken.push(call);
    }
    return taken;
  }

  /** Takes calls out of the queue for good; returns those that were still in it. */
  function remove(calls: readonly Queued[]): number {
    let removed = 0;
    for (const call of calls)
      if (!call.gone) {
        call.gone = true;
        queuedBytes -= call.bytes + 1;
        removed++;
      }
    if (removed > 0) queue = queue.filter((call) => !call.gone);
    return removed;
  }

  function reportDrops(): void {
    if (droppedUnreported === 0) return;
    const dropped = droppedUnreported;
    droppedUnreported = 0;
    report(
      new TrackerError(
        'buffer_full',
        `queue full (${options.maxBufferedEvents} calls): dropped the ${dropped} newest`,
        dropped,
      ),
    );
  }

  function settleWaiters(): void {
    const head = queue[0]?.seq ?? Number.POSITIVE_INFINITY;
    for (let index = waiters.length - 1; index >= 0; index--)
      if (head > waiters[index]!.upTo) waiters.splice(index, 1)[0]!.resolve();
  }

  function clearAgeTimer(): void {
    if (ageTimer === undefined) return;
    env.clearTimeout(ageTimer);
    ageTimer = undefined;
  }

  /** Sends when a batch is due; else waits for the oldest call's age. One request at a time. */
  function pump(): void {
    settleWaiters();
    if (stopped || inFlight || retryTimer !== undefined) return;
    const head = queue[0];
    if (!head) {
      clearAgeTimer();
      ageDue = false;
      return;
    }
    const due =
      retryDue ||
      ageDue ||
      head.seq <= flushUpTo ||
      queue.length >= flushAtEvents ||
      queuedBytes - 1 + envelopeBytes >= maxBatchBytes;
    if (due) {
      clearAgeTimer();
      void send();
    } else if (ageTimer === undefined)
      ageTimer = env.setTimeout(
        () => {
          ageTimer = undefined;
          ageDue = true;
          pump();
        },
        Math.max(0, head.queuedAt + flushIntervalMs - env.now()),
      );
  }

  function afterFailure(batch: readonly Queued[], outcome: Extract<Outcome, { kind: 'retry' }>): void {
    if (outcome.counted) failedAttempts++;
    if (failedAttempts >= retry.maxAttempts) {
      const events = remove(batch);
      failedAttempts = 0;
      counts.failed += events;
      if (events > 0)
        report(
          new TrackerError(
            'retries_exhausted',
            `gave up on ${events} calls after ${retry.maxAttempts} attempts: ${outcome.message}`,
            events,
          ),
        );
      return;
    }
    const waitMs = outcome.waitMs ?? backoffDelay(Math.max(0, failedAttempts - 1), retry, env.random);
    retryTimer = env.setTimeout(() => {
      retryTimer = undefined;
      retryDue = true;
      pump();
    }, waitMs);
  }

  async function send(): Promise<void> {
    const batch = take(flushAtEvents, maxBatchBytes);
    inFlight = true;
    retryDue = false;
    ageDue = false;
    counts.requests++;
    let outcome: Outcome;
    try {
      outcome = judgeAnswer(await env.post(url, bodyOf(batch)), env.now());
    } catch (error) {
      outcome = { kind: 'retry', counted: true, message: `no answer: ${(error as Error)?.message ?? error}` };
    }
    inFlight = false;
    if (outcome.kind === 'taken') {
      failedAttempts = 0;
      const taken = remove(batch);
      // Positions are those of the batch as sent; calls already beaconed are not counted twice.
      const refused = outcome.refused.filter((one) => batch[one.index] !== undefined);
      counts.sent += Math.max(0, taken - refused.length);
      counts.failed += Math.min(taken, refused.length);
      if (refused.length > 0)
        report(
          new TrackerError(
            'rejected',
            `the collector refused ${refused.length} calls: ${refused[0]!.reason}`,
            refused.length,
            { errorCode: 'refused_calls' },
          ),
        );
    } else if (outcome.kind === 'refused') {
      failedAttempts = 0;
      const events = remove(batch);
      counts.failed += events;
      if (events > 0)
        report(
          new TrackerError('rejected', `the collector refused ${events} calls: ${outcome.message}`, events, {
            errorCode: outcome.errorCode,
          }),
        );
    } else if (!batch.every((call) => call.gone)) afterFailure(batch, outcome);
    reportDrops();
    pump();
  }

  return {
    enqueue(json, bytes) {
      if (queue.length >= options.maxBufferedEvents) {
        counts.dropped++;
        droppedUnreported++;
        return false;
      }
      queue.push({ seq: nextSeq++, json, bytes, queuedAt: env.now(), gone: false });
      queuedBytes += bytes + 1; // its comma in a body
      pump();
      return true;
    },
    flush() {
      flushUpTo = nextSeq - 1;
      const done = new Promise<void>((resolve) => waiters.push({ upTo: flushUpTo, resolve }));
      reportDrops();
      pump();
      return done;
    },
    beaconAll() {
      if (!env.beacon) {
        // No sendBeacon: the best left is to send at once.
        flushUpTo = nextSeq - 1;
        pump();
        return;
      }
      while (queue.length > 0) {
        const chunk = take(Number.POSITIVE_INFINITY, maxBeaconBytes);
        let queued = false;
        try {
          queued = env.beacon(url, bodyOf(chunk));
        } catch {
          queued = false;
        }
        // Refused (over the browser's beacon quota): the rest stays queued, sent if the page comes back.
        if (!queued) break;
        counts.requests++;
        counts.beaconed += remove(chunk);
      }
      if (queue.length === 0) {
        if (retryTimer !== undefined) env.clearTimeout(retryTimer);
        retryTimer = undefined;
        failedAttempts = 0;
      }
      pump();
    },
    stop() {
      stopped = true;
      clearAgeTimer();
      if (retryTimer !== undefined) env.clearTimeout(retryTimer);
      retryTimer = undefined;
    },
    stats: () => ({ ...counts, buffered: queue.length }),
  };
}
