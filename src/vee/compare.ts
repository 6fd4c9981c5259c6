/**
 * Principal × retaguarda comparison (vee.md §4, the data behind rule V11 and the analyst's report): per quantity
 * both meters of a point measure, the interval, hourly and daily differences in energy and percent, the intervals
 * beyond tolerance, and which source the final series used for each interval.
 *
 * Conventions:
 * - diff = principal − retaguarda (channel unit, kWh for the active channels).
 * - percent = 100 · diff / principal: the principal is the billing meter, and rule V11 uses the same base. When the
 *   principal is ~0 the retaguarda is the base (so 0 against 5 is −100 %); when both are ~0 the percent is undefined
 *   (NaN in the typed arrays, null in rows) and never beyond tolerance.
 * - A slot missing on either meter is left out of every sum and counted (missingPrincipal / missingRetaguarda), so
 *   hourly and daily figures always compare the same intervals.
 * - Hours are wall-clock hours of the point's zone (slot start), so an old DST day has 23 or 25 rows.
 */
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_ZONE } from '../domain/time.ts';
import type { VeeParams } from './params.ts';
import { slotStartWallMinutes, slotsPerHour } from './slots.ts';
import { type FinalDay, type MeterDay, Method, SOURCE_NAMES, Source, type SourceName } from './types.ts';

/** Below this (in the channel unit) an energy counts as zero for percentages. */
export const ZERO_ENERGY = 1e-9;

/**
 * 100 · (p − r) / p, or / r when p ~ 0; NaN when either is missing or both ~0. The principal is the reference because
 * it is the billing meter, as in rule V11 (rules/pair.ts), so the report and the rule agree on every figure.
 */
export function diffPercent(p: number, r: number): number {
  if (!(Number.isFinite(p) && Number.isFinite(r))) return Number.NaN;
  const d = p - r;
  if (Math.abs(p) > ZERO_ENERGY) return (100 * d) / Math.abs(p);
  if (Math.abs(r) > ZERO_ENERGY) return (100 * d) / Math.abs(r);
  return Number.NaN;
}

const pctOrNull = (p: number, r: number): number | null => {
  const x = diffPercent(p, r);
  return Number.isNaN(x) ? null : x;
};

export type UsedCounts = Record<SourceName, number>;

export interface HourComparison {
  /** 'HH:00' wall time of the hour's first slot. */
  hour: string;
  firstSlot: number;
  lastSlot: number;
  /** Sums over the slots both meters hold; null when there is none. */
  principal: number | null;
  retaguarda: number | null;
  diff: number | null;
  pct: number | null;
  /** |pct| > V11.hourlyPct (hours where both meters are below V11.minHourEnergy are not judged). */
  beyond: boolean;
  /** Slots both meters hold / slots in the hour. */
  compared: number;
  slots: number;
}

export interface DayComparison {
  principal: number | null;
  retaguarda: number | null;
  diff: number | null;
  pct: number | null;
  /** |pct| > V11.dailyPct. */
  beyond: boolean;
  compared: number;
  missingPrincipal: number;
  missingRetaguarda: number;
}

export interface BeyondInterval {
  slot: number;
  /** 'HH:MM' wall time at the end of the interval ('24:00' for the last of the day). */
  end: string;
  principal: number;
  retaguarda: number;
  diff: number;
  pct: number;
  used: SourceName;
}

export interface CompareTolerances {
  intervalPct: number;
  minIntervalEnergy: number;
  hourlyPct: number;
  minHourEnergy: number;
  dailyPct: number;
}

export interface QuantityComparison {
  quantityCode: number;
  unit: string;
  intervalS: number;
  slots: number;
  /** The meters whose channels were compared (more than one when a meter was replaced during the day). */
  principalMeterIds: number[];
  retaguardaMeterIds: number[];
  /** Per slot; NaN = missing. */
  principal: Float64Array;
  retaguarda: Float64Array;
  /** principal − retaguarda; NaN where either is missing. */
  diff: Float64Array;
  /** diffPercent per slot; NaN where undefined. */
  diffPct: Float64Array;
  /** Per slot: Source code the final series used (Source.none when no final series was given). */
  used: Uint8Array;
  /** Per slot: Method code of the final series (RT, LI, ME…; none for a plain actual). */
  usedMethod: Uint8Array;
  usedCounts: UsedCounts;
  hours: HourComparison[];
  /** Longest run of consecutive hours beyond the hourly tolerance (V11 flags ≥ consecutiveHours). */
  longestBeyondHours: number;
  day: DayComparison;
  beyond: BeyondInterval[];
  tolerances: CompareTolerances;
}

