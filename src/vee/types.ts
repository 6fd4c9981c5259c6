/**
 * VEE contract (spec/vee.md): the typed inputs validation and estimation read, and the final series they produce.
 * Everything here is plain data over typed arrays so the store adapter can move day blocks in and out without
 * per-interval objects.
 *
 * Slot k (0-based) of operating day D is the interval ending at operatingDayStart(D) + (k+1)·intervalS (DESIGN.md),
 * as in interval_raw. Point-level channels are identified by QUANTITY CODE (protocols/abnt14522/quantities.ts): the
 * principal and retaguarda meters of a point are matched by it (1 = consumo ativo, canal C; 14 = geração ativa,
 * canal G; 10/11 and 15/16 = kvarh indutivo/capacitivo direto/reverso).
 *
 * Per-slot codes are small integers with string names, because a final series stores one code per slot in a
 * Uint8Array (bytea in the store). 0 is always the "nothing" value so a fresh Uint8Array reads as "missing/none".
 */
import { FronteiraError } from '../domain/errors.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';

export type MeterRole = 'principal' | 'retaguarda';

// ---------------------------------------------------------------------------------------------------------------
// Raw layer

/** Per-slot raw marks, the same bits as interval_raw.flags (collect/day-block.ts). */
export const RAW_ACTUAL = 1;
export const RAW_POWER_OFF = 2;
export const RAW_CLOCK_SUSPECT = 4;
/** A later read disagreed with the stored actual; the stored value was kept (a conflict event records the other). */
export const RAW_CONFLICT = 8;

/**
 * One meter channel over one operating day as validation and estimation read it: the raw day block plus what the
 * registry says the channel measures. The service passes one MeterDay per registered channel of each meter valid on
 * the day, also when the store has no row (all missing: see `meterDay`).
 */
export interface MeterDay {
  meterId: number;
  role: MeterRole;
  /** Meter channel number (3·group + 1 … 3·group + 3). */
  channel: number;
  /** Registered quantity code of the channel (meter.channel_map). */
  quantityCode: number;
  /** Operating day 'YYYY-MM-DD'. */
  day: string;
  slots: number;
  intervalS: number;
  /** Energy per slot in the channel's unit, primary side (constants applied at ingest); NaN = missing. */
  value: Float64Array;
  /** interval_raw.flags: RAW_ACTUAL | RAW_POWER_OFF | RAW_CLOCK_SUSPECT | RAW_CONFLICT. */
  rawFlags: Uint8Array;
  /** 'kWh', 'kvarh', … */
  unit: string;
}

export interface MeterDayInit {
  meterId: number;
  role: MeterRole;
  channel: number;
  quantityCode: number;
  day: string;
  slots: number;
  intervalS: number;
  /** interval_raw.value as read from the store (null = missing); absent = no row (all missing). */
  value?: ArrayLike<number | null> | null;
  /** interval_raw.flags; absent = no row. */
  flags?: Uint8Array | null;
  unit?: string;
}

/**
 * Builds a MeterDay from a stored day block (or from nothing: all missing). A slot is actual only where its flags
 * carry RAW_ACTUAL and its value is a number; elsewhere the value is NaN.
 */
