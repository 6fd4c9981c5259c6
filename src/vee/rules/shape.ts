/**
 * Shape rules over one channel's day (vee.md §2): V05 zero run while energized, V06 flat line, V07 spike.
 *
 * V05 choices [I]: only the point's main-direction channels among V05.quantityCodes are judged (a load's G channel
 * is legitimately zero all day), and generation points only with V05.generation. A zero slot counts as energized
 * unless an outage of any meter of the point touches it (event log or RAW_POWER_OFF) — and even then it counts when
 * another active channel of the point (the other meter, the other direction) shows energy in that slot. So an
 * outage excuses exactly the slots it touches, and a run is measured over the remaining energized zero slots.
 * The instantaneous voltage (cmd 0x14) is a single sample and is not used here.
 *
 * V07 choice [I]: the relative test needs at least `rank` values and a positive rank-th highest value (a day with
 * two non-zero intervals is not a day of spikes); the capacity test applies to active channels when the point's
 * load capacity is known.
 */
import { quantity } from '../../protocols/abnt14522/quantities.ts';
import { RAW_POWER_OFF } from '../types.ts';
import {
  type ChannelState,
  channelFinding,
  channelOutcome,
  enabled,
  fmt,
  isActive,
  mainDirection,
  mark,
  meterIds,
  ordinal,
  present,
  type RuleContext,
  sev,
  slotText,
} from './common.ts';
import { coverage } from './events.ts';

const V05 = 5;
const V06 = 6;
const V07 = 7;

/** Per slot of `ch`: 1 where the point counts as energized (see the module comment). */
export function energizedSlots(ctx: RuleContext, ch: ChannelState): Uint8Array {
  const n = ch.md.slots;
  const out = new Uint8Array(n).fill(1);
  for (const id of meterIds(ctx)) {
    const outages = ctx.meters.get(id)?.events?.outages;
    if (!outages || outages.length === 0) continue;
    const cover = coverage(ctx, ch, outages);
    for (let k = 0; k < n; k++) if (cover[k] !== 0) out[k] = 0;
  }
  const flags = ch.md.rawFlags;
  for (let k = 0; k < n; k++) if ((flags[k] & RAW_POWER_OFF) !== 0) out[k] = 0;
  for (const o of ctx.channels) {
    if (o === ch || !o.usable || !isActive(o.md.quantityCode)) continue;
    if (o.md.intervalS !== ch.md.intervalS || o.md.slots !== n) continue;
    const v = o.md.value;
    for (let k = 0; k < n; k++) if (v[k] > 0) out[k] = 1;
  }
  return out;
}