export interface PointDayComparison {
  day: string;
  zone: string;
  /** One per quantity code both meters hold, ascending. */
  quantities: QuantityComparison[];
  /** Why a quantity could not be compared or its final series not matched. */
  messages: string[];
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** 'HH:MM' of a wall minute of the day; 1440 is '24:00' (the end of the operating day). */
export function wallLabel(minute: number): string {
  if (minute === 1440) return '24:00';
  const m = ((minute % 1440) + 1440) % 1440;
  return `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
}

/** Per slot: 'HH:00' of its hour and 'HH:MM' of its end, in wall time. */
export function slotLabels(
  day: string,
  slots: number,
  intervalS: number,
  zone = DEFAULT_ZONE,
): { hour: string[]; end: string[] } {
  const start = slotStartWallMinutes(day, slots, intervalS, zone);
  const hour = new Array<string>(slots);
  const end = new Array<string>(slots);
  for (let k = 0; k < slots; k++) {
    hour[k] = `${pad2(Math.floor(start[k] / 60))}:00`;
    end[k] = wallLabel(start[k] + intervalS / 60);
  }
  return { hour, end };
}

/** Slot ranges of the wall hours of the day, in order. */
function hourGroups(day: string, slots: number, intervalS: number, zone: string): [number, number][] {
  const out: [number, number][] = [];
  const sph = slotsPerHour(intervalS);
  if (slots * intervalS === 86_400 && (3600 % intervalS === 0 || intervalS % 3600 === 0)) {
    // A 24-hour day: fixed blocks of whole hours.
    for (let k = 0; k < slots; k += sph) out.push([k, Math.min(slots, k + sph) - 1]);
    return out;
  }
  // A DST day: a new hour starts where the wall hour changes or the clock went back (the repeated hour).
  const start = slotStartWallMinutes(day, slots, intervalS, zone);
  let first = 0;
  for (let k = 1; k <= slots; k++) {
    if (k === slots || Math.floor(start[k] / 60) !== Math.floor(start[k - 1] / 60) || start[k] <= start[k - 1]) {
      out.push([first, k - 1]);
      first = k;
    }
  }
  return out;
}

interface Side {
  value: Float64Array;
  meterIds: number[];
  unit: string;
  intervalS: number;
  slots: number;
}

/** The channels of one role and quantity merged slot by slot (the first actual wins), or why they cannot be. */
function mergeSide(mds: readonly MeterDay[]): Side | string {
  const head = mds[0];
  for (const md of mds) {
    if (md.slots !== head.slots || md.intervalS !== head.intervalS) {
      return `${md.role} meters ${head.meterId} and ${md.meterId} report different intervals (${head.slots}×${head.intervalS} s vs ${md.slots}×${md.intervalS} s)`;
    }
  }
  const value = mds.length === 1 ? head.value : head.value.slice();
  for (let i = 1; i < mds.length; i++) {
    const v = mds[i].value;
    for (let k = 0; k < value.length; k++) if (Number.isNaN(value[k]) && Number.isFinite(v[k])) value[k] = v[k];
  }
  return {
    value,
    meterIds: [...new Set(mds.map((m) => m.meterId))],
    unit: head.unit,
    intervalS: head.intervalS,
    slots: head.slots,
  };
}

function byQuantity(mds: readonly MeterDay[], day: string, role: string): Map<number, MeterDay[]> {
  const m = new Map<number, MeterDay[]>();
  for (const md of mds) {
    if (md.day !== day) {
      throw new FronteiraError(
        'FRONTEIRA_E_VALIDATION',
        `${role} meter ${md.meterId} channel ${md.channel}: data of ${md.day} given to compare ${day}`,
        { field: role },
      );
    }
    const list = m.get(md.quantityCode);
    if (list) list.push(md);
    else m.set(md.quantityCode, [md]);
  }
  return m;
}

function emptyCounts(): UsedCounts {
  return { none: 0, principal: 0, retaguarda: 0, estimate: 0, manual: 0, virtual: 0 };
}

function sumRange(
  p: Float64Array,
  r: Float64Array,
  first: number,
  last: number,
): { sp: number; sr: number; compared: number; missingP: number; missingR: number } {
  let sp = 0;
  let sr = 0;
  let compared = 0;
  let missingP = 0;
  let missingR = 0;
  for (let k = first; k <= last; k++) {
    const a = p[k];
    const b = r[k];
    const okP = !Number.isNaN(a);
    const okR = !Number.isNaN(b);
    if (!okP) missingP++;
    if (!okR) missingR++;
    if (okP && okR) {
      sp += a;
      sr += b;
      compared++;
    }
  }
  return { sp, sr, compared, missingP, missingR };
}

/**
 * Compares the principal and retaguarda channels of one point on one day, per quantity code both meters hold.
 * `finals` (the point's final series of the day, any subset of quantities) give which source each interval used.
 */
export function comparePoint(a: {
  day: string;
  principal: readonly MeterDay[];
  retaguarda: readonly MeterDay[];
  finals: readonly FinalDay[];
  params: VeeParams;
  zone?: string;
}): PointDayComparison {
  const zone = a.zone ?? DEFAULT_ZONE;
  const messages: string[] = [];
  const ps = byQuantity(a.principal, a.day, 'principal');
  const rs = byQuantity(a.retaguarda, a.day, 'retaguarda');
  const tol: CompareTolerances = {
    intervalPct: a.params.compare.intervalPct,
    minIntervalEnergy: a.params.compare.minIntervalEnergy,
    hourlyPct: a.params.rules.V11.hourlyPct,
    minHourEnergy: a.params.rules.V11.minHourEnergy,
    dailyPct: a.params.rules.V11.dailyPct,
  };
  const quantities: QuantityComparison[] = [];
  const codes = [...ps.keys()].filter((c) => rs.has(c)).sort((x, y) => x - y);
  for (const code of codes) {
    const p = mergeSide(ps.get(code)!);
    const r = mergeSide(rs.get(code)!);
    if (typeof p === 'string' || typeof r === 'string') {
      messages.push(`quantity ${code} not compared: ${typeof p === 'string' ? p : r}`);
      continue;
    }
    if (p.slots !== r.slots || p.intervalS !== r.intervalS) {
      messages.push(
        `quantity ${code} not compared: principal has ${p.slots} slots of ${p.intervalS} s, retaguarda ${r.slots} of ${r.intervalS} s`,
      );
      continue;
    }
    const final = a.finals.find((f) => f.quantityCode === code) ?? null;
    quantities.push(compareQuantity(a.day, zone, code, p, r, final, tol, messages));
  }
  return { day: a.day, zone, quantities, messages };
}

function compareQuantity(
  day: string,
  zone: string,
  code: number,
  p: Side,
  r: Side,
  final: FinalDay | null,
  tol: CompareTolerances,
  messages: string[],
): QuantityComparison {
  const slots = p.slots;
  const diff = new Float64Array(slots);
  const diffPct = new Float64Array(slots);
  for (let k = 0; k < slots; k++) {
    diff[k] = p.value[k] - r.value[k];
    diffPct[k] = diffPercent(p.value[k], r.value[k]);
  }

  const used = new Uint8Array(slots);
  const usedMethod = new Uint8Array(slots);
  if (final && final.slots === slots && final.intervalS === p.intervalS) {
    used.set(final.source);
    usedMethod.set(final.method);
  } else if (final) {
    messages.push(
      `quantity ${code}: final series has ${final.slots} slots of ${final.intervalS} s, the meters ${slots} of ${p.intervalS} s; sources not shown`,
    );
  } else {
    messages.push(`quantity ${code}: no final series given; sources not shown`);
  }
  const usedCounts = emptyCounts();
  for (let k = 0; k < slots; k++) usedCounts[SOURCE_NAMES[used[k]] ?? 'none']++;

  const hours: HourComparison[] = [];
  const start = slotStartWallMinutes(day, slots, p.intervalS, zone);
  let run = 0;
  let longest = 0;
  for (const [first, last] of hourGroups(day, slots, p.intervalS, zone)) {
    const s = sumRange(p.value, r.value, first, last);
    const has = s.compared > 0;
    const pct = has ? pctOrNull(s.sp, s.sr) : null;
    const judged = s.sp >= tol.minHourEnergy || s.sr >= tol.minHourEnergy;
    const beyond = pct !== null && judged && Math.abs(pct) > tol.hourlyPct;
    run = beyond ? run + 1 : 0;
    if (run > longest) longest = run;
    hours.push({
      hour: `${pad2(Math.floor(start[first] / 60))}:00`,
      firstSlot: first,
      lastSlot: last,
      principal: has ? s.sp : null,
      retaguarda: has ? s.sr : null,
      diff: has ? s.sp - s.sr : null,
      pct,
      beyond,
      compared: s.compared,
      slots: last - first + 1,
    });
  }

  const d = sumRange(p.value, r.value, 0, slots - 1);
  const hasDay = d.compared > 0;
  const dayPct = hasDay ? pctOrNull(d.sp, d.sr) : null;
  const dayCmp: DayComparison = {
    principal: hasDay ? d.sp : null,
    retaguarda: hasDay ? d.sr : null,
    diff: hasDay ? d.sp - d.sr : null,
    pct: dayPct,
    beyond: dayPct !== null && Math.abs(dayPct) > tol.dailyPct,
    compared: d.compared,
    missingPrincipal: d.missingP,
    missingRetaguarda: d.missingR,
  };

  const beyond: BeyondInterval[] = [];
  const step = p.intervalS / 60;
  for (let k = 0; k < slots; k++) {
    const pct = diffPct[k];
    if (Number.isNaN(pct) || Math.abs(pct) <= tol.intervalPct) continue;
    if (Math.max(Math.abs(p.value[k]), Math.abs(r.value[k])) < tol.minIntervalEnergy) continue;
    beyond.push({
      slot: k,
      end: wallLabel(start[k] + step),
      principal: p.value[k],
      retaguarda: r.value[k],
      diff: diff[k],
      pct,
      used: SOURCE_NAMES[used[k]] ?? 'none',
    });
  }

  return {
    quantityCode: code,
    unit: p.unit,
    intervalS: p.intervalS,
    slots,
    principalMeterIds: p.meterIds,
    retaguardaMeterIds: r.meterIds,
    principal: p.value,
    retaguarda: r.value,
    diff,
    diffPct,
    used,
    usedMethod,
    usedCounts,
    hours,
    longestBeyondHours: longest,
    day: dayCmp,
    beyond,
    tolerances: tol,
  };
}

export interface RangeTotals {
  quantityCode: number;
  unit: string;
  /** Days holding this quantity. */
  days: number;
  /** Sums over the intervals both meters hold, over all days; null when there is none. */
  principal: number | null;
  retaguarda: number | null;
  diff: number | null;
  pct: number | null;
  compared: number;
  missingPrincipal: number;
  missingRetaguarda: number;
  beyondIntervals: number;
  beyondHours: number;
  beyondDays: number;
  usedCounts: UsedCounts;
}

export interface RangeComparison {
  /** First and last day given (null for no days). */
  from: string | null;
  to: string | null;
  quantities: RangeTotals[];
}

/** Period totals per quantity over the days compared (e.g. one point over a month). */
export function compareRange(days: readonly PointDayComparison[]): RangeComparison {
  const by = new Map<number, RangeTotals & { sp: number; sr: number }>();
  let from: string | null = null;
  let to: string | null = null;
  for (const d of days) {
    if (from === null || d.day < from) from = d.day;
    if (to === null || d.day > to) to = d.day;
    for (const q of d.quantities) {
      let t = by.get(q.quantityCode);
      if (!t) {
        t = {
          quantityCode: q.quantityCode,
          unit: q.unit,
          days: 0,
          principal: null,
          retaguarda: null,
          diff: null,
          pct: null,
          compared: 0,
          missingPrincipal: 0,
          missingRetaguarda: 0,
          beyondIntervals: 0,
          beyondHours: 0,
          beyondDays: 0,
          usedCounts: emptyCounts(),
          sp: 0,
          sr: 0,
        };
        by.set(q.quantityCode, t);
      }
      t.days++;
      t.sp += q.day.principal ?? 0;
      t.sr += q.day.retaguarda ?? 0;
      t.compared += q.day.compared;
      t.missingPrincipal += q.day.missingPrincipal;
      t.missingRetaguarda += q.day.missingRetaguarda;
      t.beyondIntervals += q.beyond.length;
      for (const h of q.hours) if (h.beyond) t.beyondHours++;
      if (q.day.beyond) t.beyondDays++;
      for (const name of SOURCE_NAMES) t.usedCounts[name] += q.usedCounts[name];
    }
  }
  const quantities = [...by.values()]
    .sort((x, y) => x.quantityCode - y.quantityCode)
    .map(({ sp, sr, ...t }) => {
      if (t.compared === 0) return t;
      return { ...t, principal: sp, retaguarda: sr, diff: sp - sr, pct: pctOrNull(sp, sr) };
    });
  return { from, to, quantities };
}

const SOURCE_LABELS: Record<number, string> = {
  [Source.none]: 'nenhum',
  [Source.principal]: 'principal',
  [Source.retaguarda]: 'retaguarda',
  [Source.estimate]: 'estimativa',
  [Source.manual]: 'manual',
};
const METHOD_LABELS: Record<number, string> = Object.fromEntries(Object.entries(Method).map(([k, v]) => [v, k]));

/** Pt-BR label of the source an interval used, with the method when there is one ('retaguarda (RT)'). */
export function usedLabel(source: number, method: number): string {
  const name = SOURCE_LABELS[source] ?? 'nenhum';
  return method === Method.none ? name : `${name} (${METHOD_LABELS[method] ?? method})`;
}
