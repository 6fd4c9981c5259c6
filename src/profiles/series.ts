/**
 * Interval series of a point for the API, per layer: raw (per meter, role and meter channel, from the day blocks),
 * validated (raw values with each slot's severity and rules raised by VEE) and final (per quantity, with quality,
 * method, reason and source per slot). One shape for all three — a series is a list of day arrays — so the
 * aggregation to hours or days and the CSV writer do not care which layer they got.
 */

import { sql } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import { operatingDayStart } from '../domain/time.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';
import type { DayBlock } from '../store/day-blocks.ts';
import { type Db, type MeterRow, metersOfPoint, type PointRow } from '../store/registry.ts';
import { decodeFloat8ArraySend, getCurrentFinals } from '../store/vee-final.ts';
import { getValidations } from '../store/vee-validated.ts';
import {
  methodName,
  QUALITY_NAMES,
  Quality,
  type QualityName,
  RAW_ACTUAL,
  reasonName,
  SEVERITY_NAMES,
  sourceName,
} from '../vee/types.ts';

export type Layer = 'raw' | 'validated' | 'final';

export interface SeriesDay {
  day: string;
  intervalS: number;
  slots: number;
  /** Instant (ms) the first slot ends. */
  firstEnd: number;
  value: Float64Array;
  /** Quality code per slot (vee Quality: raw slots are A or N). */
  quality: Uint8Array;
  /** Layer-specific per-slot columns (names or numbers; raw flags stay the stored bytes). */
  extra: Record<string, ArrayLike<string | number>>;
  version?: number;
}

export interface Series {
  meterSerial?: string;
  role?: string;
  channel?: number;
  quantityCode: number | null;
  unit: string;
  days: SeriesDay[];
}

const byteName = (names: readonly string[], code: number) => names[code] ?? String(code);

function safe<T>(f: (c: number) => T, c: number): T | string {
  try {
    return f(c);
  } catch {
    return String(c);
  }
}

/**
 * The name of every byte code, looked up once: a month of final data is ~78,000 slots × 3 columns per request, too
 * many for a catalogue lookup (and a try/catch) per slot.
 */
function byteNames(f: (c: number) => string): readonly string[] {
  return Array.from({ length: 256 }, (_, c) => String(safe(f, c)));
}
const METHOD_BY_CODE = byteNames(methodName);
const REASON_BY_CODE = byteNames(reasonName);
const SOURCE_BY_CODE = byteNames(sourceName);

type RawDay = Pick<DayBlock, 'meterId' | 'channel' | 'day' | 'intervalS' | 'slots' | 'value' | 'flags'>;

/**
 * The raw day blocks the API shows: values and flags only (pulses are not served), the value array in PostgreSQL's
 * binary form (base64) instead of array text, which node-postgres would parse element by element into JS numbers
 * and then into a Float64Array — that parse was the largest single cost of a month profile.
 */
async function readRawDays(db: Db, meterIds: readonly number[], from: string, to: string): Promise<RawDay[]> {
  const r = await sql<{
    meter_id: string;
    channel: number;
    day: string;
    interval_s: number;
    slots: number;
    value: string;
    flags: Uint8Array;
  }>`
    SELECT r.meter_id, r.channel, to_char(r.day, 'YYYY-MM-DD') AS day, r.interval_s, r.slots,
           encode(array_send(r.value), 'base64') AS value, r.flags
      FROM interval_raw r
     WHERE r.meter_id = ANY(${[...meterIds]}::bigint[]) AND r.day BETWEEN ${from}::date AND ${to}::date
     ORDER BY r.meter_id, r.channel, r.day`.execute(db);
  return r.rows.map((row) => {
    const what = `interval_raw meter ${row.meter_id} channel ${row.channel} ${row.day}`;
    const value = decodeFloat8ArraySend(row.value, `${what} value`);
    if (value.length !== row.slots || row.flags.length !== row.slots) {
      throw new FronteiraError(
        'FRONTEIRA_E_CONFLICT',
        `${what}: arrays of ${value.length}/${row.flags.length} elements for ${row.slots} slots`,
        { meterId: Number(row.meter_id), channel: row.channel, day: row.day },
      );
    }
    return {
      meterId: Number(row.meter_id),
      channel: row.channel,
      day: row.day,
      intervalS: row.interval_s,
      slots: row.slots,
      value,
      flags: new Uint8Array(row.flags.buffer, row.flags.byteOffset, row.flags.length),
    };
  });
}

function dayStartOf(day: string, zone: string): number {
  return operatingDayStart(day, zone);
}

/** Meters of the point whose validity overlaps from..to (operating days). */
function metersInRange(meters: MeterRow[], from: string, to: string, zone: string): MeterRow[] {
  const start = dayStartOf(from, zone);
  const end = dayStartOf(to, zone) + 86_400_000 * 2;
  return meters.filter((m) => m.valid_from.getTime() < end && (m.valid_to === null || m.valid_to.getTime() > start));
}

