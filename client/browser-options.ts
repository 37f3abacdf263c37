import type { RetryPolicy } from './backoff.js';
import type { CollectorAnswer } from './collector-sender.js';
import type { TrackerError } from './errors.js';
import type { AnyPlanConfig, EventName, EventProperties } from './tracking-plan-types.js';

/** What a page sets for its tracker, and the tracker it gets. */

export interface BrowserTrackerOptions {
  /** The app's public write key; it names the source of every event. */
  readonly writeKey: string;
  /** The collector's origin: `https://collect.example.com`; the local runtime's `http://127.0.0.1:4000`. */
  readonly host: string;
  /** The visitor before sign-in. @default one kept in `localStorage` (`northstar.anonymousId`), made once */
  readonly anonymousId?: string;
  /** The signed-in user, when known at start. @default the last `identify()`'s, from `localStorage` */
  readonly userId?: string;
  /** Sends at once when this many calls wait; also the most one request carries. @default 20 */
  readonly flushAtEvents?: number;
  /** A call waits at most this long before it is sent. @default 2000 */
  readonly flushIntervalMs?: number;
  /** Largest request body; keep it at most the collector's `maxBatchBytes`. @default 64000 */
  readonly maxBatchBytes?: number;
  /** Largest call, as the collector's `maxCallBytes`. @default 32768 */
  readonly maxCallBytes?: number;
  /** Calls held at most; once full, new calls are dropped and reported. @default 1000 */
  readonly maxBufferedEvents?: number;
  /** Failed attempts (network errors, 5xx) before a batch is given up; 429 waits do not count. */
  readonly retry?: RetryPolicy;
  /** A request without an answer after this long counts as a network error. @default 15000 */
  readonly requestTimeoutMs?: number;
  /** Context added to every call (app, device, os ...); library, locale and timezone are set. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Where failures go: the tracker never throws at the page. @default console.warn */
  readonly onError?: (error: TrackerError) => void;
  /** The browser APIs the tracker uses; each left out is the page's own. */
  readonly environment?: Partial<BrowserEnvironment>;
}

/** A source of DOM events: the page's `document` and `window`. */
export interface PageEvents {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** What the tracker takes from the page; tests give their own. */
export interface BrowserEnvironment {
  /** POSTs a body to the collector: `fetch`, as a CORS simple request. */
  readonly post: (url: string, body: string, timeoutMs: number) => Promise<CollectorAnswer>;
  /** `navigator.sendBeacon`; undefined where the browser has none. */
  readonly beacon: ((url: string, body: string) => boolean) | undefined;
  readonly now: () => number;
  readonly setTimeout: (run: () => void, ms: number) => unknown;
  readonly clearTimeout: (timer: unknown) => void;
  readonly random: () => number;
  /** Where `visibilitychange` comes from, with its `visibilityState`. */
  readonly document: (PageEvents & { readonly visibilityState: string }) | undefined;
  /** Where `pagehide` comes from. */
  readonly window: PageEvents | undefined;
  /** Keeps the anonymous id and user id across page loads; undefined where storage is blocked. */
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined;
  readonly locale: string | undefined;
  readonly timeZone: string | undefined;
}

export interface BrowserTrackOptions {
  /** The user of this call only. @default the identified user, else the anonymous id */
  readonly userId?: string;
  /** When the user acted. @default the time of the call */
  readonly occurredAt?: Date | string;
  /** To send an event again idempotently: it becomes the call's `messageId`. @default a new UUID v7 */
  readonly eventId?: string;
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface BrowserTrackerStats {
  /** Calls taken by `track()` and `identify()`. */
  readonly tracked: number;
  /** Calls the collector answered 2xx for (less those it refused). */
  readonly sent: number;
  /** Calls handed to `sendBeacon` when the page was hidden. */
  readonly beaconed: number;
  readonly buffered: number;
  readonly dropped: number;
  /** Refused by the collector, given up after the last attempt, or invalid. */
  readonly failed: number;
  /** Requests made: retries and beacons included. */
  readonly requests: number;
}

export interface BrowserTracker<C extends AnyPlanConfig = AnyPlanConfig> {
  /** Queues one event and returns its eventId (undefined when it was not taken). Never throws. */
  track<N extends EventName<C>>(
    name: N,
    properties: EventProperties<C, N>,
    options?: BrowserTrackOptions,
  ): string | undefined;
  /** The visitor signed in: later events carry `userId`; an `identify` call links the anonymous id. */
  identify(userId: string, traits?: Readonly<Record<string, unknown>>): void;
  /** Signed out: no user id, and a new anonymous id. */
  reset(): void;
  readonly anonymousId: string;
  readonly userId: string | undefined;
  /** Sends everything queued so far; resolves once all of it was answered, given up or beaconed. */
  flush(): Promise<void>;
  /** Stops listening and timing, and beacons what is left (a single-page app's unmount). */
  close(): void;
  stats(): BrowserTrackerStats;
}
