/**
 * Deterministic demo traffic for `config/demo.config.ts`, an online-education product.
 *
 * Every user is a cohort member: `u-<first visit day>-<n>`. A user's whole life (visits,
 * sign-up, lessons, course completions, a payment) is drawn from a PRNG keyed by
 * (seed, cohort day, n) and lasts at most {@link HORIZON_DAYS} days after the cohort day.
 * A UTC day's traffic is therefore the union of the cohorts of that day and the
 * {@link HORIZON_DAYS} days before it, and `between(from, to)` is a pure function of
 * (options, from, to): consecutive ranges add up exactly, whatever the cut points.
 */

import {
  DAY,
  dayKey,
  HORIZON_DAYS,
  integer,
  MEAN_WEEKDAY_WEIGHT,
  randomFor,
  SECOND,
  WEEKDAY_WEIGHT,
} from './demo-profile.js';
import { type Timed, userTimeline } from './demo-user-timeline.js';

export interface DemoEvent {
  name: string;
  eventId: string;
  userId: string;
  /** RFC 3339 with Z. */
  occurredAt: string;
  properties: Record<string, unknown>;
  /** What the app says about itself: the platform it runs on. */
  context: { platform: string };
  source: string;
}

export interface DemoTrafficOptions {
  readonly seed: number;
  /**
   * New visitors per average day (weekdays get more, weekends about 60% of a weekday).
   * @default 400
   */
  readonly dailyVisitors?: number;
  /** A bad day: on `day` (YYYY-MM-DD, UTC) the share `signupDrop` (0..1) of sign-ups never happens. */
  readonly incident?: { readonly day: string; readonly signupDrop: number };
}

export interface DemoTraffic {
  /** Every event with occurredAt in [from, to) (epoch ms), sorted by occurredAt. */
  between(from: number, to: number): DemoEvent[];
}

const COHORT_CACHE_SIZE = 64;

function demoEvent({ at, name, properties, user, index }: Timed): DemoEvent {
  const { userId, source, eventIdPrefix } = user;
  const occurredAt = new Date(at).toISOString();
  return {
    name,
    eventId: `${eventIdPrefix}${index}`,
    userId,
    occurredAt,
    properties: { ...properties },
    context: { platform: source.replace(/^app\./, '') },
    source,
  };
}

function checkOptions(options: DemoTrafficOptions): void {
  if (!Number.isSafeInteger(options.seed))
    throw new RangeError(`seed must be an integer, got ${options.seed}`);
  const visitors = options.dailyVisitors;
  if (visitors !== undefined && !(Number.isFinite(visitors) && visitors >= 0))
    throw new RangeError(`dailyVisitors must be a number >= 0, got ${visitors}`);
  const incident = options.incident;
  if (incident && (!/^\d{4}-\d{2}-\d{2}$/.test(incident.day) || Number.isNaN(Date.parse(incident.day))))
    throw new RangeError(`incident.day must be a date YYYY-MM-DD, got ${incident.day}`);
  if (incident && !(incident.signupDrop >= 0 && incident.signupDrop <= 1))
    throw new RangeError(`incident.signupDrop must be within 0..1, got ${incident.signupDrop}`);
}

/** New visitors of a UTC day: weekly seasonality and a little day-to-day noise. */
function visitorsOn(options: DemoTrafficOptions, dayStart: number): number {
  const average = options.dailyVisitors ?? 400;
  const weight = WEEKDAY_WEIGHT[new Date(dayStart).getUTCDay()]! / MEAN_WEEKDAY_WEIGHT;
  const noise = 0.94 + randomFor(options.seed, dayKey(dayStart), 'visitors')() * 0.12;
  return Math.round(average * weight * noise);
}

