import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Grain, Target } from '../../../../shared/domain/config/schema.js';
import { type SettledValue, targetProgress } from '../../../../shared/domain/engine/target-pace.js';
import { periodBounds, periodKey } from '../../../../shared/domain/time/periods.js';

const at = (iso: string): number => Date.parse(iso);

/** Consecutive settled periods of a grain, the first one containing `firstInstant`. */
function settledSeries(
  firstInstant: string,
  grain: Grain,
  values: readonly (number | null)[],
  zone = 'UTC',
): SettledValue[] {
  const series: SettledValue[] = [];
  let cursor = at(firstInstant);
  for (const value of values) {
    const period = periodKey(cursor, grain, zone);
    const { start, end } = periodBounds(period, grain, zone);
    series.push({ period, start, end, value });
    cursor = end;
  }
  return series;
}

/** Days 2026-12-01 to 2026-12-10, rising by 10 a day from 100 to 190. */
const RISING = settledSeries(
  '2026-12-01T00:00:00Z',
  'day',
  [100, 110, 120, 130, 140, 150, 160, 170, 180, 190],
);
/** Just after the last day settled. */
const NOW = at('2026-12-11T02:00:00Z');

const increase = (value: number, by = '2026-12-31'): Target => ({ value, by, direction: 'increase' });
const decrease = (value: number, by = '2026-12-31'): Target => ({ value, by, direction: 'decrease' });

