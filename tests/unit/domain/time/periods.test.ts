import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Grain } from '../../../../shared/domain/config/schema.js';
import { addDuration, durationMs, periodBounds, periodKey } from '../../../../shared/domain/time/periods.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const GRAINS: readonly Grain[] = ['hour', 'day', 'week', 'month'];

const at = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** Bounds as ISO strings, so a failure reads as dates. */
function boundsOf(key: string, grain: Grain, zone: string): { start: string; end: string } {
  const { start, end } = periodBounds(key, grain, zone);
  return { start: iso(start), end: iso(end) };
}

/** Instants from 2000 to 2040, the range Northstar's data lives in. */
const anInstant = fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') });
const aGrain = fc.constantFrom(...GRAINS);

/** Zones whose offset never changes in that range: every local time exists exactly once. */
const FIXED_OFFSET_ZONES = [
  'UTC',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Pacific/Honolulu',
] as const;
/** Zones with daylight saving time, changing at night but never at local midnight. */
const DST_ZONES = ['Europe/Berlin', 'America/New_York', 'Europe/London', 'Australia/Sydney'] as const;

/** Zone and grain pairs in which no local period happens twice (the repeated hour is reported below). */
const aZoneAndGrainWithoutRepeatedLocalTimes = fc.oneof(
  fc.tuple(fc.constantFrom<string>(...FIXED_OFFSET_ZONES), aGrain),
  fc.tuple(fc.constantFrom<string>(...DST_ZONES), fc.constantFrom<Grain>('day', 'week', 'month')),
);

function expectInstantInOwnPeriod(instant: number, grain: Grain, zone: string): void {
  const key = periodKey(instant, grain, zone);
  const { start, end } = periodBounds(key, grain, zone);
  expect({ zone, grain, instant: iso(instant), key, inside: start <= instant && instant < end }).toEqual({
    zone,
    grain,
    instant: iso(instant),
    key,
    inside: true,
  });
}

describe('periodKey in UTC', () => {
  test.each([
    ['hour', '2026-11-25T13'],
    ['day', '2026-11-25'],
    ['week', '2026-W48'],
    ['month', '2026-11'],
  ] as const)('It should name the %s of an instant as %s', (grain, expected) => {
    // Prepare
    const instant = at('2026-11-25T13:45:10.500Z');

    // Act
    const key = periodKey(instant, grain, 'UTC');

    // Assess
    expect(key).toBe(expected);
  });

  test('It should start the ISO week on Monday', () => {
    // Prepare
    const lastMomentOfSunday = at('2026-11-29T23:59:59.999Z');
    const mondayMidnight = at('2026-11-30T00:00:00.000Z');

    // Act
    const keys = [periodKey(lastMomentOfSunday, 'week', 'UTC'), periodKey(mondayMidnight, 'week', 'UTC')];

    // Assess
    expect(keys).toEqual(['2026-W48', '2026-W49']);
  });

  test('It should put 2026-12-31 and 2027-01-01 in week 53 of ISO week year 2026', () => {
    // Prepare
    const newYearsEve = at('2026-12-31T12:00:00Z');
    const newYearsDay = at('2027-01-01T12:00:00Z');
    const lastSunday = at('2027-01-03T23:59:59.999Z');

    // Act
    const keys = [newYearsEve, newYearsDay, lastSunday].map((instant) => periodKey(instant, 'week', 'UTC'));

    // Assess
    expect(keys).toEqual(['2026-W53', '2026-W53', '2026-W53']);
  });

  test('It should start ISO week year 2027 on Monday 2027-01-04', () => {
    // Prepare
    const monday = at('2027-01-04T00:00:00Z');

    // Act
    const key = periodKey(monday, 'week', 'UTC');

    // Assess
    expect(key).toBe('2027-W01');
  });

  test('It should put the last days of December in week 1 of the next ISO week year when that week holds its Thursday', () => {
    // Prepare
    const monday = at('2025-12-29T08:00:00Z');

    // Act
    const keys = { week: periodKey(monday, 'week', 'UTC'), month: periodKey(monday, 'month', 'UTC') };

    // Assess
    expect(keys).toEqual({ week: '2026-W01', month: '2025-12' });
  });
});

