/**
 * pt-BR text for the reports: numbers with decimal comma and '.' thousands (PDF text; XLSX cells stay numbers with a
 * number format), dates dd/mm/aaaa, instants in Brasília time, and the channel names analysts use (C, G, QC, QG).
 */
import { DEFAULT_ZONE, instantToWall } from '../domain/time.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';

const formats = new Map<number, Intl.NumberFormat>();

/** 1.234,567 — fixed decimals, '' for null/NaN/±Infinity (a missing value prints as an empty cell). */
export function fmtNumber(x: number | null | undefined, decimals = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '';
  let f = formats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formats.set(decimals, f);
  }
  const s = f.format(x);
  // -0,000 reads as a sign error in a report.
  return /^-0(,0*)?$/.test(s) ? s.slice(1) : s;
}

/** '12,3 %' */
export function fmtPercent(x: number | null | undefined, decimals = 1): string {
  const s = fmtNumber(x, decimals);
  return s === '' ? '' : `${s} %`;
}

/** 'dd/mm/aaaa' of a 'YYYY-MM-DD' operating day. */
export function fmtDay(day: string): string {
  return `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;
}

/** 'dd/mm' of a 'YYYY-MM-DD' day (column headers). */
export function fmtDayShort(day: string): string {
  return `${day.slice(8, 10)}/${day.slice(5, 7)}`;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** 'dd/mm/aaaa HH:MM' of an instant in the zone's wall time (Brasília by default). */
export function fmtInstant(ms: number, zone = DEFAULT_ZONE): string {
  const d = new Date(instantToWall(ms, zone));
  return `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

const CHANNEL_OF: Readonly<Record<number, string>> = { 1: 'C', 14: 'G', 10: 'QC', 15: 'QG' };

/** 'C', 'G', 'QC', 'QG' for the CCEE channels; the quantity's catalogue name (or its code) otherwise. */
export function channelLabel(code: number): string {
  const named = CHANNEL_OF[code];
  if (named) return named;
  try {
    return quantity(code).name || `grandeza ${code}`;
  } catch {
    return `grandeza ${code}`;
  }
}

/** A Date at UTC midnight of a 'YYYY-MM-DD' day: what XLSX date cells hold (no zone shift in Excel). */
export function dayCell(day: string): Date {
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))));
}

/** A Date whose UTC fields are the wall time of the instant in the zone: what an XLSX date-time cell shows. */
export function wallCell(ms: number, zone = DEFAULT_ZONE): Date {
  return new Date(instantToWall(ms, zone));
}
