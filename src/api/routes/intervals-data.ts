/**
 * Interval series of a point for the API, per layer: raw (per meter, role and meter channel, from the day blocks),
 * validated (raw values with each slot's severity and rules raised by VEE) and final (per quantity, with quality,
 * method, reason and source per slot). One shape for all three — a series is a list of day arrays — so the
 * aggregation to hours or days and the CSV writer do not care which layer they got.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { operatingDayStart } from '../../domain/time.ts';
import { quantity } from '../../protocols/abnt14522/quantities.ts';
import { readDayBlocks } from '../../store/day-blocks.ts';
import { type Db, type MeterRow, metersOfPoint, type PointRow } from '../../store/registry.ts';
import { getCurrentFinals } from '../../store/vee-final.ts';
import { getValidations } from '../../store/vee-validated.ts';
import {
  methodName,
  QUALITY_NAMES,
  Quality,
  type QualityName,
  RAW_ACTUAL,
  reasonName,
  SEVERITY_NAMES,
  sourceName,
} from '../../vee/types.ts';

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
  /** Layer-specific per-slot columns (names or numbers). */
  extra: Record<string, (string | number)[]>;
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
        method[k] = String(safe(methodName, f.method[k]));
        reason[k] = String(safe(reasonName, f.reason[k]));
        source[k] = String(safe(sourceName, f.source[k]));
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
  const blocks = await readDayBlocks(db, { fromDay: q.from, toDay: q.to, meterIds: [...meterOf.keys()] });
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
    const flags: number[] = new Array(b.slots);
    for (let k = 0; k < b.slots; k++) {
      quality[k] = b.flags[k] & RAW_ACTUAL ? Quality.A : Quality.N;
      flags[k] = b.flags[k];
    }
    const extra: SeriesDay['extra'] = { flags };
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

/** The most days one request may span per resolution (a year of 5-min data is ~105k slots per series). */
export const MAX_DAYS: Record<Resolution, number> = { '5min': 93, hour: 366, day: 3660 };

/** A real calendar day (the schema pattern lets 2026-13-45 through). */
export function checkDay(field: string, day: string): void {
  const t = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: '${day}' is not a calendar day`, {
      field,
      reason: 'is not a calendar day',
    });
  }
}

export function checkSpan(from: string, to: string, resolution: Resolution, part: 'query' | 'body' = 'query'): void {
  checkDay(`${part}.from`, from);
  checkDay(`${part}.to`, to);
  if (to < from) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${part}.to: ${to} is before from ${from}`, {
      field: `${part}.to`,
      reason: 'is before from',
    });
  }
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (days > MAX_DAYS[resolution]) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `${part}.to: ${days} days at resolution ${resolution}; at most ${MAX_DAYS[resolution]}`,
      { field: `${part}.to`, reason: `span over ${MAX_DAYS[resolution]} days` },
    );
  }
}