export function demoTraffic(options: DemoTrafficOptions): DemoTraffic {
  checkOptions(options);
  /** Cohort day start -> its users' events bucketed by UTC day start. A cache only: results never depend on it. */
  const cohorts = new Map<number, Map<number, Timed[]>>();

  const cohort = (cohortStart: number): Map<number, Timed[]> => {
    const cached = cohorts.get(cohortStart);
    if (cached) return cached;
    const byDay = new Map<number, Timed[]>();
    const cohortDay = dayKey(cohortStart);
    const visitors = visitorsOn(options, cohortStart);
    for (let n = 0; n < visitors; n++) {
      for (const timed of userTimeline(options, cohortStart, cohortDay, n)) {
        const dayStart = Math.floor(timed.at / DAY) * DAY;
        const bucket = byDay.get(dayStart);
        if (bucket) bucket.push(timed);
        else byDay.set(dayStart, [timed]);
      }
    }
    if (cohorts.size >= COHORT_CACHE_SIZE) cohorts.delete(cohorts.keys().next().value as number);
    cohorts.set(cohortStart, byDay);
    return byDay;
  };

  const dayTraffic = (dayStart: number): Timed[] => {
    const events: Timed[] = [];
    for (let back = HORIZON_DAYS; back >= 0; back--)
      events.push(...(cohort(dayStart - back * DAY).get(dayStart) ?? []));
    return events.sort(
      (a, b) =>
        a.at - b.at ||
        (a.user.userId < b.user.userId ? -1 : a.user.userId > b.user.userId ? 1 : a.index - b.index),
    );
  };

  return {
    between(from, to) {
      if (!Number.isFinite(from) || !Number.isFinite(to))
        throw new RangeError(`between needs finite epoch milliseconds, got [${from}, ${to})`);
      const events: DemoEvent[] = [];
      for (let dayStart = Math.floor(from / DAY) * DAY; dayStart < to; dayStart += DAY) {
        for (const timed of dayTraffic(dayStart))
          if (timed.at >= from && timed.at < to) events.push(demoEvent(timed));
      }
      return events;
    },
  };
}

/**
 * A handful of entries the pipeline must quarantine, one per kind of mistake apps make:
 * an event outside the tracking plan, a string amount, an unknown sign-up method, a missing
 * userId, a clock far ahead of `at`, and a timestamp without a time zone.
 */
export function malformedDemoEntries(
  seed: number,
  at: number,
): { source: string; detailType: string; detail: unknown }[] {
  const random = randomFor(seed, at, 'malformed');
  const userId = `u-malformed-${integer(random, 1, 999)}`;
  const occurredAt = new Date(at - integer(random, 5, 120) * SECOND).toISOString();
  const eventId = (kind: string) => `bad-${seed}-${at}-${kind}`;
  return [
    {
      source: 'app.web',
      detailType: 'video_watched',
      detail: { eventId: eventId('unknown'), userId, occurredAt, properties: { videoId: 'v3' } },
    },
    {
      source: 'app.ios',
      detailType: 'payment_succeeded',
      detail: {
        eventId: eventId('amount'),
        userId,
        occurredAt,
        properties: { amount: '19', currency: 'USD', plan: 'monthly' },
      },
    },
    {
      source: 'app.web',
      detailType: 'signed_up',
      detail: { eventId: eventId('method'), userId, occurredAt, properties: { method: 'facebook' } },
    },
    {
      source: 'app.android',
      detailType: 'lesson_started',
      detail: { eventId: eventId('anonymous'), occurredAt, properties: { courseId: 'c2', lessonId: 'l1' } },
    },
    {
      source: 'app.android',
      detailType: 'course_completed',
      detail: {
        eventId: eventId('future'),
        userId,
        occurredAt: new Date(at + integer(random, 2, 5) * DAY).toISOString(),
        properties: { courseId: 'c1', certificate: true },
      },
    },
    {
      source: 'app.web',
      detailType: 'page_viewed',
      detail: {
        eventId: eventId('zoneless'),
        userId,
        occurredAt: occurredAt.slice(0, 19),
        properties: { path: '/pricing', channel: 'organic' },
      },
    },
  ];
}