export function meterDay(init: MeterDayInit): MeterDay {
  const where = `meter ${init.meterId} channel ${init.channel} ${init.day}`;
  if (!Number.isInteger(init.slots) || init.slots < 1 || init.slots > 32767) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${where}: slots ${init.slots} is not a slot count`, {
      field: 'slots',
    });
  }
  if (!Number.isInteger(init.intervalS) || init.intervalS <= 0 || 86400 % init.intervalS !== 0) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${where}: interval ${init.intervalS} s is not valid`, {
      field: 'intervalS',
    });
  }
  const slots = init.slots;
  const value = new Float64Array(slots).fill(Number.NaN);
  const rawFlags = new Uint8Array(slots);
  if (init.value || init.flags) {
    if (!init.value || !init.flags || init.value.length !== slots || init.flags.length !== slots) {
      throw new FronteiraError(
        'FRONTEIRA_E_VALIDATION',
        `${where}: value (${init.value?.length ?? 'absent'}) and flags (${init.flags?.length ?? 'absent'}) must both hold ${slots} slots`,
        { field: 'value' },
      );
    }
    for (let k = 0; k < slots; k++) {
      const v = init.value[k];
      const f = init.flags[k];
      if (typeof v === 'number' && Number.isFinite(v) && (f & RAW_ACTUAL) !== 0) {
        value[k] = v;
        rawFlags[k] = f;
      } else {
        rawFlags[k] = f & ~RAW_ACTUAL;
      }
    }
  }
  return {
    meterId: init.meterId,
    role: init.role,
    channel: init.channel,
    quantityCode: init.quantityCode,
    day: init.day,
    slots,
    intervalS: init.intervalS,
    value,
    rawFlags,
    unit: init.unit ?? quantity(init.quantityCode).unit,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-slot codes of the final series

/** Quality (vee.md §1): N missing, A actual (principal), S substituted (measured elsewhere), E estimated, M manual. */
export const Quality = { N: 0, A: 1, S: 2, E: 3, M: 4 } as const;
export type QualityName = keyof typeof Quality;
export type QualityCode = (typeof Quality)[QualityName];
export const QUALITY_NAMES: readonly QualityName[] = ['N', 'A', 'S', 'E', 'M'];

/**
 * Method (vee.md §3). In a final series: RR marks a slot left missing because a re-read is pending (quality N);
 * RT/LI/LD/ZO the method that filled it; ME a manual edit. RC is never written in a final series (a risk figure
 * only). SC (rescale to the register advance) keeps the slot's base method; the day's notes record the factor.
 */
export const Method = { none: 0, RR: 1, RT: 2, LI: 3, LD: 4, ZO: 5, RC: 6, SC: 7, ME: 8 } as const;
export type MethodName = keyof typeof Method;
export type MethodCode = (typeof Method)[MethodName];
export const METHOD_NAMES: readonly MethodName[] = ['none', 'RR', 'RT', 'LI', 'LD', 'ZO', 'RC', 'SC', 'ME'];

/** The 14 rules of the catalogue (vee.md §2). */
export type RuleId =
  | 'V01'
  | 'V02'
  | 'V03'
  | 'V04'
  | 'V05'
  | 'V06'
  | 'V07'
  | 'V08'
  | 'V09'
  | 'V10'
  | 'V11'
  | 'V12'
  | 'V13'
  | 'V14';
export const RULE_IDS: readonly RuleId[] = [
  'V01',
  'V02',
  'V03',
  'V04',
  'V05',
  'V06',
  'V07',
  'V08',
  'V09',
  'V10',
  'V11',
  'V12',
  'V13',
  'V14',
];

/** 1 … 14 */
export function ruleNumber(rule: RuleId): number {
  return Number(rule.slice(1));
}

export function ruleIdOf(n: number): RuleId {
  const id = RULE_IDS[n - 1];
  if (!id) throw new FronteiraError('FRONTEIRA_E_VALIDATION', `rule number ${n} is not in the catalogue (1–14)`);
  return id;
}

/** Bit of rule Vn in a per-slot rule mask (bit n, so V01 = 2, V14 = 16384). */
export function ruleBit(rule: RuleId | number): number {
  return 1 << (typeof rule === 'number' ? rule : ruleNumber(rule));
}

/** Rule ids set in a per-slot mask. */
export function rulesInMask(mask: number): RuleId[] {
  const out: RuleId[] = [];
  for (let n = 1; n <= 14; n++) if (mask & (1 << n)) out.push(RULE_IDS[n - 1]);
  return out;
}

/**
 * Why the actual principal value was not used (or, on a kept actual, what is suspect about it). Rule reasons are
 * RULE_BASE + n for Vn ('rule:V07').
 */
export const Reason = {
  none: 0,
  missing: 1,
  outage: 2,
  clock: 3,
  conflict: 4,
  meter_replaced: 5,
  manual: 6,
} as const;
export const RULE_REASON_BASE = 20;
export type ReasonName = keyof typeof Reason | `rule:${RuleId}`;

export function ruleReason(rule: RuleId | number): number {
  return RULE_REASON_BASE + (typeof rule === 'number' ? rule : ruleNumber(rule));
}

const REASON_BY_CODE = new Map<number, ReasonName>();
for (const [name, code] of Object.entries(Reason)) REASON_BY_CODE.set(code, name as ReasonName);
for (const id of RULE_IDS) REASON_BY_CODE.set(ruleReason(id), `rule:${id}`);

export function reasonName(code: number): ReasonName {
  const name = REASON_BY_CODE.get(code);
  if (name === undefined) throw new FronteiraError('FRONTEIRA_E_VALIDATION', `reason code ${code} is not defined`);
  return name;
}

export function reasonCode(name: string): number {
  if (Object.hasOwn(Reason, name)) return Reason[name as keyof typeof Reason];
  const m = /^rule:V(\d{2})$/.exec(name);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 14) return ruleReason(Number(m[1]));
  throw new FronteiraError('FRONTEIRA_E_VALIDATION', `reason '${name}' is not defined`, { field: 'reason' });
}

