import { describe, expect, test } from 'vitest';
import {
  calendarDay,
  calendarMarks,
  calendarProblem,
  labelsOf,
} from '../../../../shared/domain/time/calendar.js';

describe('calendar rules and dates', () => {
  test('It should find the nth and the last weekday of a month', () => {
    expect(calendarDay({ rule: 'fourth thursday of november' }, 2026)).toBe('2026-11-26');
    expect(calendarDay({ rule: 'Fourth Thursday of November' }, 2027)).toBe('2027-11-25');
    expect(calendarDay({ rule: 'last monday of may' }, 2026)).toBe('2026-05-25');
    expect(calendarDay({ rule: 'first monday of september' }, 2026)).toBe('2026-09-07');
    // February 2026 has four Mondays: no fifth one that year.
    expect(calendarDay({ rule: 'fifth monday of february' }, 2026)).toBeUndefined();
  });

  test('It should find Easter and the days around it', () => {
    expect(calendarDay({ rule: 'easter' }, 2026)).toBe('2026-04-05');
    expect(calendarDay({ rule: 'easter' }, 2027)).toBe('2027-03-28');
    expect(calendarDay({ rule: 'easter-2' }, 2026)).toBe('2026-04-03');
    expect(calendarDay({ rule: 'easter+1' }, 2026)).toBe('2026-04-06');
  });

  test('It should take a yearly date every year and a dated one only in its year', () => {
    expect(calendarDay({ date: '12-25' }, 2030)).toBe('2030-12-25');
    expect(calendarDay({ date: '2026-11-03' }, 2026)).toBe('2026-11-03');
    expect(calendarDay({ date: '2026-11-03' }, 2027)).toBeUndefined();
    expect(calendarDay({ date: '02-29' }, 2027)).toBeUndefined();
  });

  test('It should name what is wrong with a rule or a date, and accept the good ones', () => {
    expect(calendarProblem({ rule: 'the thursday after black friday' })).toMatch(
      /must read like "fourth thursday/,
    );
    expect(calendarProblem({ date: '2026-13-01' })).toMatch(/must be YYYY-MM-DD/);
    expect(calendarProblem({})).toBe('give either date or rule');
    expect(calendarProblem({ date: '12-25', rule: 'easter' })).toBe('give either date or rule');
    expect(calendarProblem({ rule: 'last friday of november' })).toBeUndefined();
    expect(calendarProblem({ date: '02-29' })).toBeUndefined();
  });

  test('It should mark whole local days in the time zone, for as many days as the entry covers', () => {
    const entries = [{ label: 'Thanksgiving', rule: 'fourth thursday of november', days: 2 }];
    const zone = 'America/New_York';
    const marks = calendarMarks(
      entries,
      Date.parse('2026-11-01T00:00:00Z'),
      Date.parse('2026-12-01T00:00:00Z'),
      zone,
    );
    expect(marks).toEqual([
      {
        label: 'Thanksgiving',
        from: Date.parse('2026-11-26T05:00:00Z'),
        to: Date.parse('2026-11-28T05:00:00Z'),
      },
    ]);
    // The Friday is covered, the Saturday in New York is not; a UTC hour of Thursday night is.
    expect(labelsOf(marks, Date.parse('2026-11-27T12:00:00Z'), Date.parse('2026-11-27T13:00:00Z'))).toEqual([
      'Thanksgiving',
    ]);
    expect(labelsOf(marks, Date.parse('2026-11-28T06:00:00Z'), Date.parse('2026-11-28T07:00:00Z'))).toEqual(
      [],
    );
    expect(labelsOf(marks, Date.parse('2026-11-26T03:00:00Z'), Date.parse('2026-11-26T04:00:00Z'))).toEqual(
      [],
    );
  });
});
