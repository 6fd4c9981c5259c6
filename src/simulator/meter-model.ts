/**
 * The data model of one simulated ABNT NBR 14522 meter: its clock, mass memory, registers, reset history, outage
 * and alteration logs, and the parameters it would report. No framing and no I/O: the protocol responder answers
 * commands from this model, and end-to-end tests compare what a reader collected with `groundTruth()`.
 *
 * Time. Every method takes the TRUE wall time `now` (Brasília wall clock, ms read as UTC: `WallTime`) from the
 * caller; nothing reads a clock. The meter's own clock is `meterTime(now)` = true time + offset + drift, piecewise
 * linear: each clock write (0x29/0x30) starts a new piece at the true instant of the write. The mass memory is
 * labelled by METER time, as a real meter labels it: the interval labelled L (an interval END, spec §8.4) holds the
 * energy that flowed while the meter's clock ran from L−Δ to L. After a forward clock jump the skipped labels hold 0;
 * after a backward jump the repeated labels accumulate both passes, so the memory stays continuous and the word
 * count stays 3 × (last interval end − reset) / Δ, as the real-data arithmetic of spec §8.2 requires.
 *
 * Pulses. A channel's word is round(true energy × (1 + gainError) / pulse weight), clamped to 0…4095, and 0 for the
 * part of an interval covered by an outage. The pulse weight is fixed at construction (the meter's metrology); the
 * num/den multiplication constant reported in 0x20/0x21 starts equal to it and can be rewritten (0x33), after which
 * readers convert pulses with the new constant, as they would with a misprogrammed real meter. Energy = pulses ×
 * num/den in kWh or kvarh (spec §8.6 [U]: our convention).
 *
 * Label-addressed reads (`pulses`, `massMemory`, `groundTruth`) assume the labels are complete, i.e. no later than
 * `lastIntervalEnd(now)`; the period and window helpers give those bounds.
 *
 * Simplifications [I]: registers stop at the last complete MM interval (a real meter also counts the interval in
 * progress); a new holiday list or segment table re-classifies the whole current period (a real meter applies it
 * from the write on); a demand reset is never refused (no protection period, occurrence 0x45), so a 0x20 in the
 * same 5 minutes as the automatic reset leaves an empty previous period.
 *
 * Writes return a `WriteResult`: { ok: false, occurrence: 0x46 } for an invalid parameter (the responder answers
 * 0x40 with that occurrence) instead of throwing, because a bad parameter in a command is an ordinary protocol
 * outcome. Bad configuration and misuse by the caller (unknown group, unaligned label) throw FRONTEIRA_E_SIMULATOR.
 * Calls that change state log themselves in the alteration log (writes, demand reset, initialisation); the
 * responder logs plain reads with `logAccess`.
 */
import { FronteiraError } from '../domain/errors.ts';
import { brazilianHolidays } from '../domain/holidays.ts';
import { hash01, hashString } from '../domain/random.ts';
import type { ChannelConstant, Parameters, Segments } from '../protocols/abnt14522/commands/parameters.ts';
import { coded } from '../protocols/abnt14522/commands/types.ts';
import {
  daysInMonth,
  protocolWeekday,
  type TimeOfDay,
  type WallTime,
  wallTime,
} from '../protocols/abnt14522/fields.ts';
import { DIRECT_GROUP_CODES, REVERSE_GROUP_CODES } from '../protocols/abnt14522/quantities.ts';
import { channelPeakKw, energyIndexOfQuantity, type LoadPoint, pointEnergyInto } from './load-shapes.ts';

export type MeterRole = 'principal' | 'retaguarda';
export type TariffPost = 'ponta' | 'foraPonta' | 'reservado';
export const TARIFF_POSTS: readonly TariffPost[] = ['ponta', 'foraPonta', 'reservado'];

export const MAX_PULSES = 4095;
/** Occurrence "alteração com parâmetro inválido" (spec §7.9). */
export const OCCURRENCE_INVALID_PARAMETER = 0x46;
export const OCCURRENCE_BATTERY = 0x30;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface OutagePeriod {
  start: WallTime;
  end: WallTime;
}

export interface ClockConfig {
  /** Meter clock minus true time at `createdAt`, in ms. */
  offsetMs: number;
  /** Clock rate error in parts per million (positive: the meter runs fast). */
  driftPpm: number;
}

export interface AutoReset {
  /** Day of month (a short month uses its last day). */
  day: number;
  hour: number;
}

export interface SimulatedMeterConfig {
  /** 8 decimal digits. */
  serial: string;
  pointCode: string;
  role: MeterRole;
  point: LoadPoint;
  /** Relative measurement error of this meter, e.g. +0.0012. Principal and retaguarda differ by it and rounding. */
  gainError?: number;
  /** Quantity codes per channel group (3 each); default [[1,10,11],[14,15,16]]. */
  groups?: number[][];
  /** Multiplication constants per group and channel; default: the smallest 1-2-5 step that keeps the peak < 4096. */
  constants?: ChannelConstant[][];
  massMemoryIntervalSeconds?: number;
  demandIntervalMinutes?: number;
  clock?: ClockConfig;
  /** Power interruptions at the point, TRUE time. */
  outages?: OutagePeriod[];
  /** How far back 0x51/0x52 can reach; default 60. */
  memoryDays?: number;
  /** Automatic monthly demand reset; default day 1 at 00:00. */
  autoReset?: AutoReset | null;
  /** 4 BCD digits each. */
  model?: string;
  softwareVersion?: string;
  /** Reader that programmed the meter at installation (6 digits), seen in the initial alteration log. */
  readerSerial?: string;
  /** TRUE wall time the simulation starts: clock reference and anchor of the initial reset history. */
  createdAt: WallTime;
  /** TRUE wall time the meter was installed (memory starts there); default three years before createdAt. */
  installedAt?: WallTime;
  resetCount?: number;
  tariffType?: 'azul' | 'verde';
  /** Occurrences active at start (e.g. 0x30 battery). */
  occurrences?: number[];
}

export type WriteResult = { ok: true } | { ok: false; occurrence: number; message: string };

export interface AlterationEntry {
  /** Command code that was executed. */
  code: number;
  /** 6 digits. */
  readerSerial: string;
  /** Meter time. */
  time: WallTime;
}

export interface MassMemoryWindow {
  windowDays?: number;
  windowHours?: number;
}

export type ParametersKind = 'current' | 'previous' | 'reset' | MassMemoryWindow;

/** A run of labels (interval ends, meter time): fromEnd, fromEnd+Δ, …, toEnd; empty when intervals = 0. */
export interface LabelRange {
  fromEnd: WallTime;
  toEnd: WallTime;
  intervals: number;
}

export interface GroundTruth {
  /** Interval ends, meter time, oldest first. */
  ends: WallTime[];
  /** Per channel of the group. */
  pulses: Uint16Array[];
  /** Per channel: pulses × num/den. */
  energy: Float64Array[];
}

export interface ChannelRegisters {
  /** 1-based channel number in the meter (3g+1…3g+3). */
  channel: number;
  quantityCode: number;
  constant: ChannelConstant;
  pulses: Record<'total' | TariffPost, number>;
  /** pulses × num/den (kWh or kvarh). */
  energy: Record<'total' | TariffPost, number>;
  /** Demand (kW or kvar) of the last complete demand interval of the period. */
  lastDemand: number;
  maxDemand: Record<TariffPost, number>;
  /** End (meter time) of the demand interval of each maximum; null when the post had none. */
  maxDemandAt: Record<TariffPost, WallTime | null>;
}

export interface MeterRegisters {
  kind: 'current' | 'previous';
  group: number;
  meterTime: WallTime;
  /** The period's labels are (periodStart, periodEnd]. */
  periodStart: WallTime;
  periodEnd: WallTime;
  demandIntervalMinutes: number;
  channels: ChannelRegisters[];
}

