import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { TrackerError } from './errors.js';
import {
  type BatchEvent,
  MAX_CALL_BYTES,
  MAX_ENTRY_BYTES,
  type PackedEntry,
  packBatchEntries,
  packCalls,
  packSingleEntries,
  utf8Bytes,
} from './pack-entries.js';
import { putEntries } from './put-events.js';
import type { Tracker, TrackerOptions, TrackOptions } from './tracker-options.js';
import type { AnyPlanConfig } from './tracking-plan-types.js';
import { uuid7, uuid7Generator } from './uuid7.js';

export type { Tracker, TrackerClock, TrackerOptions, TrackerStats, TrackOptions } from './tracker-options.js';

interface Buffered {
  readonly event: BatchEvent;
  readonly bytes: number;
}

const LOCAL_HOST = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;
/** Events taken from the buffer per pass, before packing into entries and calls. */
const PASS_BYTES = MAX_CALL_BYTES;

function unrefInterval(flushDue: () => void, ms: number): unknown {
  const timer = setInterval(flushDue, ms);
  // The timer alone never keeps a process alive; call shutdown() before exit to send the rest.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

function eventBridgeClientFor(options: TrackerOptions): EventBridgeClient {
  const local = options.endpoint !== undefined && LOCAL_HOST.test(options.endpoint);
  return new EventBridgeClient({
    // Retries are the tracker's own, per entry: the SDK's would retry whole calls again.
    maxAttempts: 1,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : local ? { region: 'us-east-1' } : {}),
    ...(options.credentials
      ? { credentials: options.credentials }
      : local
        ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
  });
}

/**
 * A tracker for one app: `createTracker<typeof config>({ source: 'app.web' })` types
 * `track()` from the configuration's tracking plan.
 */
export function createTracker<C extends AnyPlanConfig = AnyPlanConfig>(options: TrackerOptions): Tracker<C> {
  const onError =
    options.onError ?? ((error: TrackerError) => console.warn(`northstar tracker: ${error.message}`));
  const client = options.client ?? eventBridgeClientFor(options);
  const pack = options.entries === 'single' ? packSingleEntries : packBatchEntries;
  const maxBuffered = options.maxBufferedEvents ?? 10_000;
  const flushAtEvents = options.flushAtEvents ?? 500;
  const eventBusName = options.eventBusName ?? 'northstar';
  const now = options.clock?.now ?? Date.now;
  const nextEventId = options.clock?.now ? uuid7Generator(options.clock.now) : uuid7;
  const clearTimer =
    options.clock?.clearInterval ??
    ((timer: unknown) => clearInterval(timer as ReturnType<typeof setInterval>));
  // The smallest entry holds the source, the longest detail type and `{"events":[]}`.
  const maxEventBytes = MAX_ENTRY_BYTES - utf8Bytes(options.source) - 64;

  const buffer: Buffered[] = [];
  let bufferedBytes = 0;
  let droppedUnreported = 0;
  let closed = false;
  let forced = false;
  let sending: Promise<void> | undefined;
  const counts = { tracked: 0, sent: 0, dropped: 0, failed: 0, calls: 0 };

  const report = (error: TrackerError) => {
    try {
      onError(error);
    } catch {
      // An app's error handler that throws must not reach the hot path either.
    }
  };

  const reportDrops = () => {
    if (droppedUnreported === 0) return;
    const dropped = droppedUnreported;
    droppedUnreported = 0;
    report(
      new TrackerError(
        'buffer_full',
        `buffer full (${maxBuffered} events): dropped the ${dropped} newest events`,
        dropped,
      ),
    );
  };

  const full = () => buffer.length >= flushAtEvents || bufferedBytes >= PASS_BYTES;

  async function sendCall(call: PackedEntry[]): Promise<void> {
    const outcome = await putEntries(client, call, {
      eventBusName,
      retry: options.retry ?? {},
      ...(options.clock?.sleep ? { sleep: options.clock.sleep } : {}),
    });
    counts.calls += outcome.attempts;
    counts.sent += outcome.accepted.reduce((sum, entry) => sum + entry.events, 0);
    for (const [failures, code] of [
      [outcome.rejected, 'rejected'],
      [outcome.exhausted, 'retries_exhausted'],
    ] as const) {
      if (failures.length === 0) continue;
      const events = failures.reduce((sum, { entry }) => sum + entry.events, 0);
      counts.failed += events;
      const first = failures[0]!;
      report(
        new TrackerError(
          code,
          code === 'rejected'
            ? `PutEvents refused ${failures.length} entries (${events} events): ${first.errorCode} ${first.message}`
            : `gave up on ${failures.length} entries (${events} events) after ${outcome.attempts} attempts: ${first.errorCode} ${first.message}`,
          events,
          { errorCode: first.errorCode },
        ),
      );
    }
  }

  /** One pass: takes about a call's worth of events, packs them and sends the calls. */
  async function sendPass(): Promise<void> {
    const taken: BatchEvent[] = [];
    let bytes = 0;
    while (buffer.length > 0 && (taken.length === 0 || bytes + buffer[0]!.bytes <= PASS_BYTES)) {
      const next = buffer.shift()!;
      bufferedBytes -= next.bytes;
      bytes += next.bytes;
      taken.push(next.event);
    }
    const { entries, oversized } = pack(options.source, taken);
    if (oversized.length > 0) {
      counts.failed += oversized.length;
      report(
        new TrackerError(
          'too_large',
          `${oversized.length} events are larger than one entry`,
          oversized.length,
        ),
      );
    }
    for (const call of packCalls(entries)) await sendCall(call);
  }

  async function sendWhileDue(): Promise<void> {
    try {
      while (buffer.length > 0 && (forced || full())) await sendPass();
    } catch (error) {
      // putEntries never throws; this guards the unexpected, so the loop is never stuck.
      report(
        new TrackerError('retries_exhausted', `sending failed: ${(error as Error).message}`, 0, {
          cause: error,
        }),
      );
    }
  }

  function drain(): Promise<void> {
    // Cleared in a callback that runs after the assignment: with nothing to send the pass
    // ends at once, and clearing inside it would leave `sending` set for good.
    sending ??= sendWhileDue().finally(() => {
      forced = false;
      sending = undefined;
    });
    return sending;
  }

  async function flush(): Promise<void> {
    // A pass already under way finishes first; then everything left goes.
    while (sending) await sending;
    forced = true;
    await drain();
    reportDrops();
  }

  const timer = (options.clock?.setInterval ?? unrefInterval)(function flushDue() {
    reportDrops();
    if (buffer.length > 0 && !sending) {
      forced = true;
      void drain();
    }
  }, options.flushIntervalMs ?? 1000);

  function track(
    name: string,
    properties: Readonly<Record<string, unknown>> | undefined,
    trackOptions: TrackOptions,
  ): string | undefined {
    try {
      if (closed) {
        report(new TrackerError('closed', `track("${name}") after shutdown: not sent`, 1));
        return undefined;
      }
      const userId = trackOptions?.userId;
      if (
        typeof name !== 'string' ||
        name === '' ||
        typeof userId !== 'string' ||
        userId === '' ||
        userId.length > 256
      ) {
        counts.failed++;
        report(
          new TrackerError(
            'invalid_event',
            `track("${String(name)}"): a name and a userId of 1-256 characters are required`,
            1,
          ),
        );
        return undefined;
      }
      if (buffer.length >= maxBuffered) {
        counts.dropped++;
        droppedUnreported++;
        return undefined;
      }
      const eventId = trackOptions.eventId ?? nextEventId();
      const at = trackOptions.occurredAt;
      const context =
        options.context || trackOptions.context ? { ...options.context, ...trackOptions.context } : undefined;
      const event: BatchEvent = {
        name,
        eventId,
        userId,
        occurredAt:
          at === undefined ? new Date(now()).toISOString() : at instanceof Date ? at.toISOString() : at,
        properties: properties ?? {},
        ...(context ? { context } : {}),
      };
      const bytes = utf8Bytes(JSON.stringify(event));
      if (bytes > maxEventBytes) {
        counts.failed++;
        report(new TrackerError('too_large', `event "${name}" is ${bytes} bytes, over one entry`, 1));
        return undefined;
      }
      buffer.push({ event, bytes });
      bufferedBytes += bytes;
      counts.tracked++;
      if (full() && !sending) void drain();
      return eventId;
    } catch (error) {
      report(
        new TrackerError('invalid_event', `track("${String(name)}") failed: ${(error as Error).message}`, 1, {
          cause: error,
        }),
      );
      return undefined;
    }
  }

  return {
    track: track as Tracker<C>['track'],
    flush,
    async shutdown() {
      if (closed) return;
      closed = true;
      clearTimer(timer);
      await flush();
      if (!options.client) client.destroy();
    },
    stats: () => ({ ...counts, buffered: buffer.length }),
  };
}
