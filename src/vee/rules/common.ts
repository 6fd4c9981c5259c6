/**
 * What every validation rule shares: the per-channel accumulators behind ChannelValidation, the one marking
 * primitive (bit, severity, reason by precedence), outcome/finding recording and the wording of slot ranges and
 * figures in messages.
 *
 * Reason precedence, highest first (deterministic: each reason has its own rank):
 *   outage (confirmed, V03) > missing (slot has no value) > clock (V03 clock change, V04) > conflict (V01) >
 *   rule reasons by the severity they were raised with (error > suspect > warning > info), the lower rule number
 *   first within one severity.
 * A slot without a value carries 'missing' unless a confirmed outage covers it: no rule judged a value there. A
 * channel-day refused by V01 carries 'rule:V01' on every slot.
 */
import { DEFAULT_ZONE } from '../../domain/time.ts';
import { quantity } from '../../protocols/abnt14522/quantities.ts';
import type { VeeParams } from '../params.ts';
import { slotStartWallMinutes, slotsPerHour } from '../slots.ts';
import {
  type ChannelValidation,
  type Finding,
  type MeterContext,
  type MeterDay,
  Reason,
  type RuleId,
  type RuleOutcome,
  ruleBit,
  ruleReason,
  Severity,
  type SeverityName,
  severityName,
  type ValidationInput,
} from '../types.ts';

export interface ChannelState {
  /** Index in ValidationInput.channels. */
  index: number;
  md: MeterDay;
  cv: ChannelValidation;
  /** Per slot: rank of the reason currently held (see precedence above); allocated on the first mark. */
  rank: Uint8Array | null;
  /** False once V01 refused the channel-day: no other rule reads or marks it. */
  usable: boolean;
  /** 'meter 12 channel 1 (code 1)' */
  name: string;
  wall: Int16Array | null;
}

export interface RuleContext {
  input: ValidationInput;
  params: VeeParams;
  zone: string;
  dayStart: number;
  channels: ChannelState[];
  /** First context given per meter id. */
  meters: Map<number, MeterContext>;
  /** Point whose main direction is generation (kind or segment 'geracao'). */
  generationMain: boolean;
  findings: Finding[];
  outcomes: RuleOutcome[];
  /** meterIds() once computed. */
  ids?: number[];
}

export const RANK_OUTAGE = 100;
export const RANK_MISSING = 95;
export const RANK_CLOCK = 90;
export const RANK_CONFLICT = 80;

/** Rank of a rule reason raised at `severity` by rule n (1–14). */
export function ruleRank(n: number, severity: number): number {
  const base =
    severity >= Severity.error ? 60 : severity >= Severity.suspect ? 40 : severity >= Severity.warning ? 20 : 0;
  return base + 15 - n;
}

export function sev(name: SeverityName): number {
  return Severity[name];
}

export function sevName(code: number): SeverityName {
  const n = severityName(code);
  return n === 'none' ? 'info' : n;
}

/** Whether v is a usable number (finite); NaN is a missing slot. */
export function present(v: number): boolean {
  return v - v === 0;
}

export function raise(ch: ChannelState, n: number, severity: number): void {
  if (ch.cv.ruleSeverity[n] < severity) ch.cv.ruleSeverity[n] = severity;
}

/**
 * Marks slots from…to (inclusive) of a channel: rule bit, severity (max) and reason by precedence. `reason` is a
 * Reason code with its rank, or null for the rule's own reason (rule:Vn at the rank of `severity`).
 */
export function mark(
  ch: ChannelState,
  from: number,
  to: number,
  n: number,
  severity: number,
  special: { reason: number; rank: number } | null = null,
): void {
  const { rules, severity: sv, reason } = ch.cv;
  const bit = ruleBit(n);
  const r = special ? special.reason : ruleReason(n);
  const rk = special ? special.rank : ruleRank(n, severity);
  if (!ch.rank) ch.rank = new Uint8Array(rules.length);
  const rank = ch.rank;
  const hi = Math.min(to, rules.length - 1);
  for (let k = Math.max(0, from); k <= hi; k++) {
    rules[k] |= bit;
    if (sv[k] < severity) sv[k] = severity;
    if (rank[k] < rk) {
      rank[k] = rk;
      reason[k] = r;
    }
  }
  raise(ch, n, severity);
}

