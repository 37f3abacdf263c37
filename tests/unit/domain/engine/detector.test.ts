import { describe, expect, test } from 'vitest';
import { backtestSeries, judgePeriod, type SeriesPoint } from '../../../../shared/domain/engine/detector.js';
import { periodBounds, periodKey } from '../../../../shared/domain/time/periods.js';

const DAY = 86_400_000;
const zone = 'UTC';
const band = { countNoise: 2, nonNegative: true };

/** Consecutive days from 2026-06-01 with the given values; `marks` by index. */
function days(values: readonly (number | null)[], marks: Record<number, string> = {}): SeriesPoint[] {
  const first = Date.parse('2026-06-01T00:00:00Z');
  return values.map((value, index) => {
    const period = periodKey(first + index * DAY, 'day', zone);
    return {
      period,
      start: periodBounds(period, 'day', zone).start,
      value,
      marks: marks[index] ? [marks[index]] : [],
    };
  });
}

const settings = { grain: 'day' as const, zone, history: 8, band, shiftPeriods: 3 };
const alerts = (judged: ReturnType<typeof backtestSeries>) =>
  judged.filter((period) => period.status === 'deviating').map((period) => period.period);

describe('the detector: marks', () => {
  test('It should leave marked periods out of later history, made up from further back, so a holiday season does not lower what is expected', () => {
    // A steady 1000 a day for ten weeks, then two weeks of holidays at 400, then 1000 again.
    const values = Array.from({ length: 100 }, (_, i) => (i >= 70 && i < 84 ? 400 : 1000));
    const holidays = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [70 + i, 'Holidays']));
    const few = { ...settings, history: 4 };
    const marked = backtestSeries(days(values, holidays), few);
    const unmarked = backtestSeries(days(values), { ...few, shiftPeriods: 0 });
    // Marked: the holidays are judged (shown deviating, with their label) ...
    expect(marked[70]).toMatchObject({ status: 'deviating', marks: ['Holidays'] });
    // ... and the days after them expect the usual 1000, from four unmarked weeks back.
    expect(marked.slice(84).every((period) => period.expected === 1000 && period.status === 'normal')).toBe(
      true,
    );
    // Unmarked (and without level shifts, to see the history alone), two of four weeks of
    // history are holidays: what is expected drops and the band grows so wide that a day
    // with nothing at all would pass as normal.
    expect(unmarked.slice(84, 91).every((period) => period.expected === 700)).toBe(true);
    expect(unmarked[85]!.band.state === 'ready' && unmarked[85]!.band.lower).toBe(0);
    expect(marked[85]!.band.state === 'ready' && marked[85]!.band.lower).toBeGreaterThan(800);
  });

  test('It should not let a marked period start or extend a level shift', () => {
    const values = Array.from({ length: 60 }, (_, i) => (i >= 56 && i <= 58 ? 500 : 1000));
    const judged = backtestSeries(days(values, { 57: 'Outage' }), settings);
    expect(judged.some((period) => period.shift)).toBe(false);
    expect(alerts(judged)).toEqual([judged[56]!.period, judged[57]!.period, judged[58]!.period]);
  });
});

