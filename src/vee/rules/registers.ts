/**
 * V10 sum check (vee.md §2): the sum of a channel's intervals over firstSlot…lastSlot, plus the part of the period
 * in the neighbouring days (outsideSum), against the register advance over the same period (cmd 0x23/0x24).
 * Relative tolerance; a day finding only (it cannot say which interval is wrong).
 *
 * Choice [I]: a period with missing intervals is not judged — the gap, not the data, would make the difference.
 */

import type { RegisterAdvance } from '../types.ts';
import {
  type ChannelState,
  channelFinding,
  channelOutcome,
  enabled,
  fmt,
  outcome,
  present,
  type RuleContext,
  raise,
  sev,
  slotText,
} from './common.ts';

const V10 = 10;

export function checkRegisters(ctx: RuleContext): void {
  if (!enabled(ctx, 'V10')) return;
  const p = ctx.params.rules.V10;
  const severity = sev(p.severity);
  for (const ch of ctx.channels) {
    if (!ch.usable) {
      channelOutcome(ctx, 'V10', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const advances = ctx.meters.get(ch.md.meterId)?.registerAdvance ?? [];
    const ra = advances.find((a) => a.quantityCode === ch.md.quantityCode);
    if (!ra) {
      channelOutcome(ctx, 'V10', ch, 'not_evaluated', 'no register snapshot');
      continue;
    }
    judge(ctx, ch, ra, p.tolerance, severity);
  }
  // Advances of a quantity the meter has no usable channel for.
  for (const [meterId, m] of ctx.meters) {
    for (const ra of m.registerAdvance ?? []) {
      const has = ctx.channels.some((c) => c.md.meterId === meterId && c.md.quantityCode === ra.quantityCode);
      if (!has) {
        outcome(ctx, 'V10', 'not_evaluated', { meterId, quantityCode: ra.quantityCode }, 'no channel of that quantity');
      }
    }
  }
}

function judge(ctx: RuleContext, ch: ChannelState, ra: RegisterAdvance, tolerance: number, severity: number): void {
  const { firstSlot, lastSlot, energy } = ra;
  const outside = ra.outsideSum ?? 0;
  const n = ch.md.slots;
  if (
    !Number.isInteger(firstSlot) ||
    !Number.isInteger(lastSlot) ||
    firstSlot < 0 ||
    lastSlot >= n ||
    firstSlot > lastSlot
  ) {
    channelOutcome(
      ctx,
      'V10',
      ch,
      'not_evaluated',
      `register period slots ${firstSlot}…${lastSlot} not inside the day`,
    );
    return;
  }
  if (!Number.isFinite(energy) || !Number.isFinite(outside)) {
    channelOutcome(ctx, 'V10', ch, 'not_evaluated', 'register advance is not a number');
    return;
  }
  const v = ch.md.value;
  let sum = outside;
  let missing = 0;
  for (let k = firstSlot; k <= lastSlot; k++) {
    if (present(v[k])) sum += v[k];
    else missing++;
  }
  if (missing > 0) {
    channelOutcome(ctx, 'V10', ch, 'not_evaluated', `${missing} slot(s) missing in the register period`);
    return;
  }
  const diff = sum - energy;
  // A hair of slack for the float sum of hundreds of intervals.
  const allowed = tolerance * Math.abs(energy) + 1e-9 * Math.max(Math.abs(energy), Math.abs(sum));
  if (Math.abs(diff) <= allowed) {
    channelOutcome(ctx, 'V10', ch, 'pass');
    return;
  }
  const pct = energy !== 0 ? `${fmt((100 * diff) / Math.abs(energy))}%` : 'register advance 0';
  channelFinding(
    ctx,
    'V10',
    severity,
    ch,
    `V10 sum check on ${ch.name}: intervals over ${slotText(ctx, ch, firstSlot, lastSlot)}` +
      (outside !== 0 ? ` + ${fmt(outside)} outside the day` : '') +
      ` = ${fmt(sum)} ${ch.md.unit}, register advance ${fmt(energy)} (${pct}, tolerance ${fmt(tolerance * 100)}%)`,
    { firstSlot, lastSlot },
    { sum, registerAdvance: energy, difference: diff },
  );
  raise(ch, V10, severity);
  channelOutcome(ctx, 'V10', ch, 'fail');
}