describe('targetProgress: states of an increase target', () => {
  test('It should be on track when the trend reaches the target by its date', () => {
    // Prepare: 21 days left after 2026-12-10; the trend reaches 190 + 21 x 10 = 400
    const target = increase(400);

    // Act
    const result = targetProgress({ target, series: RISING, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.state).toBe('on_track');
    expect(result.projection).toBeCloseTo(400, 9);
  });

  test('It should be at risk when the trend covers at least 90% of the change still needed', () => {
    // Prepare: needed 410 - 190 = 220; the trend covers 210 of it (95%)
    const target = increase(410);

    // Act
    const result = targetProgress({ target, series: RISING, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.state).toBe('at_risk');
  });

  test('It should be off track when the trend covers less than 90% of the change still needed', () => {
    // Prepare: needed 500 - 190 = 310; the trend covers 210 of it (68%)
    const target = increase(500);

    // Act
    const result = targetProgress({ target, series: RISING, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.state).toBe('off_track');
  });

  test('It should be at risk at exactly 90% and off track just below it', () => {
    // Prepare: needed = 210 / 0.9 = 233.33; the trend covers 210
    const exactly = increase(190 + 210 / 0.9 - 1e-9);
    const below = increase(190 + 210 / 0.89);

    // Assess
    expect(targetProgress({ target: exactly, series: RISING, now: NOW, zone: 'UTC' }).state).toBe('at_risk');
    expect(targetProgress({ target: below, series: RISING, now: NOW, zone: 'UTC' }).state).toBe('off_track');
  });

  test('It should be achieved once the current value meets the target, even after its date', () => {
    // Assess
    expect(targetProgress({ target: increase(190), series: RISING, now: NOW, zone: 'UTC' }).state).toBe(
      'achieved',
    );
    expect(
      targetProgress({ target: increase(150, '2026-12-05'), series: RISING, now: NOW, zone: 'UTC' }).state,
    ).toBe('achieved');
  });

  test('It should be missed once the target day has ended without reaching it', () => {
    // Prepare
    const target = increase(400, '2026-12-10');

    // Act
    const result = targetProgress({ target, series: RISING, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.state).toBe('missed');
    expect(result.requiredPerPeriod).toBeNull();
  });

  test('It should not be missed during the target day, only from its end', () => {
    // Prepare: the trend is far off, so the state before the end is off track
    const target = increase(1000, '2026-12-31');
    const input = { target, series: RISING, zone: 'UTC' };

    // Assess
    expect(targetProgress({ ...input, now: at('2026-12-31T23:59:59.999Z') }).state).toBe('off_track');
    expect(targetProgress({ ...input, now: at('2027-01-01T00:00:00Z') }).state).toBe('missed');
  });

  test('It should read the end of the target day in the time zone', () => {
    // Prepare: 2026-12-31 ends at 2027-01-01T00:00 in Tokyo, which is 15:00 UTC on the 31st
    const series = settledSeries('2026-12-01T00:00:00+09:00', 'day', [100, 110], 'Asia/Tokyo');
    const target = increase(1000);

    // Assess
    expect(
      targetProgress({ target, series, now: at('2026-12-31T14:59:59Z'), zone: 'Asia/Tokyo' }).state,
    ).toBe('off_track');
    expect(
      targetProgress({ target, series, now: at('2026-12-31T15:00:00Z'), zone: 'Asia/Tokyo' }).state,
    ).toBe('missed');
  });
});

describe('targetProgress: no data', () => {
  test('It should have no data without any value', () => {
    // Assess
    expect(targetProgress({ target: increase(10), series: [], now: NOW, zone: 'UTC' })).toEqual({
      baseline: null,
      current: null,
      progress: null,
      requiredPerPeriod: null,
      projection: null,
      state: 'no_data',
    });
    const empty = settledSeries('2026-12-01T00:00:00Z', 'day', [null, null, null]);
    expect(targetProgress({ target: increase(10), series: empty, now: NOW, zone: 'UTC' }).state).toBe(
      'no_data',
    );
  });

  test('It should have no data for a pace with one known value', () => {
    // Prepare
    const series = settledSeries('2026-12-01T00:00:00Z', 'day', [null, 100, null]);

    // Act
    const result = targetProgress({ target: increase(400), series, now: NOW, zone: 'UTC' });

    // Assess: two values make a trend; the pace needed is known all the same
    expect(result).toEqual({
      baseline: 100,
      current: 100,
      progress: 0,
      requiredPerPeriod: 300 / 28,
      projection: null,
      state: 'no_data',
    });
  });

  test('It should still call one known value that meets the target achieved, and one that did not missed', () => {
    // Prepare
    const series = settledSeries('2026-12-01T00:00:00Z', 'day', [100]);

    // Assess
    expect(targetProgress({ target: increase(50), series, now: NOW, zone: 'UTC' }).state).toBe('achieved');
    expect(targetProgress({ target: increase(400, '2026-12-05'), series, now: NOW, zone: 'UTC' }).state).toBe(
      'missed',
    );
  });
});

describe('targetProgress: decrease targets', () => {
  /** Weekly churn falling by 0.002 a week, from 0.1 to 0.09. */
  const CHURN = settledSeries('2026-11-02T00:00:00Z', 'week', [0.1, 0.098, 0.096, 0.094, 0.092, 0.09]);
  /** 2026-W45 to 2026-W50; the week 2026-W50 has just settled. */
  const AFTER = at('2026-12-14T02:00:00Z');

  test('It should be on track when the trend falls to the target', () => {
    // Prepare: 2027-W01 (ends 2027-01-11) is 4 weeks after 2026-W50; trend 0.09 - 4 x 0.002 = 0.082
    const result = targetProgress({
      target: decrease(0.082, '2027-01-10'),
      series: CHURN,
      now: AFTER,
      zone: 'UTC',
    });

    // Assess
    expect(result.state).toBe('on_track');
    expect(result.projection).toBeCloseTo(0.082, 12);
    expect(result.progress).toBeCloseTo(0.01 / 0.018, 12);
  });

  test('It should be at risk when the trend falls 90% of the way', () => {
    // Prepare: needed 0.09 - 0.0812 = 0.0088; the trend covers 0.008 (91%)
    const result = targetProgress({
      target: decrease(0.0812, '2027-01-10'),
      series: CHURN,
      now: AFTER,
      zone: 'UTC',
    });

    // Assess
    expect(result.state).toBe('at_risk');
  });

  test('It should be off track when the trend falls too little, or rises', () => {
    // Prepare
    const rising = settledSeries('2026-11-02T00:00:00Z', 'week', [0.09, 0.092, 0.094, 0.096, 0.098, 0.1]);

    // Assess
    expect(
      targetProgress({ target: decrease(0.05, '2027-01-10'), series: CHURN, now: AFTER, zone: 'UTC' }).state,
    ).toBe('off_track');
    expect(
      targetProgress({ target: decrease(0.095, '2027-01-10'), series: rising, now: AFTER, zone: 'UTC' })
        .state,
    ).toBe('off_track');
  });

  test('It should be achieved at or below the target, and missed above it after the date', () => {
    // Assess
    expect(targetProgress({ target: decrease(0.09), series: CHURN, now: AFTER, zone: 'UTC' }).state).toBe(
      'achieved',
    );
    expect(
      targetProgress({ target: decrease(0.05, '2026-12-01'), series: CHURN, now: AFTER, zone: 'UTC' }).state,
    ).toBe('missed');
  });

  test('It should need a negative change per period', () => {
    // Prepare: 4 whole weeks from the end of 2026-W50 (2026-12-14) to the end of 2027-01-10
    const result = targetProgress({
      target: decrease(0.05, '2027-01-10'),
      series: CHURN,
      now: AFTER,
      zone: 'UTC',
    });

    // Assess
    expect(result.requiredPerPeriod).toBeCloseTo((0.05 - 0.09) / 4, 12);
  });
});

describe('targetProgress: pace arithmetic', () => {
  test('It should measure progress from the first to the last known value', () => {
    // Prepare
    const series = settledSeries('2026-12-01T00:00:00Z', 'day', [null, 100, 130, null, 160, null]);

    // Act
    const result = targetProgress({ target: increase(400), series, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.baseline).toBe(100);
    expect(result.current).toBe(160);
    expect(result.progress).toBeCloseTo(60 / 300, 12);
  });

  test('It should let progress go negative or past 1, and leave it empty when the target is the baseline', () => {
    // Prepare
    const falling = settledSeries('2026-12-01T00:00:00Z', 'day', [100, 90]);
    const flat = settledSeries('2026-12-01T00:00:00Z', 'day', [100, 120]);

    // Assess
    expect(
      targetProgress({ target: increase(200), series: falling, now: NOW, zone: 'UTC' }).progress,
    ).toBeCloseTo(-0.1, 12);
    expect(
      targetProgress({ target: increase(110), series: flat, now: NOW, zone: 'UTC' }).progress,
    ).toBeCloseTo(2, 12);
    expect(
      targetProgress({ target: increase(100), series: flat, now: NOW, zone: 'UTC' }).progress,
    ).toBeNull();
  });

  test('It should spread the change still needed over the whole days left', () => {
    // Prepare: from the end of 2026-12-10 to the end of 2026-12-31: 21 days
    const result = targetProgress({ target: increase(400), series: RISING, now: NOW, zone: 'UTC' });

    // Assess
    expect(result.requiredPerPeriod).toBe(10);
    expect(result.progress).toBeCloseTo(0.3, 12);
  });

  test('It should leave the pace empty when no whole period is left', () => {
    // Prepare: the last period is the target day itself
    const result = targetProgress({
      target: increase(400, '2026-12-10'),
      series: RISING,
      now: NOW,
      zone: 'UTC',
    });

    // Assess
    expect(result.requiredPerPeriod).toBeNull();
  });

  test('It should count calendar days across a change of clocks', () => {
    // Prepare: Berlin's 23-hour day 2026-03-29 is one day; 30 days from the end of 2026-03-28 to the end of 2026-04-27
    const series = settledSeries('2026-03-27T00:00:00+01:00', 'day', [100, 100], 'Europe/Berlin');

    // Act
    const result = targetProgress({
      target: increase(400, '2026-04-27'),
      series,
      now: at('2026-03-29T12:00:00Z'),
      zone: 'Europe/Berlin',
    });

    // Assess
    expect(result.requiredPerPeriod).toBe(10);
  });

  test('It should count calendar months, short or long', () => {
    // Prepare: after 2026-02 (28 days), March to January are 11 whole months
    const series = settledSeries('2026-01-01T00:00:00Z', 'month', [100, 100]);

    // Act
    const result = targetProgress({
      target: increase(210, '2027-01-31'),
      series,
      now: at('2026-03-02T00:00:00Z'),
      zone: 'UTC',
    });

    // Assess
    expect(result.requiredPerPeriod).toBe(10);
  });

  test('It should count only whole weeks, and project to the week that holds the target day', () => {
    // Prepare: weeks 2026-W45 to 2026-W50 rise by 10; 2027-01-06 is a Wednesday of 2027-W01
    const series = settledSeries('2026-11-02T00:00:00Z', 'week', [100, 110, 120, 130, 140, 150]);

    // Act
    const result = targetProgress({
      target: increase(300, '2027-01-06'),
      series,
      now: at('2026-12-14T02:00:00Z'),
      zone: 'UTC',
    });

    // Assess: whole weeks W51, W52, W53 (2026 has 53 ISO weeks); trend at 2027-W01 is 150 + 4 x 10
    expect(series.at(-1)?.period).toBe('2026-W50');
    expect(result.requiredPerPeriod).toBeCloseTo(150 / 3, 12);
    expect(result.projection).toBeCloseTo(190, 9);
  });

  test('It should count whole weeks across a change of clocks', () => {
    // Prepare: Berlin's 2026-W13 has 167 hours; after 2026-W12, W13 and W14 are 2 whole weeks to 2026-04-05
    const series = settledSeries('2026-03-09T00:00:00+01:00', 'week', [100, 110], 'Europe/Berlin');

    // Act
    const result = targetProgress({
      target: increase(150, '2026-04-05'),
      series,
      now: at('2026-03-23T12:00:00Z'),
      zone: 'Europe/Berlin',
    });

    // Assess: trend 110 + 2 x 10
    expect(series.at(-1)?.period).toBe('2026-W12');
    expect(result.requiredPerPeriod).toBe(20);
    expect(result.projection).toBeCloseTo(130, 9);
  });

  test('It should count hours for an hourly metric', () => {
    // Prepare: hours 00 to 05 of 2026-12-31; 18 whole hours are left in the day
    const series = settledSeries('2026-12-31T00:00:00Z', 'hour', [10, 12, 14, 16, 18, 20]);

    // Act
    const result = targetProgress({
      target: increase(56),
      series,
      now: at('2026-12-31T07:00:00Z'),
      zone: 'UTC',
    });

    // Assess: the trend reaches 20 + 18 x 2 = 56 at the day's last hour
    expect(result.requiredPerPeriod).toBe(2);
    expect(result.projection).toBeCloseTo(56, 9);
    expect(result.state).toBe('on_track');
  });

  test('It should fit the trend to the last 8 known values only', () => {
    // Prepare: an early jump, then 8 days rising by 10
    const series = settledSeries(
      '2026-12-01T00:00:00Z',
      'day',
      [1000, 1000, 100, 110, 120, 130, 140, 150, 160, 170],
    );

    // Act
    const result = targetProgress({ target: increase(380), series, now: NOW, zone: 'UTC' });

    // Assess: 170 + 21 x 10
    expect(result.projection).toBeCloseTo(380, 9);
    expect(result.state).toBe('on_track');
  });

  test('It should keep the spacing of the trend across missing periods', () => {
    // Prepare: rising by 10 a day, with days missing or null in between
    const full = settledSeries('2026-12-01T00:00:00Z', 'day', [100, 110, 120, 130, 140, 150, 160, 170]);
    const gappy = [full[0]!, { ...full[1]!, value: null }, full[3]!, full[6]!, full[7]!];

    // Act
    const result = targetProgress({ target: increase(400), series: gappy, now: NOW, zone: 'UTC' });

    // Assess: the end of 2026-12-08 to the end of 2026-12-31 is 23 days; 170 + 230
    expect(result.projection).toBeCloseTo(400, 9);
    expect(result.requiredPerPeriod).toBeCloseTo(230 / 23, 12);
  });

  test('It should project an exactly linear series along its line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 0, max: 60 }),
        (intercept, slope, length, daysAhead) => {
          // Prepare
          const values = Array.from({ length }, (_, index) => intercept + slope * index);
          const series = settledSeries('2026-12-01T00:00:00Z', 'day', values);
          const by = periodKey(series.at(-1)!.start + daysAhead * 86_400_000, 'day', 'UTC');

          // Act
          const result = targetProgress({ target: increase(1e9, by), series, now: NOW, zone: 'UTC' });

          // Assess
          expect(result.projection).toBeCloseTo(intercept + slope * (length - 1 + daysAhead), 6);
        },
      ),
    );
  });

  test('It should refuse a series whose periods are not period keys', () => {
    // Prepare
    const series = [
      { period: 'first', start: 0, end: 1, value: 1 },
      { period: 'second', start: 1, end: 2, value: 2 },
    ];

    // Assess
    expect(() => targetProgress({ target: increase(400), series, now: NOW, zone: 'UTC' })).toThrow(
      RangeError,
    );
  });
});
