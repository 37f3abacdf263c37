import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Grain } from '../../../../shared/domain/config/schema.js';
import {
  BandSettings,
  classify,
  expectedBand,
  historyPeriods,
} from '../../../../shared/domain/engine/expected-band.js';
import { periodKey } from '../../../../shared/domain/time/periods.js';

/** A steady metric: about 100 a period, wobbling by a few percent. */
const STEADY = [100, 102, 98, 101, 99, 100, 103, 97] as const;

function readyBand(history: readonly (number | null)[], options = {}) {
  const band = expectedBand(history, options);
  if (band.state !== 'ready') throw new Error(`expected a ready band, got ${band.state}`);
  return band;
}

describe('historyPeriods', () => {
  test('It should take the same hour of the same weekday in the previous 8 weeks (hour of week)', () => {
    // Act: a Wednesday 13:00.
    const periods = historyPeriods('2026-11-25T13', 'hour', 'UTC');

    // Assess: no Tuesday or weekend hour among them.
    expect(periods).toHaveLength(8);
    expect(periods.slice(0, 3)).toEqual(['2026-11-18T13', '2026-11-11T13', '2026-11-04T13']);
    expect(periods.at(-1)).toBe('2026-09-30T13');
    expect(periods.every((key) => new Date(`${key}:00:00Z`).getUTCDay() === 3)).toBe(true);
  });

  test('It should look as many weeks back as recompute.history says', () => {
    expect(historyPeriods('2026-11-25T13', 'hour', 'UTC', 4)).toEqual([
      '2026-11-18T13',
      '2026-11-11T13',
      '2026-11-04T13',
      '2026-10-28T13',
    ]);
  });

  test('It should take the same weekday of the previous 8 weeks for a day', () => {
    // Act
    const periods = historyPeriods('2026-11-25', 'day', 'UTC');

    // Assess
    expect(periods).toEqual([
      '2026-11-18',
      '2026-11-11',
      '2026-11-04',
      '2026-10-28',
      '2026-10-21',
      '2026-10-14',
      '2026-10-07',
      '2026-09-30',
    ]);
  });

  test('It should take the previous 8 ISO weeks across the week-year boundary', () => {
    // Prepare: 2026 has 53 ISO weeks; 2027-W02 starts on 2027-01-11.
    const period = '2027-W02';

    // Act
    const periods = historyPeriods(period, 'week', 'UTC');

    // Assess
    expect(periods).toEqual([
      '2027-W01',
      '2026-W53',
      '2026-W52',
      '2026-W51',
      '2026-W50',
      '2026-W49',
      '2026-W48',
      '2026-W47',
    ]);
  });

  test('It should take the previous 12 months across the year boundary', () => {
    // Act
    const periods = historyPeriods('2027-03', 'month', 'Europe/Berlin');

    // Assess
    expect(periods).toEqual([
      '2027-02',
      '2027-01',
      '2026-12',
      '2026-11',
      '2026-10',
      '2026-09',
      '2026-08',
      '2026-07',
      '2026-06',
      '2026-05',
      '2026-04',
      '2026-03',
    ]);
  });

  test('It should keep the local hour of day across a change to summer time', () => {
    // Prepare: Berlin moves clocks forward on 2026-03-29 (02:00 becomes 03:00).
    const period = '2026-04-02T09';

    // Act
    const periods = historyPeriods(period, 'hour', 'Europe/Berlin');

    // Assess: the Thursday before the change is still 09:00 local.
    expect(periods).toHaveLength(8);
    expect(periods.every((key) => key.endsWith('T09'))).toBe(true);
    expect(periods.slice(0, 2)).toEqual(['2026-03-26T09', '2026-03-19T09']);
  });

  test('It should skip a day on which the local hour does not exist', () => {
    // Prepare: 02:00 to 03:00 does not exist in Berlin on 2026-03-29.
    const period = '2026-04-05T02';

    // Act: a Sunday 02:00; the Sunday of the change has no 02:00.
    const periods = historyPeriods(period, 'hour', 'Europe/Berlin');

    // Assess
    expect(periods).toHaveLength(7);
    expect(periods).not.toContain('2026-03-29T02');
    expect(periods).not.toContain('2026-03-29T03');
    expect(periods[0]).toBe('2026-03-22T02');
  });

  test('It should take the repeated hour of a change to winter time once', () => {
    // Prepare: Berlin moves clocks back on 2026-10-25 (02:00 to 03:00 happens twice).
    const period = '2026-11-01T02';

    // Act: a Sunday 02:00, a week after the Sunday of the change.
    const periods = historyPeriods(period, 'hour', 'Europe/Berlin');

    // Assess
    expect(periods.slice(0, 3)).toEqual(['2026-10-25T02', '2026-10-18T02', '2026-10-11T02']);
  });

  test('It should keep the weekday across a change of clocks', () => {
    // Prepare: New York moves clocks back on 2026-11-01.
    const period = '2026-11-05';

    // Act
    const periods = historyPeriods(period, 'day', 'America/New_York', 2);

    // Assess
    expect(periods).toEqual(['2026-10-29', '2026-10-22']);
  });

  test('It should look back as many steps as asked', () => {
    // Act
    const periods = historyPeriods('2026-11', 'month', 'UTC', 3);

    // Assess
    expect(periods).toEqual(['2026-10', '2026-09', '2026-08']);
    expect(historyPeriods('2026-11', 'month', 'UTC', 0)).toEqual([]);
  });

  test('It should refuse a malformed period or count', () => {
    // Assess
    expect(() => historyPeriods('2026-13', 'month', 'UTC')).toThrow(RangeError);
    expect(() => historyPeriods('2026-11-25', 'week', 'UTC')).toThrow(RangeError);
    expect(() => historyPeriods('2026-11', 'month', 'UTC', -1)).toThrow(RangeError);
    expect(() => historyPeriods('2026-11', 'month', 'UTC', 1.5)).toThrow(RangeError);
  });

  test('It should give distinct earlier periods of the same grain, most recent first', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata'];
    const grains: readonly Grain[] = ['hour', 'day', 'week', 'month'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        fc.constantFrom(...grains),
        fc.constantFrom(...zones),
        (instant, grain, zone) => {
          // Prepare
          const period = periodKey(instant, grain, zone);

          // Act
          const periods = historyPeriods(period, grain, zone);

          // Assess: keys of one grain sort as time does.
          expect(new Set(periods).size).toBe(periods.length);
          expect([...periods].sort().reverse()).toEqual(periods);
          expect(periods.every((key) => key < period && key.length === period.length)).toBe(true);
          // An hour of week a change of clocks skips is missing once in 8 weeks at most.
          expect(periods.length).toBeGreaterThanOrEqual(grain === 'hour' ? 7 : grain === 'month' ? 12 : 8);
        },
      ),
    );
  });
});

