/**
 * Estimation and substitution (vee.md §3): from a point-day's validated layer to its final series, one per quantity
 * code. Pure: the service hands in the validation input and result, the parameters in force, the holiday calendar
 * and the earlier final series; nothing here reads a clock or the store, and no input is modified.
 *
 * Per slot the principal's actual is kept unless it is a substitution candidate (missing, severity ≥ suspect, its
 * channel-day refused by V01, or a conflicting re-read). Candidates go through params.estimation.order, one method
 * at a time over the whole day, so a method sees what the earlier ones decided (LI interpolates from slots RT
 * filled). SC rescales afterwards; RC is only a risk figure in the notes.
 */
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_ZONE } from '../domain/time.ts';
import type { HolidayCalendar } from './calendar.ts';
import { likeDayProfile, selectLikeDays } from './likeday.ts';
import { worstCase } from './methods/rc.ts';
import { registerFit, rescaleToRegister, scaleSlots } from './methods/sc.ts';
import type { ChainMethod, VeeParams } from './params.ts';
import { COVER_FULL, COVER_NONE, expectedSlots, markCoverage } from './slots.ts';
import {
  type ChannelValidation,
  emptyFinalDay,
  type FinalDay,
  type LikeDay,
  type MeterContext,
  type MeterRole,
  Method,
  Quality,
  RAW_CONFLICT,
  Reason,
  type RegisterAdvance,
  ruleReason,
  Severity,
  Source,
  type ValidationInput,
  type ValidationResult,
} from './types.ts';

export { likeDayFromFinal, likeDayProfile, selectLikeDays } from './likeday.ts';

export interface EstimateInput {
  /** The same input validate() received. */
  input: ValidationInput;
  /** validate()'s result. */
  validation: ValidationResult;
  /** Resolved for the point and day. */
  params: VeeParams;
  calendar: HolidayCalendar;
  /**
   * Earlier final series of this point per quantity code, any day class, most recent first (the service loads
   * params.estimation.LD.weeks weeks back).
   */
  history: ReadonlyMap<number, readonly LikeDay[]>;
}

interface Side {
  cv: ChannelValidation;
  ctx: MeterContext | null;
  /**
   * Whether the channel's arrays lie on the series' slots. Only a refused channel-day can be off (V01 refuses wrong
   * intervals, slot counts and lengths): it is then read as nothing but 'refused' on every slot.
   */
  aligned: boolean;
}

/** The series of one quantity being built, with what the chain needs to know about each slot. */
interface Work {
  e: EstimateInput;
  out: FinalDay;
  principal: Side | null;
  retaguarda: Side | null;
  /** 1 = the slot's final value is decided. */
  decided: Uint8Array;
  /** 1 = the principal slot is a substitution candidate. */
  candidate: Uint8Array;
  /** 1 = a candidate keepSuspectActual keeps as the actual unless RT or ZO replace it. */
  keep: Uint8Array;
  /** The reason a candidate slot carries. */
  why: Uint8Array;
  /** COVER_* marks of the confirmed outages (both ends known). */
  outage: Uint8Array;
  messages: string[];
  /** RT values (retaguarda × lossFactor where it passed validation, NaN elsewhere); undefined = not looked at yet. */
  rt: Float64Array | null | undefined;
}

type Eligible = (k: number) => boolean;

function bad(e: EstimateInput, message: string, details: Record<string, unknown> = {}): never {
  throw new FronteiraError(
    'FRONTEIRA_E_VALIDATION',
    `estimate point ${e.input.point.code} ${e.input.day}: ${message}`,
    {
      pointId: e.input.point.id,
      day: e.input.day,
      ...details,
    },
  );
}

