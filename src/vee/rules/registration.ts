/**
 * V13 registration consistency (vee.md §2; regulatory.md §6 rule 2): what the meter reported in the day's reads
 * against the registry — serial, mass-memory interval, channel quantity codes and constants, TP/TC ratios.
 *
 * What marks slots (at the rule's severity, default error) [I]: a different interval or TP/TC ratio marks every
 * channel of the meter, a different quantity code or constant marks that channel — the stored values were
 * converted or labelled with the wrong figures. A different serial, or a channel only one side lists, is a finding
 * only: the values are still the meter's measurements (a replacement the registry has not caught up with).
 */
import type { ChannelRegistration, MeterIdentity } from '../types.ts';
import {
  enabled,
  mark,
  meterChannels,
  meterFinding,
  meterIds,
  outcome,
  type RuleContext,
  raise,
  sev,
} from './common.ts';

const V13 = 13;

interface Mismatch {
  text: string;
  /** 'all' channels of the meter, channel numbers, or none. */
  marks: 'all' | number[];
}

function sameConstant(a: ChannelRegistration, b: ChannelRegistration): boolean {
  return a.numerator * b.denominator === b.numerator * a.denominator;
}

function mismatches(reg: MeterIdentity, obs: MeterIdentity): { compared: number; found: Mismatch[] } {
  const found: Mismatch[] = [];
  let compared = 0;
  if (reg.serial != null && obs.serial != null) {
    compared++;
    if (String(reg.serial).trim() !== String(obs.serial).trim()) {
      found.push({ text: `serial ${obs.serial}, registered ${reg.serial}`, marks: [] });
    }
  }
  if (reg.intervalS != null && obs.intervalS != null) {
    compared++;
    if (reg.intervalS !== obs.intervalS) {
      found.push({ text: `mass-memory interval ${obs.intervalS} s, registered ${reg.intervalS} s`, marks: 'all' });
    }
  }
  for (const [name, r, o] of [
    ['TP ratio', reg.tpRatio, obs.tpRatio],
    ['TC ratio', reg.tcRatio, obs.tcRatio],
  ] as const) {
    if (r == null || o == null) continue;
    compared++;
    if (r !== o) found.push({ text: `${name} ${o}, registered ${r}`, marks: 'all' });
  }
  if (reg.channels && obs.channels) {
    compared++;
    for (const rc of reg.channels) {
      const oc = obs.channels.find((c) => c.channel === rc.channel);
      if (!oc) {
        found.push({ text: `channel ${rc.channel} (code ${rc.quantityCode}) not reported by the meter`, marks: [] });
        continue;
      }
      if (oc.quantityCode !== rc.quantityCode) {
        found.push({
          text: `channel ${rc.channel} quantity code ${oc.quantityCode}, registered ${rc.quantityCode}`,
          marks: [rc.channel],
        });
      }
      if (!sameConstant(rc, oc)) {
        found.push({
          text: `channel ${rc.channel} constant ${oc.numerator}/${oc.denominator}, registered ${rc.numerator}/${rc.denominator}`,
          marks: [rc.channel],
        });
      }
    }
    for (const oc of obs.channels) {
      if (!reg.channels.some((c) => c.channel === oc.channel)) {
        found.push({ text: `channel ${oc.channel} (code ${oc.quantityCode}) reported but not registered`, marks: [] });
      }
    }
  }
  return { compared, found };
}

export function checkRegistration(ctx: RuleContext): void {
  if (!enabled(ctx, 'V13')) return;
  const severity = sev(ctx.params.rules.V13.severity);
  for (const id of meterIds(ctx)) {
    const m = ctx.meters.get(id);
    if (!m?.registration) {
      outcome(ctx, 'V13', 'not_evaluated', { meterId: id }, 'no registration');
      continue;
    }
    if (!m.observed) {
      outcome(ctx, 'V13', 'not_evaluated', { meterId: id }, "not observed in the day's reads");
      continue;
    }
    const { compared, found } = mismatches(m.registration, m.observed);
    if (compared === 0) {
      outcome(ctx, 'V13', 'not_evaluated', { meterId: id }, 'nothing reported to compare');
      continue;
    }
    if (found.length === 0) {
      outcome(ctx, 'V13', 'pass', { meterId: id });
      continue;
    }
    const chans = meterChannels(ctx, id);
    const marked = new Set<number>();
    for (const f of found) {
      for (const ch of chans) if (f.marks === 'all' || f.marks.includes(ch.md.channel)) marked.add(ch.index);
    }
    for (const ch of chans) {
      if (marked.has(ch.index)) mark(ch, 0, ch.cv.rules.length - 1, V13, severity);
      else raise(ch, V13, severity);
    }
    meterFinding(
      ctx,
      'V13',
      severity,
      id,
      `V13 registration on meter ${id}: ${found.map((f) => f.text).join('; ')}` +
        (marked.size > 0 ? `; ${marked.size} channel(s) flagged` : ''),
      { mismatches: found.length, channelsFlagged: marked.size },
    );
    outcome(ctx, 'V13', 'fail', { meterId: id });
  }
}