describe('periodKey in another time zone', () => {
  test('It should take day, month and week in Europe/Berlin, not in UTC', () => {
    // Prepare: 23:30 UTC on Monday 30 November is 00:30 on Tuesday 1 December in Berlin (CET, +01:00).
    const instant = at('2026-11-30T23:30:00Z');

    // Act
    const berlin = GRAINS.map((grain) => periodKey(instant, grain, 'Europe/Berlin'));
    const utc = GRAINS.map((grain) => periodKey(instant, grain, 'UTC'));

    // Assess
    expect(berlin).toEqual(['2026-12-01T00', '2026-12-01', '2026-W49', '2026-12']);
    expect(utc).toEqual(['2026-11-30T23', '2026-11-30', '2026-W49', '2026-11']);
  });

  test('It should put a Monday in UTC into the previous week in America/New_York while it is still Sunday there', () => {
    // Prepare: 03:30 UTC on Monday 2 November is 22:30 on Sunday 1 November in New York (EST, -05:00).
    const instant = at('2026-11-02T03:30:00Z');

    // Act
    const keys = {
      newYork: periodKey(instant, 'week', 'America/New_York'),
      utc: periodKey(instant, 'week', 'UTC'),
    };

    // Assess
    expect(keys).toEqual({ newYork: '2026-W44', utc: '2026-W45' });
  });

  test('It should take the ISO week year edge in the zone: Monday 2027-01-04 starts earlier in Berlin', () => {
    // Prepare: 23:30 UTC on Sunday 3 January is 00:30 on Monday 4 January in Berlin.
    const instant = at('2027-01-03T23:30:00Z');

    // Act
    const keys = {
      berlin: periodKey(instant, 'week', 'Europe/Berlin'),
      utc: periodKey(instant, 'week', 'UTC'),
    };

    // Assess
    expect(keys).toEqual({ berlin: '2027-W01', utc: '2026-W53' });
  });

  test('It should skip the local hour that does not exist when Berlin springs forward', () => {
    // Prepare: on 2026-03-29 clocks go from 02:00 CET straight to 03:00 CEST (01:00 UTC).
    const beforeChange = at('2026-03-29T00:59:59.999Z');
    const atChange = at('2026-03-29T01:00:00.000Z');

    // Act
    const keys = [
      periodKey(beforeChange, 'hour', 'Europe/Berlin'),
      periodKey(atChange, 'hour', 'Europe/Berlin'),
    ];

    // Assess
    expect(keys).toEqual(['2026-03-29T01', '2026-03-29T03']);
  });

  test('It should give both passes through the repeated local hour the same key when Berlin falls back', () => {
    // Prepare: on 2026-10-25 the local hour 02:00-03:00 happens twice (CEST, then CET).
    const firstPass = at('2026-10-25T00:30:00Z');
    const secondPass = at('2026-10-25T01:30:00Z');

    // Act
    const keys = [firstPass, secondPass].map((instant) => periodKey(instant, 'hour', 'Europe/Berlin'));
    const days = [firstPass, secondPass].map((instant) => periodKey(instant, 'day', 'Europe/Berlin'));

    // Assess
    expect(keys).toEqual(['2026-10-25T02', '2026-10-25T02']);
    expect(days).toEqual(['2026-10-25', '2026-10-25']);
  });

  test('It should skip the local hour that does not exist when New York springs forward', () => {
    // Prepare: on 2026-03-08 clocks go from 02:00 EST straight to 03:00 EDT (07:00 UTC).
    const beforeChange = at('2026-03-08T06:59:59.999Z');
    const atChange = at('2026-03-08T07:00:00.000Z');

    // Act
    const keys = [beforeChange, atChange].map((instant) => periodKey(instant, 'hour', 'America/New_York'));

    // Assess
    expect(keys).toEqual(['2026-03-08T01', '2026-03-08T03']);
  });
});