export async function loadSeries(
  db: Db,
  point: PointRow,
  q: { layer: Layer; from: string; to: string; quantity?: number },
): Promise<Series[]> {
  const zone = point.timezone;
  if (q.layer === 'final') {
    const finals = await getCurrentFinals(
      db,
      [Number(point.id)],
      q.from,
      q.to,
      q.quantity === undefined ? undefined : [q.quantity],
    );
    const byQ = new Map<number, Series>();
    for (const f of finals) {
      let s = byQ.get(f.quantityCode);
      if (!s) {
        s = { quantityCode: f.quantityCode, unit: f.unit, days: [] };
        byQ.set(f.quantityCode, s);
      }
      const n = f.slots;
      const method: string[] = new Array(n);
      const reason: string[] = new Array(n);
      const source: string[] = new Array(n);
      for (let k = 0; k < n; k++) {
        method[k] = METHOD_BY_CODE[f.method[k]];
        reason[k] = REASON_BY_CODE[f.reason[k]];
        source[k] = SOURCE_BY_CODE[f.source[k]];
      }
      s.days.push({
        day: f.day,
        intervalS: f.intervalS,
        slots: n,
        firstEnd: dayStartOf(f.day, zone) + f.intervalS * 1000,
        value: f.value,
        quality: f.quality,
        extra: { method, reason, source },
        version: f.version,
      });
    }
    return [...byQ.values()];
  }

  const meters = metersInRange(await metersOfPoint(db, Number(point.id)), q.from, q.to, zone);
  if (meters.length === 0) return [];
  const meterOf = new Map(meters.map((m) => [Number(m.id), m]));
  const blocks = await readRawDays(db, [...meterOf.keys()], q.from, q.to);
  const validated =
    q.layer === 'validated' ? await getValidations(db, [Number(point.id)], q.from, q.to) : ([] as const);
  const validatedOf = new Map<string, { severity: Uint8Array; rules: Uint32Array }>();
  for (const v of validated) {
    for (const c of v.channels) validatedOf.set(`${c.meterId}|${c.channel}|${v.day}`, c);
  }
  const series = new Map<string, Series>();
  for (const b of blocks) {
    const m = meterOf.get(b.meterId)!;
    const entry = (m.channel_map ?? []).find((e) => e.channel === b.channel);
    const qc = entry ? entry.quantityCode : null;
    if (q.quantity !== undefined && qc !== q.quantity) continue;
    const key = `${b.meterId}|${b.channel}`;
    let s = series.get(key);
    if (!s) {
      s = {
        meterSerial: m.serial,
        role: m.role,
        channel: b.channel,
        quantityCode: qc,
        unit: qc === null ? '' : quantity(qc).unit,
        days: [],
      };
      series.set(key, s);
    }
    const quality = new Uint8Array(b.slots);
    for (let k = 0; k < b.slots; k++) quality[k] = b.flags[k] & RAW_ACTUAL ? Quality.A : Quality.N;
    const extra: SeriesDay['extra'] = { flags: b.flags };
    if (q.layer === 'validated') {
      const v = validatedOf.get(`${b.meterId}|${b.channel}|${b.day}`);
      const severity: string[] = new Array(b.slots);
      const rules: number[] = new Array(b.slots);
      for (let k = 0; k < b.slots; k++) {
        const sv = v?.severity[k] ?? 0;
        severity[k] = sv === 0 ? 'none' : byteName(SEVERITY_NAMES, sv - 1);
        rules[k] = v?.rules[k] ?? 0;
      }
      extra.severity = severity;
      extra.rules = rules;
    }
    s.days.push({
      day: b.day,
      intervalS: b.intervalS,
      slots: b.slots,
      firstEnd: dayStartOf(b.day, zone) + b.intervalS * 1000,
      value: b.value,
      quality,
      extra,
    });
  }
  return [...series.values()];
}

export type Resolution = '5min' | 'hour' | 'day';

export interface AggregateRow {
  /** End of the hour, or start of the day (instant, ms). */
  at: number;
  day: string;
  value: number | null;
  counts: Record<QualityName, number>;
}

const emptyCounts = (): Record<QualityName, number> => ({ N: 0, A: 0, S: 0, E: 0, M: 0 });

/** Hourly (by the hour each interval ends in) or daily sums, with how many slots of each quality went in. */
export function aggregate(series: Series, resolution: 'hour' | 'day', zone: string): AggregateRow[] {
  const rows = new Map<number, AggregateRow>();
  for (const d of series.days) {
    const dayStart = dayStartOf(d.day, zone);
    for (let k = 0; k < d.slots; k++) {
      const end = d.firstEnd + k * d.intervalS * 1000;
      const at = resolution === 'day' ? dayStart : Math.ceil(end / 3_600_000) * 3_600_000;
      let r = rows.get(at);
      if (!r) {
        r = { at, day: d.day, value: null, counts: emptyCounts() };
        rows.set(at, r);
      }
      const v = d.value[k];
      if (!Number.isNaN(v)) r.value = (r.value ?? 0) + v;
      r.counts[QUALITY_NAMES[d.quality[k]] ?? 'N']++;
    }
  }
  return [...rows.values()].sort((a, b) => a.at - b.at);
}
