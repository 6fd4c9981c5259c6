/**
 * Registry fields: what each one may hold, its default, and how a stored row maps to it. The service, the CSV import
 * and the simulator import all validate through these checks, so a value is judged the same way whichever door it
 * comes in by. A check takes what the user gave (text from a spreadsheet or the command line, or typed data) and
 * returns the normalized value, or throws FRONTEIRA_E_VALIDATION naming the field and why.
 */

import { DEFAULT_ZONE } from '../domain/time.ts';
import type { ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import type { ChannelMapEntry } from '../store/schema.ts';
import { normalizeAddress } from './address.ts';
import { canonicalChannelMap, checkChannelMap, parseChannelMap } from './channel-map.ts';
import { fold, invalid, isValidZone, parseBoolean, parseDateTime, parseDecimal, parseInteger } from './text.ts';

export type PointKind = PointRow['kind'];
export type Segment = PointRow['segment'];
export type MeterRole = MeterRow['role'];
export type Packing = ChannelRow['packing'];

export const POINT_KINDS: readonly PointKind[] = [
  'fronteira',
  'consumidor_livre',
  'consumidor_especial',
  'geracao',
  'distribuidora',
];
export const SEGMENTS: readonly Segment[] = ['cativo', 'livre', 'geracao', 'faturamento'];
export const ROLES: readonly MeterRole[] = ['principal', 'retaguarda'];
export const PACKINGS: readonly Packing[] = ['msn-first', 'lsn-first'];
export const MM_INTERVALS = [60, 300, 600, 900, 1800, 3600] as const;
/** Link timer and limit overrides a channel may carry (src/protocols/abnt14522/link-timers.ts). */
export const TIMER_KEYS = [
  'enqTimeoutMs',
  'responseTimeoutMs',
  'interCharTimeoutMs',
  'waitTimeoutMs',
  'syncEnqs',
  'maxNaks',
  'maxWaits',
  'maxRetries',
] as const;
/** Validity start of a meter registered without one: "since always". */
export const DEFAULT_VALID_FROM = new Date('2000-01-01T00:00:00Z');

export interface PointValues {
  name: string;
  kind: PointKind;
  segment: Segment;
  customer: string | null;
  substation: string | null;
  voltageKv: number | null;
  loadCapacityKw: number | null;
  tags: string[];
  timezone: string;
  retiredAt: Date | null;
}

export interface MeterValues {
  pointCode: string;
  role: MeterRole;
  manufacturer: string | null;
  model: string | null;
  mmIntervalS: number;
  demandIntervalMin: number | null;
  memoryDays: number;
  tpRatio: number;
  tcRatio: number;
  constantsIncludeRatios: boolean;
  channelMap: ChannelMapEntry[];
  validTo: Date | null;
}

export interface ChannelValues {
  readerSerial: string;
  directional: boolean;
  packing: Packing;
  concurrencyGroup: string;
  priority: number;
  enabled: boolean;
  timers: Record<string, number>;
}

/** What a caller may give for a field: the value, or text as a user wrote it (`13,8`, `sim`, `01/02/2025`). */
export type Given<V> = { [K in keyof V]?: V[K] | string | null };

/** Dates are interpreted in this zone when written without an offset. */
export interface CheckContext {
  zone: string;
}

type Check<T> = (field: string, value: unknown, ctx: CheckContext) => T;

function text(max: number): Check<string> {
  return (field, value) => {
    if (typeof value !== 'string' && typeof value !== 'number') throw invalid(field, value, 'is not text');
    const s = String(value).trim();
    if (s === '') throw invalid(field, value, 'is required');
    if (s.length > max) throw invalid(field, value, `is longer than ${max} characters`);
    return s;
  };
}

function nullable<T>(check: Check<T>): Check<T | null> {
  return (field, value, ctx) =>
    value === null || value === undefined || (typeof value === 'string' && value.trim() === '')
      ? null
      : check(field, value, ctx);
}

function oneOf<T extends string>(allowed: readonly T[], aliases: Record<string, T> = {}): Check<T> {
  return (field, value) => {
    if (typeof value !== 'string') throw invalid(field, value, `must be one of ${allowed.join(', ')}`);
    const f = fold(value);
    const hit = allowed.find((a) => fold(a) === f) ?? aliases[f];
    if (!hit) throw invalid(field, value, `must be one of ${allowed.join(', ')}`);
    return hit;
  };
}

function decimalIn(min: number, max: number, minExclusive: boolean): Check<number> {
  return (field, value) => {
    const n = parseDecimal(field, value);
    if (minExclusive ? n <= min : n < min)
      throw invalid(field, value, `must be ${minExclusive ? 'above' : 'at least'} ${min}`);
    if (n > max) throw invalid(field, value, `must be at most ${max}`);
    return n;
  };
}

function wholeIn(min: number, max: number): Check<number> {
  return (field, value) => {
    const n = parseInteger(field, value);
    if (n < min || n > max) throw invalid(field, value, `must be a whole number ${min}–${max}`);
    return n;
  };
}

/** Instants in the registry are kept to the second: a spreadsheet cannot show more, and round trips stay exact. */
function instant(field: string, value: unknown, ctx: CheckContext): Date {
  const d = parseDateTime(field, value, ctx.zone);
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function checkPointCode(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, value, 'is not a 13-character point code');
  const code = value.trim().toUpperCase();
  if (!/^[A-Z0-9]{13}$/.test(code)) throw invalid(field, value, 'must be 13 letters or digits (SCDE code)');
  return code;
}

export function checkSerial(field: string, value: unknown): string {
  const s = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof s !== 'string' || !/^\d{1,12}$/.test(s.trim())) throw invalid(field, value, 'must be 1–12 digits');
  return s.trim();
}

