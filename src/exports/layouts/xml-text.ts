/**
 * Text pieces every layout builder writes by hand. Builders concatenate strings instead of going through an XML
 * DOM: a day of 5-minute data for 10,000 points is ~3 million elements, and a DOM per file was the difference between
 * a few seconds and a minute. The price is that escaping and number formatting live here, in one place, and that
 * every produced file is validated against its XSD before it counts (xsd-validate.ts).
 */
import { zoneOffsetMs } from '../../domain/time.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Energy as xs:decimal text: at most `decimals` decimal places, no trailing zeros, never an exponent (xs:decimal
 * has none) and no "-0". Non-finite values are the caller's error and must be caught before.
 */
export function formatDecimal(v: number, decimals = 6): string {
  // toFixed switches to an exponent from 1e21 on; such a double is an integer anyway.
  if (Math.abs(v) >= 1e21) return BigInt(v).toString();
  const fixed = v.toFixed(decimals);
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (fixed.charCodeAt(end - 1) === 46 /* . */) end--;
  const s = fixed.slice(0, end);
  return s === '-0' ? '0' : s;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** An instant as local wall time with its offset, e.g. 2026-11-26T00:05:00-03:00 (CCEE web-service form). */
export function isoWithOffset(instant: number): string {
  const offset = zoneOffsetMs(instant);
  const wall = new Date(instant + offset);
  const sign = offset <= 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return (
    `${wall.getUTCFullYear()}-${two(wall.getUTCMonth() + 1)}-${two(wall.getUTCDate())}` +
    `T${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:${two(wall.getUTCSeconds())}` +
    `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  );
}

/** 'YYYY-MM-DD' → 'YYYYMMDD' (file names). */
export function compactDay(day: string): string {
  return day.replaceAll('-', '');
}
