import { describe, expect, test } from 'vitest';
import { ApiError } from '../../../../shared/use-cases/read-api/api-error.js';
import {
  checkRangeLength,
  instantRange,
  periodKeysStartingIn,
  periodRange,
  periodsStartingIn,
} from '../../../../shared/use-cases/read-api/period-range.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number): string => new Date(epochMs).toISOString();

describe('request ranges', () => {
  test('Default range: It should start at the last N periods, the period in progress counting as one', () => {
    // Wednesday of 2026-W48: twelve weeks back from W48 is W37, starting Monday 7 September.
    const range = periodRange({ now: at('2026-11-25T12:00:00Z') }, 'week', 'UTC', 12);
    expect(iso(range.from)).toBe('2026-09-07T00:00:00.000Z');
    expect(iso(range.to)).toBe('2026-11-25T12:00:00.000Z');
  });

  test('Default range: It should count back from a given to, the period ending at it being the last', () => {
    const range = periodRange({ to: at('2026-11-23T00:00:00Z'), now: 0 }, 'week', 'UTC', 1);
    expect(iso(range.from)).toBe('2026-11-16T00:00:00.000Z');
  });

  test('Default range: It should take days in the configured zone, a 25-hour day included', () => {
    // Clocks in Berlin go back on Sunday 25 October 2026.
    const range = periodRange({ now: at('2026-10-26T12:00:00Z') }, 'day', 'Europe/Berlin', 2);
    expect(iso(range.from)).toBe('2026-10-24T22:00:00.000Z');
    const days = periodsStartingIn(range, 'day', 'Europe/Berlin', 10);
    expect(days.map((day) => [day.period, (day.end - day.start) / 3_600_000])).toEqual([
      ['2026-10-25', 25],
      ['2026-10-26', 24],
    ]);
  });

  test('Given range: It should keep from and to as given', () => {
    const range = instantRange({ from: 5, to: 10, now: 100 }, 50);
    expect(range).toEqual({ from: 5, to: 10 });
    expect(instantRange({ now: 100 }, 30)).toEqual({ from: 70, to: 100 });
  });

  test('Given range: It should answer invalid_parameter on from when from is not before to', () => {
    const check = (request: Parameters<typeof periodRange>[0]) => {
      try {
        periodRange(request, 'day', 'UTC', 1);
      } catch (error) {
        return error instanceof ApiError ? [error.code, error.parameter, error.message] : error;
      }
      return 'no error';
    };
    expect(check({ from: 10, to: 10, now: 0 })).toEqual([
      'invalid_parameter',
      'from',
      'from: must be earlier than to',
    ]);
    expect(check({ from: 10, now: 5 })).toEqual([
      'invalid_parameter',
      'from',
      'from: must be earlier than now (to defaults to now)',
    ]);
  });

  test('Periods in range: It should take the periods that start in [from, to)', () => {
    const range = { from: at('2026-11-24T06:00:00Z'), to: at('2026-11-27T00:00:00Z') };
    expect(periodsStartingIn(range, 'day', 'UTC', 10).map((day) => day.period)).toEqual([
      '2026-11-25',
      '2026-11-26',
    ]);
    const aligned = { from: at('2026-11-24T00:00:00Z'), to: at('2026-11-24T00:00:00.001Z') };
    expect(periodsStartingIn(aligned, 'day', 'UTC', 10).map((day) => day.period)).toEqual(['2026-11-24']);
  });

  test('Periods in range: It should answer invalid_parameter on from past the limit, and take exactly the limit', () => {
    const range = { from: at('2026-11-01T00:00:00Z'), to: at('2026-11-08T00:00:00Z') };
    expect(periodsStartingIn(range, 'day', 'UTC', 7)).toHaveLength(7);
    expect(() => periodsStartingIn(range, 'day', 'UTC', 6)).toThrow(
      expect.objectContaining({ code: 'invalid_parameter', parameter: 'from' }),
    );
  });

  test('Period keys in range: It should name the first and last period starting in [from, to), or none', () => {
    const range = { from: at('2026-11-24T06:00:00Z'), to: at('2026-12-01T00:00:00Z') };
    expect(periodKeysStartingIn(range, 'day', 'UTC')).toEqual({ first: '2026-11-25', last: '2026-11-30' });
    expect(periodKeysStartingIn(range, 'week', 'UTC')).toEqual({ first: '2026-W49', last: '2026-W49' });
    const inside = { from: at('2026-11-24T06:00:00Z'), to: at('2026-11-24T18:00:00Z') };
    expect(periodKeysStartingIn(inside, 'day', 'UTC')).toBeUndefined();
  });

  test('Range length: It should answer invalid_parameter on from only for a range clearly past the limit', () => {
    const days = (n: number) => ({ from: 0, to: n * 86_400_000 });
    expect(() => checkRangeLength(days(400), 'day', 400)).not.toThrow();
    expect(() => checkRangeLength(days(402), 'day', 400)).toThrow(
      expect.objectContaining({ code: 'invalid_parameter', parameter: 'from' }),
    );
  });
});