function checkInput(e: EstimateInput): void {
  const v = e.validation;
  if (v.day !== e.input.day) bad(e, `validation result is for day ${v.day}`, { field: 'validation.day' });
  if (v.pointId !== e.input.point.id) {
    bad(e, `validation result is for point ${v.pointId}`, { field: 'validation.pointId' });
  }
  if (!Number.isFinite(v.dayStartMs)) bad(e, `dayStartMs ${v.dayStartMs} is not an instant`, { field: 'dayStartMs' });
  if (v.channels.length !== e.input.channels.length) {
    bad(e, `validation holds ${v.channels.length} channels, the input ${e.input.channels.length}`, {
      field: 'validation.channels',
    });
  }
  for (const m of e.params.estimation.order) {
    if (!Object.hasOwn(METHODS, m)) bad(e, `'${m}' is not a chain method`, { field: 'params.estimation.order' });
  }
  for (const cv of v.channels) {
    // A refused channel-day is never read slot by slot unless its shape fits (Side.aligned).
    if (cv.refused !== null) continue;
    const md = cv.meterDay;
    const n = md.slots;
    if (!validGrid(n, md.intervalS)) {
      bad(e, `meter ${cv.meterId} channel ${cv.channel}: ${n} slots of ${md.intervalS} s is not a day`, {
        field: 'slots',
      });
    }
    const lengths: [string, number][] = [
      ['value', md.value.length],
      ['rawFlags', md.rawFlags.length],
      ['rules', cv.rules.length],
      ['severity', cv.severity.length],
      ['reason', cv.reason.length],
    ];
    for (const [field, len] of lengths) {
      if (len !== n) {
        bad(e, `meter ${cv.meterId} channel ${cv.channel}: ${field} holds ${len} slots, expected ${n}`, { field });
      }
    }
  }
}

function validGrid(slots: number, intervalS: number): boolean {
  return (
    Number.isInteger(slots) &&
    slots >= 1 &&
    slots <= 32767 &&
    Number.isInteger(intervalS) &&
    intervalS > 0 &&
    86400 % intervalS === 0
  );
}

function fits(cv: ChannelValidation, slots: number, intervalS: number): boolean {
  const md = cv.meterDay;
  return (
    md.slots === slots &&
    md.intervalS === intervalS &&
    md.value?.length === slots &&
    md.rawFlags?.length === slots &&
    cv.rules.length === slots &&
    cv.severity.length === slots &&
    cv.reason.length === slots
  );
}

/**
 * The slots of the series: the principal's, else the retaguarda's, from a channel-day V01 accepted; when both were
 * refused, the expected slots of the day at the registered interval (else the channel's own, if it is one).
 */
function gridOf(
  e: EstimateInput,
  pcv: ChannelValidation | null,
  rcv: ChannelValidation | null,
): { slots: number; intervalS: number } {
  for (const cv of [pcv, rcv]) {
    if (cv && cv.refused === null) return { slots: cv.meterDay.slots, intervalS: cv.meterDay.intervalS };
  }
  const intervals = [pcv, rcv].flatMap((cv) =>
    cv ? [contextOf(e, cv.meterId)?.registration?.intervalS, cv.meterDay.intervalS] : [],
  );
  const intervalS = intervals.find((i) => typeof i === 'number' && validGrid(1, i));
  if (intervalS == null) bad(e, `no channel of quantity ${(pcv ?? rcv)?.quantityCode} has a usable interval`);
  return { slots: expectedSlots(e.input.day, intervalS, e.input.point.timezone ?? DEFAULT_ZONE), intervalS };
}

function isActual(cv: ChannelValidation, k: number): boolean {
  const md = cv.meterDay;
  return (
    cv.refused === null &&
    Number.isFinite(md.value[k]) &&
    cv.severity[k] < Severity.suspect &&
    (md.rawFlags[k] & RAW_CONFLICT) === 0
  );
}

/**
 * The channel of a role measuring quantity q. Normally one; should a day hold two (a meter replaced mid-day), the
 * one with the most usable actuals is used, deterministically, and the choice is reported.
 */
export function pickChannel(
  validation: ValidationResult,
  role: MeterRole,
  q: number,
  messages: string[] = [],
): ChannelValidation | null {
  const all = validation.channels.filter((cv) => cv.role === role && cv.quantityCode === q);
  if (all.length === 0) return null;
  if (all.length === 1) return all[0];
  const score = (cv: ChannelValidation): number => {
    let n = 0;
    for (let k = 0; k < cv.meterDay.slots; k++) if (isActual(cv, k)) n++;
    return n;
  };
  const ranked = all
    .map((cv, i) => ({ cv, i, n: score(cv) }))
    .sort((a, b) => b.n - a.n || a.cv.meterId - b.cv.meterId || a.cv.channel - b.cv.channel || a.i - b.i);
  const best = ranked[0].cv;
  messages.push(
    `${all.length} ${role} channels measure quantity ${q}; using meter ${best.meterId} channel ${best.channel}`,
  );
  return best;
}

function contextOf(e: EstimateInput, meterId: number): MeterContext | null {
  return e.input.meters.find((m) => m.meterId === meterId) ?? null;
}

function fill(w: Work, k: number, value: number, quality: number, method: number, source: number, reason: number) {
  const o = w.out;
  o.value[k] = value;
  o.quality[k] = quality;
  o.method[k] = method;
  o.source[k] = source;
  o.reason[k] = reason;
  w.decided[k] = 1;
}

