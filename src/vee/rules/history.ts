/**
 * V08 daily energy vs history (vee.md §2): the channel's day total outside [lo, hi] × the mean of the same day
 * class over the history the service passes (input.history, point-level totals per quantity code). A day finding
 * only: it says the day is unusual, not which slots are wrong.
 *
 * Choice [I]: an incomplete day is not judged (its total would read low for want of data, which V02 reports).
 */
import { channelFinding, channelOutcome, enabled, fmt, present, type RuleContext, raise, sev } from './common.ts';

export function checkHistory(ctx: RuleContext): void {
  if (!enabled(ctx, 'V08')) return;
  const p = ctx.params.rules.V08;
  const severity = sev(p.severity);
  for (const ch of ctx.channels) {
    const code = ch.md.quantityCode;
    if (!p.quantityCodes.includes(code)) continue;
    if (!ch.usable) {
      channelOutcome(ctx, 'V08', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const history = ctx.input.history?.find((h) => h.quantityCode === code);
    const totals = (history?.totals ?? []).filter((t) => Number.isFinite(t));
    if (totals.length < p.minDays) {
      const why = history ? `history of ${totals.length} day(s) < minDays ${p.minDays}` : 'no history';
      channelOutcome(ctx, 'V08', ch, 'not_evaluated', why);
      continue;
    }
    const v = ch.md.value;
    let total = 0;
    let missing = 0;
    for (let k = 0; k < ch.md.slots; k++) {
      if (present(v[k])) total += v[k];
      else missing++;
    }
    if (missing > 0) {
      channelOutcome(ctx, 'V08', ch, 'not_evaluated', `incomplete day (${missing} slot(s) missing)`);
      continue;
    }
    let sum = 0;
    for (const t of totals) sum += t;
    const mean = sum / totals.length;
    const lo = p.lo * mean;
    const hi = p.hi * mean;
    if (total >= lo && total <= hi) {
      channelOutcome(ctx, 'V08', ch, 'pass');
      continue;
    }
    const side =
      total < lo ? `< ${p.lo} × mean ${fmt(mean)} = ${fmt(lo)}` : `> ${p.hi} × mean ${fmt(mean)} = ${fmt(hi)}`;
    channelFinding(
      ctx,
      'V08',
      severity,
      ch,
      `V08 daily energy on ${ch.name}: ${fmt(total)} ${ch.md.unit} ${side} of ${totals.length} like-day(s)`,
      null,
      { total, mean, days: totals.length },
    );
    raise(ch, 8, severity);
    channelOutcome(ctx, 'V08', ch, 'fail');
  }
}