export const OUTAGE = { reason: Reason.outage, rank: RANK_OUTAGE };
export const CLOCK = { reason: Reason.clock, rank: RANK_CLOCK };
export const CONFLICT = { reason: Reason.conflict, rank: RANK_CONFLICT };

/** Whether the rule is on; records a single 'disabled' outcome when it is not. */
export function enabled(ctx: RuleContext, rule: RuleId): boolean {
  if (ctx.params.rules[rule].enabled) return true;
  ctx.outcomes.push({ rule, status: 'disabled' });
  return false;
}

export function outcome(
  ctx: RuleContext,
  rule: RuleId,
  status: 'pass' | 'fail' | 'not_evaluated',
  where: { meterId?: number; quantityCode?: number } = {},
  reason?: string,
): void {
  const o: RuleOutcome = { rule, status };
  if (where.meterId !== undefined) o.meterId = where.meterId;
  if (where.quantityCode !== undefined) o.quantityCode = where.quantityCode;
  if (reason !== undefined) o.reason = reason;
  ctx.outcomes.push(o);
}

export function channelOutcome(
  ctx: RuleContext,
  rule: RuleId,
  ch: ChannelState,
  status: 'pass' | 'fail' | 'not_evaluated',
  reason?: string,
): void {
  outcome(ctx, rule, status, { meterId: ch.md.meterId, quantityCode: ch.md.quantityCode }, reason);
}

/** A finding about one channel (optionally a slot range). */
export function channelFinding(
  ctx: RuleContext,
  rule: RuleId,
  severity: number,
  ch: ChannelState,
  message: string,
  range: { firstSlot: number; lastSlot: number; slots?: number } | null = null,
  data?: Finding['data'],
): void {
  const f: Finding = {
    rule,
    severity: sevName(severity),
    meterId: ch.md.meterId,
    channel: ch.md.channel,
    quantityCode: ch.md.quantityCode,
    message,
  };
  if (range) {
    f.firstSlot = range.firstSlot;
    f.lastSlot = range.lastSlot;
    f.slots = range.slots ?? range.lastSlot - range.firstSlot + 1;
  }
  if (data) f.data = data;
  ctx.findings.push(f);
}

export function meterFinding(
  ctx: RuleContext,
  rule: RuleId,
  severity: number,
  meterId: number,
  message: string,
  data?: Finding['data'],
  range: { firstSlot: number; lastSlot: number; slots: number } | null = null,
): void {
  const f: Finding = { rule, severity: sevName(severity), meterId, message };
  if (range) {
    f.firstSlot = range.firstSlot;
    f.lastSlot = range.lastSlot;
    f.slots = range.slots;
  }
  if (data) f.data = data;
  ctx.findings.push(f);
}

/** Inclusive ranges of slots where `on[k] & mask` is non-zero. */
export function runsOf(on: Uint8Array, mask = 0xff): { firstSlot: number; lastSlot: number }[] {
  const out: { firstSlot: number; lastSlot: number }[] = [];
  let start = -1;
  for (let k = 0; k <= on.length; k++) {
    const set = k < on.length && (on[k] & mask) !== 0;
    if (set && start < 0) start = k;
    else if (!set && start >= 0) {
      out.push({ firstSlot: start, lastSlot: k - 1 });
      start = -1;
    }
  }
  return out;
}

/** The span and slot count of a list of ranges (null when empty). */
export function spanOf(
  ranges: readonly { firstSlot: number; lastSlot: number }[],
): { firstSlot: number; lastSlot: number; slots: number } | null {
  if (ranges.length === 0) return null;
  let slots = 0;
  for (const r of ranges) slots += r.lastSlot - r.firstSlot + 1;
  return { firstSlot: ranges[0].firstSlot, lastSlot: ranges[ranges.length - 1].lastSlot, slots };
}

