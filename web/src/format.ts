/**
 * Dates and numbers as a Brazilian analyst reads them: dd/mm/aaaa, 24-hour clock in Brasília time, decimal comma.
 * Operating days (YYYY-MM-DD) are the API's; everything shown goes through here.
 */
export const ZONE = 'America/Sao_Paulo';

const dateFmt = new Intl.DateTimeFormat('pt-BR', { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat('pt-BR', {
  timeZone: ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const isoDayFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** 'YYYY-MM-DD' → 'dd/mm/aaaa'. */
export function fmtDay(day: string | null | undefined): string {
  if (!day) return '—';
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

/** An instant (ISO text or epoch ms) in Brasília time, dd/mm/aaaa hh:mm:ss. */
export function fmtDateTime(at: string | number | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '—' : dateTimeFmt.format(d).replace(',', '');
}

export function fmtDate(at: string | number): string {
  return dateFmt.format(new Date(at));
}

const numFmts = new Map<number, Intl.NumberFormat>();
/** Decimal comma, dot thousands: 1.234,56. */
export function fmtNum(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  let f = numFmts.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: 0, maximumFractionDigits: digits });
    numFmts.set(digits, f);
  }
  return f.format(v);
}

export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${fmtNum(v, 2)}%`;
}

/** '1.234,5' or '1234.5' → 1234.5; null when not a number. */
export function parseNum(text: string): number | null {
  const s = text.trim().replace(/\s/g, '');
  if (s === '') return null;
  const normal = s.includes(',') ? s.replace(/\./g, '').replace(',', '.') : s;
  const v = Number(normal);
  return Number.isFinite(v) ? v : null;
}

/** The operating day (Brasília) of an instant. */
export function dayOf(at: number): string {
  return isoDayFmt.format(new Date(at));
}

export function today(): string {
  return dayOf(Date.now());
}

export function addDays(day: string, n: number): string {
  const t = Date.parse(`${day}T12:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** First and last day of the calendar month `offset` months from the one holding `day`. */
export function monthOf(day: string, offset = 0): { from: string; to: string } {
  const [y, m] = day.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + offset, 1));
  const last = new Date(Date.UTC(y, m + offset, 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${fmtNum(ms / 1000, 1)} s`;
}

const partsFmt = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});
const offsets = new Map<number, number>();

/** Brasília's UTC offset (ms) at an instant; one Intl call per hour, then cached (charts ask for thousands). */
export function zoneOffsetMs(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  let o = offsets.get(hour);
  if (o === undefined) {
    const at = hour * 3_600_000;
    const p: Record<string, number> = {};
    for (const part of partsFmt.formatToParts(new Date(at))) p[part.type] = Number(part.value);
    o = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at;
    offsets.set(hour, o);
  }
  return o;
}

/** A Date whose local fields read Brasília wall time (what uPlot's axis and legend formatting expect). */
export function wallDate(ms: number): Date {
  const w = new Date(ms + zoneOffsetMs(ms));
  return new Date(
    w.getUTCFullYear(),
    w.getUTCMonth(),
    w.getUTCDate(),
    w.getUTCHours(),
    w.getUTCMinutes(),
    w.getUTCSeconds(),
  );
}
