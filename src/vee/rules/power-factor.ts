/**
 * V14 hourly power factor (vee.md §2; REN 1000/2021 arts. 302–304): on the principal meter, per direction, the
 * hourly PF = P / √(P² + Q²) from the active channel (1 direct, 14 reverse) and the reactive channel of the same
 * direction that counts in that hour — capacitive (11/16) inside the capacitive window, inductive (10/15) outside
 * it. The window is in wall time (slot start), so DST days follow the clock. A billing risk, not a data error: a
 * day finding at the rule's severity (default info), no slot marks.
 *
 * Hours with a missing slot on a needed channel, or with neither active nor reactive energy, are not judged.
 */
import { slotsPerHour } from '../slots.ts';
import {
  type ChannelState,
  channelFinding,
  enabled,
  hhmm,
  hourlySums,
  hoursOf,
  meterChannels,
  meterIds,
  outcome,
  present,
  type RuleContext,
  raise,
  sev,
  slotStartMinute,
} from './common.ts';

const V14 = 14;

const DIRECTIONS = [
  { name: 'direct', active: 1, inductive: 10, capacitive: 11 },
  { name: 'reverse', active: 14, inductive: 15, capacitive: 16 },
] as const;

function minutesOf(hm: string): number {
  return Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
}

export function checkPowerFactor(ctx: RuleContext): void {
  if (!enabled(ctx, 'V14')) return;
  const principals = meterIds(ctx).filter(
    (id) =>
      ctx.meters.get(id)?.role === 'principal' ||
      ctx.channels.some((c) => c.md.meterId === id && c.md.role === 'principal'),
  );
  if (principals.length === 0) {
    ctx.outcomes.push({ rule: 'V14', status: 'not_evaluated', reason: 'no principal meter' });
    return;
  }
  for (const id of principals) {
    const chans = meterChannels(ctx, id);
    let any = false;
    for (const dir of DIRECTIONS) {
      const A = chans.find((c) => c.md.quantityCode === dir.active);
      if (!A) continue;
      any = true;
      const I = chans.find((c) => c.md.quantityCode === dir.inductive) ?? null;
      const C = chans.find((c) => c.md.quantityCode === dir.capacitive) ?? null;
      if (!I && !C) {
        outcome(ctx, 'V14', 'not_evaluated', { meterId: id, quantityCode: dir.active }, 'no reactive channels');
        continue;
      }
      judgeDirection(ctx, id, dir.name, A, I, C);
    }
    if (!any) outcome(ctx, 'V14', 'not_evaluated', { meterId: id }, 'no usable active channel');
  }
}

function judgeDirection(
  ctx: RuleContext,
  meterId: number,
  dirName: string,
  A: ChannelState,
  I: ChannelState | null,
  C: ChannelState | null,
): void {
  const p = ctx.params.rules.V14;
  const severity = sev(p.severity);
  const hours = Math.min(hoursOf(A), I ? hoursOf(I) : Infinity, C ? hoursOf(C) : Infinity);
  const hp = hourlySums(A, hours);
  const hi = I ? hourlySums(I, hours) : null;
  const hc = C ? hourlySums(C, hours) : null;
  const sph = slotsPerHour(A.md.intervalS);
  const capStart = minutesOf(p.capacitiveStart);
  const capLen = p.capacitiveHours * 60;
  const low: string[] = [];
  let judged = 0;
  let first = -1;
  let last = -1;
  let minPf = 1;
  let usedI = false;
  let usedC = false;
  for (let h = 0; h < hours; h++) {
    const m = slotStartMinute(ctx, A, h * sph);
    const capacitive = (m - capStart + 1440) % 1440 < capLen;
    const q = capacitive ? hc?.[h] : hi?.[h];
    const e = hp[h];
    if (q === undefined || !present(q) || !present(e) || (e === 0 && q === 0)) continue;
    judged++;
    const pf = e / Math.sqrt(e * e + q * q);
    if (!(pf < p.minPf)) continue;
    if (capacitive) usedC = true;
    else usedI = true;
    if (first < 0) first = h;
    last = h;
    if (pf < minPf) minPf = pf;
    low.push(`${capacitive ? 'capacitive' : 'inductive'} ${hhmm(m)} (${pf.toFixed(3)})`);
  }
  const where = { meterId, quantityCode: A.md.quantityCode };
  if (judged === 0) {
    outcome(ctx, 'V14', 'not_evaluated', where, 'no hour with active and reactive data');
    return;
  }
  if (low.length === 0) {
    outcome(ctx, 'V14', 'pass', where);
    return;
  }
  const shown = low.slice(0, 6).join(', ') + (low.length > 6 ? ` and ${low.length - 6} more` : '');
  channelFinding(
    ctx,
    'V14',
    severity,
    A,
    `V14 power factor on meter ${meterId} (${dirName}): ${low.length} hour(s) below ${p.minPf}: ${shown}`,
    { firstSlot: first * sph, lastSlot: (last + 1) * sph - 1, slots: low.length * sph },
    { hours: low.length, minPf: Number(minPf.toFixed(4)) },
  );
  raise(A, V14, severity);
  if (I && usedI) raise(I, V14, severity);
  if (C && usedC) raise(C, V14, severity);
  outcome(ctx, 'V14', 'fail', where);
}
