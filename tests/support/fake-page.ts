import type { BrowserEnvironment, CollectorAnswer, PageEvents } from '../../client/browser.js';

/** A page for the browser client's unit tests: time that moves on `advance()`, a scripted collector, DOM events. */

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly run: () => void;
}

/** Lets promise callbacks (a post's answer, the sender's next step) run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function manualTime(start = Date.parse('2026-11-25T10:00:00.000Z')) {
  let now = start;
  let nextId = 1;
  let timers: Timer[] = [];
  return {
    now: () => now,
    setTimeout(run: () => void, ms: number): unknown {
      const timer = { id: nextId++, at: now + Math.max(0, ms), run };
      timers.push(timer);
      return timer.id;
    },
    clearTimeout(id: unknown): void {
      timers = timers.filter((timer) => timer.id !== id);
    },
    /** Moves time on by `ms`, running each timer due on the way at its own time. */
    async advance(ms: number): Promise<void> {
      const until = now + ms;
      await settle();
      for (;;) {
        const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        now = due.at;
        due.run();
        await settle();
      }
      now = until;
    },
    /** Delays of the timers still waiting, from now. */
    waiting: () => timers.map((timer) => timer.at - now).sort((a, b) => a - b),
  };
}

export interface SentBody {
  readonly batch: { messageId: string; type: string; event?: string; [field: string]: unknown }[];
  readonly sentAt: string;
  readonly writeKey: string;
}

export type ScriptedAnswer = CollectorAnswer | 'network' | Promise<CollectorAnswer>;

export const ok = (body: unknown = { success: true }): CollectorAnswer => ({
  status: 200,
  retryAfter: null,
  body: JSON.stringify(body),
});

export const failure = (status: number, code: string, retryAfter: string | null = null): CollectorAnswer => ({
  status,
  retryAfter,
  body: JSON.stringify({ error: { code, message: `${code} (scripted)` } }),
});

/** DOM events of a fake document or window. */
export function pageEvents() {
  const listeners = new Map<string, Set<() => void>>();
  const events: PageEvents & { dispatch(type: string): void; count(type: string): number } = {
    addEventListener: (type, listener) => {
      listeners.set(type, (listeners.get(type) ?? new Set()).add(listener));
    },
    removeEventListener: (type, listener) => {
      listeners.get(type)?.delete(listener);
    },
    dispatch: (type) => {
      for (const listener of listeners.get(type) ?? []) listener();
    },
    count: (type) => listeners.get(type)?.size ?? 0,
  };
  return events;
}

/**
 * A page whose collector answers as `script` says, request by request (`ok()` once the script
 * is spent); every body sent, by fetch or beacon, is kept in order.
 */
export function fakePage(
  options: { script?: ScriptedAnswer[]; beaconAccepts?: (body: string) => boolean } = {},
) {
  const time = manualTime();
  const script = [...(options.script ?? [])];
  const posts: SentBody[] = [];
  const beacons: { url: string; body: SentBody; bytes: number }[] = [];
  const storage = new Map<string, string>();
  const document = Object.assign(pageEvents(), { visibilityState: 'visible' });
  const window = pageEvents();
  const environment: BrowserEnvironment = {
    post: async (_url, body) => {
      posts.push(JSON.parse(body) as SentBody);
      const answer = script.shift() ?? ok();
      if (answer === 'network') throw new TypeError('Failed to fetch');
      return answer;
    },
    beacon: (url, body) => {
      if (options.beaconAccepts && !options.beaconAccepts(body)) return false;
      beacons.push({ url, body: JSON.parse(body) as SentBody, bytes: new TextEncoder().encode(body).length });
      return true;
    },
    now: time.now,
    setTimeout: time.setTimeout,
    clearTimeout: time.clearTimeout,
    random: () => 0.5,
    document,
    window,
    storage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
    locale: 'en-GB',
    timeZone: 'Europe/Berlin',
  };
  return {
    environment,
    time,
    posts,
    beacons,
    storage,
    document,
    window,
    /** The page goes to the background (tab switch, app switch, screen off). */
    hide() {
      document.visibilityState = 'hidden';
      document.dispatch('visibilitychange');
    },
    messageIds: (body: SentBody) => body.batch.map((call) => call.messageId),
  };
}
