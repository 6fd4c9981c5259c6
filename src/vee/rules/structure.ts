/**
 * V01 structure (vee.md §2): a channel-day whose shape does not match the day, the meter's registered mass-memory
 * interval or itself is refused (every slot error, reason rule:V01); inside an accepted day, negative or
 * non-finite actual values are slot errors and slots a re-read disagreed with (RAW_CONFLICT) are flagged with
 * reason 'conflict'.
 *
 * Choices [I]:
 * - Arrays that do not hold `slots` entries, a bad slot count or interval, or another day are refused even with
 *   V01 disabled (at severity error): the other rules cannot read such a channel. The other checks are policy
 *   and follow `enabled`.
 * - A conflict slot gets min(V01 severity, suspect): the stored value is still a reading of the meter, so a measured
 *   source (RT) replaces it but, with keepSuspectActual, it is not thrown away for an estimate.
 * - A channel listed twice (same meter and channel): the later copies are refused; the first too when the copies
 *   hold different values (no way to tell which is right).
 */
import { expectedSlots } from '../slots.ts';
import { type MeterDay, RAW_ACTUAL, RAW_CONFLICT, Severity, sameSlotValue, slotRanges } from '../types.ts';
import {
  type ChannelState,
  CONFLICT,
  channelFinding,
  channelOutcome,
  fmt,
  mark,
  type RuleContext,
  rangesText,
  sev,
} from './common.ts';

const V01 = 1;

/** What makes a channel-day unreadable, or null. */
export function integrityProblem(md: MeterDay, day: string): string | null {
  if (!Number.isInteger(md.slots) || md.slots < 1 || md.slots > 32767) return `slot count ${md.slots} is not valid`;
  if (!Number.isInteger(md.intervalS) || md.intervalS <= 0 || 86400 % md.intervalS !== 0) {
    return `interval ${md.intervalS} s does not divide the day`;
  }
  const values = md.value?.length;
  if (values !== md.slots) return `value holds ${values ?? 'no'} slots, expected ${md.slots}`;
  const flags = md.rawFlags?.length;
  if (flags !== md.slots) return `rawFlags holds ${flags ?? 'no'} slots, expected ${md.slots}`;
  if (md.day !== day) return `day ${md.day} is not the validated day ${day}`;
  return null;
}

function policyProblem(ctx: RuleContext, ch: ChannelState): string | null {
  const md = ch.md;
  const expected = expectedSlots(ctx.input.day, md.intervalS, ctx.zone);
  if (md.slots !== expected) return `${md.slots} slots, expected ${expected} for ${ctx.input.day} at ${md.intervalS} s`;
  const registered = ctx.meters.get(md.meterId)?.registration?.intervalS;
  if (registered != null && registered !== md.intervalS) {
    return `interval ${md.intervalS} s, registered mass-memory interval ${registered} s`;
  }
  return null;
}

function sameValues(a: MeterDay, b: MeterDay): boolean {
  if (a.slots !== b.slots || a.intervalS !== b.intervalS) return false;
  for (let k = 0; k < a.slots; k++) if (!sameSlotValue(a.value[k], b.value[k])) return false;
  return true;
}

function refuse(ctx: RuleContext, ch: ChannelState, why: string, severity: number): void {
  ch.usable = false;
  ch.cv.refused = why;
  mark(ch, 0, ch.cv.rules.length - 1, V01, severity);
  channelFinding(ctx, 'V01', severity, ch, `V01 structure: ${ch.name} ${ctx.input.day} refused: ${why}`, null, {
    refused: why,
  });
  channelOutcome(ctx, 'V01', ch, 'fail', why);
}

export function checkStructure(ctx: RuleContext): void {
  const s = ctx.params.rules.V01;
  if (!s.enabled) ctx.outcomes.push({ rule: 'V01', status: 'disabled' });
  const severity = s.enabled ? sev(s.severity) : Severity.error;
  const why: (string | null)[] = ctx.channels.map((ch) => integrityProblem(ch.md, ctx.input.day));
  if (s.enabled) {
    const first = new Map<string, number>();
    for (const ch of ctx.channels) {
      const i = ch.index;
      if (why[i]) continue;
      const key = `${ch.md.meterId}:${ch.md.channel}`;
      const j = first.get(key);
      if (j === undefined) {
        first.set(key, i);
        why[i] = policyProblem(ctx, ch);
      } else {
        why[i] = `duplicate of input channel #${j}`;
        if (!why[j] && !sameValues(ctx.channels[j].md, ch.md)) why[j] = `listed twice (#${i}) with different values`;
      }
    }
  }
  for (const ch of ctx.channels) {
    const w = why[ch.index];
    if (w) refuse(ctx, ch, w, severity);
  }
  if (!s.enabled) return;
  for (const ch of ctx.channels) if (ch.usable) checkSlots(ctx, ch, severity);
}

function checkSlots(ctx: RuleContext, ch: ChannelState, severity: number): void {
  const { value, rawFlags, slots } = ch.md;
  // Negative, infinite, or NaN where the raw flags claim an actual.
  const invalid = (k: number): boolean => {
    const v = value[k];
    return v < 0 || v === Number.POSITIVE_INFINITY || (Number.isNaN(v) && (rawFlags[k] & RAW_ACTUAL) !== 0);
  };
  let bad = 0;
  let conflicts = 0;
  let min = Number.POSITIVE_INFINITY;
  for (let k = 0; k < slots; k++) {
    if (invalid(k)) {
      mark(ch, k, k, V01, severity);
      bad++;
      if (value[k] < min) min = value[k];
    }
    if ((rawFlags[k] & RAW_CONFLICT) !== 0) conflicts++;
  }
  if (bad > 0) {
    const ranges = slotRanges(slots, invalid);
    channelFinding(
      ctx,
      'V01',
      severity,
      ch,
      `V01 invalid values on ${ch.name}: ${rangesText(ctx, ch, ranges)}` +
        (min < 0 ? `, lowest ${fmt(min)} ${ch.md.unit}` : ', not a finite number'),
      { firstSlot: ranges[0].firstSlot, lastSlot: ranges[ranges.length - 1].lastSlot, slots: bad },
    );
  }
  if (conflicts > 0) {
    const cs = Math.min(severity, Severity.suspect);
    const ranges = slotRanges(slots, (k) => (rawFlags[k] & RAW_CONFLICT) !== 0);
    for (const r of ranges) mark(ch, r.firstSlot, r.lastSlot, V01, cs, CONFLICT);
    channelFinding(
      ctx,
      'V01',
      cs,
      ch,
      `V01 conflict on ${ch.name}: a re-read disagreed with the stored value at ${rangesText(ctx, ch, ranges)} (stored value kept)`,
      { firstSlot: ranges[0].firstSlot, lastSlot: ranges[ranges.length - 1].lastSlot, slots: conflicts },
    );
  }
  channelOutcome(ctx, 'V01', ch, bad + conflicts > 0 ? 'fail' : 'pass');
}
