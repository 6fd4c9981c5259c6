/**
 * Values as analysts write them in a spreadsheet or on the command line (pt-BR habits first): decimal comma or point,
 * dates `dd/mm/aaaa [hh:mm[:ss]]` or ISO, yes/no as sim/não. Parsing failures are validation errors naming the field.
 */
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_ZONE, instantToWall, wallToInstant } from '../domain/time.ts';

/** The validation error every registry check raises: details {field, value, reason}. */
export function invalid(field: string, value: unknown, reason: string): FronteiraError {
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${reason} (got ${shown ?? String(value)})`, {
    field,
    value: value instanceof Date ? value.toISOString() : value,
    reason,
  });
}

/** The reason of a registry validation error, without the field prefix (for `line N, column X: reason`). */
export function reasonOf(e: unknown): string | null {
  if (e instanceof FronteiraError && e.code === 'FRONTEIRA_E_VALIDATION' && typeof e.details.reason === 'string') {
    const value = e.details.value;
    return value === undefined || value === '' ? e.details.reason : `${e.details.reason} (got '${String(value)}')`;
  }
  return null;
}

/**
 * A decimal number written with a comma or a point. With both, the last one is the decimal mark and the other groups
 * thousands (`1.234,5`, `1,234.5`). A lone point followed by exactly three digits (`1.500`) could be either, so it is
 * refused rather than guessed; a lone comma is always decimal (pt-BR).
 */
export function parseDecimal(field: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, value, 'is not a finite number');
    return value;
  }
  if (typeof value !== 'string') throw invalid(field, value, 'is not a number');
  let s = value.trim().replace(/\s/g, '');
  if (s === '') throw invalid(field, value, 'is empty');
  const comma = s.lastIndexOf(',');
  const point = s.lastIndexOf('.');
  if (comma >= 0 && point >= 0) {
    const decimal = comma > point ? ',' : '.';
    const group = decimal === ',' ? '.' : ',';
    const cut = Math.max(comma, point);
    const intPart = s.slice(0, cut);
    if (!new RegExp(`^[+-]?\\d{1,3}(\\${group}\\d{3})*$`).test(intPart)) {
      throw invalid(
        field,
        value,
        `is not a number ('${group}' may only group thousands before the decimal '${decimal}')`,
      );
    }
    s = `${intPart.split(group).join('')}.${s.slice(cut + 1)}`;
  } else if (comma >= 0) {
    if (s.indexOf(',') !== comma) throw invalid(field, value, 'has more than one decimal comma');
    s = s.replace(',', '.');
  } else if (point >= 0 && s.indexOf('.') !== point) {
    if (!/^[+-]?\d{1,3}(\.\d{3})+$/.test(s)) throw invalid(field, value, 'is not a number');
    s = s.split('.').join('');
  } else if (/^[+-]?[1-9]\d{0,2}\.\d{3}$/.test(s)) {
    throw invalid(field, value, `is ambiguous: write ${s.replace('.', '')} or ${s.replace('.', ',')} (decimal comma)`);
  }
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw invalid(field, value, 'is not a number');
  const n = Number(s);
  if (!Number.isFinite(n)) throw invalid(field, value, 'is not a finite number');
  return n;
}

export function parseInteger(field: string, value: unknown): number {
  const n = parseDecimal(field, value);
  if (!Number.isInteger(n)) throw invalid(field, value, 'is not a whole number');
  return n;
}

/** Decimal comma, no thousands separator, no exponent for everyday magnitudes. */
export function formatDecimal(n: number): string {
  let s = String(n);
  if (/e/i.test(s)) s = n.toFixed(20).replace(/\.?0+$/, '');
  return s.replace('.', ',');
}

const TRUE_WORDS = new Set(['sim', 's', 'yes', 'y', 'true', 't', '1', 'x', 'verdadeiro', 'v']);
const FALSE_WORDS = new Set(['nao', 'n', 'no', 'false', 'f', '0', 'falso']);

export function parseBoolean(field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string') {
    const w = fold(value);
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  throw invalid(field, value, 'is not sim/não (yes/no)');
}

export function formatBoolean(b: boolean): string {
  return b ? 'sim' : 'não';
}

/** Lower case without accents, spaces and hyphens as underscores: 'Consumidor Livre' → 'consumidor_livre'. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An instant written as `dd/mm/aaaa [hh:mm[:ss]]` or ISO 8601. Without an offset the text is wall time in `zone`
 * (the point's, Brasília by default); `Z` or `±hh:mm` make it absolute.
 */
export function parseDateTime(field: string, value: unknown, zone: string = DEFAULT_ZONE): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(field, String(value), 'is not a valid date');
    return value;
  }
  if (typeof value !== 'string') throw invalid(field, value, 'is not a date (dd/mm/aaaa [hh:mm] or ISO)');
  const s = value.trim();
  let y: number;
  let mo: number;
  let d: number;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let ms = 0;
  let offset: string | undefined;
  let m = DMY.exec(s);
  if (m) {
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (m[4] !== undefined) [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  } else {
    m = ISO.exec(s);
    if (!m) throw invalid(field, value, 'is not a date (dd/mm/aaaa [hh:mm] or ISO aaaa-mm-dd[Thh:mm])');
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (m[4] !== undefined) [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    if (m[7] !== undefined) ms = Number(m[7].padEnd(3, '0'));
    offset = m[8];
  }
  const wall = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  const back = new Date(wall);
  if (
    y < 1970 ||
    y > 2200 ||
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    sec > 59
  ) {
    throw invalid(field, value, 'is not a valid calendar date and time');
  }
  if (offset === undefined) return new Date(wallToInstant(wall, zone));
  if (/^z$/i.test(offset)) return new Date(wall);
  const om = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
  const offMs = (Number(om[2]) * 60 + Number(om[3])) * 60_000 * (om[1] === '-' ? -1 : 1);
  return new Date(wall - offMs);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `dd/mm/aaaa hh:mm` in `zone` (`:ss` when the seconds are not zero). An instant that this text would not read back
 * as (the second pass of a DST fall-back hour, or milliseconds) is written as ISO with its offset instead.
 */
export function formatDateTime(date: Date, zone: string = DEFAULT_ZONE): string {
  const t = date.getTime();
  const wall = instantToWall(t, zone);
  const w = new Date(wall);
  let s = `${pad(w.getUTCDate())}/${pad(w.getUTCMonth() + 1)}/${w.getUTCFullYear()} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
  if (w.getUTCSeconds() !== 0) s += `:${pad(w.getUTCSeconds())}`;
  if (wall % 1000 === 0 && wallToInstant(wall, zone) === t) return s;
  const off = Math.round((wall - t) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${new Date(wall).toISOString().slice(0, 23)}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