describe('the detector: level shifts', () => {
  test('It should raise one level shift on the third period in a row below the band, then expect the new level', () => {
    // Steady at 1000 for eight weeks, then 600 from day 56 on.
    const values = Array.from({ length: 80 }, (_, i) => (i < 56 ? 1000 : 600));
    const judged = backtestSeries(days(values), settings);
    expect(judged.filter((period) => period.shift).map((period) => period.period)).toEqual([
      judged[58]!.period,
    ]);
    // Days 56 and 57 deviate (pages before the shift is known); from day 59 on the new level is expected.
    expect(alerts(judged)).toEqual([judged[56]!.period, judged[57]!.period, judged[58]!.period]);
    expect(judged.slice(59).every((period) => period.status === 'normal')).toBe(true);
    expect(judged[60]!.expected).toBe(600);
  });

  test('It should keep paging a run that changes sides, and page nothing when level shifts are off', () => {
    const values = Array.from({ length: 60 }, (_, i) => (i < 56 ? 1000 : i % 2 === 0 ? 400 : 1700));
    const judged = backtestSeries(days(values), settings);
    expect(judged.some((period) => period.shift)).toBe(false);
    expect(alerts(judged)).toHaveLength(4);
    const off = backtestSeries(days(Array.from({ length: 70 }, (_, i) => (i < 56 ? 1000 : 600))), {
      ...settings,
      shiftPeriods: 0,
    });
    expect(off.some((period) => period.shift)).toBe(false);
    // Without shifts every day of the new level pages until the history fills with it.
    expect(alerts(off).length).toBeGreaterThan(5);
  });

  test('It should move an older period by the shift only before the shift began, and drop the shift once history has passed it', () => {
    const shift = { since: 100, scale: 0.5 };
    const judgement = judgePeriod({
      start: 200,
      value: 50,
      settled: true,
      marks: [],
      historyCount: 8,
      history: [
        { start: 150, value: 52, marks: [] },
        { start: 90, value: 100, marks: [] },
        { start: 80, value: 96, marks: [] },
        { start: 70, value: 104, marks: [] },
      ],
      previous: [{ start: 190, value: 50, expected: 50, status: 'normal', level: [shift] }],
      band: { relativeFloor: 0.1 },
      shiftPeriods: 3,
    });
    // 52 is after the shift; 100, 96 and 104 before it, so halved: 50, 48, 52.
    expect(judgement.band).toMatchObject({ state: 'ready', expected: 51 });
    expect(judgement.verdict?.status).toBe('normal');
    expect(judgement.level).toEqual([shift]);
    const later = judgePeriod({
      start: 300,
      value: 50,
      settled: true,
      marks: [],
      historyCount: 8,
      history: [150, 160, 170, 180].map((start) => ({ start, value: 50, marks: [] })),
      previous: [{ start: 290, value: 50, expected: 50, status: 'normal', level: [shift] }],
      band: {},
      shiftPeriods: 3,
    });
    expect(later.level).toEqual([]);
  });

  test('It should refit a level shift with each period of its first week, so a first guess from three periods does not keep paging', () => {
    // The run guessed half the old level (1500 of an expected 3000); the old level is 1000 a day.
    const guess = { since: 1000, scale: 0.5, fit: { observed: 1500, baseline: 3000, periods: 3 } };
    const oldWeeks = [900, 800, 700, 600].map((start) => ({ start, value: 1000, marks: [] }));
    const judge = (start: number, value: number, level: readonly (typeof guess)[], marks: string[] = []) =>
      judgePeriod({
        start,
        value,
        settled: true,
        marks,
        historyCount: 8,
        history: oldWeeks,
        previous: [{ start: start - 1, value, expected: null, status: 'normal', level }],
        band: { relativeFloor: 0.1 },
        shiftPeriods: 3,
      });
    // 800 against the guess (500 +- 50) pages, and moves the fit: (1500 + 800) / (3000 + 1000).
    const first = judge(1010, 800, [guess]);
    expect(first.verdict?.status).toBe('deviating');
    expect(first.level).toEqual([
      { since: 1000, scale: 0.575, fit: { observed: 2300, baseline: 4000, periods: 4 } },
    ]);
    // 600 the next day is normal against the refitted level (575 +- 57.5); the guess would page it.
    expect(judge(1020, 600, first.level as (typeof guess)[]).verdict?.status).toBe('normal');
    expect(judge(1020, 600, [guess]).verdict?.status).toBe('deviating');
    // A marked period does not move the fit, nor does one whose history already holds the new level.
    expect(judge(1010, 800, [guess], ['Outage']).level).toEqual([guess]);
    const mixed = judgePeriod({
      start: 1700,
      value: 800,
      settled: true,
      marks: [],
      historyCount: 8,
      history: [{ start: 1010, value: 800, marks: [] }, ...oldWeeks],
      previous: [{ start: 1699, value: 800, expected: null, status: 'normal', level: [guess] }],
      band: { relativeFloor: 0.1 },
      shiftPeriods: 3,
    });
    expect(mixed.level).toEqual([guess]);
  });
});
