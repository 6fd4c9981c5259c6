/**
 * Brazilian national holidays, used by the simulator's load shapes (non-working days) and by meters' tariff posts
 * (no ponta on holidays). Dates are 'YYYY-MM-DD' calendar dates in Brasília.
 *
 * `kind` follows federal law: 'national' for the holidays of Lei 662/1949 and successors (Tiradentes, Finados,
 * 20/11 since Lei 14.759/2023, ...) and for Good Friday (a religious holiday every municipality keeps);
 * 'optional' for pontos facultativos (Carnival Monday/Tuesday, Corpus Christi), on which most businesses still stop.
 *
 * `noPonta` marks the days ANEEL excludes from the peak period besides weekends: the fixed national holidays,
 * Carnival Tuesday, Good Friday and Corpus Christi (REN 414/2010 and REN 1000/2021 definitions of "posto
 * tarifário ponta"). Carnival Monday is not in that list; 20/11 is included from 2024 on [I].
 */
import { FronteiraError } from './errors.ts';

export type HolidayKind = 'national' | 'optional';

export interface Holiday {
  date: string;
  name: string;
  kind: HolidayKind;
  /** True when the day has no ponta period for grupo A tariffs. */
  noPonta: boolean;
}

const DAY_MS = 86_400_000;

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) {
    throw new FronteiraError('FRONTEIRA_E_DOMAIN_ARGUMENT', `holidays: year ${year} is not a Gregorian year`, {
      year,
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Easter Sunday of a Gregorian year (anonymous Gregorian computus, Meeus/Jones/Butcher), as 'YYYY-MM-DD'. */
export function easterSunday(year: number): string {
  checkYear(year);
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
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(Date.UTC(year, month - 1, day));
}

const cache = new Map<number, Holiday[]>();

/** All national holidays and national pontos facultativos of a year, sorted by date. */
export function brazilianHolidays(year: number): Holiday[] {
  const hit = cache.get(year);
  if (hit) return hit.map((h) => ({ ...h }));
  checkYear(year);
  const easter = Date.parse(`${easterSunday(year)}T00:00:00Z`);
  const moveable = (offsetDays: number) => iso(easter + offsetDays * DAY_MS);
  const fixed = (mmdd: string) => `${String(year).padStart(4, '0')}-${mmdd}`;
  const list: Holiday[] = [
    { date: fixed('01-01'), name: 'Confraternização Universal', kind: 'national', noPonta: true },
    { date: moveable(-48), name: 'Carnaval (segunda-feira)', kind: 'optional', noPonta: false },
    { date: moveable(-47), name: 'Carnaval (terça-feira)', kind: 'optional', noPonta: true },
    { date: moveable(-2), name: 'Sexta-feira da Paixão', kind: 'national', noPonta: true },
    { date: fixed('04-21'), name: 'Tiradentes', kind: 'national', noPonta: true },
    { date: fixed('05-01'), name: 'Dia do Trabalho', kind: 'national', noPonta: true },
    { date: moveable(60), name: 'Corpus Christi', kind: 'optional', noPonta: true },
    { date: fixed('09-07'), name: 'Independência do Brasil', kind: 'national', noPonta: true },
    { date: fixed('10-12'), name: 'Nossa Senhora Aparecida', kind: 'national', noPonta: true },
    { date: fixed('11-02'), name: 'Finados', kind: 'national', noPonta: true },
    { date: fixed('11-15'), name: 'Proclamação da República', kind: 'national', noPonta: true },
    { date: fixed('12-25'), name: 'Natal', kind: 'national', noPonta: true },
  ];
  if (year >= 2024) {
    list.push({
      date: fixed('11-20'),
      name: 'Dia Nacional de Zumbi e da Consciência Negra',
      kind: 'national',
      noPonta: true,
    });
  }
  list.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
  cache.set(year, list);
  return list.map((h) => ({ ...h }));
}

/** The holiday falling on a 'YYYY-MM-DD' date, if any. */
export function holidayOn(date: string): Holiday | undefined {
  const m = /^(\d{4})-\d{2}-\d{2}$/.exec(date);
  if (!m) {
    throw new FronteiraError('FRONTEIRA_E_DOMAIN_ARGUMENT', `holidays: '${date}' is not a YYYY-MM-DD date`, { date });
  }
  return brazilianHolidays(Number(m[1])).find((h) => h.date === date);
}
