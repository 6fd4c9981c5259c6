/**
 * Command-line arguments of `fronteira vee …`: days, quantities, slot ranges and times, numbers as analysts type
 * them. Each parser throws FRONTEIRA_E_CLI_ARGUMENT naming the flag, before any store is opened; errors the VEE
 * service raises about a field are renamed to the flag that set it (withFlagNames).
 */
import { userInfo } from 'node:os';
import { FronteiraError, isFronteiraError } from '../domain/errors.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';
import { EDIT_KINDS, type EditKind } from '../vee/edits.ts';
import { isDay, type ParamScope } from '../vee/params.ts';

export function cliError(message: string, details: Record<string, unknown> = {}): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', message, details);
}

/** `cli:<os user>`, the actor of every change made from the command line. */
export function cliActor(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${user || 'unknown'}`;
}

export function required<T>(flag: string, v: T | undefined | null, hint = ''): T {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    throw cliError(`${flag} is required${hint ? ` (${hint})` : ''}`, { flag });
  }
  return v;
}

/** An operating day as 'YYYY-MM-DD' or 'dd/mm/aaaa'; returned as 'YYYY-MM-DD'. */
export function parseDay(flag: string, v: string): string {
  const s = v.trim();
  const br = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  const day = br ? `${br[3]}-${br[2]}-${br[1]}` : s;
  if (!isDay(day)) throw cliError(`${flag}: '${v}' is not a day (YYYY-MM-DD or dd/mm/aaaa)`, { flag });
  return day;
}

export function parseRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const f = parseDay('--from', required('--from', from));
  const t = parseDay('--to', required('--to', to));
  if (t < f) throw cliError(`--to: ${t} is before --from ${f}`, { flag: '--to' });
  return { from: f, to: t };
}

/** The names analysts use for the CCEE channels: C and G (kWh), QC and QG (kvarh indutivo direto / reverso). */
export const QUANTITY_NAMES: Readonly<Record<string, number>> = { C: 1, G: 14, QC: 10, QG: 15 };

/** A quantity by name (C, G, QC, QG) or code (1, 14, 10, 15, …). */
export function parseQuantity(flag: string, v: string): number {
  const s = v.trim().toUpperCase();
  if (Object.hasOwn(QUANTITY_NAMES, s)) return QUANTITY_NAMES[s];
  if (/^\d{1,2}$/.test(s) && Number(s) >= 1 && quantity(Number(s)).kind !== 'none') return Number(s);
  throw cliError(`${flag}: '${v}' is not a quantity (C, G, QC, QG, or a quantity code such as 1, 14, 10, 11, 15, 16)`, {
    flag,
  });
}

/** 'C (1)' for the named channels, '11' otherwise. */
export function quantityLabel(code: number): string {
  const name = Object.keys(QUANTITY_NAMES).find((k) => QUANTITY_NAMES[k] === code);
  return name ? `${name} (${code})` : String(code);
}

/** Short name for tables: 'C', 'G', 'QC', 'QG', or the code. */
export function quantityShort(code: number): string {
  return Object.keys(QUANTITY_NAMES).find((k) => QUANTITY_NAMES[k] === code) ?? String(code);
}

/** `--slots 10-12` or `--slots 10` (0-based slot numbers, as in `vee show --slots`). */
export function parseSlotRange(flag: string, v: string): { firstSlot: number; lastSlot: number } {
  const m = /^\s*(\d{1,5})(?:\s*(?:-|–|\.\.)\s*(\d{1,5}))?\s*$/.exec(v);
  if (!m) throw cliError(`${flag}: '${v}' is not a slot or a range of slots (e.g. 10 or 10-12)`, { flag });
  const firstSlot = Number(m[1]);
  const lastSlot = m[2] === undefined ? firstSlot : Number(m[2]);
  if (lastSlot < firstSlot) throw cliError(`${flag}: slot ${lastSlot} is before slot ${firstSlot}`, { flag });
  return { firstSlot, lastSlot };
}

/** 'HH:MM' of an interval end: 00:05 … 24:00. */
export function parseEndTime(flag: string, v: string): string {
  const m = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(v);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : -1;
  if (!m || Number(m[2]) > 59 || minutes <= 0 || minutes > 1440) {
    throw cliError(`${flag}: '${v}' is not an interval end time HH:MM (00:05 … 24:00)`, { flag });
  }
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${m[2]}`;
}

