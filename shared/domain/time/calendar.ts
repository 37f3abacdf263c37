import { DateTime } from 'luxon';

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'last'] as const;
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
] as const;

/** `fourth thursday of november`, `last monday of may`, `easter`, `easter-2`, `easter+1`. */
const NTH_WEEKDAY = new RegExp(`^(${ORDINALS.join('|')}) (${WEEKDAYS.join('|')}) of (${MONTHS.join('|')})$`);
const EASTER = /^easter([+-]\d{1,2})?$/;
/** `2026-11-27` once, or `12-25` every year. */
const DATE = /^(\d{4}-)?(\d{2})-(\d{2})$/;

/** Why a calendar rule or date cannot be read; undefined when it can. */
export function calendarProblem(entry: {
  readonly date?: string;
  readonly rule?: string;
}): string | undefined {
  if ((entry.date === undefined) === (entry.rule === undefined)) return 'give either date or rule';
  if (entry.date !== undefined) {
    const match = DATE.exec(entry.date);
    const year = match?.[1] ? Number(match[1].slice(0, 4)) : 2000;
    if (!match || !DateTime.fromObject({ year, month: Number(match[2]), day: Number(match[3]) }).isValid)
      return `date "${entry.date}" must be YYYY-MM-DD (once) or MM-DD (every year)`;
    return undefined;
  }
  const rule = entry.rule!.trim().toLowerCase();
  if (NTH_WEEKDAY.test(rule) || EASTER.test(rule)) return undefined;
  return `rule "${entry.rule}" must read like "fourth thursday of november", "last monday of may" or "easter+1"`;
}

/** Western (Gregorian) Easter Sunday of a year: the anonymous Gregorian algorithm. */
function easter(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  return { month: Math.floor((h + l - 7 * m + 114) / 31), day: ((h + l - 7 * m + 114) % 31) + 1 };
}

/** The day a rule or date falls on in a year, as `YYYY-MM-DD`; undefined when it does not (a fifth weekday, a once date of another year). */
export function calendarDay(
  entry: { readonly date?: string; readonly rule?: string },
  year: number,
): string | undefined {
  if (entry.date !== undefined) {
    const match = DATE.exec(entry.date);
    if (!match) return undefined;
    if (match[1] && Number(match[1].slice(0, 4)) !== year) return undefined;
    const day = DateTime.fromObject(
      { year, month: Number(match[2]), day: Number(match[3]) },
      { zone: 'UTC' },
    );
    return day.isValid ? day.toISODate()! : undefined;
  }
  const rule = (entry.rule ?? '').trim().toLowerCase();
  const paschal = EASTER.exec(rule);
  if (paschal) {
    const sunday = DateTime.fromObject({ year, ...easter(year) }, { zone: 'UTC' });
    return sunday.plus({ days: Number(paschal[1] ?? 0) }).toISODate()!;
  }
  const match = NTH_WEEKDAY.exec(rule);
  if (!match) return undefined;
  const ordinal = ORDINALS.indexOf(match[1] as (typeof ORDINALS)[number]);
  const weekday = WEEKDAYS.indexOf(match[2] as (typeof WEEKDAYS)[number]) + 1;
  const month = MONTHS.indexOf(match[3] as (typeof MONTHS)[number]) + 1;
  const first = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' });
  if (ordinal === ORDINALS.length - 1) {
    const last = first.endOf('month').startOf('day');
    return last.minus({ days: (last.weekday - weekday + 7) % 7 }).toISODate()!;
  }
  const day = first.plus({ days: ((weekday - first.weekday + 7) % 7) + 7 * ordinal });
  return day.month === month ? day.toISODate()! : undefined;
}

export interface CalendarEntry {
  readonly label: string;
  readonly date?: string;
  readonly rule?: string;
  /** Days the entry covers from its day on (a holiday week: 7). */
  readonly days: number;
}

/** A span of time a label covers: a calendar entry's days in the time zone, or an annotation. */
export interface Mark {
  readonly label: string;
  readonly from: number;
  readonly to: number;
}

/** The calendar's marks that overlap [from, to), each day range taken in the time zone. */
export function calendarMarks(
  entries: readonly CalendarEntry[],
  from: number,
  to: number,
  zone: string,
): Mark[] {
  const marks: Mark[] = [];
  const first = DateTime.fromMillis(from, { zone }).year - 1;
  const last = DateTime.fromMillis(to, { zone }).year;
  for (const entry of entries)
    for (let year = first; year <= last; year++) {
      const day = calendarDay(entry, year);
      if (!day) continue;
      const start = DateTime.fromISO(day, { zone }).startOf('day');
      const mark = {
        label: entry.label,
        from: start.toMillis(),
        to: start.plus({ days: entry.days }).toMillis(),
      };
      if (mark.from < to && mark.to > from) marks.push(mark);
    }
  return marks.sort((a, b) => a.from - b.from || a.label.localeCompare(b.label));
}

/** The labels of the marks that overlap [start, end), each once. */
export function labelsOf(marks: readonly Mark[], start: number, end: number): string[] {
  return [...new Set(marks.filter((mark) => mark.from < end && mark.to > start).map((mark) => mark.label))];
}
