import type { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import type { TrackerError } from './errors.js';
import type { RetryPolicy } from './put-events.js';
import type { AnyPlanConfig, EventName, EventProperties } from './tracking-plan-types.js';

/** What an app sets for its tracker, and the tracker it gets. */

export interface TrackerOptions {
  /** The emitting app, e.g. `app.web`. The prefix `northstar` is reserved for the pipeline. */
  readonly source: string;
  /** PutEvents endpoint; the local runtime's is `http://127.0.0.1:4000`. @default EventBridge in `region` */
  readonly endpoint?: string;
  /** @default the SDK's (AWS_REGION, profile); `us-east-1` with a local endpoint */
  readonly region?: string;
  /** @default the SDK's credential chain; any with a local endpoint */
  readonly credentials?: EventBridgeClientConfig['credentials'];
  /** Your own client; the tracker then leaves its settings and its lifetime to you. */
  readonly client?: EventBridgeClient;
  /** @default 'northstar' */
  readonly eventBusName?: string;
  /** `batch`: `Northstar Event Batch` entries; `single`: one entry per event, DetailType = its name. @default 'batch' */
  readonly entries?: 'batch' | 'single';
  /** Buffered events are sent at least this often. @default 1000 */
  readonly flushIntervalMs?: number;
  /** Sends at once when this many events are buffered (or a full call's worth of bytes). @default 500 */
  readonly flushAtEvents?: number;
  /** Events held at most; once full, new events are dropped and reported. @default 10000 */
  readonly maxBufferedEvents?: number;
  readonly retry?: RetryPolicy;
  /** Context added to every event (platform, appVersion, locale ...). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Where failures go: the tracker never throws at the app. @default console.warn */
  readonly onError?: (error: TrackerError) => void;
  /** The time and timers the tracker runs on; tests drive their own. @default the real ones */
  readonly clock?: TrackerClock;
}

/** Each member left out is the real one. */
export interface TrackerClock {
  /** Milliseconds since the epoch: `occurredAt` of events tracked without one, and their eventId's time. @default Date.now */
  readonly now?: () => number;
  /** Starts the flush timer. @default setInterval, unref'd so it never keeps a process alive */
  readonly setInterval?: (flushDue: () => void, ms: number) => unknown;
  /** Stops the flush timer, given what `setInterval` returned. @default clearInterval */
  readonly clearInterval?: (timer: unknown) => void;
  /** Waits between retries (the backoff). @default a setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface TrackOptions {
  readonly userId: string;
  /** When the user acted. @default the time of the call */
  readonly occurredAt?: Date | string;
  /** To resend an event idempotently. @default a new UUID v7 */
  readonly eventId?: string;
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface TrackerStats {
  /** Events taken by `track()`. */
  readonly tracked: number;
  /** Events in entries PutEvents accepted. */
  readonly sent: number;
  readonly buffered: number;
  /** Dropped because the buffer was full. */
  readonly dropped: number;
  /** Refused by PutEvents for good, or still failing after the last retry, or invalid. */
  readonly failed: number;
  /** PutEvents calls made, retries included. */
  readonly calls: number;
}

export interface Tracker<C extends AnyPlanConfig = AnyPlanConfig> {
  /** Buffers one event and returns its eventId (undefined when it was not taken). Never throws. */
  track<N extends EventName<C>>(
    name: N,
    properties: EventProperties<C, N>,
    options: TrackOptions,
  ): string | undefined;
  /** Sends everything buffered so far, retries included. */
  flush(): Promise<void>;
  /** Stops the timer, flushes and releases the client it made. Later `track()` calls are reported. */
  shutdown(): Promise<void>;
  stats(): TrackerStats;
}
