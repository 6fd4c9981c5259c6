/**
 * V09 reverse flow (vee.md §2): per meter, active energy on the unexpected direction (G on a load, C on a
 * generator: the main direction is generation when the point's kind or segment is 'geracao') above `share` × the
 * day's main-direction energy. The unexpected channel's slots with energy get the V09 flag.
 */
import { quantity } from '../../protocols/abnt14522/quantities.ts';
import {
  type ChannelState,
  channelFinding,
  enabled,
  fmt,
  isActive,
  mainDirection,
  mark,
  meterChannels,
  meterIds,
  outcome,
  type RuleContext,
  rangesText,
  runsOf,
  sev,
  spanOf,
} from './common.ts';

const V09 = 9;

function dayTotal(ch: ChannelState): number {
  const v = ch.md.value;
  let sum = 0;
  for (let k = 0; k < ch.md.slots; k++) if (v[k] > 0 && v[k] !== Number.POSITIVE_INFINITY) sum += v[k];
  return sum;
}

export function checkDirection(ctx: RuleContext): void {
  if (!enabled(ctx, 'V09')) return;
  const p = ctx.params.rules.V09;
  const severity = sev(p.severity);
  const dir = mainDirection(ctx);
  for (const id of meterIds(ctx)) {
    const active = meterChannels(ctx, id).filter((c) => isActive(c.md.quantityCode));
    const main = active.find((c) => quantity(c.md.quantityCode).direction === dir);
    const other = active.find((c) => quantity(c.md.quantityCode).direction !== dir);
    if (!other || !main) {
      const why = !other ? `no ${dir === 'direct' ? 'reverse' : 'direct'} active channel` : 'no main-direction channel';
      outcome(ctx, 'V09', 'not_evaluated', { meterId: id }, why);
      continue;
    }
    const mainSum = dayTotal(main);
    const otherSum = dayTotal(other);
    const limit = p.share * mainSum;
    if (!(otherSum > limit)) {
      outcome(ctx, 'V09', 'pass', { meterId: id, quantityCode: other.md.quantityCode });
      continue;
    }
    const v = other.md.value;
    const flagged = new Uint8Array(other.md.slots);
    for (let k = 0; k < flagged.length; k++) if (v[k] > 0) flagged[k] = 1;
    const ranges = runsOf(flagged);
    for (const r of ranges) mark(other, r.firstSlot, r.lastSlot, V09, severity);
    channelFinding(
      ctx,
      'V09',
      severity,
      other,
      `V09 reverse flow on meter ${id}: code ${other.md.quantityCode} day total ${fmt(otherSum)} ${other.md.unit} > ` +
        `${fmt(p.share * 100)}% of code ${main.md.quantityCode} total ${fmt(mainSum)} (${fmt(limit)}); energy at ${rangesText(ctx, other, ranges)}`,
      spanOf(ranges),
      { reverse: otherSum, main: mainSum, limit },
    );
    outcome(ctx, 'V09', 'fail', { meterId: id, quantityCode: other.md.quantityCode });
  }
}