/** The reason a candidate carries: as validated, else what made it a candidate. */
function candidateReason(cv: ChannelValidation, k: number): number {
  if (cv.reason[k] !== Reason.none) return cv.reason[k];
  const md = cv.meterDay;
  if (!Number.isFinite(md.value[k])) return Reason.missing;
  if (cv.refused !== null) return ruleReason('V01');
  let rule = 0;
  let severity = 0;
  for (let n = 1; n <= 14; n++) {
    const s = cv.ruleSeverity[n] ?? 0;
    if ((cv.rules[k] & (1 << n)) !== 0 && s > severity) {
      rule = n;
      severity = s;
    }
  }
  if (rule > 0 && severity >= Severity.suspect) return ruleReason(rule);
  if ((md.rawFlags[k] & RAW_CONFLICT) !== 0) return Reason.conflict;
  return rule > 0 ? ruleReason(rule) : Reason.missing;
}

function classify(w: Work): void {
  const slots = w.out.slots;
  const p = w.principal;
  if (!p) {
    w.candidate.fill(1);
    w.why.fill(Reason.missing);
    return;
  }
  const { cv } = p;
  if (!p.aligned) {
    w.candidate.fill(1);
    w.why.fill(ruleReason('V01'));
    return;
  }
  const md = cv.meterDay;
  const keepSuspect = w.e.params.estimation.keepSuspectActual;
  for (let k = 0; k < slots; k++) {
    if (isActual(cv, k)) continue;
    w.candidate[k] = 1;
    w.why[k] = candidateReason(cv, k);
    if (keepSuspect && cv.refused === null && Number.isFinite(md.value[k]) && cv.severity[k] <= Severity.suspect) {
      w.keep[k] = 1;
    }
  }
}

/**
 * Confirmed outages of the principal meter; when its events are unknown (or the point has no principal channel),
 * those the point's other meters logged: they sit on the same supply.
 */
function confirmedOutages(e: EstimateInput, principal: Side | null, slots: number, intervalS: number): Uint8Array {
  const marks = new Uint8Array(slots);
  const sources = principal?.ctx?.events ? [principal.ctx] : e.input.meters.filter((m) => m.events);
  for (const m of sources) {
    const confirmed = (m.events?.outages ?? []).filter((r) => r.from !== null && r.to !== null);
    markCoverage(marks, confirmed, e.validation.dayStartMs, intervalS);
  }
  return marks;
}

function advancesOf(w: Work): readonly RegisterAdvance[] {
  return w.principal?.ctx?.registerAdvance ?? [];
}

// ---------------------------------------------------------------------------------------------------------------
// Chain methods: each fills the eligible slots it applies to.

function applyRR(w: Work, eligible: Eligible): void {
  const p = w.principal;
  const possible = p?.ctx?.rereadPossible;
  // An unaligned (refused) day is not missing: the meter delivered it on another shape, a re-read changes nothing.
  if (!p || !possible || !p.aligned) return;
  const slots = w.out.slots;
  if (possible instanceof Uint8Array && possible.length !== slots) {
    bad(w.e, `meter ${p.cv.meterId}: rereadPossible holds ${possible.length} slots, expected ${slots}`, {
      field: 'rereadPossible',
    });
  }
  const value = p.cv.meterDay.value;
  let n = 0;
  for (let k = 0; k < slots; k++) {
    // Only a slot the meter never delivered can be re-read; a flagged value was delivered and would come back the same.
    if (!eligible(k) || Number.isFinite(value[k]) || (possible !== true && possible[k] !== 1)) continue;
    fill(w, k, Number.NaN, Quality.N, Method.RR, Source.none, Reason.missing);
    n++;
  }
  if (n > 0) w.out.notes.rereadPending = (w.out.notes.rereadPending ?? 0) + n;
}

function retaguardaValues(w: Work): Float64Array | null {
  if (w.rt !== undefined) return w.rt;
  w.rt = null;
  const r = w.retaguarda;
  if (!r) return null;
  const md = r.cv.meterDay;
  const where = `retaguarda meter ${md.meterId} channel ${md.channel}`;
  if (r.cv.refused !== null) {
    w.messages.push(`RT not used: ${where} was refused by V01 (${r.cv.refused})`);
    return null;
  }
  if (!r.aligned) {
    w.messages.push(
      `RT not used: ${where} holds ${md.slots} slots of ${md.intervalS} s, the series ${w.out.slots} of ${w.out.intervalS} s`,
    );
    return null;
  }
  const factor = w.e.params.estimation.RT.lossFactor;
  const v = new Float64Array(md.slots).fill(Number.NaN);
  for (let k = 0; k < md.slots; k++) if (isActual(r.cv, k)) v[k] = md.value[k] * factor;
  w.rt = v;
  return v;
}

