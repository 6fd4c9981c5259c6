/**
 * Interval JSON from the API turned into the chart's typed arrays once: x (end of each slot, epoch seconds),
 * values (NaN = none) and quality codes — no object per slot, so a year of 5-min data stays cheap to draw.
 */
import type { CompareQuantity, IntervalSeries } from './api.ts';
import { QUALITY_CODES } from './plot-data.ts';

export interface TypedSeries {
  key: string;
  quantityCode: number | null;
  unit: string;
  role?: string;
  meterSerial?: string;
  channel?: number;
  intervalS: number;
  x: Float64Array;
  y: Float64Array;
  quality: Uint8Array;
  /** First slot end (ms) and slot count per day, to map a time back to (day, slot). */
  days: { day: string; firstEndMs: number; slots: number }[];
}

const QUALITY_INDEX: Record<string, number> = Object.fromEntries(QUALITY_CODES.map((q, i) => [q, i]));

export function toTyped(s: IntervalSeries): TypedSeries {
  const days = s.days ?? [];
  let n = 0;
  for (const d of days) n += d.slots;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const quality = new Uint8Array(n);
  let i = 0;
  const index: TypedSeries['days'] = [];
  for (const d of days) {
    const first = Date.parse(d.firstEnd);
    index.push({ day: d.day, firstEndMs: first, slots: d.slots });
    const step = d.intervalS;
    const x0 = first / 1000;
    for (let k = 0; k < d.slots; k++, i++) {
      x[i] = x0 + k * step;
      const v = d.values[k];
      y[i] = v === null || v === undefined ? Number.NaN : v;
      quality[i] = QUALITY_INDEX[d.quality[k]] ?? 0;
    }
  }
  return {
    key: `${s.role ?? 'final'}|${s.meterSerial ?? ''}|${s.channel ?? ''}|${s.quantityCode ?? ''}`,
    quantityCode: s.quantityCode,
    unit: s.unit,
    role: s.role,
    meterSerial: s.meterSerial,
    channel: s.channel,
    intervalS: days[0]?.intervalS ?? 300,
    x,
    y,
    quality,
    days: index,
  };
}

export interface ComparisonSeries {
  quantityCode: number;
  unit: string;
  intervalS: number;
  x: Float64Array;
  principal: Float64Array;
  retaguarda: Float64Array;
  diff: Float64Array;
  beyond: (CompareQuantity['beyond'][number] & { day: string })[];
}

/** The comparison's per-day arrays of one quantity, concatenated. */
export function comparisonSeries(
  days: { day: string; quantities: CompareQuantity[] }[],
  dayStartMs: (day: string) => number,
): ComparisonSeries[] {
  const byQ = new Map<number, { q: CompareQuantity; day: string }[]>();
  for (const d of days) {
    for (const q of d.quantities) {
      // Days neither meter has data for would only stretch the axis.
      if (q.principal.every((v) => v === null) && q.retaguarda.every((v) => v === null)) continue;
      const l = byQ.get(q.quantityCode) ?? [];
      l.push({ q, day: d.day });
      byQ.set(q.quantityCode, l);
    }
  }
  const out: ComparisonSeries[] = [];
  for (const [code, list] of byQ) {
    const n = list.reduce((a, e) => a + e.q.slots, 0);
    const x = new Float64Array(n);
    const p = new Float64Array(n);
    const r = new Float64Array(n);
    const diff = new Float64Array(n);
    let i = 0;
    const beyond: ComparisonSeries['beyond'] = [];
    for (const { q, day } of list) {
      const x0 = dayStartMs(day) / 1000 + q.intervalS;
      for (let k = 0; k < q.slots; k++, i++) {
        x[i] = x0 + k * q.intervalS;
        p[i] = q.principal[k] ?? Number.NaN;
        r[i] = q.retaguarda[k] ?? Number.NaN;
        diff[i] = q.diff[k] ?? Number.NaN;
      }
      for (const b of q.beyond) beyond.push({ ...b, day });
    }
    out.push({
      quantityCode: code,
      unit: list[0].q.unit,
      intervalS: list[0].q.intervalS,
      x,
      principal: p,
      retaguarda: r,
      diff,
      beyond,
    });
  }
  return out.sort((a, b) => a.quantityCode - b.quantityCode);
}

/** Start (ms) of an operating day in Brasília (UTC−3; no DST since 2019). */
export function brasiliaDayStart(day: string): number {
  return Date.parse(`${day}T00:00:00-03:00`);
}

/** The (day, slot) an instant (epoch seconds, a slot end) falls in, using a series' day index. */
export function slotAt(s: TypedSeries, endS: number): { day: string; slot: number } | null {
  const ms = endS * 1000;
  for (const d of s.days) {
    const k = Math.round((ms - d.firstEndMs) / (s.intervalS * 1000));
    if (k >= 0 && k < d.slots) return { day: d.day, slot: k };
  }
  return null;
}
