/**
 * V12 instantaneous values (vee.md §2, cmd 0x14): phase voltage outside [lowPct, highPct] × nominal (a lost phase
 * reads near 0) and, when maxCurrentUnbalancePct is set, current unbalance = largest deviation from the mean phase
 * current / mean. One sample per meter: a day finding, no slot marks (it cannot say since when).
 */
import type { PhaseTriple } from '../types.ts';
import {
  enabled,
  fmt,
  meterChannels,
  meterFinding,
  meterIds,
  outcome,
  type RuleContext,
  raise,
  sev,
} from './common.ts';

const V12 = 12;
const PHASES = ['a', 'b', 'c'] as const;

function unbalancePct(i: PhaseTriple): number | null {
  const xs = PHASES.map((ph) => i[ph]).filter((x) => Number.isFinite(x));
  if (xs.length < 2) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (!(mean > 0)) return null;
  return (100 * Math.max(...xs.map((x) => Math.abs(x - mean)))) / mean;
}

export function checkInstant(ctx: RuleContext): void {
  if (!enabled(ctx, 'V12')) return;
  const p = ctx.params.rules.V12;
  const severity = sev(p.severity);
  for (const id of meterIds(ctx)) {
    const s = ctx.meters.get(id)?.instant;
    if (!s) {
      outcome(ctx, 'V12', 'not_evaluated', { meterId: id }, 'no instant snapshot');
      continue;
    }
    const nominal = s.nominalV;
    if (nominal == null || !(nominal > 0)) {
      outcome(ctx, 'V12', 'not_evaluated', { meterId: id }, 'nominal voltage unknown');
      continue;
    }
    const problems: string[] = [];
    const lo = p.lowPct * nominal;
    const hi = p.highPct * nominal;
    for (const ph of PHASES) {
      const v = s.voltageV?.[ph];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (v < lo) problems.push(`phase ${ph.toUpperCase()} ${fmt(v)} V < ${fmt(p.lowPct * 100)}% of ${fmt(nominal)} V`);
      else if (v > hi)
        problems.push(`phase ${ph.toUpperCase()} ${fmt(v)} V > ${fmt(p.highPct * 100)}% of ${fmt(nominal)} V`);
    }
    if (p.maxCurrentUnbalancePct !== null && s.currentA) {
      const u = unbalancePct(s.currentA);
      if (u !== null && u > p.maxCurrentUnbalancePct) {
        const i = s.currentA;
        problems.push(
          `current unbalance ${fmt(u)}% > ${fmt(p.maxCurrentUnbalancePct)}% (A ${fmt(i.a)}, B ${fmt(i.b)}, C ${fmt(i.c)} A)`,
        );
      }
    }
    if (problems.length === 0) {
      outcome(ctx, 'V12', 'pass', { meterId: id });
      continue;
    }
    meterFinding(ctx, 'V12', severity, id, `V12 instantaneous values on meter ${id}: ${problems.join('; ')}`, {
      at: s.at,
      nominalV: nominal,
    });
    for (const ch of meterChannels(ctx, id)) raise(ch, V12, severity);
    outcome(ctx, 'V12', 'fail', { meterId: id });
  }
}