describe('expectedBand', () => {
  test('It should stop the lower edge of a count at 0, and only there', () => {
    // Prepare: a short, contaminated history: a wide band around a small count.
    const history = [2, 30, 3, 28, 4];

    // Act
    const count = expectedBand(history, { nonNegative: true });
    const level = expectedBand(history);

    // Assess: without the floor the band would take a drop to 0 for normal; with it a +75% still leaves it.
    expect(level).toMatchObject({ state: 'ready' });
    expect(level.state === 'ready' && level.lower).toBeLessThan(0);
    expect(count).toMatchObject({ state: 'ready', lower: 0 });
    expect(count.state === 'ready' && count.upper).toBe(level.state === 'ready' && level.upper);
    const steady = expectedBand([100, 102, 98, 101, 99], { nonNegative: true });
    expect(steady.state === 'ready' && steady.lower).toBeGreaterThan(0);
    expect(classify(175, steady).status).toBe('deviating');
  });

  test('It should expose its default settings', () => {
    // Assess
    expect(BandSettings).toEqual({
      minHistory: 4,
      k: 3,
      relativeFloor: 0.1,
      absoluteFloor: 0,
      countNoise: 0,
    });
  });

  test('It should be learning with fewer values than minHistory', () => {
    // Assess
    expect(expectedBand([100, 102, 98])).toEqual({ state: 'learning' });
    expect(expectedBand([100, null, 102, null, 98, null])).toEqual({ state: 'learning' });
    expect(expectedBand([])).toEqual({ state: 'learning' });
    expect(expectedBand([100, 102], { minHistory: 2 }).state).toBe('ready');
  });

  test('It should centre the band on the median and ignore missing values', () => {
    // Act
    const band = readyBand([100, null, 110, 90, null, 105]);

    // Assess: median of 90, 100, 105, 110 is 102.5
    expect(band.expected).toBe(102.5);
  });

  test('It should take the half width from the median absolute deviation', () => {
    // Prepare: median 100; deviations 20, 20, 20, 20 -> MAD 20, sigma 29.652
    const history = [80, 80, 120, 120];

    // Act
    const band = readyBand(history);

    // Assess
    expect(band.spread).toBeCloseTo(3 * 1.4826 * 20, 10);
    expect(band.lower).toBeCloseTo(100 - 3 * 1.4826 * 20, 10);
    expect(band.upper).toBeCloseTo(100 + 3 * 1.4826 * 20, 10);
  });

  test('It should not let the band be narrower than the relative floor', () => {
    // Prepare: a perfectly flat history has MAD 0.
    const history = [200, 200, 200, 200, 200];

    // Act
    const band = readyBand(history);

    // Assess
    expect(band).toEqual({ state: 'ready', expected: 200, lower: 180, upper: 220, spread: 20 });
  });

  test('It should not let the band be narrower than the absolute floor', () => {
    // Act
    const band = readyBand([0, 0, 0, 0], { absoluteFloor: 5 });

    // Assess
    expect(band).toEqual({ state: 'ready', expected: 0, lower: -5, upper: 5, spread: 5 });
  });

  test('It should double the half width with sensitivity 2', () => {
    // Act
    const plain = readyBand(STEADY);
    const relaxed = readyBand(STEADY, { sensitivity: 2 });

    // Assess
    expect(relaxed.expected).toBe(plain.expected);
    expect(relaxed.spread).toBeCloseTo(2 * plain.spread, 10);
    expect(relaxed.upper - relaxed.lower).toBeCloseTo(2 * (plain.upper - plain.lower), 10);
  });

  test('It should refuse settings that make no band', () => {
    // Assess
    expect(() => expectedBand(STEADY, { sensitivity: 0 })).toThrow(RangeError);
    expect(() => expectedBand(STEADY, { sensitivity: -1 })).toThrow(RangeError);
    expect(() => expectedBand(STEADY, { minHistory: 0 })).toThrow(RangeError);
    expect(() => expectedBand(STEADY, { k: -1 })).toThrow(RangeError);
    expect(() => expectedBand(STEADY, { relativeFloor: Number.NaN })).toThrow(RangeError);
  });
});

