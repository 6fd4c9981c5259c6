/**
 * Deterministic, random-access load profiles of metering points: the TRUE energy that flows through a point in any
 * interval, from its shape, seed and capacity alone. Noise comes from hashing (seed, interval index), never from a
 * sequential PRNG, so any interval of any year costs the same few arithmetic operations and two meters of one point
 * (principal and retaguarda) see exactly the same flow.
 *
 * Times are Brasília wall times (`WallTime`, ms read as UTC): the shape of a day follows the local clock. The six
 * energies are the four-quadrant registers of a boundary meter: active and reactive (inductive / capacitive) in the
 * direct direction (consumption, canal C) and in the reverse one (generation, canal G).
 */
import { FronteiraError } from '../domain/errors.ts';
import { brazilianHolidays } from '../domain/holidays.ts';
import { hash01 } from '../domain/random.ts';
import type { WallTime } from '../protocols/abnt14522/fields.ts';

export type LoadShape = 'industrial' | 'commercial' | 'free-consumer' | 'solar' | 'hydro';

export const LOAD_SHAPES: readonly LoadShape[] = ['industrial', 'commercial', 'free-consumer', 'solar', 'hydro'];

export interface LoadPoint {
  shape: LoadShape;
  seed: number;
  /** Nominal power of the installation: no interval's average active power exceeds it. */
  capacityKw: number;
  /** Latitude of a solar plant (degrees, south negative); default −15 (central Brazil). */
  latitudeDeg?: number;
}

export interface IntervalEnergy {
  activeDirectKwh: number;
  activeReverseKwh: number;
  reactiveIndDirectKvarh: number;
  reactiveCapDirectKvarh: number;
  reactiveIndReverseKvarh: number;
  reactiveCapReverseKvarh: number;
}

/** Order of the six energies in the arrays filled by `pointEnergyInto`. */
export const ENERGY_FIELDS = [
  'activeDirectKwh',
  'activeReverseKwh',
  'reactiveIndDirectKvarh',
  'reactiveCapDirectKvarh',
  'reactiveIndReverseKvarh',
  'reactiveCapReverseKvarh',
] as const satisfies readonly (keyof IntervalEnergy)[];

/** Reactive power never exceeds this share of the capacity (PF ≥ 0.85 gives tan φ ≤ 0.62, plus noise). */
export const REACTIVE_BOUND_RATIO = 0.75;

/**
 * Which of the six energies a quantity code (spec §9.2) measures, or −1 when the simulator has no model for it (the
 * channel then reads 0): 01/14 active, 10/11 and 15/16 reactive inductive/capacitive, direct/reverse.
 */
export function energyIndexOfQuantity(code: number): number {
  switch (code) {
    case 1:
      return 0;
    case 14:
      return 1;
    case 10:
      return 2;
    case 11:
      return 3;
    case 15:
      return 4;
    case 16:
      return 5;
    default:
      return -1;
  }
}

/** Upper bound of a channel's average power (kW or kvar) for a point: what its meter constant must accommodate. */
export function channelPeakKw(point: LoadPoint, quantityCode: number): number {
  const idx = energyIndexOfQuantity(quantityCode);
  if (idx < 0) return 0;
  return idx < 2 ? point.capacityKw : point.capacityKw * REACTIVE_BOUND_RATIO;
}

export function isGeneratorShape(shape: LoadShape): boolean {
  return shape === 'solar' || shape === 'hydro';
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar: day types, cached per day number (days since 1970-01-01 in wall time).

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** 0 working day, 1 Saturday, 2 Sunday, 3 holiday (any national holiday or ponto facultativo). */
type DayType = 0 | 1 | 2 | 3;
const WEEKDAY: DayType = 0;
const SATURDAY: DayType = 1;
const SUNDAY: DayType = 2;
const HOLIDAY: DayType = 3;

interface DayInfo {
  type: DayType;
  /** 1-based day of the year. */
  dayOfYear: number;
}

const dayCache = new Map<number, DayInfo>();
const holidayDaysByYear = new Map<number, Set<number>>();

function holidayDays(year: number): Set<number> {
  let set = holidayDaysByYear.get(year);
  if (!set) {
    set = new Set(brazilianHolidays(year).map((h) => Math.round(Date.parse(`${h.date}T00:00:00Z`) / DAY_MS)));
    holidayDaysByYear.set(year, set);
  }
  return set;
}

function dayInfo(dayNumber: number): DayInfo {
  let info = dayCache.get(dayNumber);
  if (info) return info;
  const d = new Date(dayNumber * DAY_MS);
  const year = d.getUTCFullYear();
  const weekday = d.getUTCDay();
  let type: DayType = weekday === 0 ? SUNDAY : weekday === 6 ? SATURDAY : WEEKDAY;
  if (year >= 1583 && year <= 9999 && holidayDays(year).has(dayNumber)) type = HOLIDAY;
  info = { type, dayOfYear: dayNumber - Math.round(Date.UTC(year, 0, 1) / DAY_MS) + 1 };
  // Bounded: a fleet touches a few hundred days; a year-long sweep must not grow memory without limit.
  if (dayCache.size > 4096) dayCache.clear();
  dayCache.set(dayNumber, info);
  return info;
}

/** Whether the load of a day follows the non-working pattern (weekends and every holiday, Carnival included). */
export function isNonWorkingDay(day: WallTime): boolean {
  return dayInfo(Math.floor(day / DAY_MS)).type !== WEEKDAY;
}

// ---------------------------------------------------------------------------------------------------------------
// Small shape helpers (hours are fractional hours of the wall-clock day).

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}