function applyRT(w: Work, eligible: Eligible): void {
  const slots = w.out.slots;
  let pending = false;
  for (let k = 0; k < slots && !pending; k++) pending = eligible(k);
  if (!pending) return;
  const v = retaguardaValues(w);
  if (!v) return;
  let used = 0;
  for (let k = 0; k < slots; k++) {
    if (!eligible(k) || !Number.isFinite(v[k])) continue;
    fill(w, k, v[k], Quality.S, Method.RT, Source.retaguarda, w.why[k]);
    used++;
  }
  const factor = w.e.params.estimation.RT.lossFactor;
  if (used > 0 && factor !== 1) w.out.notes.lossFactor = factor;
}

function applyLI(w: Work, eligible: Eligible): void {
  const { out } = w;
  const slots = out.slots;
  const maxGap = w.e.params.estimation.LI.maxGap;
  const valid = (j: number) =>
    j >= 0 && j < slots && w.decided[j] === 1 && (out.quality[j] === Quality.A || out.quality[j] === Quality.S);
  let k = 0;
  while (k < slots) {
    if (!eligible(k)) {
      k++;
      continue;
    }
    let end = k;
    while (end + 1 < slots && eligible(end + 1)) end++;
    const n = end - k + 1;
    let acrossOutage = false;
    for (let j = k; j <= end && !acrossOutage; j++) acrossOutage = w.outage[j] !== COVER_NONE;
    if (n <= maxGap && valid(k - 1) && valid(end + 1) && !acrossOutage) {
      const a = out.value[k - 1];
      const b = out.value[end + 1];
      for (let i = 0; i < n; i++) {
        fill(w, k + i, a + ((b - a) * (i + 1)) / (n + 1), Quality.E, Method.LI, Source.estimate, w.why[k + i]);
      }
    }
    k = end + 1;
  }
}

function applyLD(w: Work, eligible: Eligible): void {
  const { e, out } = w;
  const slots = out.slots;
  const p = e.params.estimation.LD;
  const zeroLater = e.params.estimation.order.includes('ZO');
  // A confirmed outage must end as zeros with reason 'outage' (vee.md §3 ZO), yet the default order puts LD before
  // ZO: LD leaves the slots a confirmed outage fully covers to ZO whenever ZO is in the chain.
  const target = new Uint8Array(slots);
  let wanted = 0;
  for (let k = 0; k < slots; k++) {
    if (eligible(k) && !(zeroLater && w.outage[k] === COVER_FULL)) {
      target[k] = 1;
      wanted++;
    }
  }
  if (wanted === 0) return;
  const days = selectLikeDays(e.input.day, e.history.get(out.quantityCode) ?? [], e.calendar, p, slots);
  if (days.length === 0) {
    w.messages.push(`LD not used: no valid ${e.calendar.dayClass(e.input.day)} like-day within ${p.weeks} weeks`);
    return;
  }
  const profile = likeDayProfile(days, slots);
  const marked = new Uint8Array(slots);
  let used = 0;
  for (let k = 0; k < slots; k++) {
    if (target[k] !== 1 || !Number.isFinite(profile[k])) continue;
    fill(w, k, profile[k], Quality.E, Method.LD, Source.estimate, w.why[k]);
    marked[k] = 1;
    used++;
  }
  if (used === 0) return;
  out.notes.likeDays = days.map((d) => d.day);
  if (!p.scaleToRegister) return;
  // An undecided slot will hold 0 only if ZO is still to come and covers it; otherwise its energy is unknown.
  const later = (k: number) =>
    w.decided[k] === 1 ? out.value[k] : zeroLater && w.outage[k] === COVER_FULL ? 0 : Number.NaN;
  const fit = registerFit(out, marked, advancesOf(w), later);
  if (!fit.ok) {
    if (fit.why) w.messages.push(`LD not scaled to the register: ${fit.why}`);
  } else if (Math.abs(fit.factor - 1) > p.maxScaleDeviation) {
    w.messages.push(
      `LD not scaled to the register: factor ${fit.factor.toFixed(4)} deviates more than ${p.maxScaleDeviation} from 1`,
    );
  } else {
    scaleSlots(out, marked, fit.factor);
    out.notes.likeDayScale = fit.factor;
  }
}

