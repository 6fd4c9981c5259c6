/**
 * V02 completeness (vee.md §2): values found vs the slots of the day, per channel. Fires below 100%; the missing
 * slots get the V02 bit and severity (their reason stays 'missing', see common.ts).
 */
import { slotRanges } from '../types.ts';
import { channelFinding, channelOutcome, enabled, mark, present, type RuleContext, rangesText, sev } from './common.ts';

const V02 = 2;

export function checkCompleteness(ctx: RuleContext): void {
  if (!enabled(ctx, 'V02')) return;
  const severity = sev(ctx.params.rules.V02.severity);
  for (const ch of ctx.channels) {
    if (!ch.usable) {
      channelOutcome(ctx, 'V02', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const { value, slots } = ch.md;
    let found = 0;
    for (let k = 0; k < slots; k++) if (present(value[k])) found++;
    if (found === slots) {
      channelOutcome(ctx, 'V02', ch, 'pass');
      continue;
    }
    const ranges = slotRanges(slots, (k) => !present(value[k]));
    for (const r of ranges) mark(ch, r.firstSlot, r.lastSlot, V02, severity);
    const pct = (100 * found) / slots;
    channelFinding(
      ctx,
      'V02',
      severity,
      ch,
      `V02 completeness on ${ch.name}: ${found}/${slots} slots (${pct.toFixed(1)}%), missing ${rangesText(ctx, ch, ranges)}`,
      { firstSlot: ranges[0].firstSlot, lastSlot: ranges[ranges.length - 1].lastSlot, slots: slots - found },
      { found, expected: slots },
    );
    channelOutcome(ctx, 'V02', ch, 'fail');
  }
}
