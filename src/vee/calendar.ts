/**
 * Day classes for like-day estimation (vee.md §3 LD): weekday, Saturday, Sunday-or-holiday, with a holiday set that
 * starts from the Brazilian national calendar (domain/holidays.ts) and can be edited: dates added (a municipal or
 * state holiday, a decreed day off) or removed. The service stores the edits (and their history); this is the pure
 * calendar built from them.
 *
 * By default both national holidays and the national pontos facultativos (Carnival, Corpus Christi) count: load on
 * those days looks like a Sunday's [I]. `kinds: ['national']` keeps only the former.
 */
import { FronteiraError } from '../domain/errors.ts';
import { brazilianHolidays, type HolidayKind } from '../domain/holidays.ts';
import { addDays } from '../domain/time.ts';
import { isDay } from './params.ts';

export type DayClass = 'weekday' | 'saturday' | 'sunday_holiday';

export interface HolidayEntry {
  date: string;
  name: string;
}

/** The stored form of a calendar: which national kinds count, and the edits. */
export interface HolidayCalendarSpec {
  kinds?: HolidayKind[];
  added?: HolidayEntry[];
  removed?: string[];
}

export interface CalendarHoliday {
  date: string;
  name: string;
  origin: HolidayKind | 'added';
}

function bad(field: string, message: string): never {
  throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field });
}

function checkDay(day: string, field = 'day'): void {
  if (!isDay(day)) bad(field, `'${String(day)}' is not a YYYY-MM-DD day`);
}

/** Checks a stored or submitted calendar spec and returns a clean, sorted copy. */
export function parseCalendarSpec(input: unknown, field = 'calendar'): Required<HolidayCalendarSpec> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad(field, 'must be an object');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['kinds', 'added', 'removed'].includes(k)) bad(`${field}.${k}`, 'unknown field');
  const kinds = o.kinds ?? ['national', 'optional'];
  if (!Array.isArray(kinds) || kinds.some((k) => k !== 'national' && k !== 'optional')) {
    bad(`${field}.kinds`, "must list 'national' and/or 'optional'");
  }
  const added = o.added ?? [];
  if (!Array.isArray(added)) bad(`${field}.added`, 'must be a list of {date, name}');
  const seen = new Set<string>();
  const cleanAdded = added.map((e, i) => {
    const f = `${field}.added[${i}]`;
    if (typeof e !== 'object' || e === null) bad(f, 'must be {date, name}');
    const { date, name } = e as Record<string, unknown>;
    checkDay(date as string, `${f}.date`);
    if (typeof name !== 'string' || name.trim() === '') bad(`${f}.name`, 'must be a non-empty name');
    if (seen.has(date as string)) bad(`${f}.date`, `${date} is listed twice`);
    seen.add(date as string);
    return { date: date as string, name: name.trim() };
  });
  const removed = o.removed ?? [];
  if (!Array.isArray(removed)) bad(`${field}.removed`, 'must be a list of dates');
  removed.forEach((d, i) => {
    checkDay(d as string, `${field}.removed[${i}]`);
    if (seen.has(d as string)) bad(`${field}.removed[${i}]`, `${d} is both added and removed`);
  });
  return {
    kinds: [...new Set(kinds as HolidayKind[])].sort(),
    added: cleanAdded.sort((a, b) => (a.date < b.date ? -1 : 1)),
    removed: [...new Set(removed as string[])].sort(),
  };
}

/** Weekday of a 'YYYY-MM-DD' day, 0 = Sunday. */
export function weekdayOf(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

export class HolidayCalendar {
  readonly spec: Required<HolidayCalendarSpec>;
  private readonly added: Map<string, string>;
  private readonly removed: Set<string>;
  private readonly kinds: Set<HolidayKind>;
  private readonly years = new Map<number, Map<string, CalendarHoliday>>();

  constructor(spec: HolidayCalendarSpec = {}) {
    this.spec = parseCalendarSpec(spec);
    this.added = new Map(this.spec.added.map((e) => [e.date, e.name]));
    this.removed = new Set(this.spec.removed);
    this.kinds = new Set(this.spec.kinds);
  }

  /** The national calendar with no edits. */
  static national(): HolidayCalendar {
    return DEFAULT_CALENDAR;
  }

  private year(y: number): Map<string, CalendarHoliday> {
    let m = this.years.get(y);
    if (!m) {
      m = new Map();
      for (const h of brazilianHolidays(y)) {
        if (this.kinds.has(h.kind) && !this.removed.has(h.date)) {
          m.set(h.date, { date: h.date, name: h.name, origin: h.kind });
        }
      }
      for (const [date, name] of this.added) {
        if (Number(date.slice(0, 4)) === y) m.set(date, { date, name, origin: 'added' });
      }
      this.years.set(y, m);
    }
    return m;
  }

  holiday(day: string): CalendarHoliday | undefined {
    checkDay(day);
    return this.year(Number(day.slice(0, 4))).get(day);
  }

  isHoliday(day: string): boolean {
    return this.holiday(day) !== undefined;
  }

  /** The year's holidays in force in this calendar, sorted by date. */
  holidays(year: number): CalendarHoliday[] {
    if (!Number.isInteger(year) || year < 1583 || year > 9999) bad('year', `${year} is not a Gregorian year`);
    return [...this.year(year).values()].sort((a, b) => (a.date < b.date ? -1 : 1));
  }

  dayClass(day: string): DayClass {
    const w = weekdayOf(day);
    if (w === 0 || this.isHoliday(day)) return 'sunday_holiday';
    return w === 6 ? 'saturday' : 'weekday';
  }

  /**
   * Days of the same class as `day` within `weeks` weeks before it (day − 7·weeks … day − 1), most recent first:
   * the like-day candidates of vee.md §3 LD.
   */
  likeDayCandidates(day: string, weeks = 4): string[] {
    checkDay(day);
    if (!Number.isInteger(weeks) || weeks < 1 || weeks > 52) bad('weeks', `${weeks} is not 1–52`);
    const cls = this.dayClass(day);
    const out: string[] = [];
    for (let i = 1; i <= weeks * 7; i++) {
      const d = addDays(day, -i);
      if (this.dayClass(d) === cls) out.push(d);
    }
    return out;
  }

  withAdded(date: string, name: string): HolidayCalendar {
    checkDay(date, 'date');
    return new HolidayCalendar({
      kinds: this.spec.kinds,
      added: [...this.spec.added.filter((e) => e.date !== date), { date, name }],
      removed: this.spec.removed.filter((d) => d !== date),
    });
  }

  /** Removes a holiday: an added one is dropped, a national one is listed as removed. */
  withRemoved(date: string): HolidayCalendar {
    checkDay(date, 'date');
    const national = brazilianHolidays(Number(date.slice(0, 4))).some((h) => h.date === date && this.kinds.has(h.kind));
    return new HolidayCalendar({
      kinds: this.spec.kinds,
      added: this.spec.added.filter((e) => e.date !== date),
      removed: national && !this.removed.has(date) ? [...this.spec.removed, date] : this.spec.removed,
    });
  }
}

const DEFAULT_CALENDAR = new HolidayCalendar();
