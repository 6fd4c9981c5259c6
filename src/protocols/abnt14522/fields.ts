/**
 * Field encodings of ABNT NBR 14522 (spec §5): packed BCD (most significant digit first), dates as
 * hh mm ss DD MM YY, weekday 1 = Sunday, little-endian float32.
 *
 * Meter clocks carry no time zone, so dates are kept as `WallTime`: milliseconds since 1970 of the meter's
 * wall-clock reading taken as if it were UTC. Interval arithmetic (reset + k·Δ) is exact on it; turning it into
 * an instant needs the meter's zone and happens at the edges (domain/time).
 */
import { FronteiraError } from '../../domain/errors.ts';

export type WallTime = number;

/** Two-digit years are 2000–2099: no meter in service keeps a 1900s clock, and the protocol has no century. */
const CENTURY = 2000;

export function wallTime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): WallTime {
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** 'YYYY-MM-DD HH:mm:ss' of a wall time (no zone: it is what the meter's display shows). */
export function formatWall(t: WallTime): string {
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/** Parses 'YYYY-MM-DD[ T]HH:mm[:ss]' as a wall time. */
export function parseWall(s: string): WallTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s.trim());
  if (!m) throw new FronteiraError('FRONTEIRA_E_ABNT_DATE', `not a wall time: '${s}' (expected YYYY-MM-DD HH:mm:ss)`);
  const t = wallTime(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  if (formatWall(t).slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`) {
    throw new FronteiraError('FRONTEIRA_E_ABNT_DATE', `no such date: '${s}'`);
  }
  return t;
}

/** Day of week in the protocol's numbering: 1 = Sunday … 7 = Saturday. */
export function protocolWeekday(t: WallTime): number {
  return new Date(t).getUTCDay() + 1;
}

export function toBcdByte(v: number): number {
  return (Math.floor(v / 10) << 4) | (v % 10);
}

function nibblesValid(b: number): boolean {
  return (b & 0x0f) <= 9 && b >> 4 <= 9;
}

export interface TimeOfDay {
  hour: number;
  minute: number;
}

export interface DayMonth {
  day: number;
  month: number;
}

/**
 * Reads the fields of one block, naming the command, field and offset in every error. Fields a reading cannot do
 * without use the strict readers (they throw a typed error); descriptive fields use the lenient ones, which
 * record a warning and return null so one odd byte never hides the rest of a good block.
 */
export class FieldReader {
  readonly warnings: string[] = [];

  constructor(
    readonly bytes: Uint8Array,
    readonly context: string,
  ) {}

  private fail(code: 'FRONTEIRA_E_ABNT_BCD' | 'FRONTEIRA_E_ABNT_DATE', field: string, offset: number, what: string) {
    return new FronteiraError(code, `${this.context}: field '${field}' at offset ${offset}: ${what}`, {
      context: this.context,
      field,
      offset,
    });
  }

  u8(off: number): number {
    return this.bytes[off];
  }

  /** Packed BCD, `len` bytes (≤ 7, so the value stays an exact integer). */
  bcd(off: number, len: number, field: string): number {
    let v = 0;
    for (let i = 0; i < len; i++) {
      const b = this.bytes[off + i];
      if (!nibblesValid(b)) {
        throw this.fail('FRONTEIRA_E_ABNT_BCD', field, off + i, `0x${hex(b)} is not BCD`);
      }
      v = v * 100 + (b >> 4) * 10 + (b & 0x0f);
    }
    return v;
  }

  /** Lenient BCD: null and a warning when a nibble is not a digit. */
  bcdOrNull(off: number, len: number, field: string): number | null {
    try {
      return this.bcd(off, len, field);
    } catch (e) {
      this.warnings.push((e as Error).message);
      return null;
    }
  }

  /** BCD digits as a string, keeping leading zeros (serial numbers). Non-digit nibbles become '?' plus a warning. */
  digits(off: number, len: number, field: string): string {
    let s = '';
    let bad = false;
    for (let i = 0; i < len; i++) {
      const b = this.bytes[off + i];
      for (const n of [b >> 4, b & 0x0f]) {
        if (n > 9) bad = true;
        s += n > 9 ? '?' : String(n);
      }
    }
    if (bad) this.warnings.push(`${this.context}: field '${field}' at offset ${off}: not all BCD digits`);
    return s;
  }

  /** hh mm ss DD MM YY. All zeros (never set) → null. Anything else invalid throws. */
  dateTime(off: number, field: string): WallTime | null {
    const b = this.bytes;
    let allZero = true;
    for (let i = 0; i < 6; i++) if (b[off + i] !== 0) allZero = false;
    if (allZero) return null;
    const h = this.bcd(off, 1, field);
    const mi = this.bcd(off + 1, 1, field);
    const s = this.bcd(off + 2, 1, field);
    const d = this.bcd(off + 3, 1, field);
    const mo = this.bcd(off + 4, 1, field);
    const y = this.bcd(off + 5, 1, field);
    if (h > 23 || mi > 59 || s > 59 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(CENTURY + y, mo)) {
      throw this.fail(
        'FRONTEIRA_E_ABNT_DATE',
        field,
        off,
        `${pad(h)}:${pad(mi)}:${pad(s)} ${pad(d)}/${pad(mo)}/${pad(y)} is not a valid date`,
      );
    }
    return wallTime(CENTURY + y, mo, d, h, mi, s);
  }

  /** Lenient date/time: invalid → null and a warning. */
  dateTimeOrNull(off: number, field: string): WallTime | null {
    try {
      return this.dateTime(off, field);
    } catch (e) {
      this.warnings.push((e as Error).message);
      return null;
    }
  }

  /** DD MM YY (holidays). All zeros → null; invalid → null plus a warning. */
  date(off: number, field: string): WallTime | null {
    const b = this.bytes;
    if (b[off] === 0 && b[off + 1] === 0 && b[off + 2] === 0) return null;
    const d = this.bcdOrNull(off, 1, field);
    const mo = this.bcdOrNull(off + 1, 1, field);
    const y = this.bcdOrNull(off + 2, 1, field);
    if (d === null || mo === null || y === null) return null;
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(CENTURY + y, mo)) {
      this.warnings.push(
        `${this.context}: field '${field}' at offset ${off}: ${pad(d)}/${pad(mo)}/${pad(y)} is not a date`,
      );
      return null;
    }
    return wallTime(CENTURY + y, mo, d);
  }

  /** hh mm; hour 99 (or an invalid value) means "not used" → null. */
  timeOfDay(off: number, field: string): TimeOfDay | null {
    const b = this.bytes;
    if (b[off] === 0x99) return null;
    const hour = this.bcdOrNull(off, 1, field);
    const minute = this.bcdOrNull(off + 1, 1, field);
    if (hour === null || minute === null || hour > 23 || minute > 59) return null;
    return { hour, minute };
  }

  /** DD MM without year (DST limits, segment-set start dates). 00 00 → null. */
  dayMonth(off: number, field: string): DayMonth | null {
    const day = this.bcdOrNull(off, 1, field);
    const month = this.bcdOrNull(off + 1, 1, field);
    if (!day || !month || month > 12 || day > 31) return null;
    return { day, month };
  }

  float32(off: number): number {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).getFloat32(off, true);
  }

  raw(off: number, len: number): Uint8Array {
    return this.bytes.slice(off, off + len);
  }
}

/** Writes fields into a block being built; every value is range-checked so a bad parameter fails before sending. */
export class FieldWriter {
  constructor(
    readonly bytes: Uint8Array,
    readonly context: string,
  ) {}

  private fail(field: string, what: string): FronteiraError {
    return new FronteiraError('FRONTEIRA_E_ABNT_PARAMETER', `${this.context}: ${field}: ${what}`, {
      context: this.context,
      field,
    });
  }

  u8(off: number, v: number, field = 'byte'): this {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw this.fail(field, `${v} is not a byte`);
    this.bytes[off] = v;
    return this;
  }

  bcd(off: number, len: number, value: number, field: string): this {
    if (!Number.isInteger(value) || value < 0 || value >= 10 ** (2 * len)) {
      throw this.fail(field, `${value} does not fit in ${2 * len} BCD digits`);
    }
    let v = value;
    for (let i = len - 1; i >= 0; i--) {
      this.bytes[off + i] = toBcdByte(v % 100);
      v = Math.floor(v / 100);
    }
    return this;
  }

  digits(off: number, len: number, digits: string, field: string): this {
    if (!/^\d*$/.test(digits) || digits.length > 2 * len) {
      throw this.fail(field, `'${digits}' is not at most ${2 * len} decimal digits`);
    }
    return this.bcd(off, len, digits === '' ? 0 : Number(digits), field);
  }

  dateTime(off: number, t: WallTime | null, field: string): this {
    if (t === null) {
      this.bytes.fill(0, off, off + 6);
      return this;
    }
    const d = new Date(t);
    const y = d.getUTCFullYear();
    if (y < CENTURY || y > CENTURY + 99) throw this.fail(field, `year ${y} is outside 2000–2099`);
    this.bytes[off] = toBcdByte(d.getUTCHours());
    this.bytes[off + 1] = toBcdByte(d.getUTCMinutes());
    this.bytes[off + 2] = toBcdByte(d.getUTCSeconds());
    this.bytes[off + 3] = toBcdByte(d.getUTCDate());
    this.bytes[off + 4] = toBcdByte(d.getUTCMonth() + 1);
    this.bytes[off + 5] = toBcdByte(y - CENTURY);
    return this;
  }

  date(off: number, t: WallTime | null, field: string): this {
    if (t === null) {
      this.bytes.fill(0, off, off + 3);
      return this;
    }
    const d = new Date(t);
    const y = d.getUTCFullYear();
    if (y < CENTURY || y > CENTURY + 99) throw this.fail(field, `year ${y} is outside 2000–2099`);
    this.bytes[off] = toBcdByte(d.getUTCDate());
    this.bytes[off + 1] = toBcdByte(d.getUTCMonth() + 1);
    this.bytes[off + 2] = toBcdByte(y - CENTURY);
    return this;
  }

  timeOfDay(off: number, t: TimeOfDay | null, field: string): this {
    if (t === null) {
      this.bytes[off] = 0x99;
      this.bytes[off + 1] = 0x00;
      return this;
    }
    if (t.hour > 23 || t.minute > 59) throw this.fail(field, `${t.hour}:${t.minute} is not a time of day`);
    this.bytes[off] = toBcdByte(t.hour);
    this.bytes[off + 1] = toBcdByte(t.minute);
    return this;
  }

  dayMonth(off: number, v: DayMonth | null, field: string): this {
    if (v === null) {
      this.bytes[off] = 0;
      this.bytes[off + 1] = 0;
      return this;
    }
    if (v.day < 1 || v.day > 31 || v.month < 1 || v.month > 12) throw this.fail(field, 'not a day/month');
    this.bytes[off] = toBcdByte(v.day);
    this.bytes[off + 1] = toBcdByte(v.month);
    return this;
  }

  float32(off: number, v: number): this {
    new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).setFloat32(off, v, true);
    return this;
  }

  raw(off: number, src: Uint8Array): this {
    this.bytes.set(src, off);
    return this;
  }
}

export function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

export function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

export function hexBytes(bytes: Uint8Array, sep = ' '): string {
  return Array.from(bytes, hex).join(sep);
}

/** Parses '14 00 11 01' / '14001101' into bytes (for test vectors and CLI input). */
export function parseHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new FronteiraError('FRONTEIRA_E_ABNT_PARAMETER', `not a hex byte string: '${s.slice(0, 40)}'`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