describe('periodBounds', () => {
  test.each([
    ['hour', '2026-11-25T13', '2026-11-25T13:00:00.000Z', '2026-11-25T14:00:00.000Z'],
    ['day', '2026-11-25', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ['week', '2026-W48', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['month', '2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
  ] as const)(
    'It should bound the UTC %s %s from its start (inclusive) to the next start (exclusive)',
    (grain, key, start, end) => {
      // Prepare
      const zone = 'UTC';

      // Act
      const bounds = boundsOf(key, grain, zone);

      // Assess
      expect(bounds).toEqual({ start, end });
    },
  );

  test('It should bound ISO week 2026-W53 from Monday 2026-12-28 to Monday 2027-01-04', () => {
    // Prepare
    const key = '2026-W53';

    // Act
    const bounds = boundsOf(key, 'week', 'UTC');

    // Assess
    expect(bounds).toEqual({ start: '2026-12-28T00:00:00.000Z', end: '2027-01-04T00:00:00.000Z' });
  });

  test('It should start ISO week 2026-W01 on Monday 2025-12-29', () => {
    // Prepare
    const key = '2026-W01';

    // Act
    const bounds = boundsOf(key, 'week', 'UTC');

    // Assess
    expect(bounds).toEqual({ start: '2025-12-29T00:00:00.000Z', end: '2026-01-05T00:00:00.000Z' });
  });

  test('It should make the Berlin spring-forward day 23 hours long', () => {
    // Prepare
    const key = '2026-03-29';

    // Act
    const { start, end } = periodBounds(key, 'day', 'Europe/Berlin');

    // Assess
    expect({ start: iso(start), hours: (end - start) / HOUR }).toEqual({
      start: '2026-03-28T23:00:00.000Z',
      hours: 23,
    });
  });

  test('It should make the Berlin fall-back day 25 hours long', () => {
    // Prepare
    const key = '2026-10-25';

    // Act
    const { start, end } = periodBounds(key, 'day', 'Europe/Berlin');

    // Assess
    expect({ start: iso(start), hours: (end - start) / HOUR }).toEqual({
      start: '2026-10-24T22:00:00.000Z',
      hours: 25,
    });
  });

  test('It should bound a Berlin week that contains the spring-forward change at Monday midnight local time', () => {
    // Prepare: 2026-W13 runs from Monday 23 March (CET) to Monday 30 March (CEST).
    const key = '2026-W13';

    // Act
    const bounds = boundsOf(key, 'week', 'Europe/Berlin');

    // Assess
    expect(bounds).toEqual({ start: '2026-03-22T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z' });
  });

  test('It should bound a New York month at local midnight, with the offset of each end', () => {
    // Prepare: March 2026 starts in EST (-05:00) and ends in EDT (-04:00).
    const key = '2026-03';

    // Act
    const bounds = boundsOf(key, 'month', 'America/New_York');

    // Assess
    expect(bounds).toEqual({ start: '2026-03-01T05:00:00.000Z', end: '2026-04-01T04:00:00.000Z' });
  });

  test.each([
    ['month', '2026-13'],
    ['day', '2026-02-30'],
    ['week', '2027-W53'],
    ['week', 'week 48'],
    ['day', ''],
  ] as const)('It should throw a RangeError for the %s key "%s" that names no period', (grain, key) => {
    // Prepare
    const zone = 'UTC';

    // Act
    const bounds = () => periodBounds(key, grain, zone);

    // Assess
    expect(bounds).toThrow(RangeError);
  });

  test('It should put every instant inside the bounds of its own key in UTC and fixed-offset zones', () => {
    fc.assert(
      fc.property(anInstant, aGrain, fc.constantFrom(...FIXED_OFFSET_ZONES), (instant, grain, zone) => {
        expectInstantInOwnPeriod(instant, grain, zone);
      }),
      { numRuns: 2000 },
    );
  });

  test('It should put every instant inside the bounds of its own day, week and month in zones with daylight saving time', () => {
    fc.assert(
      fc.property(
        anInstant,
        fc.constantFrom<Grain>('day', 'week', 'month'),
        fc.constantFrom(...DST_ZONES),
        (instant, grain, zone) => {
          expectInstantInOwnPeriod(instant, grain, zone);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('It should tile time: the end of a period is the start of the next one, whose key differs', () => {
    fc.assert(
      fc.property(anInstant, aZoneAndGrainWithoutRepeatedLocalTimes, (instant, [zone, grain]) => {
        // Prepare
        const key = periodKey(instant, grain, zone);
        const { end } = periodBounds(key, grain, zone);

        // Act
        const nextKey = periodKey(end, grain, zone);

        // Assess
        expect(nextKey).not.toBe(key);
        expect(periodBounds(nextKey, grain, zone).start).toBe(end);
      }),
      { numRuns: 1000 },
    );
  });

  test('It should put an instant in the first pass of the repeated Berlin hour inside the bounds of its key', () => {
    // Prepare: 00:30 UTC on 2026-10-25 is 02:30 CEST, keyed 2026-10-25T02 (checked above).
    const instant = at('2026-10-25T00:30:00Z');
    const key = periodKey(instant, 'hour', 'Europe/Berlin');

    // Act
    const bounds = boundsOf(key, 'hour', 'Europe/Berlin');

    // Assess: docs/semantics.md: the repeated local hour shares one bucket, so it spans both passes.
    expect(key).toBe('2026-10-25T02');
    expect(bounds).toEqual({ start: '2026-10-25T00:00:00.000Z', end: '2026-10-25T02:00:00.000Z' });
  });

  test('It should put an instant in the first pass of the repeated New York hour inside the bounds of its key', () => {
    // Prepare: 05:30 UTC on 2026-11-01 is 01:30 EDT, keyed 2026-11-01T01.
    const instant = at('2026-11-01T05:30:00Z');
    const key = periodKey(instant, 'hour', 'America/New_York');

    // Act
    const bounds = boundsOf(key, 'hour', 'America/New_York');

    // Assess: 01:00 EDT to 02:00 EST, both passes.
    expect(key).toBe('2026-11-01T01');
    expect(bounds).toEqual({ start: '2026-11-01T05:00:00.000Z', end: '2026-11-01T07:00:00.000Z' });
  });

  test('It should put the first hour of the Havana fall-back day inside the bounds of that day', () => {
    // Prepare: Havana falls back at 01:00 CDT to 00:00 CST on 2026-11-01; 04:30 UTC is 00:30 CDT.
    const instant = at('2026-11-01T04:30:00Z');
    const key = periodKey(instant, 'day', 'America/Havana');

    // Act
    const bounds = boundsOf(key, 'day', 'America/Havana');

    // Assess: the day starts at its first midnight (00:00 CDT) and lasts 25 hours.
    expect(key).toBe('2026-11-01');
    expect(bounds).toEqual({ start: '2026-11-01T04:00:00.000Z', end: '2026-11-02T05:00:00.000Z' });
  });

  test('It should put every instant inside the bounds of its own key, whatever the zone and grain', () => {
    fc.assert(
      fc.property(
        anInstant,
        aGrain,
        fc.constantFrom(...FIXED_OFFSET_ZONES, ...DST_ZONES),
        (instant, grain, zone) => {
          expectInstantInOwnPeriod(instant, grain, zone);
        },
      ),
      {
        numRuns: 500,
        // Known counterexamples first, then random ones: a random instant rarely lands in the one repeated hour a year.
        examples: [
          [at('2026-10-25T00:30:00Z'), 'hour', 'Europe/Berlin'],
          [at('2009-04-04T15:00:00Z'), 'hour', 'Australia/Sydney'],
        ],
      },
    );
  });
});

describe('addDuration', () => {
  test('It should add P1D as one calendar day, 23 hours, across the Berlin spring-forward change', () => {
    // Prepare: noon CET on Saturday 28 March 2026.
    const start = at('2026-03-28T11:00:00Z');

    // Act
    const end = addDuration(start, 'P1D', 'Europe/Berlin');

    // Assess: noon CEST on Sunday.
    expect({ end: iso(end), hours: (end - start) / HOUR }).toEqual({
      end: '2026-03-29T10:00:00.000Z',
      hours: 23,
    });
  });

  test('It should add P1D as one calendar day, 25 hours, across the Berlin fall-back change', () => {
    // Prepare: noon CEST on Saturday 24 October 2026.
    const start = at('2026-10-24T10:00:00Z');

    // Act
    const end = addDuration(start, 'P1D', 'Europe/Berlin');

    // Assess
    expect({ end: iso(end), hours: (end - start) / HOUR }).toEqual({
      end: '2026-10-25T11:00:00.000Z',
      hours: 25,
    });
  });

  test('It should add PT24H as exactly 24 hours across a DST change', () => {
    // Prepare
    const start = at('2026-03-28T11:00:00Z');

    // Act
    const end = addDuration(start, 'PT24H', 'Europe/Berlin');

    // Assess
    expect(end - start).toBe(24 * HOUR);
  });

  test('It should add P14D as 14 calendar days in the zone, one hour short across spring-forward', () => {
    // Prepare
    const start = at('2026-03-20T09:00:00Z');

    // Act
    const inBerlin = addDuration(start, 'P14D', 'Europe/Berlin');
    const inUtc = addDuration(start, 'P14D', 'UTC');

    // Assess
    expect({ berlin: inBerlin - start, utc: inUtc - start }).toEqual({
      berlin: 14 * DAY - HOUR,
      utc: 14 * DAY,
    });
  });

  test('It should add P1M to 31 January as the last day of February', () => {
    // Prepare
    const start = at('2026-01-31T10:00:00Z');

    // Act
    const end = addDuration(start, 'P1M', 'UTC');

    // Assess
    expect(iso(end)).toBe('2026-02-28T10:00:00.000Z');
  });
});

describe('durationMs', () => {
  test.each([
    ['PT5M', 5 * 60 * 1000],
    ['PT1H', HOUR],
    ['P7D', 7 * DAY],
    ['P2D', 2 * DAY],
  ] as const)('It should read %s as %d milliseconds', (duration, expected) => {
    // Prepare
    const text = duration;

    // Act
    const milliseconds = durationMs(text);

    // Assess
    expect(milliseconds).toBe(expected);
  });

  test('It should throw a RangeError naming a text that is not an ISO 8601 duration', () => {
    // Prepare
    const text = 'seven days';

    // Act
    const read = () => durationMs(text);

    // Assess
    expect(read).toThrow(RangeError);
    expect(read).toThrow(/seven days/);
  });
});
