/**
 * The demo product's shape (weekday and hour curves, sources, channels, courses) and the
 * seeded random draws that the demo traffic is made of: the same key, the same draw.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** A user acts on their cohort day and the 21 days after it, never later. */
export const HORIZON_DAYS = 21;

export type Random = () => number;
export type Weighted<T> = readonly (readonly [T, number])[];

/** FNV-1a with a murmur3 finaliser: a well-mixed 32-bit seed from any key. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** mulberry32, seeded from a key such as (seed, day, n). */
export function randomFor(...key: (string | number)[]): Random {
  let state = hashKey(key.join('|'));
  return function mulberry32() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const integer = (random: Random, min: number, max: number) =>
  min + Math.floor(random() * (max - min + 1));
export const chance = (random: Random, p: number) => random() < p;

export function weighted<T>(random: Random, options: Weighted<T>): T {
  const total = options.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of options) if ((roll -= weight) < 0) return value;
  return options[options.length - 1]![0];
}

/** Sunday first, as `getUTCDay`; weekends at about 60% of a weekday. */
export const WEEKDAY_WEIGHT = [0.6, 1, 1.05, 1.05, 1, 0.9, 0.6] as const;
export const MEAN_WEEKDAY_WEIGHT = WEEKDAY_WEIGHT.reduce((sum, weight) => sum + weight, 0) / 7;
/** UTC hour-of-day curve: quiet nights, a working-day plateau, an evening peak. */
export const HOUR_WEIGHTS: Weighted<number> = [
  2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 9, 10, 11, 11, 10, 8, 5, 3,
].map((weight, hour) => [hour, weight] as const);
export const SOURCES: Weighted<string> = [
  ['app.web', 60],
  ['app.ios', 25],
  ['app.android', 15],
];
/** Acquisition channel: share of visitors and their sign-up rate (about 12% overall). */
export const CHANNELS = [
  { channel: 'organic', share: 35, signupRate: 0.11 },
  { channel: 'paid', share: 25, signupRate: 0.08 },
  { channel: 'referral', share: 10, signupRate: 0.2 },
  { channel: 'email', share: 10, signupRate: 0.16 },
  { channel: 'direct', share: 20, signupRate: 0.13 },
] as const;
export const METHODS: Weighted<string> = [
  ['email', 50],
  ['google', 35],
  ['apple', 15],
];
/** Courses c1..c5 with their number of lessons (l1..l12) and popularity. */
export const COURSES: Weighted<{ courseId: string; lessons: number }> = [
  [{ courseId: 'c1', lessons: 4 }, 30],
  [{ courseId: 'c2', lessons: 5 }, 25],
  [{ courseId: 'c3', lessons: 6 }, 20],
  [{ courseId: 'c4', lessons: 8 }, 15],
  [{ courseId: 'c5', lessons: 12 }, 10],
];
export const BROWSE_PATHS = [
  '/',
  '/courses',
  '/pricing',
  '/about',
  '/blog/learn-faster',
  '/courses/c1',
  '/courses/c3',
];
export const RETURN_CHANNELS: Weighted<string> = [
  ['direct', 70],
  ['email', 30],
];

export const dayKey = (at: number) => new Date(at).toISOString().slice(0, 10);
