/**
 * Fixture builders for VEE tests: channel-days with their validated layer written by hand (so estimation can be
 * tested without validate()), estimation inputs with parameter overrides, like-days and outage ranges, and a check
 * of the per-slot code triples of a final series. Test support only; nothing in production imports it.
 */
import { HolidayCalendar } from './calendar.ts';
import type { EstimateInput } from './estimate.ts';
import { DEFAULT_PARAMS, mergeParams, type VeeParamsPatch } from './params.ts';
import { dayStartMs } from './slots.ts';
import {
  type ChannelValidation,
  type FinalDay,
  type LikeDay,
  type MeterContext,
  type MeterRole,
  Method,
  meterDay,
  methodName,
  type PointInfo,
  Quality,
  qualityName,
  RAW_ACTUAL,
  RAW_CONFLICT,
  Reason,
  type RuleId,
  ruleBit,
  ruleNumber,
  ruleReason,
  Severity,
  type SeverityName,
  Source,
  sourceName,
  type TimeRange,
  type ValidationInput,
  type ValidationResult,
} from './types.ts';

/** A Monday; the Friday before (2026-11-20, Consciência Negra) is a national holiday. */
export const FIXTURE_DAY = '2026-11-23';

/** A rule raised on slots from … to (inclusive; `to` absent = one slot). */
export interface SlotFlag {
  from: number;
  to?: number;
  rule: RuleId;
  severity: SeverityName;
  /** Reason written on the slots (default: rule:Vnn when the severity makes them candidates, else none). */
  reason?: number;
}

export interface ChannelFixture {
  /** Default 1 for the principal, 2 for the retaguarda. */
  meterId?: number;
  /** Default 'principal'. */
  role?: MeterRole;
  /** Default 1. */
  channel?: number;
  /** Default 1 (kWh consumo). */
  quantityCode?: number;
  /** Default 300. */
  intervalS?: number;
  /** One per slot; null = missing (flagged V02 error, reason missing, as validation does). */
  values: ArrayLike<number | null>;
  /** Slots whose actual carries RAW_CONFLICT. */
  conflicts?: readonly number[];
  flags?: readonly SlotFlag[];
  /** V01 refusal text: every slot flagged V01 error. */
  refused?: string | null;
  unit?: string;
}

export function fixtureChannel(day: string, f: ChannelFixture): ChannelValidation {
  const role = f.role ?? 'principal';
  const meterId = f.meterId ?? (role === 'principal' ? 1 : 2);
  const slots = f.values.length;
  const value: (number | null)[] = Array.from(f.values);
  const flags = new Uint8Array(slots);
  for (let k = 0; k < slots; k++) if (value[k] !== null) flags[k] = RAW_ACTUAL;
  for (const k of f.conflicts ?? []) flags[k] |= RAW_CONFLICT;
  const md = meterDay({
    meterId,
    role,
    channel: f.channel ?? 1,
    quantityCode: f.quantityCode ?? 1,
    day,
    slots,
    intervalS: f.intervalS ?? 300,
    value,
    flags,
    unit: f.unit,
  });
  const rules = new Uint32Array(slots);
  const severity = new Uint8Array(slots);
  const reason = new Uint8Array(slots);
  const ruleSeverity = new Uint8Array(15);
  const raise = (k: number, rule: RuleId, sev: number, why: number) => {
    rules[k] |= ruleBit(rule);
    if (sev > severity[k]) severity[k] = sev;
    if (why !== Reason.none && reason[k] === Reason.none) reason[k] = why;
    const n = ruleNumber(rule);
    if (sev > ruleSeverity[n]) ruleSeverity[n] = sev;
  };
  const refused = f.refused ?? null;
  for (let k = 0; k < slots; k++) {
    if (refused !== null) raise(k, 'V01', Severity.error, ruleReason('V01'));
    if (!Number.isFinite(md.value[k])) raise(k, 'V02', Severity.error, Reason.missing);
  }
  for (const fl of f.flags ?? []) {
    const sev = Severity[fl.severity];
    const why = fl.reason ?? (sev >= Severity.suspect ? ruleReason(fl.rule) : Reason.none);
    for (let k = fl.from; k <= (fl.to ?? fl.from); k++) raise(k, fl.rule, sev, why);
  }
  return {
    meterDay: md,
    meterId,
    role,
    channel: md.channel,
    quantityCode: md.quantityCode,
    refused,
    rules,
    severity,
    reason,
    ruleSeverity,
  };
}