describe('classify', () => {
  test('It should flag a period 50% below a steady history', () => {
    // Act
    const deviation = classify(50, expectedBand(STEADY));

    // Assess
    expect(deviation.status).toBe('deviating');
    expect(deviation.relativeDeviation).toBeCloseTo(-0.5, 10);
    expect(deviation.severity).toBe('critical');
  });

  test('It should flag a period 50% above a steady history', () => {
    // Act
    const deviation = classify(150, expectedBand(STEADY));

    // Assess
    expect(deviation.status).toBe('deviating');
    expect(deviation.relativeDeviation).toBeCloseTo(0.5, 10);
  });

  test.each([95, 96, 98, 100, 102, 104, 105])(
    'It should keep %d, within 5%% of a steady 100, normal',
    (observed) => {
      // Act
      const deviation = classify(observed, expectedBand(STEADY));

      // Assess
      expect(deviation).toEqual({
        status: 'normal',
        relativeDeviation: expect.closeTo((observed - 100) / 100, 10),
        severity: null,
      });
    },
  );

  test('It should not let one outlier in the history hide a 50% drop', () => {
    // Prepare
    const history = [100, 102, 98, 1000, 99, 100, 103, 97];

    // Act
    const band = readyBand(history);
    const deviation = classify(50, band);

    // Assess
    expect(band.expected).toBeCloseTo(100, 0);
    expect(band.lower).toBeGreaterThan(80);
    expect(deviation.status).toBe('deviating');
  });

  test('It should grade a move beyond twice the half width critical and a smaller one a warning', () => {
    // Prepare: flat 100 -> half width 10 (relative floor)
    const band = expectedBand([100, 100, 100, 100]);

    // Assess
    expect(classify(115, band)).toEqual({
      status: 'deviating',
      relativeDeviation: expect.closeTo(0.15, 10),
      severity: 'warning',
    });
    expect(classify(85, band).severity).toBe('warning');
    expect(classify(120, band).severity).toBe('warning');
    expect(classify(121, band).severity).toBe('critical');
    expect(classify(79, band).severity).toBe('critical');
  });

  test('It should count the edges of the band as normal', () => {
    // Prepare
    const band = readyBand([100, 100, 100, 100]);

    // Assess
    expect(classify(band.lower, band).status).toBe('normal');
    expect(classify(band.upper, band).status).toBe('normal');
  });

  test('It should report no data when nothing was observed, even while learning', () => {
    // Assess
    expect(classify(null, expectedBand(STEADY))).toEqual({
      status: 'no_data',
      relativeDeviation: null,
      severity: null,
    });
    expect(classify(null, { state: 'learning' }).status).toBe('no_data');
  });

  test('It should stay learning, with no alert, while the band is learning', () => {
    // Assess
    expect(classify(0, expectedBand([100, 100, 100]))).toEqual({
      status: 'learning',
      relativeDeviation: null,
      severity: null,
    });
  });

  test('It should leave the relative deviation empty when the expected value is 0', () => {
    // Prepare
    const band = expectedBand([0, 0, 0, 0], { absoluteFloor: 1 });

    // Assess
    expect(classify(0.5, band)).toEqual({ status: 'normal', relativeDeviation: null, severity: null });
    expect(classify(3, band)).toEqual({ status: 'deviating', relativeDeviation: null, severity: 'critical' });
  });

  test('It should alert less with a higher sensitivity', () => {
    // Prepare: flat 100; half width 10, or 20 with sensitivity 2
    const history = [100, 100, 100, 100];

    // Assess
    expect(classify(115, expectedBand(history)).status).toBe('deviating');
    expect(classify(115, expectedBand(history, { sensitivity: 2 })).status).toBe('normal');
  });
});

