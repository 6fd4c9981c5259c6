/**
 * Slot arithmetic of an operating day: its start instant, its slot count, the wall time of each slot and which
 * slots an instant range touches. Day starts and wall minutes are cached (a month of VEE for a fleet touches a few
 * dozen days); everything else is index arithmetic.
 */
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_ZONE, instantToWall, intervalsInDay, operatingDayStart } from '../domain/time.ts';
import { isDay } from './params.ts';
import type { TimeRange } from './types.ts';

const starts = new Map<string, number>();
const counts = new Map<string, number>();
const minutes = new Map<string, Int16Array>();

function bounded<V>(m: Map<string, V>): Map<string, V> {
  if (m.size > 50_000) m.clear();
  return m;
}

/** Start (midnight) of an operating day as an instant (ms). */
export function dayStartMs(day: string, zone = DEFAULT_ZONE): number {
  const key = `${zone}|${day}`;
  let s = starts.get(key);
  if (s === undefined) {
    // A malformed day ('2024-13-01', 'x') would otherwise roll over into another date or throw a TypeError.
    if (!isDay(day)) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `day '${day}' is not a YYYY-MM-DD day`, { field: 'day' });
    }
    s = operatingDayStart(day, zone);
    if (!Number.isFinite(s)) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `day '${day}' is not a YYYY-MM-DD day`, { field: 'day' });
    }
    bounded(starts).set(key, s);
  }
  return s;
}

/** Slots of `intervalS` in the operating day (288 at 5 min; 276/300 on old DST days). */
export function expectedSlots(day: string, intervalS: number, zone = DEFAULT_ZONE): number {
  const key = `${zone}|${day}|${intervalS}`;
  let n = counts.get(key);
  if (n === undefined) {
    if (!Number.isInteger(intervalS) || intervalS <= 0 || 86_400 % intervalS !== 0) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `interval ${intervalS} s does not divide the day`, {
        field: 'intervalS',
      });
    }
    dayStartMs(day, zone);
    n = intervalsInDay(day, intervalS * 1000, zone);
    bounded(counts).set(key, n);
  }
  return n;
}

/** Wall-clock minute of the day (0–1439) at which each slot starts. */
export function slotStartWallMinutes(day: string, slots: number, intervalS: number, zone = DEFAULT_ZONE): Int16Array {
  const key = `${zone}|${day}|${slots}|${intervalS}`;
  let m = minutes.get(key);
  if (!m) {
    m = new Int16Array(slots);
    if (slots * intervalS === 86_400) {
      // A 24-hour day has one offset all day: wall minutes are elapsed minutes.
      for (let k = 0; k < slots; k++) m[k] = Math.floor((k * intervalS) / 60);
    } else {
      const start = dayStartMs(day, zone);
      for (let k = 0; k < slots; k++) {
        const wall = instantToWall(start + k * intervalS * 1000, zone);
        m[k] = Math.floor((((wall % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
      }
    }
    bounded(minutes).set(key, m);
  }
  return m;
}

/** The slot whose interval (start, end] holds instant t, or −1 outside the day. */
export function slotOfInstant(t: number, dayStart: number, intervalS: number, slots: number): number {
  const k = Math.ceil((t - dayStart) / (intervalS * 1000)) - 1;
  return k >= 0 && k < slots ? k : -1;
}

export const COVER_NONE = 0;
export const COVER_PARTIAL = 1;
export const COVER_FULL = 2;

/**
 * Marks in `out` (per slot, keeping the highest mark) the slots each range touches: COVER_FULL where a range with
 * both ends known covers the whole interval, COVER_PARTIAL where it only overlaps it (or a side is unknown). An
 * instant (from === to) touches the slot whose interval holds it.
 */
export function markCoverage(out: Uint8Array, ranges: readonly TimeRange[], dayStart: number, intervalS: number): void {
  const slots = out.length;
  const step = intervalS * 1000;
  for (const r of ranges) {
    if (r.from !== null && r.to !== null && r.to < r.from) continue;
    if (r.from !== null && r.from === r.to) {
      const k = slotOfInstant(r.from, dayStart, intervalS, slots);
      if (k >= 0 && out[k] < COVER_PARTIAL) out[k] = COVER_PARTIAL;
      continue;
    }
    // Overlap: start_k < to and end_k > from.
    const lo = r.from === null ? 0 : Math.max(0, Math.floor((r.from - dayStart) / step));
    const hi = r.to === null ? slots - 1 : Math.min(slots - 1, Math.ceil((r.to - dayStart) / step) - 1);
    if (lo > hi) continue;
    let fullLo = hi + 1;
    let fullHi = hi;
    if (r.from !== null && r.to !== null) {
      fullLo = Math.max(0, Math.ceil((r.from - dayStart) / step));
      fullHi = Math.min(slots - 1, Math.floor((r.to - dayStart) / step) - 1);
    }
    for (let k = lo; k <= hi; k++) {
      const mark = k >= fullLo && k <= fullHi ? COVER_FULL : COVER_PARTIAL;
      if (out[k] < mark) out[k] = mark;
    }
  }
}

/** Slots per hour for an interval that divides the hour (1 for hourly or longer intervals). */
export function slotsPerHour(intervalS: number): number {
  return intervalS >= 3600 ? 1 : Math.round(3600 / intervalS);
}