/** Which measured source (or estimate) a final value came from. */
export const Source = { none: 0, principal: 1, retaguarda: 2, estimate: 3, manual: 4, virtual: 5 } as const;
export type SourceName = keyof typeof Source;
export type SourceCode = (typeof Source)[SourceName];
export const SOURCE_NAMES: readonly SourceName[] = ['none', 'principal', 'retaguarda', 'estimate', 'manual', 'virtual'];

function nameOf<T extends string>(names: readonly T[], code: number, what: string): T {
  const n = names[code];
  if (n === undefined) throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${what} code ${code} is not defined`);
  return n;
}

function codeOf<T extends string>(names: readonly T[], name: string, what: string): number {
  const i = names.indexOf(name as T);
  if (i < 0) throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${what} '${name}' is not defined`, { field: what });
  return i;
}

export const qualityName = (code: number): QualityName => nameOf(QUALITY_NAMES, code, 'quality');
export const qualityCode = (name: string): number => codeOf(QUALITY_NAMES, name, 'quality');
export const methodName = (code: number): MethodName => nameOf(METHOD_NAMES, code, 'method');
export const methodCode = (name: string): number => codeOf(METHOD_NAMES, name, 'method');
export const sourceName = (code: number): SourceName => nameOf(SOURCE_NAMES, code, 'source');
export const sourceCode = (name: string): number => codeOf(SOURCE_NAMES, name, 'source');

/** Rule severities; a slot whose highest severity is SUSPECT or ERROR is a substitution candidate. */
export const Severity = { none: 0, info: 1, warning: 2, suspect: 3, error: 4 } as const;
export type SeverityName = 'info' | 'warning' | 'suspect' | 'error';
export const SEVERITY_NAMES: readonly SeverityName[] = ['info', 'warning', 'suspect', 'error'];

export function severityCode(name: SeverityName): number {
  return Severity[name];
}

export function severityName(code: number): SeverityName | 'none' {
  return code === 0 ? 'none' : nameOf(['none', ...SEVERITY_NAMES] as const, code, 'severity');
}

// ---------------------------------------------------------------------------------------------------------------
// Final layer

/** Regulatory worst case (RC, vee.md §3): what CCEE's punitive default would put where we have no measurement. */
export interface WorstCase {
  /** Slots not measured (quality E or N) that RC would fill. */
  slots: number;
  /** RC energy over those slots: capacity × interval for consumption, 0 for generation. */
  energy: number;
  /** Our estimate over the same slots (N counts as 0). */
  estimatedEnergy: number;
  /** energy − estimatedEnergy: the exposure if CCEE applied its default instead of our estimate. */
  difference: number;
}