export function checkValidFrom(field: string, value: unknown, ctx: CheckContext): Date {
  return instant(field, value, ctx);
}

/** An instant the user gives for an action (a swap, a retirement), to the second, read in `zone`. */
export function checkInstant(field: string, value: unknown, zone: string): Date {
  return instant(field, value, { zone });
}

export function checkAddress(field: string, value: unknown): { address: string; kind: 'tcp' | 'serial' } {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, value, 'is required');
  return normalizeAddress(field, value.trim());
}

function tags(field: string, value: unknown): string[] {
  const list =
    typeof value === 'string'
      ? value.split(',')
      : Array.isArray(value)
        ? value
        : (() => {
            throw invalid(field, value, 'is not a list of tags');
          })();
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') throw invalid(field, value, 'tags must be text');
    const tag = t.trim();
    if (tag === '') continue;
    if (tag.length > 50) throw invalid(field, value, `tag '${tag}' is longer than 50 characters`);
    if (/[,|;]/.test(tag)) throw invalid(field, value, `tag '${tag}' contains a separator (, ; |)`);
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

function timezone(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isValidZone(value.trim())) {
    throw invalid(field, value, 'is not an IANA time zone (e.g. America/Sao_Paulo)');
  }
  return value.trim();
}

function channelMap(field: string, value: unknown): ChannelMapEntry[] {
  return typeof value === 'string' ? parseChannelMap(field, value) : checkChannelMap(field, value);
}

function readerSerial(field: string, value: unknown): string {
  const s = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof s !== 'string' || !/^\d{1,6}$/.test(s.trim())) throw invalid(field, value, 'must be 1–6 digits');
  return s.trim().padStart(6, '0');
}

function timers(field: string, value: unknown): Record<string, number> {
  let obj = value;
  if (typeof value === 'string') {
    // name=ms pairs, e.g. "enqTimeoutMs=5000,responseTimeoutMs=8000"
    obj = {};
    for (const pair of value.split(',').filter((p) => p.trim() !== '')) {
      const [k, v] = pair.split('=').map((x) => x.trim());
      (obj as Record<string, unknown>)[k] = v === undefined ? undefined : parseInteger(field, v);
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw invalid(field, value, 'is not name=ms pairs');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj).sort(([a], [b]) => a.localeCompare(b))) {
    if (!(TIMER_KEYS as readonly string[]).includes(k)) {
      throw invalid(field, value, `unknown timer '${k}' (known: ${TIMER_KEYS.join(', ')})`);
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3_600_000) {
      throw invalid(field, value, `timer '${k}' must be a whole number 0–3600000`);
    }
    out[k] = v;
  }
  return out;
}

export const POINT_CHECKS: { [K in keyof PointValues]: Check<PointValues[K]> } = {
  name: text(200),
  kind: oneOf(POINT_KINDS, {
    livre: 'consumidor_livre',
    especial: 'consumidor_especial',
    gerador: 'geracao',
    geradora: 'geracao',
    distribuicao: 'distribuidora',
  }),
  segment: oneOf(SEGMENTS),
  customer: nullable(text(200)),
  substation: nullable(text(100)),
  voltageKv: nullable(decimalIn(0, 1000, true)),
  loadCapacityKw: nullable(decimalIn(0, 100_000_000, true)),
  tags,
  timezone,
  retiredAt: nullable(instant),
};

export const METER_CHECKS: { [K in keyof MeterValues]: Check<MeterValues[K]> } = {
  pointCode: checkPointCode,
  role: oneOf(ROLES, { backup: 'retaguarda', main: 'principal' }),
  manufacturer: nullable(text(100)),
  model: nullable(text(100)),
  mmIntervalS: (field, value) => {
    const n = parseInteger(field, value);
    if (!(MM_INTERVALS as readonly number[]).includes(n)) {
      throw invalid(field, value, `must be one of ${MM_INTERVALS.join(', ')} seconds`);
    }
    return n;
  },
  demandIntervalMin: nullable(wholeIn(1, 60)),
  memoryDays: wholeIn(1, 400),
  tpRatio: decimalIn(0, 1_000_000, true),
  tcRatio: decimalIn(0, 1_000_000, true),
  constantsIncludeRatios: (field, value) => parseBoolean(field, value),
  channelMap,
  validTo: nullable(instant),
};