/** 1 inside [start, end), with linear ramps of width `ramp` centred on both edges; no wrap-around. */
function window(h: number, start: number, end: number, ramp: number): number {
  const up = clamp01((h - start) / ramp + 0.5);
  const down = clamp01((end - h) / ramp + 0.5);
  return Math.min(up, down);
}

/** Triangle of height 1 at `centre` (cyclic over 24 h). */
function bump(h: number, centre: number, halfWidth: number): number {
  let d = Math.abs(h - centre);
  if (d > 12) d = 24 - d;
  return d >= halfWidth ? 0 : 1 - d / halfWidth;
}

function bell(h: number, centre: number, sigma: number): number {
  const d = h - centre;
  return Math.exp((-d * d) / (2 * sigma * sigma));
}

/** Southern-hemisphere summer peak in late January (air conditioning). */
function coolingSeason(dayOfYear: number): number {
  return 0.55 + 0.45 * Math.cos((2 * Math.PI * (dayOfYear - 20)) / 365.25);
}

function tanOfPf(pf: number): number {
  return Math.sqrt(1 - pf * pf) / pf;
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes. Each evaluator writes the average POWER (kW / kvar) of the interval into out[0..5].

type Evaluator = (mid: number, k: number, out: Float64Array) => void;

/** Seed-derived constants of a point, exposed for descriptions and tests. */
export interface LoadShapeTraits {
  shape: LoadShape;
  /** Industrial: number of production shifts. */
  shifts?: 2 | 3;
  /** Consumers: power factor of the load before correction; generators: power factor of the machines. */
  powerFactor: number;
  /** Fixed capacitor bank (kvar): consumers with one read capacitive at light load. */
  capacitorBankKvar: number;
  /** Commercial: business hours; free consumer: activity mix. */
  activity?: string;
  openHour?: number;
  closeHour?: number;
  /** Hydro: number of generating units. */
  units?: number;
}

function traitsOf(point: LoadPoint): LoadShapeTraits {
  const s = point.seed;
  const r = (salt: number) => hash01(s, salt, 0x7a17);
  const cap = point.capacityKw;
  switch (point.shape) {
    case 'industrial':
      return {
        shape: point.shape,
        shifts: r(1) < 0.45 ? 3 : 2,
        powerFactor: 0.85 + 0.13 * r(2),
        capacitorBankKvar: r(3) < 0.5 ? cap * (0.03 + 0.07 * r(4)) : 0,
      };
    case 'commercial': {
      const pick = r(1);
      const [activity, openHour, closeHour] =
        pick < 0.35 ? ['shopping', 10, 22] : pick < 0.7 ? ['escritórios', 8, 18] : ['supermercado', 7, 21];
      return {
        shape: point.shape,
        activity: activity as string,
        openHour: openHour as number,
        closeHour: closeHour as number,
        powerFactor: 0.86 + 0.12 * r(2),
        capacitorBankKvar: r(3) < 0.6 ? cap * (0.04 + 0.06 * r(4)) : 0,
      };
    }
    case 'free-consumer': {
      const pick = r(1);
      const activity = pick < 0.4 ? 'hospital' : pick < 0.7 ? 'data center' : 'shopping center';
      return {
        shape: point.shape,
        activity,
        powerFactor: 0.9 + 0.08 * r(2),
        capacitorBankKvar: r(3) < 0.4 ? cap * (0.03 + 0.05 * r(4)) : 0,
      };
    }
    case 'solar':
      return { shape: point.shape, powerFactor: 0.97 + 0.03 * r(2), capacitorBankKvar: 0 };
    case 'hydro':
      return {
        shape: point.shape,
        units: 2 + Math.floor(3 * r(1)),
        powerFactor: 0.9 + 0.07 * r(2),
        capacitorBankKvar: 0,
      };
  }
}

/** Active power P and an inductive demand Q = P·tan φ corrected by a fixed bank: net sign picks the channel. */
function consumerReactive(p: number, tan: number, bank: number, out: Float64Array): void {
  const q = p * tan - bank;
  if (q >= 0) out[2] = q;
  else out[3] = -q;
}

function industrial(point: LoadPoint, t: LoadShapeTraits): Evaluator {
  const s = point.seed;
  const r = (salt: number) => hash01(s, salt, 0x1d05);
  const cap = point.capacityKw;
  const three = t.shifts === 3;
  const base = 0.12 + 0.16 * r(1);
  const l1 = 0.78 + 0.12 * r(2);
  const l2 = l1 * (0.9 + 0.08 * r(3));
  const l3 = three ? l1 * (0.72 + 0.15 * r(4)) : base;
  const s0 = r(5) < 0.7 ? 6 : 7;
  const s1 = s0 + 8;
  const s2 = s0 + 16;
  const tan = tanOfPf(t.powerFactor);
  const bank = t.capacitorBankKvar;
  const ramp = 0.5;
  // Shift levels by day type: [first, second, third]; the third shift of a day runs past midnight.
  const levels = (type: DayType): [number, number, number] => {
    if (type === WEEKDAY) return [l1, l2, l3];
    if (type === SATURDAY) return three ? [l1 * 0.75, l2 * 0.7, base] : [l1 * 0.65, base, base];
    return [base, base, base];
  };
  return (mid, k, out) => {
    const dn = Math.floor(mid / DAY_MS);
    const h = (mid - dn * DAY_MS) / HOUR_MS;
    const today = dayInfo(dn);
    const [a, b, c] = levels(today.type);
    const prevC = levels(dayInfo(dn - 1).type)[2];
    let lvl =
      base +
      (a - base) * window(h, s0, s1, ramp) +
      (b - base) * window(h, s1, s2, ramp) +
      (c - base) * window(h, s2, s0 + 24, ramp) +
      (prevC - base) * window(h, s2 - 24, s0, ramp);
    // Machines stop briefly at each shift change and at lunch.
    if (today.type !== SUNDAY && today.type !== HOLIDAY) {
      lvl *= 1 - 0.1 * (bump(h, s1, 0.35) + bump(h, s2, 0.35)) - 0.06 * bump(h, s0 + 5.5, 0.6);
    }
    if (today.type === SUNDAY || today.type === HOLIDAY) lvl *= 0.9 + 0.2 * hash01(s, dn, 12);
    const hourly = 1 + 0.04 * (2 * hash01(s, Math.floor(mid / HOUR_MS), 11) - 1);
    const noise = 1 + 0.05 * (2 * hash01(s, k, 10) - 1);
    const p = cap * lvl * hourly * noise;
    out[0] = p;
    consumerReactive(p, tan * (1 + 0.05 * (2 * hash01(s, k, 13) - 1)), bank, out);
  };
}

function commercial(point: LoadPoint, t: LoadShapeTraits): Evaluator {
  const s = point.seed;
  const r = (salt: number) => hash01(s, salt, 0xc033);
  const cap = point.capacityKw;
  const base = 0.1 + 0.1 * r(1);
  const day = 0.4 + 0.15 * r(2);
  const ac = 0.25 + 0.12 * r(3);
  const open = t.openHour ?? 8;
  const close = t.closeHour ?? 18;
  const office = t.activity === 'escritórios';
  const tan = tanOfPf(t.powerFactor);
  const bank = t.capacitorBankKvar;
  return (mid, k, out) => {
    const dn = Math.floor(mid / DAY_MS);
    const h = (mid - dn * DAY_MS) / HOUR_MS;
    const info = dayInfo(dn);
    let lvl = base;
    if (info.type === WEEKDAY || info.type === SATURDAY) {
      const satClose = office ? 12 : close;
      const scale = info.type === SATURDAY && office ? 0.5 : 1;
      const c = info.type === SATURDAY ? satClose : close;
      // Lights and equipment come on an hour before opening; cooling follows the afternoon heat.
      const w = window(h, open - 1, c, 1);
      lvl += (day - base) * w * scale + ac * coolingSeason(info.dayOfYear) * bell(h, 15, 2.8) * w * scale;
    }
    const noise = 1 + 0.04 * (2 * hash01(s, k, 10) - 1);
    const p = cap * lvl * noise;
    out[0] = p;
    consumerReactive(p, tan * (1 + 0.05 * (2 * hash01(s, k, 13) - 1)), bank, out);
  };
}

function freeConsumer(point: LoadPoint, t: LoadShapeTraits): Evaluator {
  const s = point.seed;
  const r = (salt: number) => hash01(s, salt, 0xf7ee);
  const cap = point.capacityKw;
  let base = 0.5 + 0.25 * r(1);
  let day = 0.08 + 0.17 * r(2);
  let ac = 0.08 + 0.1 * r(3);
  if (t.activity === 'data center') {
    base += 0.1;
    day *= 0.3;
  }
  const sum = base + day + ac;
  if (sum > 0.95) {
    base *= 0.95 / sum;
    day *= 0.95 / sum;
    ac *= 0.95 / sum;
  }
  const tan = tanOfPf(t.powerFactor);
  const bank = t.capacitorBankKvar;
  return (mid, k, out) => {
    const dn = Math.floor(mid / DAY_MS);
    const h = (mid - dn * DAY_MS) / HOUR_MS;
    const info = dayInfo(dn);
    const weekendFactor = info.type === WEEKDAY ? 1 : 0.5;
    const lvl =
      base +
      day * weekendFactor * window(h, 7, 19, 1.5) +
      ac * coolingSeason(info.dayOfYear) * bell(h, 15, 3.2) * (0.6 + 0.4 * weekendFactor);
    const noise = 1 + 0.03 * (2 * hash01(s, k, 10) - 1);
    const p = cap * lvl * noise;
    out[0] = p;
    consumerReactive(p, tan * (1 + 0.04 * (2 * hash01(s, k, 13) - 1)), bank, out);
  };
}

function solar(point: LoadPoint, t: LoadShapeTraits): Evaluator {
  const s = point.seed;
  const r = (salt: number) => hash01(s, salt, 0x5014);
  const cap = point.capacityKw;
  const lat = ((point.latitudeDeg ?? -15) * Math.PI) / 180;
  const sinLat = Math.sin(lat);
  const cosLat = Math.cos(lat);
  // Brasília time is the mean time of 45° W: plants west of it see solar noon later.
  const noon = 12.2 + 0.5 * (r(1) - 0.5);
  const aux = cap * (0.002 + 0.003 * r(2));
  const genTan = tanOfPf(t.powerFactor);
  const nightCapacitive = r(3) < 0.6;
  return (mid, k, out) => {
    const dn = Math.floor(mid / DAY_MS);
    const h = (mid - dn * DAY_MS) / HOUR_MS;
    const doy = dayInfo(dn).dayOfYear;
    const decl = ((23.44 * Math.PI) / 180) * Math.sin((2 * Math.PI * (284 + doy)) / 365);
    const hourAngle = ((15 * Math.PI) / 180) * (h - noon);
    const sinAlt = sinLat * Math.sin(decl) + cosLat * Math.cos(decl) * Math.cos(hourAngle);
    let gen = 0;
    if (sinAlt > 0) {
      // Mostly clear days, some cloudy ones; within a day clouds pass on two time scales.
      const overcast = hash01(s, dn, 21) < 0.15;
      const cloudiness = overcast ? 0.6 + 0.35 * hash01(s, dn, 22) : hash01(s, dn, 20) ** 2 * 0.8;
      const passing = 0.5 * (hash01(s, k, 23) + hash01(s, Math.floor(k / 4), 24));
      gen = cap * 0.93 * sinAlt ** 1.15 * (1 - cloudiness * (0.35 + 0.65 * passing));
    }
    if (gen > aux) {
      out[1] = gen - aux;
      out[4] = (gen - aux) * genTan;
    } else {
      out[0] = aux - gen;
      if (nightCapacitive) out[3] = cap * 0.003;
      else out[2] = (aux - gen) * 0.5;
    }
  };
}

function hydro(point: LoadPoint, t: LoadShapeTraits): Evaluator {
  const s = point.seed;
  const cap = point.capacityKw;
  const units = t.units ?? 2;
  const genTan = tanOfPf(t.powerFactor);
  const aux = cap * 0.01;
  return (mid, k, out) => {
    const dn = Math.floor(mid / DAY_MS);
    const h = (mid - dn * DAY_MS) / HOUR_MS;
    const doy = dayInfo(dn).dayOfYear;
    // Wet season peaks in March, the dry one bottoms out in September.
    const season = 0.72 + 0.23 * Math.cos((2 * Math.PI * (doy - 75)) / 365.25);
    let lvl =
      0.95 *
      season *
      (1 + 0.04 * bump(h, 19.5, 2.5)) *
      (1 + 0.015 * (2 * hash01(s, k, 10) - 1)) *
      (1 + 0.03 * (2 * hash01(s, dn, 11) - 1));
    if (hash01(s, dn, 30) < 0.05) {
      const start = 24 * hash01(s, dn, 31);
      if (h >= start && h < start + 2 + 10 * hash01(s, dn, 32)) lvl *= (units - 1) / units;
    }
    if (hash01(s, dn, 33) < 0.008) {
      const start = 24 * hash01(s, dn, 34);
      if (h >= start && h < start + 0.5 + 4 * hash01(s, dn, 35)) lvl = 0;
    }
    const gen = cap * lvl;
    if (gen > 0) {
      out[1] = gen;
      // At night the machines absorb reactive power to hold the voltage down.
      if (h < 6) out[5] = gen * genTan * 0.5;
      else out[4] = gen * genTan;
    } else {
      out[0] = aux;
      out[2] = aux * 0.6;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------

interface Compiled {
  shape: LoadShape;
  seed: number;
  capacityKw: number;
  latitudeDeg: number | undefined;
  traits: LoadShapeTraits;
  evaluate: Evaluator;
}

const compiled = new WeakMap<LoadPoint, Compiled>();

function validate(point: LoadPoint): void {
  if (!LOAD_SHAPES.includes(point.shape)) {
    throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `load point: unknown shape '${String(point.shape)}'`, {
      shape: point.shape,
    });
  }
  if (!Number.isFinite(point.seed)) {
    throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `load point: seed ${point.seed} is not a finite number`);
  }
  if (!Number.isFinite(point.capacityKw) || point.capacityKw <= 0) {
    throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `load point: capacityKw ${point.capacityKw} must be positive`);
  }
}

function compile(point: LoadPoint): Compiled {
  const c = compiled.get(point);
  if (
    c &&
    c.shape === point.shape &&
    c.seed === point.seed &&
    c.capacityKw === point.capacityKw &&
    c.latitudeDeg === point.latitudeDeg
  ) {
    return c;
  }
  validate(point);
  const traits = traitsOf(point);
  const make = { industrial, commercial, 'free-consumer': freeConsumer, solar, hydro }[point.shape];
  const fresh: Compiled = {
    shape: point.shape,
    seed: point.seed,
    capacityKw: point.capacityKw,
    latitudeDeg: point.latitudeDeg,
    traits,
    evaluate: make(point, traits),
  };
  compiled.set(point, fresh);
  return fresh;
}

/** The seed-derived characteristics of a point (shifts, power factor, capacitor bank...). */
export function loadShapeTraits(point: LoadPoint): LoadShapeTraits {
  return { ...compile(point).traits };
}

/**
 * Fills `out[0..5]` (order of ENERGY_FIELDS) with the true energy of the interval ending at `intervalEnd` (wall
 * time) and lasting `intervalSeconds`. Allocation-free: the hot path of mass-memory generation.
 */
export function pointEnergyInto(
  point: LoadPoint,
  intervalEnd: WallTime,
  intervalSeconds: number,
  out: Float64Array,
): void {
  const c = compile(point);
  if (!(intervalSeconds > 0) || !Number.isFinite(intervalEnd)) {
    throw new FronteiraError(
      'FRONTEIRA_E_SIMULATOR',
      `pointEnergy: bad interval (end ${intervalEnd}, ${intervalSeconds} s)`,
    );
  }
  out.fill(0, 0, 6);
  const ms = intervalSeconds * 1000;
  c.evaluate(intervalEnd - ms / 2, Math.floor(intervalEnd / ms), out);
  const hours = intervalSeconds / 3600;
  const pMax = c.capacityKw;
  const qMax = c.capacityKw * REACTIVE_BOUND_RATIO;
  for (let i = 0; i < 6; i++) {
    const bound = i < 2 ? pMax : qMax;
    const v = out[i];
    out[i] = (v > 0 ? Math.min(v, bound) : 0) * hours;
  }
}

/** The true energy of one interval at a point (kWh / kvarh). */
export function pointEnergy(point: LoadPoint, intervalEnd: WallTime, intervalSeconds: number): IntervalEnergy {
  const out = new Float64Array(6);
  pointEnergyInto(point, intervalEnd, intervalSeconds, out);
  return {
    activeDirectKwh: out[0],
    activeReverseKwh: out[1],
    reactiveIndDirectKvarh: out[2],
    reactiveCapDirectKvarh: out[3],
    reactiveIndReverseKvarh: out[4],
    reactiveCapReverseKvarh: out[5],
  };
}