describe('expectedBand and classify properties', () => {
  const aValue = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });
  const aHistory = fc.array(fc.option(aValue, { nil: null, freq: 5 }), { maxLength: 30 });
  const aSensitivity = fc.double({ min: 0.1, max: 10, noNaN: true });

  test('It should find the median itself normal, in a band symmetric around it', () => {
    fc.assert(
      fc.property(
        fc.array(aValue, { minLength: BandSettings.minHistory, maxLength: 30 }),
        aSensitivity,
        (history, sensitivity) => {
          // Act
          const band = readyBand(history, { sensitivity });
          const deviation = classify(band.expected, band);

          // Assess
          expect(deviation.status).toBe('normal');
          expect(band.spread).toBeGreaterThanOrEqual(0);
          expect(band.lower).toBe(band.expected - band.spread);
          expect(band.upper).toBe(band.expected + band.spread);
          const tolerance = 1e-9 * Math.max(1, Math.abs(band.expected), band.spread);
          expect(Math.abs(band.upper - band.expected - (band.expected - band.lower))).toBeLessThanOrEqual(
            tolerance,
          );
        },
      ),
    );
  });

  test('It should be learning exactly when fewer than minHistory values are known', () => {
    fc.assert(
      fc.property(aHistory, aValue, (history, observed) => {
        // Act
        const band = expectedBand(history);
        const known = history.filter((value) => value !== null).length;

        // Assess
        expect(band.state).toBe(known < BandSettings.minHistory ? 'learning' : 'ready');
        expect(classify(observed, band).status === 'learning').toBe(band.state === 'learning');
      }),
    );
  });

  test('It should not depend on the order of the history', () => {
    fc.assert(
      fc.property(aHistory, fc.integer(), (history, seed) => {
        // Prepare: a deterministic rotation and reversal of the history
        const shift = history.length === 0 ? 0 : Math.abs(seed) % history.length;
        const shuffled = [...history.slice(shift), ...history.slice(0, shift)].reverse();

        // Assess
        expect(expectedBand(shuffled)).toEqual(expectedBand(history));
      }),
    );
  });

  test('It should deviate exactly when outside the band, and be critical only beyond twice its half width', () => {
    fc.assert(
      fc.property(fc.array(aValue, { minLength: 4, maxLength: 20 }), aValue, (history, observed) => {
        // Act
        const band = readyBand(history);
        const deviation = classify(observed, band);

        // Assess
        const outside = observed < band.lower || observed > band.upper;
        expect(deviation.status).toBe(outside ? 'deviating' : 'normal');
        expect(deviation.severity === null).toBe(!outside);
        if (deviation.severity === 'critical') {
          expect(Math.abs(observed - band.expected)).toBeGreaterThan(2 * band.spread);
        }
      }),
    );
  });
});

describe('expectedBand: counting noise', () => {
  test('It should keep a small count inside its band when it moves by less than twice sqrt(expected)', () => {
    const history = [62, 63, 64, 62];
    const band = expectedBand(history, { countNoise: 2 });
    expect(band.state === 'ready' && band.spread).toBeCloseTo(2 * Math.sqrt(62.5));
    expect(classify(47, band).status).toBe('normal');
  });

  test('It should still flag a 50% drop of a steady count of 20', () => {
    const band = expectedBand([20, 21, 19, 20, 21, 20], { countNoise: 2 });
    expect(classify(10, band).status).toBe('deviating');
    expect(classify(21, band).status).toBe('normal');
  });
});
