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

export interface DemoEvent {
  name: string;
  eventId: string;
  userId: string;
  /** RFC 3339 with Z. */
  occurredAt: string;
  properties: Record<string, unknown>;
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

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A user acts on their cohort day and the 21 days after it, never later. */
const HORIZON_DAYS = 21;
const COHORT_CACHE_SIZE = 64;

type Random = () => number;
type Weighted<T> = readonly (readonly [T, number])[];

/** FNV-1a with a murmur3 finaliser: a well-mixed 32-bit seed from any key. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** mulberry32, seeded from a key such as (seed, day, n). */
function randomFor(...key: (string | number)[]): Random {
  let state = hashKey(key.join('|'));
  return function mulberry32() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const integer = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const chance = (random: Random, p: number) => random() < p;

function weighted<T>(random: Random, options: Weighted<T>): T {
  const total = options.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of options) if ((roll -= weight) < 0) return value;
  return options[options.length - 1]![0];
}

/** Sunday first, as `getUTCDay`; weekends at about 60% of a weekday. */
const WEEKDAY_WEIGHT = [0.6, 1, 1.05, 1.05, 1, 0.9, 0.6] as const;
const MEAN_WEEKDAY_WEIGHT = WEEKDAY_WEIGHT.reduce((sum, weight) => sum + weight, 0) / 7;
/** UTC hour-of-day curve: quiet nights, a working-day plateau, an evening peak. */
const HOUR_WEIGHTS: Weighted<number> = [
  2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 9, 10, 11, 11, 10, 8, 5, 3,
].map((weight, hour) => [hour, weight] as const);
const SOURCES: Weighted<string> = [
  ['app.web', 60],
  ['app.ios', 25],
  ['app.android', 15],
];
/** Acquisition channel: share of visitors and their sign-up rate (about 12% overall). */
const CHANNELS = [
  { channel: 'organic', share: 35, signupRate: 0.11 },
  { channel: 'paid', share: 25, signupRate: 0.08 },
  { channel: 'referral', share: 10, signupRate: 0.2 },
  { channel: 'email', share: 10, signupRate: 0.16 },
  { channel: 'direct', share: 20, signupRate: 0.13 },
] as const;
const METHODS: Weighted<string> = [
  ['email', 50],
  ['google', 35],
  ['apple', 15],
];
/** Courses c1..c5 with their number of lessons (l1..l12) and popularity. */
const COURSES: Weighted<{ courseId: string; lessons: number }> = [
  [{ courseId: 'c1', lessons: 4 }, 30],
  [{ courseId: 'c2', lessons: 5 }, 25],
  [{ courseId: 'c3', lessons: 6 }, 20],
  [{ courseId: 'c4', lessons: 8 }, 15],
  [{ courseId: 'c5', lessons: 12 }, 10],
];
const BROWSE_PATHS = [
  '/',
  '/courses',
  '/pricing',
  '/about',
  '/blog/learn-faster',
  '/courses/c1',
  '/courses/c3',
];
const RETURN_CHANNELS: Weighted<string> = [
  ['direct', 70],
  ['email', 30],
];

interface DemoUser {
  readonly userId: string;
  readonly source: string;
  readonly eventIdPrefix: string;
}

/**
 * A planned event, turned into a {@link DemoEvent} only when a range returns it: a day's
 * query simulates 22 cohorts, most of whose events fall on other days.
 */
interface Timed {
  readonly at: number;
  readonly name: string;
  readonly properties: Record<string, unknown>;
  readonly user: DemoUser;
  /** Position in the user's life: the eventId stays the same whatever range asks for it. */
  readonly index: number;
}

function demoEvent({ at, name, properties, user, index }: Timed): DemoEvent {
  const { userId, source, eventIdPrefix } = user;
  const occurredAt = new Date(at).toISOString();
  return {
    name,
    eventId: `${eventIdPrefix}${index}`,
    userId,
    occurredAt,
    properties: { ...properties },
    source,
  };
}

const dayKey = (at: number) => new Date(at).toISOString().slice(0, 10);
const timeOfDay = (random: Random) => weighted(random, HOUR_WEIGHTS) * HOUR + Math.floor(random() * HOUR);

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

/** The whole life of user n of a cohort day, in time order, cut at the horizon. */
function userTimeline(
  options: DemoTrafficOptions,
  cohortStart: number,
  cohortDay: string,
  n: number,
): Timed[] {
  const random = randomFor(options.seed, cohortDay, n);
  const user: DemoUser = {
    userId: `u-${cohortDay}-${n}`,
    source: weighted(random, SOURCES),
    eventIdPrefix: `s${options.seed}-${cohortDay}-${n}-`,
  };
  const timeline: Timed[] = [];
  let cursor = cohortStart + timeOfDay(random);

  const emit = (name: string, properties: Record<string, unknown>, after = 0) => {
    cursor += after;
    timeline.push({ at: cursor, name, properties, user, index: timeline.length });
  };
  /** Moves the clock to a session on a later day, never back in time nor overlapping the last session. */
  const sessionOn = (dayStart: number) => {
    cursor = Math.max(dayStart + timeOfDay(random), cursor + 20 * MINUTE);
  };
  const pageViews = (count: number, channel: string, firstPath?: string) => {
    for (let page = 0; page < count; page++) {
      const path =
        page === 0 && firstPath ? firstPath : BROWSE_PATHS[integer(random, 0, BROWSE_PATHS.length - 1)];
      emit('page_viewed', { path, channel }, page === 0 ? 0 : integer(random, 15, 150) * SECOND);
    }
  };

  // Decisions drawn in a fixed order, so an incident only truncates a life, never reshuffles it.
  const { channel, signupRate } = weighted(
    random,
    CHANNELS.map((entry) => [entry, entry.share] as const),
  );
  const incidentRoll = random();
  const signsUp = chance(random, signupRate);
  const signupDelay = chance(random, 0.25) ? integer(random, 1, 3) : 0;

  pageViews(integer(random, 1, 4), channel);
  if (!signsUp) {
    if (chance(random, 0.2)) {
      sessionOn(cohortStart + integer(random, 1, 5) * DAY);
      pageViews(integer(random, 1, 2), weighted(random, RETURN_CHANNELS));
    }
    return timeline;
  }
  if (signupDelay > 0) {
    sessionOn(cohortStart + signupDelay * DAY);
    pageViews(integer(random, 1, 2), weighted(random, RETURN_CHANNELS), '/pricing');
  }
  const signupAt = cursor + integer(random, 30, 240) * SECOND;
  const incident = options.incident;
  if (incident && dayKey(signupAt) === incident.day && incidentRoll < incident.signupDrop) return timeline;
  emit('signed_up', { method: weighted(random, METHODS) }, signupAt - cursor);

  const signupDayStart = Math.floor(signupAt / DAY) * DAY;
  const lessonSession = (
    dayOffset: number,
    course: { courseId: string; lessons: number },
    fromLesson: number,
    count: number,
    pay: boolean,
    abandonLast = false,
  ) => {
    if (dayOffset === 0) cursor += integer(random, 20, 120) * SECOND;
    else sessionOn(signupDayStart + dayOffset * DAY);
    const { courseId } = course;
    emit('page_viewed', {
      path: `/courses/${courseId}/l${fromLesson}`,
      channel: weighted(random, RETURN_CHANNELS),
    });
    if (pay) {
      const plan = chance(random, 0.25) ? 'annual' : 'monthly';
      const currency = chance(random, 0.35) ? 'EUR' : 'USD';
      emit(
        'payment_succeeded',
        { amount: plan === 'annual' ? 190 : 19, currency, plan },
        integer(random, 30, 120) * SECOND,
      );
    }
    const last = Math.min(course.lessons, fromLesson + count - 1);
    for (let lesson = fromLesson; lesson <= last; lesson++) {
      const lessonId = `l${lesson}`;
      emit('lesson_started', { courseId, lessonId }, integer(random, 5, 90) * SECOND);
      if (abandonLast && lesson === last) return last;
      const durationSeconds = integer(random, 240, 1500);
      emit('lesson_completed', { courseId, lessonId, durationSeconds }, durationSeconds * SECOND);
      if (lesson === course.lessons)
        emit(
          'course_completed',
          { courseId, certificate: chance(random, 0.7) },
          integer(random, 1, 5) * SECOND,
        );
    }
    return last;
  };

  if (!chance(random, 0.93)) return timeline; // signed up, never opened a lesson
  const committed = chance(random, 0.88);
  const course = weighted(random, COURSES);
  const firstOffset = chance(random, 0.6) ? 0 : integer(random, 1, 3);
  const pays = chance(random, committed ? 0.36 : 0.12);

  if (!committed) {
    // Dabbler: one to three lessons on separate days, the last one often left unfinished.
    const sessions = integer(random, 1, 3);
    let offset = firstOffset;
    for (let session = 0; session < sessions; session++) {
      lessonSession(
        offset,
        course,
        session + 1,
        1,
        pays && session === 0,
        session === sessions - 1 && chance(random, 0.5),
      );
      offset += integer(random, 1, 3);
    }
    return cut(timeline, cohortStart);
  }

  // Committed learner: the whole course within 1-13 days of the sign-up day.
  const lessons = course.lessons;
  const lastOffset = Math.min(13, Math.max(firstOffset, 1, Math.round(lessons * (0.5 + random() * 0.9))));
  const sessions = Math.min(lessons, lastOffset - firstOffset + 1);
  const offsets = new Set([firstOffset, lastOffset]);
  while (offsets.size < sessions) offsets.add(integer(random, firstOffset, lastOffset));
  const perSession = Array.from({ length: sessions }, () => 1);
  for (let extra = sessions; extra < lessons; extra++) perSession[integer(random, 0, sessions - 1)]! += 1;
  const payAt = integer(random, 0, sessions - 1);
  let nextLesson = 1;
  [...offsets]
    .sort((a, b) => a - b)
    .forEach((offset, index) => {
      nextLesson = lessonSession(offset, course, nextLesson, perSession[index]!, pays && index === payAt) + 1;
    });

  // About half carry on with another course until the horizon cuts them off.
  if (chance(random, 0.5)) {
    const next = weighted(random, COURSES);
    const second = next.courseId === course.courseId ? weighted(random, COURSES) : next;
    let offset = lastOffset + integer(random, 1, 4);
    let lesson = 1;
    for (let session = integer(random, 1, 5); session > 0 && lesson <= second.lessons; session--) {
      lesson = lessonSession(offset, second, lesson, integer(random, 1, 2), false) + 1;
      offset += integer(random, 1, 3);
    }
  }
  return cut(timeline, cohortStart);
}

/** Drops what falls after the horizon, so a cohort never acts on a day that does not load it. */
function cut(timeline: Timed[], cohortStart: number): Timed[] {
  const end = cohortStart + (HORIZON_DAYS + 1) * DAY;
  return timeline.filter((timed) => timed.at < end);
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