export const CHANNEL_CHECKS: { [K in keyof ChannelValues]: Check<ChannelValues[K]> } = {
  readerSerial,
  directional: (field, value) => parseBoolean(field, value),
  packing: oneOf(PACKINGS, { msn: 'msn-first', lsn: 'lsn-first' }),
  concurrencyGroup: text(200),
  priority: wholeIn(-1000, 1000),
  enabled: (field, value) => parseBoolean(field, value),
  timers,
};

export const POINT_DEFAULTS: Omit<PointValues, 'name' | 'kind' | 'segment'> = {
  customer: null,
  substation: null,
  voltageKv: null,
  loadCapacityKw: null,
  tags: [],
  timezone: DEFAULT_ZONE,
  retiredAt: null,
};

export const METER_DEFAULTS: Omit<MeterValues, 'pointCode' | 'role'> = {
  manufacturer: null,
  model: null,
  mmIntervalS: 300,
  demandIntervalMin: null,
  memoryDays: 35,
  tpRatio: 1,
  tcRatio: 1,
  constantsIncludeRatios: true,
  channelMap: [],
  validTo: null,
};

export const CHANNEL_DEFAULTS: Omit<ChannelValues, 'concurrencyGroup'> = {
  readerSerial: '000001',
  directional: false,
  packing: 'msn-first',
  priority: 0,
  enabled: true,
  timers: {},
};

/**
 * Checks every given field of `input` (undefined = not given) and returns the normalized ones. Throws on the first
 * bad field; `onError` instead collects every bad field and skips it.
 */
export function checkFields<V>(
  checks: { [K in keyof V]: Check<V[K]> },
  input: NoInfer<{ [K in keyof V]?: unknown }>,
  ctx: CheckContext,
  onError?: (field: keyof V & string, error: unknown) => void,
): Partial<V> {
  const out: Partial<V> = {};
  for (const key of Object.keys(checks) as (keyof V & string)[]) {
    const raw = input[key];
    if (raw === undefined) continue;
    try {
      out[key] = checks[key](key, raw, ctx);
    } catch (e) {
      if (!onError) throw e;
      onError(key, e);
    }
  }
  return out;
}

export function pointValuesOf(row: PointRow): PointValues {
  return {
    name: row.name,
    kind: row.kind,
    segment: row.segment,
    customer: row.customer,
    substation: row.substation,
    voltageKv: row.voltage_kv === null ? null : Number(row.voltage_kv),
    loadCapacityKw: row.load_capacity_kw === null ? null : Number(row.load_capacity_kw),
    tags: [...row.tags],
    timezone: row.timezone,
    retiredAt: row.retired_at,
  };
}

export function meterValuesOf(row: MeterRow, pointCode: string): MeterValues {
  return {
    pointCode,
    role: row.role,
    manufacturer: row.manufacturer,
    model: row.model,
    mmIntervalS: row.mm_interval_s,
    demandIntervalMin: row.demand_interval_min,
    memoryDays: row.memory_days,
    tpRatio: row.tp_ratio,
    tcRatio: row.tc_ratio,
    constantsIncludeRatios: row.constants_include_ratios,
    channelMap: canonicalChannelMap(row.channel_map ?? []),
    validTo: row.valid_to,
  };
}

export function channelValuesOf(row: ChannelRow): ChannelValues {
  return {
    readerSerial: row.reader_serial,
    directional: row.directional,
    packing: row.packing,
    concurrencyGroup: row.concurrency_group,
    priority: row.priority,
    enabled: row.enabled,
    timers: Object.fromEntries(Object.entries(row.timers ?? {}).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function comparable(v: unknown): string {
  return JSON.stringify(v instanceof Date ? v.getTime() : v) ?? 'undefined';
}

/** Fields whose values differ (dates by instant, lists and objects by content). */
export function changedFields<V extends object>(before: V, after: V): (keyof V & string)[] {
  return (Object.keys(after) as (keyof V & string)[]).filter((k) => comparable(before[k]) !== comparable(after[k]));
}

/** The given fields of `values`, for audit rows that show only what changed. */
export function pick<V extends object>(values: V, keys: readonly (keyof V & string)[]): Partial<V> {
  const out: Partial<V> = {};
  for (const k of keys) out[k] = values[k];
  return out;
}

/** Validity intervals [from, to) overlap (to = null: open-ended). */
export function overlaps(aFrom: Date, aTo: Date | null, bFrom: Date, bTo: Date | null): boolean {
  const aEnd = aTo?.getTime() ?? Number.POSITIVE_INFINITY;
  const bEnd = bTo?.getTime() ?? Number.POSITIVE_INFINITY;
  return aFrom.getTime() < bEnd && bFrom.getTime() < aEnd;
}
