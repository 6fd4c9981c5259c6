/**
 * Write ("alteração") commands (spec §6, §10): 0x29 date, 0x30 time, 0x31 demand interval, 0x32 holidays,
 * 0x33 constants, 0x35 time segments, 0x37 clear occurrence, 0x38 initialise. Request layouts are [C]/[S] from
 * verified frames (§14.2). What the meter answers is [U] (§15 item 5): every source shows an echo of code and serial,
 * so the response decodes to whatever else the block holds, kept raw.
 *
 * Encoders validate every value before a byte is sent (FRONTEIRA_E_ABNT_PARAMETER naming the field); request
 * decoders (the simulator's side) reject what a meter would refuse, so the simulator can answer 0x40/0x46.
 * The `require*` helpers are shared with the other command encoders of this folder.
 */
import { FronteiraError } from '../../../domain/errors.ts';
import {
  daysInMonth,
  type FieldReader,
  type FieldWriter,
  protocolWeekday,
  type TimeOfDay,
  type WallTime,
} from '../fields.ts';
import type { ChannelConstant } from './parameters.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';

export function paramError(context: string, field: string, what: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_ABNT_PARAMETER', `${context}: ${field}: ${what}`, { context, field });
}

/** A wall time the protocol can carry (finite, years 2000–2099). */
export function requireWallTime(context: string, field: string, t: unknown): WallTime {
  if (typeof t !== 'number' || !Number.isFinite(t)) throw paramError(context, field, `${String(t)} is not a wall time`);
  const y = new Date(t).getUTCFullYear();
  if (y < 2000 || y > 2099) throw paramError(context, field, `year ${y} is outside 2000–2099`);
  return t;
}

export function requireInt(context: string, field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw paramError(context, field, `${String(v)} is not an integer in ${min}–${max}`);
  }
  return v;
}

export function requireTimeOfDay(context: string, field: string, t: TimeOfDay | null): TimeOfDay | null {
  if (t === null) return null;
  if (typeof t !== 'object') throw paramError(context, field, 'not a time of day');
  requireInt(context, `${field} hour`, t.hour, 0, 23);
  requireInt(context, `${field} minute`, t.minute, 0, 59);
  return t;
}

export function requireBytes(context: string, field: string, v: unknown, length: number, exact = true): Uint8Array {
  if (!(v instanceof Uint8Array) || (exact ? v.length !== length : v.length > length)) {
    const got = v instanceof Uint8Array ? `${v.length} bytes` : typeof v;
    throw paramError(context, field, `expected ${exact ? '' : 'at most '}${length} bytes, got ${got}`);
  }
  return v;
}

/** Strict DD MM YY for request decoding: a bad date is a refused parameter, not a warning. */
function readRequestDate(r: FieldReader, off: number, field: string): WallTime {
  const d = r.bcd(off, 1, field);
  const mo = r.bcd(off + 1, 1, field);
  const y = r.bcd(off + 2, 1, field);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(2000 + y, mo)) {
    throw paramError(r.context, field, `${d}/${mo}/${y} at offset ${off} is not a date`);
  }
  return Date.UTC(2000 + y, mo - 1, d);
}

/** The echo a meter sends for a write. `extra` holds offsets 5–255 when any of them is non-zero ([U]). */
export interface WriteAck {
  extra: Uint8Array | null;
}

const DATA_LENGTH = 251;

const writeAck = {
  encodeResponse(w: FieldWriter, res: WriteAck): void {
    if (res.extra !== null) w.raw(5, requireBytes(w.context, 'extra', res.extra, DATA_LENGTH, false));
  },
  decodeResponse(r: FieldReader): WriteAck {
    const b = r.bytes;
    for (let i = 5; i < 5 + DATA_LENGTH; i++) if (b[i] !== 0) return { extra: r.raw(5, DATA_LENGTH) };
    return { extra: null };
  },
};

export interface SetDateRequest {
  /** Only the calendar date is sent; a time-of-day part is ignored. */
  date: WallTime;
  /** 1 = Sunday … 7 = Saturday. Computed on encode (a given value must agree); decode returns the byte sent. */
  weekday?: number;
}

export const cmd29: CommandSpec<SetDateRequest, WriteAck> = {
  code: 0x29,
  name: 'Alteração de data',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    const date = requireWallTime(w.context, 'date', req.date);
    const weekday = protocolWeekday(date);
    if (req.weekday !== undefined && req.weekday !== weekday) {
      throw paramError(w.context, 'weekday', `${req.weekday} does not match the date (${weekday})`);
    }
    w.date(4, date, 'date');
    w.u8(7, weekday, 'weekday');
  },
  decodeRequest(r) {
    return { date: readRequestDate(r, 4, 'date'), weekday: r.u8(7) };
  },
  ...writeAck,
};

export interface SetTimeRequest {
  hour: number;
  minute: number;
  second: number;
}

export const cmd30: CommandSpec<SetTimeRequest, WriteAck> = {
  code: 0x30,
  name: 'Alteração de hora',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    w.bcd(4, 1, requireInt(w.context, 'hour', req.hour, 0, 23), 'hour');
    w.bcd(5, 1, requireInt(w.context, 'minute', req.minute, 0, 59), 'minute');
    w.bcd(6, 1, requireInt(w.context, 'second', req.second, 0, 59), 'second');
  },
  decodeRequest(r) {
    return {
      hour: requireInt(r.context, 'hour', r.bcd(4, 1, 'hour'), 0, 23),
      minute: requireInt(r.context, 'minute', r.bcd(5, 1, 'minute'), 0, 59),
      second: requireInt(r.context, 'second', r.bcd(6, 1, 'second'), 0, 59),
    };
  },
  ...writeAck,
};