/** What the day's final series was built from, beyond the per-slot codes. Deterministic: part of equality. */
export interface FinalNotes {
  principalMeterId: number | null;
  retaguardaMeterId: number | null;
  /** LD: the like-days averaged, most recent first. */
  likeDays?: string[];
  /** LD: factor applied to the like-day profile to meet the register advance. */
  likeDayScale?: number;
  /** RT: loss factor applied to the retaguarda's values, when not 1. */
  lossFactor?: number;
  /** SC: rescale of the estimated (LI/LD) slots so the period total meets the register advance. */
  scale?: { factor: number; target: number; slots: number };
  /** Slots left missing (quality N, method RR) because a re-read is pending. */
  rereadPending?: number;
  /** RC risk figure for the day (never in the series). */
  worstCase?: WorstCase | null;
  /** Slots whose manual value overrides a valid actual: kept even when VEE runs again. Sorted. */
  manualOverActual?: number[];
  /** Why a method could not apply (e.g. retaguarda on a different interval). */
  messages?: string[];
}

/**
 * The final series of one metering point, one quantity, one operating day (vee.md §1 "final" layer). `version` and
 * `locked` are store metadata: 0/false on a series not stored yet; equality ignores both.
 */
export interface FinalDay {
  pointId: number;
  pointCode: string;
  quantityCode: number;
  day: string;
  slots: number;
  intervalS: number;
  unit: string;
  value: Float64Array;
  quality: Uint8Array;
  method: Uint8Array;
  reason: Uint8Array;
  source: Uint8Array;
  notes: FinalNotes;
  version: number;
  locked: boolean;
}

export function emptyFinalDay(init: {
  pointId: number;
  pointCode: string;
  quantityCode: number;
  day: string;
  slots: number;
  intervalS: number;
  unit?: string;
}): FinalDay {
  return {
    pointId: init.pointId,
    pointCode: init.pointCode,
    quantityCode: init.quantityCode,
    day: init.day,
    slots: init.slots,
    intervalS: init.intervalS,
    unit: init.unit ?? quantity(init.quantityCode).unit,
    value: new Float64Array(init.slots).fill(Number.NaN),
    quality: new Uint8Array(init.slots),
    method: new Uint8Array(init.slots),
    reason: new Uint8Array(init.slots).fill(Reason.missing),
    source: new Uint8Array(init.slots),
    notes: { principalMeterId: null, retaguardaMeterId: null },
    version: 0,
    locked: false,
  };
}

export function cloneFinalDay(f: FinalDay): FinalDay {
  return {
    ...f,
    value: f.value.slice(),
    quality: f.quality.slice(),
    method: f.method.slice(),
    reason: f.reason.slice(),
    source: f.source.slice(),
    notes: structuredClone(f.notes),
  };
}

/** Same number, NaN equal to NaN (a missing slot). Values are computed the same way each run: exact. */
export function sameSlotValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON with sorted keys, so notes compare by content. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => [k, (x as Record<string, unknown>)[k]]),
        )
      : x,
  );
}

/** Whether two final days hold the same content (identity, slots, codes, values, notes); version and lock ignored. */
export function finalDaysEqual(a: FinalDay, b: FinalDay): boolean {
  if (
    a.pointId !== b.pointId ||
    a.quantityCode !== b.quantityCode ||
    a.day !== b.day ||
    a.slots !== b.slots ||
    a.intervalS !== b.intervalS ||
    a.unit !== b.unit
  ) {
    return false;
  }
  for (let k = 0; k < a.slots; k++) if (!sameSlotValue(a.value[k], b.value[k])) return false;
  return (
    sameBytes(a.quality, b.quality) &&
    sameBytes(a.method, b.method) &&
    sameBytes(a.reason, b.reason) &&
    sameBytes(a.source, b.source) &&
    canonicalJson(a.notes) === canonicalJson(b.notes)
  );
}

export type QualityCounts = Record<QualityName, number>;