export interface InstantValues {
  meterTime: WallTime;
  /** V, phases A/B/C (primary side). */
  phaseVoltage: [number, number, number];
  /** V, AB/BC/CA. */
  lineVoltage: [number, number, number];
  /** A, phases A/B/C and neutral. */
  current: [number, number, number, number];
  /** kW, A/B/C/total; negative when the point exports. */
  activePower: [number, number, number, number];
  /** kvar, A/B/C/total; positive inductive, negative capacitive. */
  reactivePower: [number, number, number, number];
  /** kVA, A/B/C/total. */
  apparentPower: [number, number, number, number];
  /** cos φ, A/B/C/total (unsigned). */
  powerFactor: [number, number, number, number];
  frequencyHz: number;
  temperatureC: number;
}

/** Tariff segments as a meter holds them (0x35), plus the reserved-segment condition (0x36). */
export interface TariffSchedule extends Segments {
  reservadoActive: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Tariff posts

interface CompiledSchedule {
  minutes: number[];
  posts: TariffPost[];
}

function compileSchedule(s: TariffSchedule): CompiledSchedule {
  const entries: { minute: number; post: TariffPost }[] = [];
  const add = (list: (TimeOfDay | null)[], post: TariffPost) => {
    for (const t of list) if (t) entries.push({ minute: t.hour * 60 + t.minute, post });
  };
  add(s.ponta, 'ponta');
  add(s.foraPonta, 'foraPonta');
  if (s.reservadoActive) add(s.reservado, 'reservado');
  entries.sort((a, b) => a.minute - b.minute);
  return { minutes: entries.map((e) => e.minute), posts: entries.map((e) => e.post) };
}

function postAt(c: CompiledSchedule, minuteOfDay: number, nonWorkingDay: boolean): TariffPost {
  const n = c.minutes.length;
  if (n === 0) return 'foraPonta';
  // The segment in force is the one whose start is the latest at or before the time; before the first start of
  // the day, the last one of the previous day still runs.
  let post = c.posts[n - 1];
  for (let i = 0; i < n; i++) {
    if (c.minutes[i] <= minuteOfDay) post = c.posts[i];
    else break;
  }
  return nonWorkingDay && post === 'ponta' ? 'foraPonta' : post;
}

/**
 * The tariff post of the interval starting at `intervalStart` (meter wall time). Segment starts repeat daily; the
 * reserved segment counts only when active; on non-working days (weekends, holidays) ponta becomes fora ponta.
 */
export function tariffPost(intervalStart: WallTime, schedule: TariffSchedule, nonWorkingDay: boolean): TariffPost {
  const minute = Math.floor((((intervalStart % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  return postAt(compileSchedule(schedule), minute, nonWorkingDay);
}

/** Ponta 18:00–21:00, the usual three hours; fora ponta the rest; no reserved segment. */
export function defaultSchedule(): TariffSchedule {
  const four = (t: TimeOfDay | null) => [t, t, t, t];
  return {
    ponta: four({ hour: 18, minute: 0 }),
    foraPonta: four({ hour: 21, minute: 0 }),
    reservado: four(null),
    reservadoActive: false,
  };
}

const tariffHolidayDays = new Map<number, Set<number>>();

/** Day numbers (days since 1970) of a year's holidays without ponta. */
function defaultTariffHolidays(year: number): Set<number> {
  let set = tariffHolidayDays.get(year);
  if (!set) {
    set = new Set(
      brazilianHolidays(year)
        .filter((h) => h.noPonta)
        .map((h) => Math.round(Date.parse(`${h.date}T00:00:00Z`) / DAY_MS)),
    );
    tariffHolidayDays.set(year, set);
  }
  return set;
}

// ---------------------------------------------------------------------------------------------------------------
// Constants

/**
 * The multiplication constant (kWh or kvarh per pulse, as num/den) for a channel whose average power never exceeds
 * `peakKw`: the smallest 1-2-5 step that keeps a full interval at the peak, with 10 % margin for gain error and
 * doubled labels, at or below 4000 pulses.
 */
export function constantForPeak(peakKw: number, intervalSeconds: number): ChannelConstant {
  if (!(peakKw > 0)) return { numerator: 1, denominator: 1000 };
  const minWeight = (peakKw * (intervalSeconds / 3600) * 1.1) / 4000;
  let exp = Math.floor(Math.log10(minWeight));
  for (let guard = 0; guard < 4; guard++, exp++) {
    for (const m of [1, 2, 5]) {
      const c = exp >= 0 ? { numerator: m * 10 ** exp, denominator: 1 } : { numerator: m, denominator: 10 ** -exp };
      if (c.numerator / c.denominator >= minWeight) {
        if (c.numerator > 999_999 || c.denominator > 999_999) {
          throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `no 6-digit constant fits a peak of ${peakKw} kW`, {
            peakKw,
          });
        }
        return c;
      }
    }
  }
  throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `no constant found for a peak of ${peakKw} kW`, { peakKw });
}

export function defaultConstants(point: LoadPoint, groups: number[][], intervalSeconds: number): ChannelConstant[][] {
  return groups.map((codes) => codes.map((code) => constantForPeak(channelPeakKw(point, code), intervalSeconds)));
}

// ---------------------------------------------------------------------------------------------------------------

interface StoredWords {
  /** Label of the first kept interval. */
  first: WallTime;
  /** Labels kept (fixed: the span slides forward as intervals close). */
  count: number;
  /** 3 × count words, channel 1, 2, 3 of each label. */
  words: Uint16Array;
}

interface ClockPiece {
  /** TRUE time the piece starts (−∞ for the first). */
  from: number;
  offsetMs: number;
  /** Drift as a ratio (ppm × 1e−6). */
  d: number;
  /** TRUE reference time of the drift term. */
  ref: number;
  /** Meter-time image of [from, next.from). */
  imgLo: number;
  imgHi: number;
}

interface PeriodSummary {
  /** [post][channel] pulse sums. */
  pulses: number[][];
  /** [post][channel] largest demand-interval pulse sum, and where it ended. */
  maxPulses: number[][];
  maxAt: (WallTime | null)[][];
  /** Per channel: pulses of the last complete demand interval. */
  lastPulses: number[];
}

interface Anchor {
  label: WallTime;
  /** [post][channel] cumulative register pulses at `label`. */
  pulses: number[][];
}

function fail(message: string, details: Record<string, unknown> = {}): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_SIMULATOR', message, details);
}

function invalid(message: string): WriteResult {
  return { ok: false, occurrence: OCCURRENCE_INVALID_PARAMETER, message };
}

function isDigits(s: unknown, n: number): s is string {
  return typeof s === 'string' && s.length === n && /^\d+$/.test(s);
}

function zeros(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

function validTime(t: TimeOfDay | null): boolean {
  if (t === null) return true;
  return (
    typeof t === 'object' &&
    Number.isInteger(t.hour) &&
    Number.isInteger(t.minute) &&
    t.hour >= 0 &&
    t.hour <= 23 &&
    t.minute >= 0 &&
    t.minute <= 59
  );
}

/** Scheduled automatic reset times (meter time) of a month. */
function scheduledReset(year: number, month: number, a: AutoReset): WallTime {
  return wallTime(year, month, Math.min(a.day, daysInMonth(year, month)), a.hour);
}

function nextScheduledReset(after: WallTime, a: AutoReset): WallTime {
  const d = new Date(after);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth() + 1;
  for (let i = 0; i < 3; i++) {
    const t = scheduledReset(y, m, a);
    if (t > after) return t;
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return scheduledReset(y, m, a);
}

function previousScheduledReset(atOrBefore: WallTime, a: AutoReset): WallTime {
  const d = new Date(atOrBefore);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth() + 1;
  for (let i = 0; i < 3; i++) {
    const t = scheduledReset(y, m, a);
    if (t <= atOrBefore) return t;
    m--;
    if (m < 1) {
      m = 12;
      y--;
    }
  }
  return scheduledReset(y, m, a);
}

const MAX_LABELS = 800 * 288;

export class SimulatedMeter {
  readonly serial: string;
  readonly pointCode: string;
  readonly role: MeterRole;
  readonly point: LoadPoint;
  readonly gainError: number;
  readonly massMemoryIntervalSeconds: number;
  readonly memoryDays: number;
  readonly model: string;
  readonly softwareVersion: string;
  readonly autoReset: AutoReset | null;
  readonly tariffType: 'azul' | 'verde';

  private readonly intervalMs: number;
  private readonly groupCodes: number[][];
  private readonly energyIndex: number[][];
  /** kWh (kvarh) per pulse of each channel: the metrology, fixed. */
  private readonly pulseWeight: number[][];
  private groupConstants: ChannelConstant[][];
  private readonly outagesTrue: OutagePeriod[];
  private readonly noiseSeed: number;

  private clock: ClockPiece[];
  private lastResetLabel: WallTime;
  private penultimateResetLabel: WallTime;
  private resets: number;
  private demandMinutes: number;
  private previousDemandMinutes: number;
  private programmedHolidays: (WallTime | null)[] | null = null;
  private programmedHolidayDays: Set<number> | null = null;
  private schedule: TariffSchedule;
  private compiledSchedule: CompiledSchedule;
  private segmentCount: number | null = 3;
  /** Labels at or before this hold nothing (installation or last 0x38). */
  private memoryStart: WallTime;
  /** Outages that started before this TRUE time were cleared from the log by 0x38. */
  private outageLogFrom: WallTime;
  private log: AlterationEntry[] = [];
  private activeOccurrences: Set<number>;
  private version = 0;
  private anchors: (Anchor | undefined)[] = [];
  private summaries = new Map<string, PeriodSummary>();
  /**
   * Words already worked out, per group, the way a real meter keeps its mass memory in flash instead of measuring it
   * again when asked. The words of a label depend only on the clock pieces and the memory start, so they stay exact
   * until a clock write or an initialisation, which drop them all.
   */
  private stored: (StoredWords | undefined)[] = [];

  // Scratch buffers of the hot path.
  private readonly acc = new Float64Array(6);
  private readonly cacheVals = new Float64Array(6);
  private cacheK = Number.NaN;

  constructor(config: SimulatedMeterConfig) {
    const c = config;
    if (!isDigits(c.serial, 8)) throw fail(`meter config: serial '${c.serial}' must be 8 digits`);
    if (typeof c.pointCode !== 'string' || c.pointCode.length === 0) {
      throw fail(`meter ${c.serial}: pointCode is required`);
    }
    if (c.role !== 'principal' && c.role !== 'retaguarda') {
      throw fail(`meter ${c.serial}: role '${String(c.role)}' is not principal/retaguarda`);
    }
    if (!Number.isFinite(c.createdAt)) throw fail(`meter ${c.serial}: createdAt must be a wall time`);
    this.serial = c.serial;
    this.pointCode = c.pointCode;
    this.role = c.role;
    this.point = c.point;
    this.noiseSeed = hashString(c.serial);

    const gain = c.gainError ?? 0;
    if (!Number.isFinite(gain) || Math.abs(gain) >= 0.05) {
      throw fail(`meter ${c.serial}: gainError ${gain} must be within ±0.05`);
    }
    this.gainError = gain;

    const secs = c.massMemoryIntervalSeconds ?? 300;
    if (!Number.isInteger(secs) || secs < 60 || 3600 % secs !== 0) {
      throw fail(`meter ${c.serial}: massMemoryIntervalSeconds ${secs} must divide an hour (60…3600 s)`);
    }
    this.massMemoryIntervalSeconds = secs;
    this.intervalMs = secs * 1000;

    const groups = c.groups ?? [[...DIRECT_GROUP_CODES], [...REVERSE_GROUP_CODES]];
    if (!Array.isArray(groups) || groups.length < 1 || groups.length > 33) {
      throw fail(`meter ${c.serial}: groups must list 1…33 channel groups`);
    }
    groups.forEach((g, i) => {
      if (!Array.isArray(g) || g.length !== 3 || !g.every((q) => Number.isInteger(q) && q >= 0 && q <= 99)) {
        throw fail(`meter ${c.serial}: group ${i} must hold 3 quantity codes 0…99`, { group: i });
      }
    });
    this.groupCodes = groups.map((g) => [...g]);
    this.energyIndex = groups.map((g) => g.map(energyIndexOfQuantity));

    // Validates the point too (pointEnergyInto would throw on first use otherwise).
    pointEnergyInto(c.point, 0, secs, this.cacheVals);
    const consts = c.constants ?? defaultConstants(c.point, groups, secs);
    if (consts.length !== groups.length) throw fail(`meter ${c.serial}: constants must have one entry per group`);
    consts.forEach((g, i) => {
      if (g.length !== 3 || !g.every(validConstant)) {
        throw fail(`meter ${c.serial}: constants of group ${i} must be 3 × num/den in 1…999999`, { group: i });
      }
    });
    this.groupConstants = consts.map((g) => g.map((k) => ({ ...k })));
    this.pulseWeight = consts.map((g) => g.map((k) => k.numerator / k.denominator));

    const demand = c.demandIntervalMinutes ?? 15;
    const bad = this.demandIntervalProblem(demand);
    if (bad) throw fail(`meter ${c.serial}: ${bad}`);
    this.demandMinutes = demand;
    this.previousDemandMinutes = demand;

    const clock = c.clock ?? { offsetMs: 0, driftPpm: 0 };
    if (!Number.isFinite(clock.offsetMs) || !Number.isFinite(clock.driftPpm) || Math.abs(clock.driftPpm) > 1000) {
      throw fail(`meter ${c.serial}: clock offset/drift must be finite (drift within ±1000 ppm)`);
    }
    this.clock = [];
    this.pushClockPiece(-Infinity, clock.offsetMs, clock.driftPpm * 1e-6, c.createdAt);

    this.outagesTrue = mergeOutages(c.outages ?? [], c.serial);

    const memoryDays = c.memoryDays ?? 60;
    if (!Number.isInteger(memoryDays) || memoryDays < 1 || memoryDays > 800) {
      throw fail(`meter ${c.serial}: memoryDays ${memoryDays} must be 1…800`);
    }
    this.memoryDays = memoryDays;

    const auto = c.autoReset === undefined ? { day: 1, hour: 0 } : c.autoReset;
    if (
      auto !== null &&
      (!Number.isInteger(auto.day) || auto.day < 1 || auto.day > 31 || !Number.isInteger(auto.hour) || auto.hour > 23)
    ) {
      throw fail(`meter ${c.serial}: autoReset day 1…31 and hour 0…23 expected`);
    }
    this.autoReset = auto === null ? null : { day: auto.day, hour: Math.max(0, auto.hour) };

    this.model = c.model ?? '8451';
    this.softwareVersion = c.softwareVersion ?? '0310';
    if (!isDigits(this.model, 4) || !isDigits(this.softwareVersion, 4)) {
      throw fail(`meter ${c.serial}: model and softwareVersion must be 4 digits`);
    }
    const installer = c.readerSerial ?? '000001';
    if (!isDigits(installer, 6)) throw fail(`meter ${c.serial}: readerSerial must be 6 digits`);
    this.tariffType = c.tariffType ?? 'azul';

    this.schedule = defaultSchedule();
    this.compiledSchedule = compileSchedule(this.schedule);
    this.activeOccurrences = new Set(c.occurrences ?? []);

    // Reset history: a fleet started today already has a previous period and a current one.
    const installedAt = c.installedAt ?? c.createdAt - 3 * 365 * DAY_MS;
    if (!Number.isFinite(installedAt) || installedAt > c.createdAt) {
      throw fail(`meter ${c.serial}: installedAt must not be after createdAt`);
    }
    this.memoryStart = this.floorLabel(this.meterTimeExact(installedAt));
    this.outageLogFrom = installedAt;
    const mNow = this.meterTimeExact(c.createdAt);
    if (this.autoReset) {
      this.lastResetLabel = previousScheduledReset(mNow, this.autoReset);
      this.penultimateResetLabel = previousScheduledReset(this.lastResetLabel - 1, this.autoReset);
    } else {
      const d = new Date(mNow);
      this.lastResetLabel = wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      this.penultimateResetLabel = wallTime(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    this.lastResetLabel = Math.max(this.lastResetLabel, this.memoryStart);
    this.penultimateResetLabel = Math.max(this.penultimateResetLabel, this.memoryStart);
    const months = Math.max(1, Math.round((this.lastResetLabel - this.memoryStart) / (30.44 * DAY_MS)));
    this.resets = c.resetCount ?? months;
    if (!Number.isInteger(this.resets) || this.resets < 0) throw fail(`meter ${c.serial}: resetCount must be ≥ 0`);

    // Installation programming, as a real meter's log would show it.
    const t0 = this.memoryStart;
    for (const [i, code] of [0x38, 0x29, 0x30, 0x33, 0x35, 0x32, 0x31].entries()) {
      this.log.push({ code, readerSerial: installer, time: t0 + (i + 1) * 7000 });
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Configuration views

  get groupCount(): number {
    return this.groupCodes.length;
  }

  quantityCodes(group: number): number[] {
    this.checkGroup(group);
    return [...this.groupCodes[group]];
  }

  constants(group: number): ChannelConstant[] {
    this.checkGroup(group);
    return this.groupConstants[group].map((k) => ({ ...k }));
  }

  get demandIntervalMinutes(): number {
    return this.demandMinutes;
  }

  occurrences(): number[] {
    return [...this.activeOccurrences].sort((a, b) => a - b);
  }

  /** Raises an occurrence (fault scenarios); the responder reports it as 0x40 until cleared with 0x37. */
  raiseOccurrence(code: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw fail(`occurrence ${code} is not a byte`);
    this.activeOccurrences.add(code);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Clock

  /** The meter's clock reading (wall time, whole ms) at TRUE wall time `now`. */
  meterTime(now: WallTime): WallTime {
    return Math.floor(this.meterTimeExact(now));
  }

  /** End of the last complete mass-memory interval at `now` (meter time). */
  lastIntervalEnd(now: WallTime): WallTime {
    return this.floorLabel(this.meterTimeExact(now));
  }

  /** Whether the point is without power at `now` (the meter cannot answer then). */
  isPoweredOff(now: WallTime): boolean {
    return this.outagesTrue.some((o) => o.start <= now && now < o.end);
  }

  private meterTimeExact(t: number): number {
    const p = this.pieceAt(t);
    return t + p.offsetMs + p.d * (t - p.ref);
  }

  private pieceAt(t: number): ClockPiece {
    for (let i = this.clock.length - 1; i > 0; i--) if (this.clock[i].from <= t) return this.clock[i];
    return this.clock[0];
  }

  private pushClockPiece(from: number, offsetMs: number, d: number, ref: number): void {
    const last = this.clock[this.clock.length - 1];
    if (last && from < last.from) {
      throw fail(`meter ${this.serial}: clock write at ${from} is earlier than the previous one (${last.from})`);
    }
    if (last && from === last.from) this.clock.pop();
    const f = (t: number) => t + offsetMs + d * (t - ref);
    const prev = this.clock[this.clock.length - 1];
    if (prev) prev.imgHi = prev.offsetMs + from + prev.d * (from - prev.ref);
    this.clock.push({ from, offsetMs, d, ref, imgLo: from === -Infinity ? -Infinity : f(from), imgHi: Infinity });
    this.cacheK = Number.NaN;
    // A new piece can move energy between labels (a backward jump labels the same times twice).
    this.stored = [];
  }

  private floorLabel(meterTime: number): WallTime {
    return Math.floor(meterTime / this.intervalMs) * this.intervalMs;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Mass memory

  /** Pulses of one channel (0-based index within the group) in the interval ending at `intervalEnd` (meter time). */
  pulses(group: number, channelIndex: number, intervalEnd: WallTime): number {
    this.checkGroup(group);
    if (!Number.isInteger(channelIndex) || channelIndex < 0 || channelIndex > 2) {
      throw fail(`meter ${this.serial}: channel index ${channelIndex} is not 0…2`);
    }
    return this.massMemory(group, intervalEnd, intervalEnd)[channelIndex];
  }

  /**
   * The 12-bit words the meter holds for labels fromEnd…toEnd (inclusive, meter time, multiples of Δ): channel 1, 2,
   * 3 of each interval, oldest first.
   */
  massMemory(group: number, fromEnd: WallTime, toEnd: WallTime): Uint16Array {
    this.checkGroup(group);
    const n = this.countLabels(fromEnd, toEnd);
    const s = this.stored[group];
    if (s && n > 0 && n <= s.count && fromEnd >= s.first) {
      const D = this.intervalMs;
      const last = s.first + (s.count - 1) * D;
      // Labels that closed after the kept ones join them and the oldest fall out, as in a meter's ring memory.
      if (toEnd > last && fromEnd <= last + D) this.appendStored(group, s, toEnd);
      const i0 = (fromEnd - s.first) / D;
      if (i0 >= 0 && i0 + n <= s.count) return s.words.slice(3 * i0, 3 * (i0 + n));
    }
    return this.computeWords(group, fromEnd, n);
  }

  /**
   * Works out and keeps the words of every group for the last `days` days up to the last complete interval at `now`,
   * so reads of those labels (and of labels closing later, which slide the kept span forward) cost a copy. Fleets
   * call it at start-up: a real meter answers from memory it filled as the intervals closed.
   */
  materialiseMassMemory(now: WallTime, days: number): void {
    if (!(days > 0)) {
      this.stored = [];
      return;
    }
    const D = this.intervalMs;
    const count = Math.min(MAX_LABELS, Math.ceil((days * DAY_MS) / D));
    const last = this.lastIntervalEnd(now);
    const first = last - (count - 1) * D;
    this.stored = this.groupCodes.map((_, g) => ({ first, count, words: this.computeWords(g, first, count) }));
  }

  private computeWords(group: number, fromEnd: WallTime, n: number): Uint16Array {
    const out = new Uint16Array(3 * n);
    let i = 0;
    this.scan(group, fromEnd, n, (_l, a, b, c) => {
      out[i++] = a;
      out[i++] = b;
      out[i++] = c;
    });
    return out;
  }

  /** Extends the kept words up to `toEnd`, keeping their number of labels. */
  private appendStored(group: number, s: StoredWords, toEnd: WallTime): void {
    const D = this.intervalMs;
    const last = s.first + (s.count - 1) * D;
    const added = (toEnd - last) / D;
    const fresh = this.computeWords(group, last + D, added);
    if (added >= s.count) {
      s.words = fresh.slice(3 * (added - s.count));
    } else {
      s.words.copyWithin(0, 3 * added);
      s.words.set(fresh, 3 * (s.count - added));
    }
    s.first = toEnd - (s.count - 1) * D;
  }

  /** Exactly what the meter holds for those labels, per channel, with energies (pulses × num/den). */
  groundTruth(group: number, fromEnd: WallTime, toEnd: WallTime): GroundTruth {
    this.checkGroup(group);
    const n = this.countLabels(fromEnd, toEnd);
    const ends: WallTime[] = new Array(n);
    const pulses = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)];
    let i = 0;
    this.scan(group, fromEnd, n, (l, a, b, c) => {
      ends[i] = l;
      pulses[0][i] = a;
      pulses[1][i] = b;
      pulses[2][i] = c;
      i++;
    });
    const energy = pulses.map((p, ch) => {
      const k = this.groupConstants[group][ch];
      const e = new Float64Array(n);
      for (let j = 0; j < n; j++) e[j] = (p[j] * k.numerator) / k.denominator;
      return e;
    });
    return { ends, pulses, energy };
  }

  /** Labels of the current period (0x26: since the last reset) or the previous one (0x27: penultimate → last). */
  periodRange(now: WallTime, kind: 'current' | 'previous'): LabelRange {
    this.advance(now);
    return kind === 'current'
      ? this.range(this.lastResetLabel, this.lastIntervalEnd(now))
      : this.range(this.penultimateResetLabel, this.lastResetLabel);
  }

  /** Labels 0x52 returns after a 0x51 window: the last `windowDays`/`windowHours` (all of memory if neither). */
  windowRange(now: WallTime, window: MassMemoryWindow): LabelRange {
    this.advance(now);
    const last = this.lastIntervalEnd(now);
    const days = window.windowDays ?? 0;
    const hours = window.windowHours ?? 0;
    if (!(days >= 0) || !(hours >= 0)) throw fail(`meter ${this.serial}: negative mass-memory window`);
    const oldestStart = Math.max(this.memoryStart, last - this.memoryDays * DAY_MS);
    const span = days * DAY_MS + hours * HOUR_MS;
    const start = span > 0 ? Math.max(oldestStart, this.floorLabel(last - span)) : oldestStart;
    return this.range(start, last);
  }

  /** The words of a period or window, with their labels: what 0x26 / 0x27 / 0x52 transfer. */
  massMemoryOf(
    group: number,
    now: WallTime,
    kind: 'current' | 'previous' | MassMemoryWindow,
  ): LabelRange & {
    words: Uint16Array;
  } {
    const r = typeof kind === 'string' ? this.periodRange(now, kind) : this.windowRange(now, kind);
    const words = r.intervals > 0 ? this.massMemory(group, r.fromEnd, r.toEnd) : new Uint16Array(0);
    return { ...r, words };
  }

  private range(afterLabel: WallTime, lastLabel: WallTime): LabelRange {
    const intervals = Math.max(0, Math.round((lastLabel - afterLabel) / this.intervalMs));
    return { fromEnd: afterLabel + this.intervalMs, toEnd: afterLabel + intervals * this.intervalMs, intervals };
  }

  private countLabels(fromEnd: WallTime, toEnd: WallTime): number {
    const D = this.intervalMs;
    if (!Number.isInteger(fromEnd / D) || !Number.isInteger(toEnd / D)) {
      throw fail(`meter ${this.serial}: interval ends ${fromEnd}…${toEnd} are not multiples of ${D / 1000} s`);
    }
    const n = toEnd < fromEnd ? 0 : (toEnd - fromEnd) / D + 1;
    if (n > MAX_LABELS) throw fail(`meter ${this.serial}: ${n} intervals requested at once (max ${MAX_LABELS})`);
    return n;
  }

  /** Visits n consecutive labels from `fromEnd` with the pulses of the group's three channels. */
  private scan(
    group: number,
    fromEnd: WallTime,
    n: number,
    visit: (label: WallTime, p0: number, p1: number, p2: number) => void,
  ): void {
    if (n === 0) return;
    const D = this.intervalMs;
    const idx = this.energyIndex[group];
    const w = this.pulseWeight[group];
    const gain = 1 + this.gainError;
    const lo = fromEnd - D;
    const hi = fromEnd + (n - 1) * D;
    const pieces = this.clock.filter((p) => p.imgLo < hi && p.imgHi > lo);
    const acc = this.acc;
    const pulse = (ch: number) => {
      const e = idx[ch];
      if (e < 0) return 0;
      const p = Math.round((acc[e] * gain) / w[ch]);
      return Math.min(p, MAX_PULSES);
    };
    for (let i = 0; i < n; i++) {
      const label = fromEnd + i * D;
      if (label <= this.memoryStart) {
        visit(label, 0, 0, 0);
        continue;
      }
      acc.fill(0);
      const mLo = label - D;
      for (const p of pieces) {
        const a = Math.max(mLo, p.imgLo);
        const b = Math.min(label, p.imgHi);
        if (a >= b) continue;
        const inv = 1 + p.d;
        this.addTrueEnergy((a - p.offsetMs + p.d * p.ref) / inv, (b - p.offsetMs + p.d * p.ref) / inv);
      }
      visit(label, pulse(0), pulse(1), pulse(2));
    }
  }

  /** Adds to `acc` the true energy of [a, b) (true time), minus what outages cut out. */
  private addTrueEnergy(a: number, b: number): void {
    const D = this.intervalMs;
    const kEnd = Math.ceil(b / D);
    for (let k = Math.floor(a / D); k < kEnd; k++) {
      const iStart = k * D;
      const lo = Math.max(a, iStart);
      const hi = Math.min(b, iStart + D);
      let overlap = hi - lo;
      if (overlap <= 0) continue;
      if (this.outagesTrue.length > 0) overlap -= this.outageOverlap(lo, hi);
      if (overlap <= 0) continue;
      if (k !== this.cacheK) {
        pointEnergyInto(this.point, iStart + D, this.massMemoryIntervalSeconds, this.cacheVals);
        this.cacheK = k;
      }
      const f = overlap / D;
      const v = this.cacheVals;
      const acc = this.acc;
      for (let j = 0; j < 6; j++) acc[j] += v[j] * f;
    }
  }

  private outageOverlap(lo: number, hi: number): number {
    let cut = 0;
    for (const o of this.outagesTrue) {
      if (o.start >= hi) break;
      const a = Math.max(o.start, lo);
      const b = Math.min(o.end, hi);
      if (b > a) cut += b - a;
    }
    return cut;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Resets

  /**
   * Demand reset (0x20): last → penultimate, last = meter time floored to the MM interval [I] (the real 0x20 dump
   * shows the reset time equal to the end of the last interval, spec §14.3), counter + 1, logged as 0x20.
   */
  demandReset(now: WallTime, readerSerial = '000000'): { lastReset: WallTime; penultimateReset: WallTime } {
    this.advance(now);
    this.rotate(Math.max(this.lastIntervalEnd(now), this.lastResetLabel));
    this.logAccess(0x20, readerSerial, now);
    return { lastReset: this.lastResetLabel, penultimateReset: this.penultimateResetLabel };
  }

  /** Reset times (meter time) and counter at `now` (automatic resets applied). */
  resetState(now: WallTime): { lastReset: WallTime; penultimateReset: WallTime; resetCount: number } {
    this.advance(now);
    return { lastReset: this.lastResetLabel, penultimateReset: this.penultimateResetLabel, resetCount: this.resets };
  }

  private rotate(at: WallTime): void {
    this.penultimateResetLabel = this.lastResetLabel;
    this.lastResetLabel = at;
    this.resets++;
    this.previousDemandMinutes = this.demandMinutes;
  }

  /** Applies the automatic monthly resets whose scheduled meter time has passed. */
  private advance(now: WallTime): void {
    if (!this.autoReset) return;
    const m = this.meterTimeExact(now);
    let next = nextScheduledReset(this.lastResetLabel, this.autoReset);
    for (let guard = 0; next <= m && guard < 1200; guard++) {
      this.rotate(next);
      next = nextScheduledReset(next, this.autoReset);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Parameters (0x20 / 0x21 / 0x22 / 0x51)

  /**
   * The parameters block of group `group`: 'current' (0x21), 'previous' (0x22: as 0x21 but with the end of the last
   * interval at the last reset [I]), 'reset' (0x20: performs the demand reset first) or a window (0x51: the current
   * word count is the number of words 0x52 will return).
   */
  parameters(group: number, now: WallTime, kind: ParametersKind, readerSerial = '000000'): Parameters {
    this.checkGroup(group);
    if (kind === 'reset') this.demandReset(now, readerSerial);
    else this.advance(now);
    const meterTime = Math.floor(this.meterTimeExact(now) / 1000) * 1000;
    const lie = this.lastIntervalEnd(now);
    const previousWords = 3 * this.range(this.penultimateResetLabel, this.lastResetLabel).intervals;
    let currentWords = 3 * this.range(this.lastResetLabel, lie).intervals;
    if (typeof kind === 'object') currentWords = 3 * this.windowRange(now, kind).intervals;
    const year = new Date(meterTime).getUTCFullYear();
    const holidays = this.holidayList(year);
    const mm = this.massMemoryIntervalSeconds;
    const codes = this.groupCodes[group];
    const isDirect = codes[0] === 1 && codes[1] === 10 && codes[2] === 11;
    const none = (): (TimeOfDay | null)[] => [null, null, null, null];
    return {
      meterTime,
      weekday: protocolWeekday(meterTime),
      lastIntervalEnd: kind === 'previous' ? this.lastResetLabel : lie,
      lastReset: this.lastResetLabel,
      penultimateReset: this.penultimateResetLabel,
      segments: {
        ponta: [...this.schedule.ponta],
        foraPonta: [...this.schedule.foraPonta],
        reservado: [...this.schedule.reservado],
      },
      massMemoryWords: { current: currentWords, previous: previousWords },
      resetCount: this.resets,
      demandIntervalMinutes: { current: this.demandMinutes, previous: this.previousDemandMinutes },
      holidays,
      constants: this.constants(group),
      battery: coded(this.activeOccurrences.has(OCCURRENCE_BATTERY) ? 1 : 0, { 0: 'ok', 1: 'problem' }),
      softwareVersion: this.softwareVersion,
      reservedSegmentActive: this.schedule.reservadoActive,
      demandMethod: coded(0, { 0: 'tradicional', 1: 'pesquisada' }),
      model: this.model,
      channel2ExtraCodes: 0,
      autoReset: this.autoReset
        ? { enabled: true, day: this.autoReset.day, hour: this.autoReset.hour }
        : { enabled: false, day: null, hour: null },
      daylightSaving: { enabled: false, endOfWinter: null, endOfSummer: null },
      secondSegmentSet: {
        flag: 0,
        startDates: [null, null, null, null],
        segments: { ponta: none(), foraPonta: none(), reservado: none() },
      },
      quantityCodes: [...codes],
      pfComposition: isDirect ? 52 : 0,
      clockBase: coded(1, { 0: 'indefinida', 1: 'cristal', 2: 'rede' }),
      massMemoryIntervalSeconds: mm,
      pulseReversal: coded(1, { 0: 'indefinido', 1: 'simples', 2: 'duplo' }),
      weekendBehaviour: [0, 0, 0],
      tariffType:
        this.tariffType === 'azul'
          ? coded(0, { 0: 'azul', 1: 'verde', 2: 'irrigante', 3: 'amarela', 4: 'nenhuma' })
          : coded(1, { 0: 'azul', 1: 'verde', 2: 'irrigante', 3: 'amarela', 4: 'nenhuma' }),
      reactive: {
        consumptionIntervalMinutes: 60,
        demandIntervalMinutes: 60,
        referencePfInductive: 0.92,
        referencePfCapacitive: 0.92,
        inductiveStart: [{ hour: 6, minute: 0 }, null],
        capacitiveStart: [{ hour: 0, minute: 0 }, null],
        inductiveStartSet2: [null, null],
        capacitiveStartSet2: [null, null],
      },
      segmentCount: this.segmentCount,
      measurementParametersAvailable: true,
      ssuMode: coded(0, { 0: 'normal', 1: 'estendida', 2: 'mostrador remoto', 4: 'quatro quadrantes' }),
      upgrade: 0,
      clockSyncIntervalHours: 0,
      gmtOffset: 0,
      passwordEnabled: false,
      fiscalPageAvailable: true,
      channelGroups: this.groupCodes.length,
      unknown: {},
    };
  }

  /** The 15 holiday slots: the programmed list, or this year's holidays without ponta. */
  private holidayList(year: number): (WallTime | null)[] {
    const list: (WallTime | null)[] = this.programmedHolidays
      ? [...this.programmedHolidays]
      : brazilianHolidays(year)
          .filter((h) => h.noPonta)
          .map((h) => Date.parse(`${h.date}T00:00:00Z`))
          .slice(0, 15);
    while (list.length < 15) list.push(null);
    return list;
  }

  private isTariffNonWorkingDay(dayNumber: number): boolean {
    const wd = (dayNumber + 4) % 7; // 1970-01-01 was a Thursday (4)
    if (wd === 0 || wd === 6) return true;
    if (this.programmedHolidayDays) return this.programmedHolidayDays.has(dayNumber);
    return defaultTariffHolidays(new Date(dayNumber * DAY_MS).getUTCFullYear()).has(dayNumber);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Registers (0x23 / 0x24)

  /**
   * Cumulative energy per tariff post and maximum demand per post of the visible channels of `group`, at the end of
   * the current period (up to the last complete MM interval) or at the last reset. Built from the mass memory, so
   * the advance of a register over any period equals the sum of the MM energy of that period.
   */
  registers(now: WallTime, kind: 'current' | 'previous', group = 0): MeterRegisters {
    this.checkGroup(group);
    this.advance(now);
    const lie = this.lastIntervalEnd(now);
    const last = this.lastResetLabel;
    const atLast = this.cumulativeAt(group, last);
    let totals = atLast;
    let summary: PeriodSummary;
    let demandMinutes: number;
    let periodStart: WallTime;
    let periodEnd: WallTime;
    if (kind === 'current') {
      demandMinutes = this.demandMinutes;
      periodStart = last;
      periodEnd = Math.max(last, lie);
      summary = this.summary(group, periodStart, periodEnd, demandMinutes);
      totals = atLast.map((row, post) => row.map((v, ch) => v + summary.pulses[post][ch]));
    } else {
      demandMinutes = this.previousDemandMinutes;
      periodStart = this.penultimateResetLabel;
      periodEnd = last;
      summary = this.summary(group, periodStart, periodEnd, demandMinutes);
    }
    const perHour = 60 / demandMinutes;
    const channels: ChannelRegisters[] = [0, 1, 2].map((ch) => {
      const k = this.groupConstants[group][ch];
      const toEnergy = (p: number) => (p * k.numerator) / k.denominator;
      const [pp, pf, pr] = [totals[0][ch], totals[1][ch], totals[2][ch]];
      return {
        channel: 3 * group + ch + 1,
        quantityCode: this.groupCodes[group][ch],
        constant: { ...k },
        pulses: { total: pp + pf + pr, ponta: pp, foraPonta: pf, reservado: pr },
        energy: {
          total: toEnergy(pp + pf + pr),
          ponta: toEnergy(pp),
          foraPonta: toEnergy(pf),
          reservado: toEnergy(pr),
        },
        lastDemand: toEnergy(summary.lastPulses[ch]) * perHour,
        maxDemand: {
          ponta: toEnergy(summary.maxPulses[0][ch]) * perHour,
          foraPonta: toEnergy(summary.maxPulses[1][ch]) * perHour,
          reservado: toEnergy(summary.maxPulses[2][ch]) * perHour,
        },
        maxDemandAt: { ponta: summary.maxAt[0][ch], foraPonta: summary.maxAt[1][ch], reservado: summary.maxAt[2][ch] },
      };
    });
    return {
      kind,
      group,
      meterTime: this.meterTime(now),
      periodStart,
      periodEnd,
      demandIntervalMinutes: demandMinutes,
      channels,
    };
  }

  /** Register pulses [post][channel] at a label, from the group's anchor plus the MM in between. */
  private cumulativeAt(group: number, label: WallTime): number[][] {
    let anchor = this.anchors[group];
    if (!anchor) {
      anchor = { label: this.penultimateResetLabel, pulses: this.basePulses(group, this.penultimateResetLabel) };
      this.anchors[group] = anchor;
    }
    let out: number[][];
    if (label >= anchor.label) {
      const s = this.summary(group, anchor.label, label, this.previousDemandMinutes);
      out = anchor.pulses.map((row, post) => row.map((v, ch) => v + s.pulses[post][ch]));
    } else {
      const s = this.summary(group, label, anchor.label, this.previousDemandMinutes);
      out = anchor.pulses.map((row, post) => row.map((v, ch) => v - s.pulses[post][ch]));
    }
    // Move the anchor forward to the last reset so later reads only sum the current period.
    if (label === this.lastResetLabel && label > anchor.label) this.anchors[group] = { label, pulses: out };
    return out;
  }

  /**
   * Plausible register values at a label: the point's typical hourly energy (sampled over the week before) times
   * the hours since installation, split by post as the sample was.
   */
  private basePulses(group: number, label: WallTime): number[][] {
    const base = zeros(3, 3);
    const hours = (label - this.memoryStart) / HOUR_MS;
    if (hours <= 0) return base;
    const sample = zeros(3, 3);
    const e = new Float64Array(6);
    const idx = this.energyIndex[group];
    for (let h = 0; h < 168; h++) {
      const end = label - h * HOUR_MS;
      pointEnergyInto(this.point, end, 3600, e);
      const start = end - HOUR_MS;
      const post = postAt(
        this.compiledSchedule,
        Math.floor((start % DAY_MS) / MINUTE_MS),
        this.isTariffNonWorkingDay(Math.floor(start / DAY_MS)),
      );
      const p = TARIFF_POSTS.indexOf(post);
      for (let ch = 0; ch < 3; ch++) if (idx[ch] >= 0) sample[p][ch] += e[idx[ch]];
    }
    for (let p = 0; p < 3; p++) {
      for (let ch = 0; ch < 3; ch++) {
        base[p][ch] = Math.round(((sample[p][ch] / 168) * hours * (1 + this.gainError)) / this.pulseWeight[group][ch]);
      }
    }
    return base;
  }

  /** Pulse sums per post and demand maxima over the labels (fromLabel, toLabel]. */
  private summary(group: number, fromLabel: WallTime, toLabel: WallTime, demandMinutes: number): PeriodSummary {
    const key = `${group}|${fromLabel}|${toLabel}|${demandMinutes}|${this.version}`;
    const hit = this.summaries.get(key);
    if (hit) return hit;
    const s: PeriodSummary = {
      pulses: zeros(3, 3),
      maxPulses: zeros(3, 3),
      maxAt: [0, 1, 2].map(() => [null, null, null]),
      lastPulses: [0, 0, 0],
    };
    const n = Math.max(0, Math.round((toLabel - fromLabel) / this.intervalMs));
    const D = this.intervalMs;
    const Dd = demandMinutes * MINUTE_MS;
    let dayNumber = Number.NaN;
    let nonWorking = false;
    let windowEnd = Number.NaN;
    let windowPost = 0;
    const win = [0, 0, 0];
    const closeWindow = () => {
      if (Number.isNaN(windowEnd)) return;
      for (let ch = 0; ch < 3; ch++) {
        if (win[ch] > s.maxPulses[windowPost][ch] || s.maxAt[windowPost][ch] === null) {
          s.maxPulses[windowPost][ch] = win[ch];
          s.maxAt[windowPost][ch] = windowEnd;
        }
        if (windowEnd <= toLabel) s.lastPulses[ch] = win[ch];
      }
    };
    const postIndexAt = (start: WallTime): number => {
      const dn = Math.floor(start / DAY_MS);
      if (dn !== dayNumber) {
        dayNumber = dn;
        nonWorking = this.isTariffNonWorkingDay(dn);
      }
      return TARIFF_POSTS.indexOf(
        postAt(this.compiledSchedule, Math.floor((start - dn * DAY_MS) / MINUTE_MS), nonWorking),
      );
    };
    this.scan(group, fromLabel + D, n, (label, a, b, c) => {
      const post = postIndexAt(label - D);
      s.pulses[post][0] += a;
      s.pulses[post][1] += b;
      s.pulses[post][2] += c;
      const wEnd = Math.ceil(label / Dd) * Dd;
      if (wEnd !== windowEnd) {
        closeWindow();
        windowEnd = wEnd;
        windowPost = postIndexAt(wEnd - Dd);
        win[0] = win[1] = win[2] = 0;
      }
      win[0] += a;
      win[1] += b;
      win[2] += c;
    });
    closeWindow();
    if (this.summaries.size > 32) this.summaries.clear();
    this.summaries.set(key, s);
    return s;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Outages (0x25), alterations (0x28), instantaneous values (0x14)

  /** Up to the 20 most recent complete outages of the period, meter time, oldest first. */
  outages(now: WallTime, kind: 'current' | 'previous'): OutagePeriod[] {
    this.advance(now);
    const [from, to] =
      kind === 'current'
        ? [this.lastResetLabel, this.meterTime(now)]
        : [this.penultimateResetLabel, this.lastResetLabel];
    const records: OutagePeriod[] = [];
    for (const o of this.outagesTrue) {
      if (o.start < this.outageLogFrom || o.end > now) continue;
      const start = this.meterTime(o.start);
      if (start > from && start <= to) records.push({ start, end: this.meterTime(o.end) });
    }
    return records.slice(-20);
  }

  /** The alteration log, newest last, at most 25 entries. */
  alterations(): AlterationEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  /** Logs a command executed for a reader (reads included, as real meters do: spec §7.6). */
  logAccess(code: number, readerSerial: string, now: WallTime): void {
    if (!Number.isInteger(code) || code < 0 || code > 255) {
      throw fail(`meter ${this.serial}: alteration code ${code} is not a byte`);
    }
    // Reader serials come from BCD fields; anything that is not a digit is logged as 0 rather than refused.
    const serial = String(readerSerial ?? '')
      .replace(/\D/g, '0')
      .padStart(6, '0')
      .slice(-6);
    this.log.push({ code, readerSerial: serial, time: this.meterTime(now) });
    if (this.log.length > 25) this.log.splice(0, this.log.length - 25);
  }

  /** V, I, P, Q, S, PF, f, T from the power of the interval in progress, with small deterministic noise. */
  instantValues(now: WallTime): InstantValues {
    const meterTime = this.meterTime(now);
    const D = this.intervalMs;
    const e = new Float64Array(6);
    pointEnergyInto(this.point, Math.ceil(now / D) * D, this.massMemoryIntervalSeconds, e);
    const hours = this.massMemoryIntervalSeconds / 3600;
    const g = 1 + this.gainError;
    const off = this.isPoweredOff(now);
    const p = off ? 0 : ((e[0] - e[1]) / hours) * g;
    const q = off ? 0 : ((e[2] + e[4] - e[3] - e[5]) / hours) * g;
    const sec = Math.floor(now / 1000);
    const noise = (salt: number, amp: number) => 1 + amp * (2 * hash01(this.noiseSeed, sec, salt) - 1);
    const cap = this.point.capacityKw;
    const vLine = cap < 2500 ? 13_800 : cap < 15_000 ? 34_500 : 69_000;
    const vPhase = off ? [0, 0, 0] : [0, 1, 2].map((i) => (vLine / Math.sqrt(3)) * noise(10 + i, 0.01));
    const share = [noise(20, 0.02), noise(21, 0.02), noise(22, 0.02)];
    const shareSum = share[0] + share[1] + share[2];
    const pPh = share.map((s) => (p * s) / shareSum);
    const qPh = share.map((s) => (q * s) / shareSum);
    const sPh = pPh.map((pp, i) => Math.hypot(pp, qPh[i]));
    const iPh = sPh.map((s, i) => (vPhase[i] > 0 ? (s * 1000) / vPhase[i] : 0));
    const [ia, ib, ic] = iPh;
    const neutral = Math.sqrt(Math.max(0, ia * ia + ib * ib + ic * ic - ia * ib - ib * ic - ic * ia));
    const vAt = (i: number, j: number) => Math.sqrt(vPhase[i] ** 2 + vPhase[j] ** 2 + vPhase[i] * vPhase[j]);
    const pf = (pp: number, s: number) => (s > 0 ? Math.abs(pp) / s : 1);
    const sTot = Math.hypot(p, q);
    const hourOfDay = (meterTime % DAY_MS) / HOUR_MS;
    return {
      meterTime,
      phaseVoltage: [vPhase[0], vPhase[1], vPhase[2]],
      lineVoltage: [vAt(0, 1), vAt(1, 2), vAt(2, 0)],
      current: [ia, ib, ic, neutral],
      activePower: [pPh[0], pPh[1], pPh[2], p],
      reactivePower: [qPh[0], qPh[1], qPh[2], q],
      apparentPower: [sPh[0], sPh[1], sPh[2], sTot],
      powerFactor: [pf(pPh[0], sPh[0]), pf(pPh[1], sPh[1]), pf(pPh[2], sPh[2]), pf(p, sTot)],
      frequencyHz: off ? 0 : 60 + 0.03 * (2 * hash01(this.noiseSeed, sec, 30) - 1),
      temperatureC:
        30 + 6 * Math.sin(((hourOfDay - 9) / 24) * 2 * Math.PI) + 0.5 * (2 * hash01(this.noiseSeed, sec, 31) - 1),
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writes (0x29, 0x30, 0x31, 0x32, 0x33, 0x35, 0x37, 0x38)

  /** 0x29: sets the date, keeping the time of day. */
  setDate(now: WallTime, date: { day: number; month: number; year: number }, readerSerial: string): WriteResult {
    this.advance(now);
    const { day, month, year } = date;
    if (
      ![day, month, year].every(Number.isInteger) ||
      year < 2000 ||
      year > 2099 ||
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(year, month)
    ) {
      return invalid(`0x29: ${day}/${month}/${year} is not a date in 2000–2099`);
    }
    const m = this.meterTimeExact(now);
    const timeOfDay = m - Math.floor(m / DAY_MS) * DAY_MS;
    this.setClock(now, wallTime(year, month, day) + timeOfDay);
    this.logAccess(0x29, readerSerial, now);
    return { ok: true };
  }

  /** 0x30: sets the time of day, keeping the date. */
  setTime(now: WallTime, time: { hour: number; minute: number; second: number }, readerSerial: string): WriteResult {
    this.advance(now);
    const { hour, minute, second } = time;
    if (
      ![hour, minute, second].every(Number.isInteger) ||
      hour < 0 ||
      hour > 23 ||
      minute < 0 ||
      minute > 59 ||
      second < 0 ||
      second > 59
    ) {
      return invalid(`0x30: ${hour}:${minute}:${second} is not a time of day`);
    }
    const m = this.meterTimeExact(now);
    this.setClock(now, Math.floor(m / DAY_MS) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * 1000);
    this.logAccess(0x30, readerSerial, now);
    return { ok: true };
  }

  private setClock(now: WallTime, target: number): void {
    const piece = this.pieceAt(now);
    this.pushClockPiece(now, target - now, piece.d, now);
    this.version++;
  }

  /** 0x31: demand interval in minutes: a divisor of 60 and a multiple of the MM interval. */
  setDemandInterval(now: WallTime, minutes: number, readerSerial: string): WriteResult {
    this.advance(now);
    const bad = this.demandIntervalProblem(minutes);
    if (bad) return invalid(`0x31: ${bad}`);
    this.demandMinutes = minutes;
    this.logAccess(0x31, readerSerial, now);
    return { ok: true };
  }

  private demandIntervalProblem(minutes: number): string | null {
    const mm = this.massMemoryIntervalSeconds;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60 || 60 % minutes !== 0 || (minutes * 60) % mm !== 0) {
      return `demand interval ${minutes} min must divide 60 and be a multiple of the ${mm / 60}-min MM interval`;
    }
    return null;
  }

  /** 0x32: up to 15 holidays (midnight wall times, years 2000–2099; null for an empty slot). */
  setHolidays(now: WallTime, holidays: (WallTime | null)[], readerSerial: string): WriteResult {
    this.advance(now);
    if (!Array.isArray(holidays) || holidays.length > 15) return invalid('0x32: at most 15 holidays');
    for (const [i, h] of holidays.entries()) {
      if (h === null) continue;
      const y = Number.isFinite(h) ? new Date(h).getUTCFullYear() : Number.NaN;
      if (!Number.isInteger(h / DAY_MS) || !(y >= 2000 && y <= 2099)) {
        return invalid(`0x32: holiday ${i + 1} is not a date in 2000–2099`);
      }
    }
    this.programmedHolidays = [...holidays];
    this.programmedHolidayDays = new Set(holidays.filter((h): h is number => h !== null).map((h) => h / DAY_MS));
    this.version++;
    this.logAccess(0x32, readerSerial, now);
    return { ok: true };
  }

  /** 0x33: the multiplication constants of the visible group (num/den, 1…999999 each). */
  setConstants(now: WallTime, group: number, constants: ChannelConstant[], readerSerial: string): WriteResult {
    this.advance(now);
    if (!Number.isInteger(group) || group < 0 || group >= this.groupCodes.length) {
      return invalid(`0x33: channel group ${group} does not exist`);
    }
    if (!Array.isArray(constants) || constants.length !== 3 || !constants.every(validConstant)) {
      return invalid('0x33: three constants with numerator and denominator 1…999999 expected');
    }
    this.groupConstants[group] = constants.map((k) => ({ numerator: k.numerator, denominator: k.denominator }));
    this.logAccess(0x33, readerSerial, now);
    return { ok: true };
  }

  /** 0x35: tariff segment starts (4 per post, null = unused) and the number of segments. */
  setSegments(now: WallTime, segments: Segments, segmentCount: number | null, readerSerial: string): WriteResult {
    this.advance(now);
    const lists = [segments?.ponta, segments?.foraPonta, segments?.reservado];
    if (!lists.every((l) => Array.isArray(l) && l.length <= 4 && l.every(validTime))) {
      return invalid('0x35: each post takes up to 4 start times hh:mm');
    }
    if (![...segments.ponta, ...segments.foraPonta].some((t) => t !== null)) {
      return invalid('0x35: no ponta or fora ponta start time');
    }
    if (segmentCount !== null && (!Number.isInteger(segmentCount) || segmentCount < 1 || segmentCount > 4)) {
      return invalid(`0x35: number of segments ${segmentCount} must be 1…4`);
    }
    const pad = (l: (TimeOfDay | null)[]) => [0, 1, 2, 3].map((i) => (l[i] ? { ...l[i]! } : null));
    this.schedule = {
      ponta: pad(segments.ponta),
      foraPonta: pad(segments.foraPonta),
      reservado: pad(segments.reservado),
      reservadoActive: this.schedule.reservadoActive,
    };
    this.compiledSchedule = compileSchedule(this.schedule);
    this.segmentCount = segmentCount;
    this.version++;
    this.logAccess(0x35, readerSerial, now);
    return { ok: true };
  }

  /** The tariff schedule in force. */
  tariffSchedule(): TariffSchedule {
    return {
      ponta: [...this.schedule.ponta],
      foraPonta: [...this.schedule.foraPonta],
      reservado: [...this.schedule.reservado],
      reservadoActive: this.schedule.reservadoActive,
    };
  }

  /** 0x37: clears an occurrence (clearing one that is not active is accepted). */
  clearOccurrence(now: WallTime, code: number, readerSerial: string): WriteResult {
    this.advance(now);
    if (!Number.isInteger(code) || code < 0 || code > 255) return invalid(`0x37: occurrence ${code} is not a byte`);
    this.activeOccurrences.delete(code);
    this.logAccess(0x37, readerSerial, now);
    return { ok: true };
  }

  /**
   * 0x38: clears the data: mass memory and registers start again at the current interval, both resets move there,
   * the counter, outage log, alteration log and occurrences are emptied, and the initialisation is logged.
   */
  initialise(now: WallTime, readerSerial: string): WriteResult {
    this.advance(now);
    const at = this.lastIntervalEnd(now);
    this.memoryStart = at;
    this.stored = [];
    this.lastResetLabel = at;
    this.penultimateResetLabel = at;
    this.resets = 0;
    this.previousDemandMinutes = this.demandMinutes;
    this.outageLogFrom = now;
    this.log = [];
    this.activeOccurrences.clear();
    this.anchors = this.groupCodes.map(() => ({ label: at, pulses: zeros(3, 3) }));
    this.version++;
    this.logAccess(0x38, readerSerial, now);
    return { ok: true };
  }

  private checkGroup(group: number): void {
    if (!Number.isInteger(group) || group < 0 || group >= this.groupCodes.length) {
      throw fail(`meter ${this.serial}: channel group ${group} does not exist (0…${this.groupCodes.length - 1})`, {
        group,
      });
    }
  }
}

function validConstant(k: ChannelConstant): boolean {
  return (
    k !== null &&
    typeof k === 'object' &&
    Number.isInteger(k.numerator) &&
    Number.isInteger(k.denominator) &&
    k.numerator >= 1 &&
    k.numerator <= 999_999 &&
    k.denominator >= 1 &&
    k.denominator <= 999_999
  );
}

/** Sorted, overlapping periods merged, so no instant is cut twice. */
function mergeOutages(list: OutagePeriod[], serial: string): OutagePeriod[] {
  for (const o of list) {
    if (!Number.isFinite(o.start) || !Number.isFinite(o.end) || o.end <= o.start) {
      throw fail(`meter ${serial}: outage ${o.start}…${o.end} must have start < end`);
    }
  }
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const out: OutagePeriod[] = [];
  for (const o of sorted) {
    const last = out[out.length - 1];
    if (last && o.start <= last.end) last.end = Math.max(last.end, o.end);
    else out.push({ start: o.start, end: o.end });
  }
  return out;
}