/** Longest run where `on(k)` holds; used to skip the costlier checks on normal days. */
function longestRun(n: number, on: (k: number) => boolean): number {
  let best = 0;
  let run = 0;
  for (let k = 0; k < n; k++) {
    run = on(k) ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** Marks runs (≥ min slots) where `on(k)` holds; returns the runs. */
function markRuns(
  ch: ChannelState,
  min: number,
  on: (k: number) => boolean,
  rule: number,
  severity: number,
): { firstSlot: number; lastSlot: number }[] {
  const out: { firstSlot: number; lastSlot: number }[] = [];
  const n = ch.md.slots;
  let start = -1;
  for (let k = 0; k <= n; k++) {
    const set = k < n && on(k);
    if (set && start < 0) start = k;
    else if (!set && start >= 0) {
      if (k - start >= min) {
        mark(ch, start, k - 1, rule, severity);
        out.push({ firstSlot: start, lastSlot: k - 1 });
      }
      start = -1;
    }
  }
  return out;
}

export function checkZeroRuns(ctx: RuleContext): void {
  if (!enabled(ctx, 'V05')) return;
  const p = ctx.params.rules.V05;
  if (ctx.generationMain && !p.generation) {
    ctx.outcomes.push({ rule: 'V05', status: 'not_evaluated', reason: 'generation point (V05.generation off)' });
    return;
  }
  const severity = sev(p.severity);
  const dir = mainDirection(ctx);
  for (const ch of ctx.channels) {
    const code = ch.md.quantityCode;
    if (!p.quantityCodes.includes(code) || quantity(code).direction !== dir) continue;
    if (!ch.usable) {
      channelOutcome(ctx, 'V05', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const v = ch.md.value;
    if (longestRun(ch.md.slots, (k) => v[k] === 0) < p.n) {
      channelOutcome(ctx, 'V05', ch, 'pass');
      continue;
    }
    const energized = energizedSlots(ctx, ch);
    const runs = markRuns(ch, p.n, (k) => v[k] === 0 && energized[k] === 1, V05, severity);
    for (const r of runs) {
      const len = r.lastSlot - r.firstSlot + 1;
      channelFinding(
        ctx,
        'V05',
        severity,
        ch,
        `V05 zero run on ${ch.name}: ${slotText(ctx, ch, r.firstSlot, r.lastSlot)}, ${len} consecutive zero intervals while energized (limit ${p.n})`,
        r,
        { run: len, limit: p.n },
      );
    }
    channelOutcome(ctx, 'V05', ch, runs.length > 0 ? 'fail' : 'pass');
  }
}

export function checkFlatLines(ctx: RuleContext): void {
  if (!enabled(ctx, 'V06')) return;
  const p = ctx.params.rules.V06;
  const severity = sev(p.severity);
  for (const ch of ctx.channels) {
    if (!p.quantityCodes.includes(ch.md.quantityCode)) continue;
    if (!ch.usable) {
      channelOutcome(ctx, 'V06', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const v = ch.md.value;
    // Slot k continues a flat run started at k−1 or earlier; a run of n values has n−1 such continuations.
    const flat = (k: number) => k + 1 < v.length && v[k] !== 0 && present(v[k]) && v[k] === v[k + 1];
    if (longestRun(ch.md.slots, flat) < p.n - 1) {
      channelOutcome(ctx, 'V06', ch, 'pass');
      continue;
    }
    const continuations = markRunsOfPairs(ch, p.n, flat, V06, severity);
    for (const r of continuations) {
      const len = r.lastSlot - r.firstSlot + 1;
      channelFinding(
        ctx,
        'V06',
        severity,
        ch,
        `V06 flat line on ${ch.name}: ${slotText(ctx, ch, r.firstSlot, r.lastSlot)}, ${len} identical values of ${fmt(v[r.firstSlot])} ${ch.md.unit} (limit ${p.n})`,
        r,
        { run: len, value: v[r.firstSlot], limit: p.n },
      );
    }
    channelOutcome(ctx, 'V06', ch, continuations.length > 0 ? 'fail' : 'pass');
  }
}

/** Runs of ≥ n equal values, from `pair(k)` = "value k equals value k+1". */
function markRunsOfPairs(
  ch: ChannelState,
  n: number,
  pair: (k: number) => boolean,
  rule: number,
  severity: number,
): { firstSlot: number; lastSlot: number }[] {
  const out: { firstSlot: number; lastSlot: number }[] = [];
  const slots = ch.md.slots;
  let start = -1;
  for (let k = 0; k <= slots; k++) {
    const set = k < slots && pair(k);
    if (set && start < 0) start = k;
    else if (!set && start >= 0) {
      // Pairs start…k−1 link values start…k.
      if (k - start + 1 >= n) {
        mark(ch, start, k, rule, severity);
        out.push({ firstSlot: start, lastSlot: k });
      }
      start = -1;
    }
  }
  return out;
}

export function checkSpikes(ctx: RuleContext): void {
  if (!enabled(ctx, 'V07')) return;
  const p = ctx.params.rules.V07;
  const severity = sev(p.severity);
  const top = new Float64Array(p.rank);
  const capKw = ctx.input.point.loadCapacityKw;
  for (const ch of ctx.channels) {
    if (!p.quantityCodes.includes(ch.md.quantityCode)) continue;
    if (!ch.usable) {
      channelOutcome(ctx, 'V07', ch, 'not_evaluated', 'refused by V01');
      continue;
    }
    const v = ch.md.value;
    const n = ch.md.slots;
    top.fill(Number.NEGATIVE_INFINITY);
    let count = 0;
    for (let k = 0; k < n; k++) {
      const x = v[k];
      if (!present(x)) continue;
      count++;
      if (x <= top[p.rank - 1]) continue;
      let i = p.rank - 1;
      while (i > 0 && top[i - 1] < x) {
        top[i] = top[i - 1];
        i--;
      }
      top[i] = x;
    }
    const ranked = count >= p.rank ? top[p.rank - 1] : Number.NaN;
    const relLimit = ranked > 0 ? p.k * ranked : Number.POSITIVE_INFINITY;
    const capLimit =
      capKw != null && capKw > 0 && isActive(ch.md.quantityCode)
        ? ((capKw * ch.md.intervalS) / 3600) * p.capacityFactor
        : Number.POSITIVE_INFINITY;
    if (relLimit === Number.POSITIVE_INFINITY && capLimit === Number.POSITIVE_INFINITY) {
      const why = count < p.rank ? `fewer than ${p.rank} values` : `${ordinal(p.rank)} value is ${fmt(ranked)}`;
      channelOutcome(ctx, 'V07', ch, 'not_evaluated', `${why} and no load capacity`);
      continue;
    }
    const limit = Math.min(relLimit, capLimit);
    const runs = markRuns(ch, 1, (k) => v[k] > limit, V07, severity);
    for (const r of runs) {
      let peak = v[r.firstSlot];
      for (let k = r.firstSlot + 1; k <= r.lastSlot; k++) if (v[k] > peak) peak = v[k];
      const why: string[] = [];
      if (peak > relLimit) why.push(`${p.k} × ${ordinal(p.rank)} ${fmt(ranked)}`);
      if (peak > capLimit) {
        why.push(
          `capacity ${fmt(capKw ?? 0)} kW × ${fmt(ch.md.intervalS / 60)} min` +
            (p.capacityFactor !== 1 ? ` × ${p.capacityFactor}` : '') +
            ` = ${fmt(capLimit)}`,
        );
      }
      const at = slotText(ctx, ch, r.firstSlot, r.lastSlot);
      channelFinding(
        ctx,
        'V07',
        severity,
        ch,
        `V07 spike on ${ch.name}: ${at} ${r.firstSlot === r.lastSlot ? '=' : 'up to'} ${fmt(peak)} ${ch.md.unit} > ${why.join(' and > ')}`,
        r,
        {
          peak,
          rankValue: Number.isFinite(ranked) ? ranked : null,
          capacityLimit: Number.isFinite(capLimit) ? capLimit : null,
        },
      );
    }
    channelOutcome(ctx, 'V07', ch, runs.length > 0 ? 'fail' : 'pass');
  }
}