/** Usable channels of a meter, in input order. */
export function meterChannels(ctx: RuleContext, meterId: number): ChannelState[] {
  return ctx.channels.filter((c) => c.usable && c.md.meterId === meterId);
}

/** Distinct meter ids of the input, in order of first appearance (channels, then contexts). */
export function meterIds(ctx: RuleContext): readonly number[] {
  if (!ctx.ids) {
    const ids: number[] = [];
    for (const c of ctx.channels) if (!ids.includes(c.md.meterId)) ids.push(c.md.meterId);
    for (const id of ctx.meters.keys()) if (!ids.includes(id)) ids.push(id);
    ctx.ids = ids;
  }
  return ctx.ids;
}

/** Energy per hour (elapsed hours from the day start), NaN where a slot of the hour is missing. */
export function hourlySums(ch: ChannelState, hours: number): Float64Array {
  const sph = slotsPerHour(ch.md.intervalS);
  const v = ch.md.value;
  const out = new Float64Array(hours);
  for (let h = 0; h < hours; h++) {
    let sum = 0;
    for (let k = h * sph; k < (h + 1) * sph; k++) sum += present(v[k]) ? v[k] : Number.NaN;
    out[h] = sum;
  }
  return out;
}

/** Whole hours a channel's day holds. */
export function hoursOf(ch: ChannelState): number {
  return Math.floor(ch.md.slots / slotsPerHour(ch.md.intervalS));
}

export function isActive(code: number): boolean {
  return quantity(code).kind === 'active';
}

export function mainDirection(ctx: RuleContext): 'direct' | 'reverse' {
  return ctx.generationMain ? 'reverse' : 'direct';
}

// ---------------------------------------------------------------------------------------------------------------
// Wording

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const d = a >= 10_000 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 4 : 6;
  return String(Number(x.toFixed(d)));
}

export function hhmm(minutes: number): string {
  const m = Math.max(0, Math.min(1440, Math.round(minutes)));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function wallOf(ctx: RuleContext, ch: ChannelState): Int16Array {
  if (!ch.wall) ch.wall = slotStartWallMinutes(ctx.input.day, ch.cv.rules.length, ch.md.intervalS, ctx.zone);
  return ch.wall;
}

/** Wall-time start of slot k of a channel, in minutes of the day. */
export function slotStartMinute(ctx: RuleContext, ch: ChannelState, k: number): number {
  return wallOf(ctx, ch)[k];
}

/** 'slot 143 (11:55–12:00)' or 'slots 143–150 (11:55–12:40)'. */
export function slotText(ctx: RuleContext, ch: ChannelState, first: number, last: number): string {
  const wall = wallOf(ctx, ch);
  const from = hhmm(wall[first]);
  const to = hhmm(wall[last] + ch.md.intervalS / 60);
  return first === last ? `slot ${first} (${from}–${to})` : `slots ${first}–${last} (${from}–${to})`;
}

/** 'slots 3–5 (00:15–00:30), slot 9 (00:45–00:50) and 2 more ranges' */
export function rangesText(
  ctx: RuleContext,
  ch: ChannelState,
  ranges: readonly { firstSlot: number; lastSlot: number }[],
  max = 4,
): string {
  const shown = ranges.slice(0, max).map((r) => slotText(ctx, ch, r.firstSlot, r.lastSlot));
  const more = ranges.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more range${more === 1 ? '' : 's'}` : shown.join(', ');
}

export function ordinal(rank: number): string {
  if (rank === 1) return 'highest';
  if (rank === 2) return 'second-highest';
  if (rank === 3) return 'third-highest';
  const teen = rank % 100 >= 11 && rank % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][rank % 10] ?? 'th');
  return `${rank}${suffix}-highest`;
}

export function channelName(md: MeterDay): string {
  return `meter ${md.meterId} channel ${md.channel} (code ${md.quantityCode})`;
}

export function defaultZone(input: ValidationInput): string {
  return input.point.timezone ?? DEFAULT_ZONE;
}
