import { describe, expect, test } from 'vitest';
import { differencesFromBacktest, liveSettings, quality, scoreAlerts } from '../../../bench/alert-quality.js';
import { syntheticSeries } from '../../../bench/alert-series.js';

describe('alert-quality scoring', () => {
  test('one spike caught and one false alarm: precision 0.5, recall 1', () => {
    const truth = {
      scoredFrom: 2,
      scoredTo: 10,
      events: [{ kind: 'spike', from: 5, to: 6 }],
      contexts: [{ label: 'holiday', from: 8, to: 9 }],
    };
    // An alert at 1 is still learning: not scored.
    const score = scoreAlerts(truth, [1, 5, 8]);
    expect(score).toMatchObject({ alerts: 2, trueAlerts: 1, falseAlerts: 1, falseBy: { holiday: 1 } });
    expect(score.kinds.spike).toEqual({ events: 1, caught: 1, alerts: 1 });
    const overall = quality(score);
    expect(overall.precision).toBe(0.5);
    expect(overall.recall).toBe(1);
    expect(overall.f1).toBeCloseTo(2 / 3);
  });

  test('an event without an alert is missed; no alerts at all is precision 1 and recall 0', () => {
    const score = scoreAlerts(
      { scoredFrom: 0, scoredTo: 10, events: [{ kind: 'drop', from: 3, to: 4 }] },
      [],
    );
    expect(quality(score)).toEqual({ precision: 1, recall: 0, f1: 0 });
  });
});

describe('synthetic series', () => {
  test('the same seed gives the same series, another seed another', () => {
    const options = { grain: 'day', volume: 200, seed: 7, weeks: 12 } as const;
    const first = syntheticSeries(options);
    expect(syntheticSeries(options)).toEqual(first);
    expect(syntheticSeries({ ...options, seed: 8 }).periods).not.toEqual(first.periods);
    expect(first.periods).toHaveLength(84);
    // Holidays are marked in the calendar, on the periods they cover, and nowhere else.
    const marked = first.periods.flatMap((period, index) => (period.marks.length > 0 ? [index] : []));
    expect(marked).toEqual(first.holidays.map((holiday) => holiday.from));
  });

  test('the bench replay of the detector judges as backtestSeries does, marks and level shift included', () => {
    const series = syntheticSeries({ grain: 'day', volume: 200, seed: 3, weeks: 12 });
    expect(series.periods.some((period) => period.marks.length > 0)).toBe(true);
    expect(differencesFromBacktest(series.periods, liveSettings('day'), 7)).toEqual([]);
  });
});
