/** One demo user's life: the events they send from their first visit on, drawn from seeded randoms. */

import {
  BROWSE_PATHS,
  CHANNELS,
  COURSES,
  chance,
  DAY,
  dayKey,
  HORIZON_DAYS,
  HOUR,
  HOUR_WEIGHTS,
  integer,
  METHODS,
  MINUTE,
  type Random,
  RETURN_CHANNELS,
  randomFor,
  SECOND,
  SOURCES,
  weighted,
} from './demo-profile.js';
import type { DemoEvent, DemoTrafficOptions } from './demo-traffic.js';

export interface DemoUser {
  readonly userId: string;
  readonly source: string;
  readonly eventIdPrefix: string;
}

/**
 * A planned event, turned into a {@link DemoEvent} only when a range returns it: a day's
 * query simulates 22 cohorts, most of whose events fall on other days.
 */
export interface Timed {
  readonly at: number;
  readonly name: string;
  readonly properties: Record<string, unknown>;
  readonly user: DemoUser;
  /** Position in the user's life: the eventId stays the same whatever range asks for it. */
  readonly index: number;
}

const timeOfDay = (random: Random) => weighted(random, HOUR_WEIGHTS) * HOUR + Math.floor(random() * HOUR);

/** The whole life of user n of a cohort day, in time order, cut at the horizon. */
export function userTimeline(
  options: DemoTrafficOptions,
  cohortStart: number,
  cohortDay: string,
  n: number,
): Timed[] {
  const random = randomFor(options.seed, cohortDay, n);
  // A stream of its own for decisions added later, so they leave the earlier draws as they were.
  const repeatRandom = randomFor(options.seed, `${cohortDay}-repeat`, n);
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
    // Two in five payers buy the second course as well: the repeat payers.
    let paysAgain = pays && repeatRandom() < 0.4;
    for (let session = integer(random, 1, 5); session > 0 && lesson <= second.lessons; session--) {
      lesson = lessonSession(offset, second, lesson, integer(random, 1, 2), paysAgain) + 1;
      paysAgain = false;
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