export function fixturePoint(over: Partial<PointInfo> = {}): PointInfo {
  return {
    id: 7,
    code: 'PT-TEST',
    kind: 'consumidor_livre',
    segment: 'livre',
    loadCapacityKw: 120,
    tags: [],
    ...over,
  };
}

export interface EstimateFixture {
  day?: string;
  point?: Partial<PointInfo>;
  channels: readonly ChannelFixture[];
  /** Contexts replacing the default (no events, nothing known) of the same meterId; others are added. */
  meters?: readonly MeterContext[];
  params?: VeeParamsPatch;
  calendar?: HolidayCalendar;
  /** Like-days per quantity code. */
  history?: Record<number, readonly LikeDay[]>;
}

export function fixtureEstimate(f: EstimateFixture): EstimateInput {
  const day = f.day ?? FIXTURE_DAY;
  const point = fixturePoint(f.point);
  const channels = f.channels.map((c) => fixtureChannel(day, c));
  const meters = new Map<number, MeterContext>();
  for (const cv of channels)
    if (!meters.has(cv.meterId)) meters.set(cv.meterId, { meterId: cv.meterId, role: cv.role });
  for (const m of f.meters ?? []) meters.set(m.meterId, m);
  const input: ValidationInput = {
    point,
    day,
    channels: channels.map((cv) => cv.meterDay),
    meters: [...meters.values()],
  };
  const validation: ValidationResult = {
    pointId: point.id,
    day,
    dayStartMs: dayStartMs(day, point.timezone),
    channels,
    findings: [],
    outcomes: [],
  };
  const history = new Map<number, readonly LikeDay[]>();
  for (const [q, days] of Object.entries(f.history ?? {})) history.set(Number(q), days);
  return {
    input,
    validation,
    params: f.params ? mergeParams(DEFAULT_PARAMS, f.params) : DEFAULT_PARAMS,
    calendar: f.calendar ?? HolidayCalendar.national(),
    history,
  };
}

export function fixtureLikeDay(day: string, values: ArrayLike<number>, usable?: ArrayLike<number> | null): LikeDay {
  return { day, value: Float64Array.from(values), usable: usable ? Uint8Array.from(usable) : null };
}

/** An instant range covering slots from … to (inclusive) of the day exactly. */
export function slotRange(day: string, from: number, to: number, intervalS = 300): TimeRange {
  const start = dayStartMs(day);
  return { from: start + from * intervalS * 1000, to: start + (to + 1) * intervalS * 1000 };
}

/**
 * The (quality, method, source) triples a final series may hold: A none principal, S RT retaguarda, E LI/LD/ZO
 * estimate, N none/RR none, M ME manual; values finite except on N. Returns the slots that break it, described.
 */
export function finalTripleProblems(f: FinalDay): string[] {
  const problems: string[] = [];
  for (let k = 0; k < f.slots; k++) {
    const q = f.quality[k];
    const m = f.method[k];
    const s = f.source[k];
    const finite = Number.isFinite(f.value[k]);
    let ok: boolean;
    if (q === Quality.A) ok = m === Method.none && s === Source.principal && finite;
    else if (q === Quality.S) ok = m === Method.RT && s === Source.retaguarda && finite;
    else if (q === Quality.E) {
      ok = (m === Method.LI || m === Method.LD || m === Method.ZO) && s === Source.estimate && finite;
      if (m === Method.ZO) ok = ok && f.value[k] === 0 && f.reason[k] === Reason.outage;
    } else if (q === Quality.N) ok = (m === Method.none || m === Method.RR) && s === Source.none && !finite;
    else ok = q === Quality.M && m === Method.ME && s === Source.manual && finite;
    if (!ok) {
      problems.push(
        `slot ${k}: ${qualityName(q)} ${methodName(m)} ${sourceName(s)} value ${f.value[k]} reason ${f.reason[k]}`,
      );
    }
  }
  return problems;
}