function applyZO(w: Work, eligible: Eligible): void {
  for (let k = 0; k < w.out.slots; k++) {
    if (eligible(k) && w.outage[k] === COVER_FULL) fill(w, k, 0, Quality.E, Method.ZO, Source.estimate, Reason.outage);
  }
}

const METHODS: Record<ChainMethod, (w: Work, eligible: Eligible) => void> = {
  RR: applyRR,
  RT: applyRT,
  LI: applyLI,
  LD: applyLD,
  ZO: applyZO,
};

// ---------------------------------------------------------------------------------------------------------------

function estimateQuantity(e: EstimateInput, q: number): FinalDay {
  const messages: string[] = [];
  const pcv = pickChannel(e.validation, 'principal', q, messages);
  const rcv = pickChannel(e.validation, 'retaguarda', q, messages);
  const grid = gridOf(e, pcv, rcv);
  const out = emptyFinalDay({
    pointId: e.input.point.id,
    pointCode: e.input.point.code,
    quantityCode: q,
    day: e.input.day,
    slots: grid.slots,
    intervalS: grid.intervalS,
    unit: pcv?.meterDay.unit ?? rcv?.meterDay.unit,
  });
  const meterOfRole = (cv: ChannelValidation | null, role: MeterRole) =>
    cv?.meterId ?? e.input.meters.find((m) => m.role === role)?.meterId ?? null;
  out.notes = { principalMeterId: meterOfRole(pcv, 'principal'), retaguardaMeterId: meterOfRole(rcv, 'retaguarda') };
  const side = (cv: ChannelValidation | null): Side | null =>
    cv ? { cv, ctx: contextOf(e, cv.meterId), aligned: fits(cv, grid.slots, grid.intervalS) } : null;
  const principal = side(pcv);
  const slots = grid.slots;
  const w: Work = {
    e,
    out,
    principal,
    retaguarda: side(rcv),
    decided: new Uint8Array(slots),
    candidate: new Uint8Array(slots),
    keep: new Uint8Array(slots),
    why: new Uint8Array(slots),
    outage: confirmedOutages(e, principal, slots, grid.intervalS),
    messages,
    rt: undefined,
  };
  classify(w);
  if (principal?.aligned) {
    const value = principal.cv.meterDay.value;
    for (let k = 0; k < slots; k++) {
      if (w.candidate[k] === 0) fill(w, k, value[k], Quality.A, Method.none, Source.principal, Reason.none);
    }
  }
  const order = e.params.estimation.order;
  // A kept suspect actual can only be displaced by another measurement (RT) or a confirmed outage (ZO), whatever
  // their place in the order; deciding these slots first gives LI its neighbours.
  const keepOpen: Eligible = (k) => w.keep[k] === 1 && w.decided[k] === 0;
  for (const m of order) if (m === 'RT' || m === 'ZO') METHODS[m](w, keepOpen);
  for (let k = 0; k < slots; k++) {
    if (keepOpen(k)) {
      fill(w, k, principal!.cv.meterDay.value[k], Quality.A, Method.none, Source.principal, w.why[k]);
    }
  }
  const open: Eligible = (k) => w.decided[k] === 0;
  for (const m of order) {
    METHODS[m](w, open);
  }
  for (let k = 0; k < slots; k++) {
    if (open(k)) fill(w, k, Number.NaN, Quality.N, Method.none, Source.none, w.why[k]);
  }
  if (e.params.estimation.SC.enabled) rescaleToRegister(out, advancesOf(w), e.params.estimation.SC, messages);
  out.notes.worstCase = worstCase(out, e.input.point.loadCapacityKw);
  if (messages.length > 0) out.notes.messages = messages;
  return out;
}

/**
 * The final series of the point-day: one per quantity code the principal measures (the retaguarda's when the point
 * has no principal channel that day), sorted by quantity code. Same input, same output (finalDaysEqual).
 */
export function estimate(e: EstimateInput): FinalDay[] {
  checkInput(e);
  const codesOf = (role: MeterRole) =>
    e.validation.channels.filter((cv) => cv.role === role).map((cv) => cv.quantityCode);
  let codes = codesOf('principal');
  if (codes.length === 0) codes = codesOf('retaguarda');
  return [...new Set(codes)].sort((a, b) => a - b).map((q) => estimateQuantity(e, q));
}