export function countQualities(f: Pick<FinalDay, 'quality'>): QualityCounts {
  const n = [0, 0, 0, 0, 0];
  const q = f.quality;
  for (let k = 0; k < q.length; k++) n[q[k]]++;
  return { N: n[0], A: n[1], S: n[2], E: n[3], M: n[4] };
}

export function countMethods(f: Pick<FinalDay, 'method'>): Record<MethodName, number> {
  const n = new Array<number>(METHOD_NAMES.length).fill(0);
  const m = f.method;
  for (let k = 0; k < m.length; k++) n[m[k]]++;
  return Object.fromEntries(METHOD_NAMES.map((name, i) => [name, n[i]])) as Record<MethodName, number>;
}

export interface FinalTotals {
  /** Sum of all values (missing slots count 0). */
  energy: number;
  /** Energy per quality. */
  byQuality: Record<QualityName, number>;
  counts: QualityCounts;
}

export function finalTotals(f: FinalDay): FinalTotals {
  const e = [0, 0, 0, 0, 0];
  const q = f.quality;
  const v = f.value;
  for (let k = 0; k < f.slots; k++) if (!Number.isNaN(v[k])) e[q[k]] += v[k];
  return {
    energy: e[0] + e[1] + e[2] + e[3] + e[4],
    byQuality: { N: e[0], A: e[1], S: e[2], E: e[3], M: e[4] },
    counts: countQualities(f),
  };
}

