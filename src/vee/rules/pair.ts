/**
 * V11 principal × retaguarda (vee.md §2, §4): per quantity code in V11.quantityCodes, hourly and daily differences
 * between the two meters of the point. More than hourlyPct on consecutiveHours or more consecutive hours marks
 * the slots of those hours on BOTH meters' channels (the rule cannot tell which meter is wrong); more than
 * dailyPct over the day is a day finding.
 *
 * Choices [I]: the difference is a percentage of the principal (of the retaguarda when the principal is 0); an
 * hour is judged only when both meters hold every slot of it and not both are below minHourEnergy; a hour not
 * judged breaks a run; the daily figure sums the hours judged complete on both meters.
 */
import { diffPercent } from '../compare.ts';
import { slotsPerHour } from '../slots.ts';
import {
  type ChannelState,
  channelFinding,
  enabled,
  fmt,
  hhmm,
  hourlySums,
  hoursOf,
  mark,
  outcome,
  present,
  type RuleContext,
  raise,
  sev,
  slotStartMinute,
} from './common.ts';

const V11 = 11;

/** |difference| in % of the principal (of the retaguarda when the principal is zero), as the comparison report
 * shows it; 0 when both are zero, so two idle meters agree. */
function pctDiff(p: number, r: number): number {
  const d = diffPercent(p, r);
  return Number.isNaN(d) ? 0 : Math.abs(d);
}

/** The role's channel of that quantity, a usable one first. */
function pick(ctx: RuleContext, role: 'principal' | 'retaguarda', code: number): ChannelState | undefined {
  const of = (c: ChannelState) => c.md.role === role && c.md.quantityCode === code;
  return ctx.channels.find((c) => c.usable && of(c)) ?? ctx.channels.find(of);
}

export function checkPair(ctx: RuleContext): void {
  if (!enabled(ctx, 'V11')) return;
  const p = ctx.params.rules.V11;
  const severity = sev(p.severity);
  const hasRetaguarda =
    ctx.channels.some((c) => c.md.role === 'retaguarda') ||
    [...ctx.meters.values()].some((m) => m.role === 'retaguarda');
  for (const code of p.quantityCodes) {
    const P = pick(ctx, 'principal', code);
    const R = pick(ctx, 'retaguarda', code);
    if (!P && !R) continue;
    const where = { quantityCode: code };
    let why: string | null = null;
    if (!hasRetaguarda) why = 'no retaguarda';
    else if (!P) why = 'no principal channel of this quantity';
    else if (!R) why = 'no retaguarda channel of this quantity';
    else if (!P.usable || !R.usable) why = 'refused by V01';
    if (why || !P || !R) {
      outcome(ctx, 'V11', 'not_evaluated', where, why ?? undefined);
      continue;
    }
    const fired = comparePair(ctx, P, R, severity);
    if (fired === null) outcome(ctx, 'V11', 'not_evaluated', where, 'no hour with both meters complete');
    else outcome(ctx, 'V11', fired ? 'fail' : 'pass', where);
  }
}

/** Whether V11 fired for the pair; null when no hour could be judged. */
function comparePair(ctx: RuleContext, P: ChannelState, R: ChannelState, severity: number): boolean | null {
  const p = ctx.params.rules.V11;
  const hours = Math.min(hoursOf(P), hoursOf(R));
  const hp = hourlySums(P, hours);
  const hr = hourlySums(R, hours);
  const unit = P.md.unit;
  const pair = `code ${P.md.quantityCode}, meters ${P.md.meterId} (principal) and ${R.md.meterId} (retaguarda)`;
  let fired = false;
  let complete = 0;
  let sumP = 0;
  let sumR = 0;
  let runStart = -1;
  for (let h = 0; h <= hours; h++) {
    let exceeds = false;
    if (h < hours && present(hp[h]) && present(hr[h])) {
      complete++;
      sumP += hp[h];
      sumR += hr[h];
      const judged = !(hp[h] < p.minHourEnergy && hr[h] < p.minHourEnergy);
      exceeds = judged && pctDiff(hp[h], hr[h]) > p.hourlyPct;
    }
    if (exceeds && runStart < 0) runStart = h;
    else if (!exceeds && runStart >= 0) {
      const last = h - 1;
      if (last - runStart + 1 >= p.consecutiveHours) {
        fired = true;
        reportRun(ctx, P, R, hp, hr, runStart, last, severity, pair);
      }
      runStart = -1;
    }
  }
  if (complete === 0) return null;
  const daily = pctDiff(sumP, sumR);
  if (daily > p.dailyPct) {
    fired = true;
    channelFinding(
      ctx,
      'V11',
      severity,
      P,
      `V11 principal × retaguarda daily, ${pair}: principal ${fmt(sumP)} ${unit}, retaguarda ${fmt(sumR)} ${unit} ` +
        `differ by ${fmt(daily)}% > ${p.dailyPct}% over ${complete} complete hour(s)`,
      null,
      { principal: sumP, retaguarda: sumR, pct: daily, hours: complete, retaguardaMeterId: R.md.meterId },
    );
    raise(P, V11, severity);
    raise(R, V11, severity);
  }
  return fired;
}

function reportRun(
  ctx: RuleContext,
  P: ChannelState,
  R: ChannelState,
  hp: Float64Array,
  hr: Float64Array,
  first: number,
  last: number,
  severity: number,
  pair: string,
): void {
  const p = ctx.params.rules.V11;
  const sphP = slotsPerHour(P.md.intervalS);
  const sphR = slotsPerHour(R.md.intervalS);
  mark(P, first * sphP, (last + 1) * sphP - 1, V11, severity);
  mark(R, first * sphR, (last + 1) * sphR - 1, V11, severity);
  let worst = first;
  for (let h = first + 1; h <= last; h++) if (pctDiff(hp[h], hr[h]) > pctDiff(hp[worst], hr[worst])) worst = h;
  const start = hhmm(slotStartMinute(ctx, P, first * sphP));
  const end = hhmm(slotStartMinute(ctx, P, last * sphP) + 60);
  const n = last - first + 1;
  channelFinding(
    ctx,
    'V11',
    severity,
    P,
    `V11 principal × retaguarda hourly, ${pair}: ${n} consecutive hours ${start}–${end} differ by > ${p.hourlyPct}% ` +
      `(worst ${fmt(pctDiff(hp[worst], hr[worst]))}% at ${hhmm(slotStartMinute(ctx, P, worst * sphP))}: ` +
      `principal ${fmt(hp[worst])}, retaguarda ${fmt(hr[worst])} ${P.md.unit})`,
    { firstSlot: first * sphP, lastSlot: (last + 1) * sphP - 1 },
    { hours: n, worstPct: pctDiff(hp[worst], hr[worst]), retaguardaMeterId: R.md.meterId },
  );
}
