/**
 * V04 clock drift at read time (vee.md §2): the largest |drift| the day's reads saw, per meter. Above warnS a
 * 'warning' finding; above errorS a finding at the rule's severity and every slot of the meter gets
 * `slotSeverity` with reason 'clock' (params.ts explains why slots default to 'suspect'). The warning level never
 * exceeds the rule's configured severity.
 */

import { Severity } from '../types.ts';
import {
  CLOCK,
  enabled,
  fmt,
  mark,
  meterChannels,
  meterFinding,
  meterIds,
  outcome,
  type RuleContext,
  raise,
  sev,
} from './common.ts';

const V04 = 4;

export function checkClock(ctx: RuleContext): void {
  if (!enabled(ctx, 'V04')) return;
  const p = ctx.params.rules.V04;
  for (const id of meterIds(ctx)) {
    const drifts = ctx.meters.get(id)?.driftS ?? [];
    let worst = Number.NaN;
    for (const d of drifts) {
      if (Number.isFinite(d) && !(Math.abs(d) <= Math.abs(worst))) worst = d;
    }
    if (Number.isNaN(worst)) {
      outcome(ctx, 'V04', 'not_evaluated', { meterId: id }, 'no clock reading');
      continue;
    }
    const a = Math.abs(worst);
    if (a <= p.warnS) {
      outcome(ctx, 'V04', 'pass', { meterId: id });
      continue;
    }
    const over = a > p.errorS;
    const severity = over ? sev(p.severity) : Math.min(Severity.warning, sev(p.severity));
    const limit = over ? p.errorS : p.warnS;
    const chans = meterChannels(ctx, id);
    meterFinding(
      ctx,
      'V04',
      severity,
      id,
      `V04 clock drift on meter ${id}: ${worst > 0 ? '+' : ''}${fmt(worst)} s at read time, beyond ±${limit} s` +
        (over ? `; all ${chans.length} channel(s) flagged '${p.slotSeverity}'` : ''),
      { driftS: worst, limitS: limit },
    );
    for (const ch of chans) {
      if (over) mark(ch, 0, ch.cv.rules.length - 1, V04, sev(p.slotSeverity), CLOCK);
      raise(ch, V04, severity);
    }
    outcome(ctx, 'V04', 'fail', { meterId: id });
  }
}