/** Consecutive slot ranges (inclusive) where `pred(k)` holds. */
export function slotRanges(slots: number, pred: (k: number) => boolean): { firstSlot: number; lastSlot: number }[] {
  const out: { firstSlot: number; lastSlot: number }[] = [];
  let start = -1;
  for (let k = 0; k <= slots; k++) {
    const on = k < slots && pred(k);
    if (on && start < 0) start = k;
    else if (!on && start >= 0) {
      out.push({ firstSlot: start, lastSlot: k - 1 });
      start = -1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation input

export type PointKind = 'fronteira' | 'consumidor_livre' | 'consumidor_especial' | 'geracao' | 'distribuidora';
export type PointSegment = 'cativo' | 'livre' | 'geracao' | 'faturamento';

/** The metering point as VEE needs it (metering_point row). */
export interface PointInfo {
  id: number;
  code: string;
  kind: PointKind;
  segment: PointSegment;
  loadCapacityKw: number | null;
  tags: readonly string[];
  /** IANA zone of the point (default America/Sao_Paulo). */
  timezone?: string;
}

/**
 * An instant range in epoch ms. `from === to` is an instant (an alteration at a time). A null side is unknown (an
 * outage whose start or end the meter did not log): such a range flags slots but never counts as a confirmed outage.
 */
export interface TimeRange {
  from: number | null;
  to: number | null;
}

/** meter_event rows of one meter overlapping the day, as instant ranges. */
export interface MeterEvents {
  /** Power outages (cmd 0x25; kind 'outage', at → ended_at). */
  outages: readonly TimeRange[];
  /** Clock or date changes: alterations that set the clock (0x29/0x30 …) and clock_sync events. */
  clockChanges: readonly TimeRange[];
  /** Occurrences (0x40) and other alterations the service wants flagged. */
  occurrences: readonly TimeRange[];
}

/**
 * Register advance (cmd 0x23/0x24 snapshots) of one channel over a period aligned by the service to slot ends:
 * the intervals firstSlot … lastSlot of this day, plus `outsideSum` = the sum of the intervals of the same period
 * that lie in the neighbouring days (0 when the period is inside the day).
 */
export interface RegisterAdvance {
  quantityCode: number;
  energy: number;
  firstSlot: number;
  lastSlot: number;
  outsideSum?: number;
}

export interface PhaseTriple {
  a: number;
  b: number;
  c: number;
}

/** Latest instantaneous values (cmd 0x14; meter_snapshot kind 'instant') with the nominal phase voltage. */
export interface InstantSample {
  at: number;
  voltageV: PhaseTriple;
  currentA?: PhaseTriple | null;
  /** Nominal phase voltage as the meter sees it; null = unknown (V12 not evaluated). */
  nominalV: number | null;
}

export interface ChannelRegistration {
  channel: number;
  quantityCode: number;
  numerator: number;
  denominator: number;
}

/** What identifies a meter's configuration: as registered, or as the meter reported it (null = not seen). */
export interface MeterIdentity {
  serial: string | null;
  intervalS: number | null;
  channels: readonly ChannelRegistration[] | null;
  tpRatio?: number | null;
  tcRatio?: number | null;
}

/** Everything VEE knows about one meter of the point on the day besides its channels' data. Absent = unknown. */
export interface MeterContext {
  meterId: number;
  role: MeterRole;
  events?: MeterEvents | null;
  /** Clock drift (meter − reference, s) seen by each read of the day (read_session.drift_s). */
  driftS?: readonly number[] | null;
  registerAdvance?: readonly RegisterAdvance[] | null;
  instant?: InstantSample | null;
  /** As registered (meter row + channel_map); also gives the expected MM interval for V01. */
  registration?: MeterIdentity | null;
  /** As the meter reported it in the day's reads (V13). */
  observed?: MeterIdentity | null;
  /**
   * Whether a missing slot can still be re-read from the meter's memory (an open gap that is not 'lost' and lies
   * inside memory_days): all slots (boolean) or per slot (1 = yes). Absent = no.
   */
  rereadPossible?: boolean | Uint8Array | null;
}

/** V08 history: daily totals of the same day class over the last 4 weeks (point-level, from final series). */
export interface DailyHistory {
  quantityCode: number;
  totals: readonly number[];
}

export interface ValidationInput {
  point: PointInfo;
  day: string;
  /** One per registered channel of each meter (principal and retaguarda) valid on the day. */
  channels: readonly MeterDay[];
  meters: readonly MeterContext[];
  history?: readonly DailyHistory[] | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation output

/** The validated layer of one meter channel-day: per slot the rules raised, the highest severity, the reason. */
export interface ChannelValidation {
  meterDay: MeterDay;
  meterId: number;
  role: MeterRole;
  channel: number;
  quantityCode: number;
  /** Set when V01 refused the input (wrong interval, slot count, lengths, duplicate): every slot is unusable. */
  refused: string | null;
  /** Per slot: bitmask of rules raised (ruleBit). */
  rules: Uint32Array;
  /** Per slot: highest Severity raised (0 none). ≥ Severity.suspect = substitution candidate. */
  severity: Uint8Array;
  /** Per slot: the Reason code the slot carries if not used as a plain actual (0 for a valid actual). */
  reason: Uint8Array;
  /** Per rule number (index 1–14): the severity that rule raised on this channel-day (0 = none). */
  ruleSeverity: Uint8Array;
}

export interface Finding {
  rule: RuleId;
  severity: SeverityName;
  meterId?: number;
  channel?: number;
  quantityCode?: number;
  firstSlot?: number;
  lastSlot?: number;
  /** Number of slots concerned. */
  slots?: number;
  message: string;
  data?: Record<string, number | string | boolean | null>;
}

export type RuleStatus = 'pass' | 'fail' | 'not_evaluated' | 'disabled';

/** Whether a rule was evaluated, per rule and meter where it applies; `reason` says why not evaluated. */
export interface RuleOutcome {
  rule: RuleId;
  status: RuleStatus;
  meterId?: number;
  quantityCode?: number;
  reason?: string;
}

export interface ValidationResult {
  pointId: number;
  day: string;
  dayStartMs: number;
  /** Parallel to ValidationInput.channels. */
  channels: ChannelValidation[];
  findings: Finding[];
  outcomes: RuleOutcome[];
}

/** A previous day's series for LD: its values and which slots are measured (usable), e.g. from likeDayFromFinal. */
export interface LikeDay {
  day: string;
  value: Float64Array;
  /** 1 = usable (measured); null = every finite value is usable. */
  usable: Uint8Array | null;
}
