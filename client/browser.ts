import { DEFAULT_RETRY } from './backoff.js';
import type {
  BrowserEnvironment,
  BrowserTracker,
  BrowserTrackerOptions,
  BrowserTrackOptions,
} from './browser-options.js';
import { type CollectorAnswer, createCollectorSender, utf8Length } from './collector-sender.js';
import { TrackerError } from './errors.js';
import type { AnyPlanConfig } from './tracking-plan-types.js';
import { uuid7Generator } from './uuid7.js';

/**
 * The typed client for web pages (`northstar/client/browser`): `track()` checked against the
 * tracking plan as on a server, sent as Segment calls to the collector's `/v1/batch` with the
 * app's write key. Browser APIs only (fetch, sendBeacon, localStorage), no Node or SDK import.
 */

export type {
  BrowserEnvironment,
  BrowserTracker,
  BrowserTrackerOptions,
  BrowserTrackerStats,
  BrowserTrackOptions,
  PageEvents,
} from './browser-options.js';
export type { CollectorAnswer } from './collector-sender.js';
export { TrackerError, type TrackerErrorCode } from './errors.js';
export type { EventName, EventProperties, PropertiesOf } from './tracking-plan-types.js';

const LIBRARY = { name: 'northstar-browser' } as const;
const ANONYMOUS_ID_KEY = 'northstar.anonymousId';
const USER_ID_KEY = 'northstar.userId';
/** Chromium and Safari refuse a beacon past 64 KiB of bodies in flight. */
const MAX_BEACON_BYTES = 60_000;
const BROWSER_RETRY = { maxAttempts: 10, baseDelayMs: 500, maxDelayMs: 30_000 } as const;

type PageGlobals = typeof globalThis & Partial<Pick<Window, 'document' | 'navigator' | 'localStorage'>>;