export interface SetDemandIntervalRequest {
  minutes: number;
}

export const cmd31: CommandSpec<SetDemandIntervalRequest, WriteAck> = {
  code: 0x31,
  name: 'Alteração do intervalo de demanda',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    w.bcd(4, 1, requireInt(w.context, 'minutes', req.minutes, 1, 99), 'minutes');
  },
  decodeRequest(r) {
    return { minutes: requireInt(r.context, 'minutes', r.bcd(4, 1, 'minutes'), 1, 99) };
  },
  ...writeAck,
};

export const HOLIDAY_COUNT = 15;

export interface SetHolidaysRequest {
  /** Up to 15 dates (null = empty slot, sent as 00 00 00). Decode always returns 15 slots. */
  holidays: (WallTime | null)[];
}

export const cmd32: CommandSpec<SetHolidaysRequest, WriteAck> = {
  code: 0x32,
  name: 'Alteração dos feriados',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    if (!Array.isArray(req.holidays) || req.holidays.length > HOLIDAY_COUNT) {
      throw paramError(w.context, 'holidays', `at most ${HOLIDAY_COUNT} dates`);
    }
    for (let i = 0; i < HOLIDAY_COUNT; i++) {
      const h = req.holidays[i] ?? null;
      const field = `holiday ${i + 1}`;
      w.date(4 + 3 * i, h === null ? null : requireWallTime(w.context, field, h), field);
    }
  },
  decodeRequest(r) {
    const holidays: (WallTime | null)[] = [];
    for (let i = 0; i < HOLIDAY_COUNT; i++) {
      const off = 4 + 3 * i;
      const b = r.bytes;
      holidays.push(
        b[off] === 0 && b[off + 1] === 0 && b[off + 2] === 0 ? null : readRequestDate(r, off, `holiday ${i + 1}`),
      );
    }
    return { holidays };
  },
  ...writeAck,
};

export interface SetConstantsRequest {
  /** Channels 1–3 of the visible group: numerator and denominator, 6 BCD digits each. */
  constants: ChannelConstant[];
}

export const cmd33: CommandSpec<SetConstantsRequest, WriteAck> = {
  code: 0x33,
  name: 'Alteração das constantes',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    if (!Array.isArray(req.constants) || req.constants.length !== 3) {
      throw paramError(w.context, 'constants', 'exactly 3 channel constants are needed');
    }
    req.constants.forEach((c, i) => {
      const n = `constant ch${i + 1}`;
      w.bcd(4 + 6 * i, 3, requireInt(w.context, `${n} numerator`, c?.numerator, 0, 999_999), `${n} numerator`);
      w.bcd(7 + 6 * i, 3, requireInt(w.context, `${n} denominator`, c?.denominator, 1, 999_999), `${n} denominator`);
    });
  },
  decodeRequest(r) {
    return {
      constants: [0, 1, 2].map((i) => {
        const n = `constant ch${i + 1}`;
        const numerator = r.bcd(4 + 6 * i, 3, `${n} numerator`);
        const denominator = requireInt(
          r.context,
          `${n} denominator`,
          r.bcd(7 + 6 * i, 3, `${n} denominator`),
          1,
          999_999,
        );
        return { numerator, denominator };
      }),
    };
  },
  ...writeAck,
};

export interface SetSegmentsRequest {
  /** 4 sets (ponta, fora de ponta, reservado, 4th) × 4 start times; null = unused (sent as 99 00). */
  sets: (TimeOfDay | null)[][];
  /** Number of segments in use (offset 36). */
  count: number;
}

export const cmd35: CommandSpec<SetSegmentsRequest, WriteAck> = {
  code: 0x35,
  name: 'Alteração dos segmentos horários',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    if (
      !Array.isArray(req.sets) ||
      req.sets.length !== 4 ||
      req.sets.some((s) => !Array.isArray(s) || s.length !== 4)
    ) {
      throw paramError(w.context, 'sets', 'need 4 sets of 4 start times');
    }
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 4; i++) {
        const field = `set ${s + 1} start ${i + 1}`;
        w.timeOfDay(4 + 8 * s + 2 * i, requireTimeOfDay(w.context, field, req.sets[s][i]), field);
      }
    }
    w.bcd(36, 1, requireInt(w.context, 'count', req.count, 0, 4), 'count');
  },
  decodeRequest(r) {
    const sets = [0, 1, 2, 3].map((s) =>
      [0, 1, 2, 3].map((i) => {
        const off = 4 + 8 * s + 2 * i;
        const field = `set ${s + 1} start ${i + 1}`;
        if (r.bytes[off] === 0x99) return null;
        const hour = requireInt(r.context, `${field} hour`, r.bcd(off, 1, field), 0, 23);
        const minute = requireInt(r.context, `${field} minute`, r.bcd(off + 1, 1, field), 0, 59);
        return { hour, minute };
      }),
    );
    return { sets, count: requireInt(r.context, 'count', r.bcd(36, 1, 'count'), 0, 4) };
  },
  ...writeAck,
};

export interface ClearOccurrenceRequest {
  /** Occurrence code as reported in a 0x40 response (§7.9). */
  occurrence: number;
}

export const cmd37: CommandSpec<ClearOccurrenceRequest, WriteAck> = {
  code: 0x37,
  name: 'Alteração da condição de ocorrência',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    w.u8(4, requireInt(w.context, 'occurrence', req.occurrence, 0, 255), 'occurrence');
  },
  decodeRequest(r) {
    return { occurrence: r.u8(4) };
  },
  ...writeAck,
};

export const cmd38: CommandSpec<NoRequest, WriteAck> = {
  code: 0x38,
  name: 'Inicialização',
  kind: 'write',
  composite: false,
  ...noRequest,
  ...writeAck,
};
