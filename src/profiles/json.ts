/**
 * The 5-min JSON answer of GET /points/:code/intervals written straight from the series' typed arrays. A month of
 * one point is ~26,000 slots per column; going through per-slot JS arrays and the schema serializer (which checks
 * every element) cost more than the query. The text is what that serializer wrote for the same object: the same
 * keys in the same order, missing (and non-finite) values as null.
 */

import { isoInZone } from '../domain/iso-zone.ts';
import { QUALITY_NAMES } from '../vee/types.ts';
import type { Layer, Series } from './series.ts';

/** `"A"` for each quality code, `"N"` for codes outside the catalogue. */
const QUALITY_JSON: readonly string[] = Array.from({ length: 256 }, (_, c) => JSON.stringify(QUALITY_NAMES[c] ?? 'N'));

const SCALES = [100, 10_000, 1_000_000] as const;
const SCALE_DIGITS = [2, 4, 6] as const;

/**
 * A number as JSON writes it (String(x); null when not finite), faster for what interval values are: pulses times
 * a constant, a few decimals. When x·10^d is a whole number c with c / 10^d === x (d = 2, 4 or 6), "int.frac" of c
 * parses back to x, and no shorter decimal does (two multiples of 10^-6 below 10^9 are further apart than x's
 * rounding interval), so it is the shortest round trip String() would print, built from integers instead of by the
 * general double-to-shortest conversion.
 */
export function numberJson(x: number): string {
  if (x >= 0 && x < 1e9) {
    for (let i = 0; i < SCALES.length; i++) {
      const scale = SCALES[i];
      const c = Math.round(x * scale);
      if (c / scale !== x) continue;
      let frac = c % scale;
      const whole = (c - frac) / scale;
      if (frac === 0) return String(whole);
      let digits: number = SCALE_DIGITS[i];
      while (frac % 10 === 0) {
        frac /= 10;
        digits--;
      }
      return `${whole}.${String(frac).padStart(digits, '0')}`;
    }
  }
  return Number.isFinite(x) ? String(x) : 'null';
}

function valuesJson(value: Float64Array): string {
  const parts: string[] = new Array(value.length);
  for (let k = 0; k < value.length; k++) parts[k] = numberJson(value[k]);
  return `[${parts.join(',')}]`;
}

function qualityJson(quality: Uint8Array): string {
  const parts: string[] = new Array(quality.length);
  for (let k = 0; k < quality.length; k++) parts[k] = QUALITY_JSON[quality[k]];
  return `[${parts.join(',')}]`;
}

const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, c) => String(c));

/** Per-slot names repeat a handful of values: each is quoted once per answer. */
function namesJson(names: ArrayLike<string>): string {
  const quoted = new Map<string, string>();
  const parts: string[] = new Array(names.length);
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    let q = quoted.get(name);
    if (q === undefined) {
      q = JSON.stringify(name);
      quoted.set(name, q);
    }
    parts[k] = q;
  }
  return `[${parts.join(',')}]`;
}

function columnJson(column: ArrayLike<string | number>): string {
  if (column instanceof Uint8Array) {
    // Raw flags: bytes as decimal text from a table (a typed array's join formats each one generically).
    const parts: string[] = new Array(column.length);
    for (let k = 0; k < column.length; k++) parts[k] = BYTE_TEXT[column[k]];
    return `[${parts.join(',')}]`;
  }
  const parts: string[] = new Array(column.length);
  let names = true;
  for (let k = 0; k < column.length && names; k++) names = typeof column[k] === 'string';
  if (names) return namesJson(column as ArrayLike<string>);
  for (let k = 0; k < column.length; k++) {
    const v = column[k];
    parts[k] = typeof v === 'number' ? numberJson(v) : JSON.stringify(v);
  }
  return `[${parts.join(',')}]`;
}

export interface IntervalsHead {
  point: string;
  timezone: string;
  layer: Layer;
  resolution: '5min';
  from: string;
  to: string;
}

/** The whole 5-min JSON body. */
export function intervalsJson(head: IntervalsHead, series: readonly Series[]): string {
  const out: string[] = [`${JSON.stringify(head).slice(0, -1)},"series":[`];
  series.forEach((s, i) => {
    const meta = JSON.stringify({
      meterSerial: s.meterSerial,
      role: s.role,
      channel: s.channel,
      quantityCode: s.quantityCode,
      unit: s.unit,
    });
    out.push(`${i > 0 ? ',' : ''}${meta.slice(0, -1)},"days":[`);
    s.days.forEach((d, j) => {
      let text =
        `${j > 0 ? ',' : ''}{"day":${JSON.stringify(d.day)},"intervalS":${d.intervalS},"slots":${d.slots},` +
        `"firstEnd":${JSON.stringify(isoInZone(d.firstEnd, head.timezone))}`;
      if (d.version !== undefined) text += `,"version":${d.version}`;
      text += `,"values":${valuesJson(d.value)},"quality":${qualityJson(d.quality)}`;
      for (const [name, column] of Object.entries(d.extra)) text += `,${JSON.stringify(name)}:${columnJson(column)}`;
      out.push(`${text}}`);
    });
    out.push(']}');
  });
  out.push(']}');
  return out.join('');
}