function pageStorage(page: PageGlobals): BrowserEnvironment['storage'] {
  try {
    // Reading it throws where storage is blocked (some privacy settings, sandboxed frames).
    return page.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A CORS simple request: `text/plain` and the write key in the body, so no preflight is made
 * (an `Authorization` header would cost one per origin and 10 minutes); the collector reads
 * the body as JSON whatever its type.
 */
async function postWithFetch(url: string, body: string, timeoutMs: number): Promise<CollectorAnswer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body,
      credentials: 'omit',
      signal: abort.signal,
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.text(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The page's own APIs. */
export function pageEnvironment(): BrowserEnvironment {
  const page = globalThis as PageGlobals;
  const navigator = page.navigator;
  return {
    post: postWithFetch,
    // A string body goes as text/plain: no preflight, and the write key travels inside it.
    beacon: navigator?.sendBeacon ? (url, body) => navigator.sendBeacon(url, body) : undefined,
    now: () => Date.now(),
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
    random: Math.random,
    document: page.document,
    window: typeof page.addEventListener === 'function' ? page : undefined,
    storage: pageStorage(page),
    locale: navigator?.language,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

const stored = (env: BrowserEnvironment, key: string): string | undefined => {
  try {
    return env.storage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
};

const store = (env: BrowserEnvironment, key: string, value: string | undefined): void => {
  try {
    if (value === undefined) env.storage?.removeItem(key);
    else env.storage?.setItem(key, value);
  } catch {
    // Storage full or blocked: the ids still hold for this page.
  }
};

/**
 * A tracker for one page: `createBrowserTracker<typeof config>({ writeKey, host })` types
 * `track()` from the configuration's tracking plan.
 */
export function createBrowserTracker<C extends AnyPlanConfig = AnyPlanConfig>(
  options: BrowserTrackerOptions,
): BrowserTracker<C> {
  const env: BrowserEnvironment = { ...pageEnvironment(), ...options.environment };
  const onError =
    options.onError ?? ((error: TrackerError) => console.warn(`northstar browser tracker: ${error.message}`));
  const report = (error: TrackerError) => {
    try {
      onError(error);
    } catch {
      // A handler that throws must not reach the page's own code.
    }
  };
  if (!options.writeKey || !/^https?:\/\/[^/?#]+\/?$/.test(options.host))
    throw new TypeError(
      'createBrowserTracker needs a writeKey and a host such as https://collect.example.com',
    );
  const nextId = uuid7Generator(env.now);
  const maxCallBytes = options.maxCallBytes ?? 32_768;
  const sender = createCollectorSender(
    {
      url: `${options.host.replace(/\/$/, '')}/v1/batch`,
      writeKey: options.writeKey,
      flushAtEvents: Math.max(1, options.flushAtEvents ?? 20),
      flushIntervalMs: options.flushIntervalMs ?? 2000,
      maxBatchBytes: options.maxBatchBytes ?? 64_000,
      maxBeaconBytes: Math.min(MAX_BEACON_BYTES, options.maxBatchBytes ?? MAX_BEACON_BYTES),
      maxBufferedEvents: options.maxBufferedEvents ?? 1000,
      retry: { ...DEFAULT_RETRY, ...BROWSER_RETRY, ...options.retry },
      report,
    },
    {
      post: (url, body) => env.post(url, body, options.requestTimeoutMs ?? 15_000),
      beacon: env.beacon,
      now: env.now,
      setTimeout: env.setTimeout,
      clearTimeout: env.clearTimeout,
      random: env.random,
    },
  );

  let anonymousId = options.anonymousId ?? stored(env, ANONYMOUS_ID_KEY) ?? nextId();
  store(env, ANONYMOUS_ID_KEY, anonymousId);
  let userId = options.userId ?? stored(env, USER_ID_KEY);
  if (options.userId) store(env, USER_ID_KEY, options.userId);
  const baseContext = {
    library: LIBRARY,
    ...(env.locale ? { locale: env.locale } : {}),
    ...(env.timeZone ? { timezone: env.timeZone } : {}),
    ...options.context,
  };
  let tracked = 0;
  let invalid = 0;
  let closed = false;

  /** Serializes one Segment call and queues it; its messageId, or undefined when not taken. */
  function queueCall(call: Record<string, unknown>, what: string): string | undefined {
    if (closed) {
      report(new TrackerError('closed', `${what} after close(): not sent`, 1));
      return undefined;
    }
    const json = JSON.stringify(call);
    const bytes = utf8Length(json);
    if (bytes > maxCallBytes) {
      invalid++;
      report(new TrackerError('too_large', `${what} is ${bytes} bytes, over ${maxCallBytes}`, 1));
      return undefined;
    }
    if (!sender.enqueue(json, bytes)) return undefined;
    tracked++;
    return call.messageId as string;
  }

  function track(
    name: string,
    properties: Readonly<Record<string, unknown>> | undefined,
    trackOptions: BrowserTrackOptions = {},
  ): string | undefined {
    try {
      const user = trackOptions.userId ?? userId;
      if (
        typeof name !== 'string' ||
        name === '' ||
        (user !== undefined && (user === '' || user.length > 256))
      ) {
        invalid++;
        report(
          new TrackerError(
            'invalid_event',
            `track("${String(name)}"): a name and a userId of 1-256 characters are required`,
            1,
          ),
        );
        return undefined;
      }
      const at = trackOptions.occurredAt;
      return queueCall(
        {
          type: 'track',
          event: name,
          properties: properties ?? {},
          messageId: trackOptions.eventId ?? nextId(),
          anonymousId,
          ...(user === undefined ? {} : { userId: user }),
          timestamp:
            at === undefined ? new Date(env.now()).toISOString() : at instanceof Date ? at.toISOString() : at,
          context: { ...baseContext, ...trackOptions.context },
        },
        `track("${name}")`,
      );
    } catch (error) {
      invalid++;
      report(
        new TrackerError('invalid_event', `track("${String(name)}") failed: ${(error as Error).message}`, 1, {
          cause: error,
        }),
      );
      return undefined;
    }
  }

  const onVisibility = () => {
    if (env.document?.visibilityState === 'hidden') sender.beaconAll();
  };
  // Hidden is the last moment a page is sure to get (mobile browsers kill hidden tabs without
  // pagehide); pagehide covers browsers that skip visibilitychange on unload.
  const onPageHide = () => sender.beaconAll();
  env.document?.addEventListener('visibilitychange', onVisibility);
  env.window?.addEventListener('pagehide', onPageHide);

  return {
    track: track as BrowserTracker<C>['track'],
    identify(id, traits) {
      if (typeof id !== 'string' || id === '' || id.length > 256) {
        invalid++;
        report(new TrackerError('invalid_event', 'identify(): a userId of 1-256 characters is required', 1));
        return;
      }
      userId = id;
      store(env, USER_ID_KEY, id);
      queueCall(
        {
          type: 'identify',
          userId: id,
          anonymousId,
          ...(traits ? { traits } : {}),
          messageId: nextId(),
          timestamp: new Date(env.now()).toISOString(),
          context: baseContext,
        },
        'identify()',
      );
    },
    reset() {
      userId = undefined;
      anonymousId = nextId();
      store(env, USER_ID_KEY, undefined);
      store(env, ANONYMOUS_ID_KEY, anonymousId);
    },
    get anonymousId() {
      return anonymousId;
    },
    get userId() {
      return userId;
    },
    flush: () => sender.flush(),
    close() {
      if (closed) return;
      closed = true;
      env.document?.removeEventListener('visibilitychange', onVisibility);
      env.window?.removeEventListener('pagehide', onPageHide);
      sender.beaconAll();
      sender.stop();
    },
    stats() {
      const { sent, beaconed, buffered, dropped, failed, requests } = sender.stats();
      return { tracked, sent, beaconed, buffered, dropped, failed: failed + invalid, requests };
    },
  };
}