/**
 * Slots whose interval ends at `fromTime` … `toTime` (end labels as slotLabels gives them). On a day whose clock
 * went back an end time occurs twice: `from` takes its first occurrence, `to` the first at or after `from`.
 */
export function slotsOfEndTimes(
  ends: readonly string[],
  fromTime: string,
  toTime: string,
): { firstSlot: number; lastSlot: number } {
  const firstSlot = ends.indexOf(fromTime);
  if (firstSlot < 0) throw cliError(`--from-time: no interval of the day ends at ${fromTime}`, { flag: '--from-time' });
  const lastSlot = ends.indexOf(toTime, firstSlot);
  if (lastSlot < 0) {
    throw cliError(`--to-time: no interval ending at ${toTime} at or after --from-time ${fromTime}`, {
      flag: '--to-time',
    });
  }
  return { firstSlot, lastSlot };
}

/** A number with a decimal point or comma: 5.2, 5,2, -1, 0.5. */
export function parseNumber(flag: string, v: string): number {
  const s = v.trim();
  if (!/^[+-]?(\d+([.,]\d+)?|[.,]\d+)$/.test(s)) throw cliError(`${flag}: '${v}' is not a number`, { flag });
  return Number(s.replace(',', '.'));
}

/**
 * A list of numbers: separated by ';' when the text has one (so values may use a decimal comma: "1,5;2"),
 * otherwise by ',' (decimal point: "1.5,2").
 */
export function parseNumberList(flag: string, v: string): number[] {
  const parts = v.includes(';') ? v.split(';') : v.split(',');
  if (parts.length === 0 || parts.every((p) => p.trim() === '')) throw cliError(`${flag}: no values given`, { flag });
  return parts.map((p, i) => {
    if (p.trim() === '') throw cliError(`${flag}: value ${i + 1} is empty in '${v}'`, { flag });
    return parseNumber(`${flag} value ${i + 1}`, p);
  });
}

/** replace | interpolate | copy-retaguarda (or copy_retaguarda) | accept */
export function parseEditKind(v: string): EditKind {
  const k = v.trim().toLowerCase().replace(/-/g, '_');
  if (!EDIT_KINDS.includes(k as EditKind)) {
    throw cliError(`--kind: '${v}' is not one of replace, interpolate, copy-retaguarda, accept`, { flag: '--kind' });
  }
  return k as EditKind;
}

export function parseId(flag: string, v: string): number {
  const n = Number(v.trim());
  if (!/^\d{1,15}$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw cliError(`${flag}: '${v}' is not an id`, { flag });
  }
  return n;
}

export function parseYear(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d{4}$/.test(v.trim()) || n < 1900 || n > 2999) throw cliError(`${flag}: '${v}' is not a year`, { flag });
  return n;
}

/** global | group:TAG | point:CODE (the code upper-cased, as the registry keeps it). */
export function parseScopeArg(v: string): ParamScope {
  const s = v.trim();
  if (s === 'global') return 'global';
  const m = /^(group|point):(\S.*)$/.exec(s);
  if (m && m[2].trim() === m[2] && m[2].length <= 100) {
    return (m[1] === 'point' ? `point:${m[2].toUpperCase()}` : s) as ParamScope;
  }
  throw cliError(`--scope: '${v}' is not global, group:TAG or point:CODE`, { flag: '--scope' });
}

/** Repeatable options (`--point A --point B`, or `--point A,B`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/**
 * Runs `fn`, renaming a FRONTEIRA_E_VALIDATION the service raised about one of its fields to the flag that set it
 * (`firstSlot: slot 300 is outside the day` → `--slots: slot 300 is outside the day`). `flagOf` maps a field (as
 * the service names it: 'values[2]', 'version.params.rules.V04.warnS') to a flag, or to null to leave it.
 */
export async function withFlagNames<T>(flagOf: (field: string) => string | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && typeof e.details.field === 'string') {
      const field = e.details.field;
      const flag = flagOf(field);
      if (flag) {
        const rest = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
        throw new FronteiraError(e.code, `${flag}: ${rest}`, { ...e.details, flag }, { cause: e });
      }
    }
    throw e;
  }
}

/** withFlagNames over a fixed table (a field 'values[3]' looks up 'values'). */
export function flagTable(table: Record<string, string>): (field: string) => string | null {
  return (field) => {
    const base = field.replace(/\[\d+\]$/, '');
    return Object.hasOwn(table, base) ? table[base] : null;
  };
}
