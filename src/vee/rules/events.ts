/**
 * V03 meter events (vee.md §2): slots touched by an outage, a clock change or an occurrence of the meter are
 * flagged (default 'suspect'). The meter's own interval marks count too: RAW_POWER_OFF as an outage it logged
 * without a known span, RAW_CLOCK_SUSPECT as a clock change.
 *
 * Reasons: 'outage' only where a confirmed outage (both ends known) covers the whole slot; 'clock' for clock
 * changes; rule:V03 for partial or open-ended outages and occurrences.
 */
import { COVER_FULL, COVER_PARTIAL, markCoverage } from '../slots.ts';
import { type MeterEvents, RAW_CLOCK_SUSPECT, RAW_POWER_OFF, type TimeRange } from '../types.ts';
import {
  type ChannelState,
  CLOCK,
  enabled,
  mark,
  meterChannels,
  meterFinding,
  meterIds,
  OUTAGE,
  outcome,
  type RuleContext,
  rangesText,
  runsOf,
  sev,
  spanOf,
} from './common.ts';

const V03 = 3;

/** Per slot of `ch`: COVER_* of the given ranges (e.g. a meter's outages). */
export function coverage(
  ctx: RuleContext,
  ch: ChannelState,
  ranges: readonly TimeRange[] | null | undefined,
): Uint8Array {
  const out = new Uint8Array(ch.cv.rules.length);
  if (ranges && ranges.length > 0) markCoverage(out, ranges, ctx.dayStart, ch.md.intervalS);
  return out;
}

const CONFIRMED = 1;
const PARTIAL = 2;
const CLOCK_CHANGE = 4;
const OCCURRENCE = 8;

const KINDS = [
  { bit: CONFIRMED, special: OUTAGE, what: 'confirmed outage' },
  { bit: PARTIAL, special: null, what: 'outage (partial or without a known start/end)' },
  { bit: CLOCK_CHANGE, special: CLOCK, what: 'clock change' },
  { bit: OCCURRENCE, special: null, what: 'occurrence' },
] as const;

/** Per slot: which kinds of the meter's logged events touch it (bits above), or null when none does. */
function eventBits(
  ctx: RuleContext,
  ev: MeterEvents | null | undefined,
  slots: number,
  intervalS: number,
): Uint8Array | null {
  if (!ev || ev.outages.length + ev.clockChanges.length + ev.occurrences.length === 0) return null;
  const bits = new Uint8Array(slots);
  const cover = new Uint8Array(slots);
  for (const [ranges, full, partial] of [
    [ev.outages, CONFIRMED, PARTIAL],
    [ev.clockChanges, CLOCK_CHANGE, CLOCK_CHANGE],
    [ev.occurrences, OCCURRENCE, OCCURRENCE],
  ] as const) {
    if (ranges.length === 0) continue;
    cover.fill(0);
    markCoverage(cover, ranges, ctx.dayStart, intervalS);
    for (let k = 0; k < slots; k++) {
      if (cover[k] === COVER_FULL) bits[k] |= full;
      else if (cover[k] === COVER_PARTIAL) bits[k] |= partial;
    }
  }
  return bits;
}

/** The meter's event bits with the channel's own interval marks added (a copy when there are any). */
function withRawMarks(ch: ChannelState, logged: Uint8Array | null): Uint8Array | null {
  const flags = ch.md.rawFlags;
  const n = flags.length;
  let any = 0;
  for (let k = 0; k < n; k++) any |= flags[k];
  if ((any & (RAW_POWER_OFF | RAW_CLOCK_SUSPECT)) === 0) return logged;
  const bits = logged ? logged.slice() : new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const f = flags[k];
    if ((f & RAW_POWER_OFF) !== 0 && (bits[k] & CONFIRMED) === 0) bits[k] |= PARTIAL;
    if ((f & RAW_CLOCK_SUSPECT) !== 0) bits[k] |= CLOCK_CHANGE;
  }
  return bits;
}

export function checkEvents(ctx: RuleContext): void {
  if (!enabled(ctx, 'V03')) return;
  const severity = sev(ctx.params.rules.V03.severity);
  for (const id of meterIds(ctx)) {
    const chans = meterChannels(ctx, id);
    if (chans.length === 0) {
      outcome(ctx, 'V03', 'not_evaluated', { meterId: id }, 'no usable channel');
      continue;
    }
    const ev = ctx.meters.get(id)?.events;
    // The channels of a meter share its log and (nearly always) its slot grid: cover the log once per grid.
    const grids = new Map<string, Uint8Array | null>();
    let fired = false;
    const reported = new Set<string>();
    for (const ch of chans) {
      const grid = `${ch.md.slots}/${ch.md.intervalS}`;
      let logged = grids.get(grid);
      if (logged === undefined) {
        logged = eventBits(ctx, ev, ch.md.slots, ch.md.intervalS);
        grids.set(grid, logged);
      }
      const bits = withRawMarks(ch, logged);
      if (!bits) continue;
      let seen = 0;
      for (let k = 0; k < bits.length; k++) seen |= bits[k];
      for (const kind of KINDS) {
        if ((seen & kind.bit) === 0) continue;
        const ranges = runsOf(bits, kind.bit);
        for (const r of ranges) mark(ch, r.firstSlot, r.lastSlot, V03, severity, kind.special);
        fired = true;
        // One finding per meter and kind.
        if (!reported.has(kind.what)) {
          reported.add(kind.what);
          meterFinding(
            ctx,
            'V03',
            severity,
            id,
            `V03 ${kind.what} on meter ${id}: ${rangesText(ctx, ch, ranges)}`,
            { kind: kind.what },
            spanOf(ranges),
          );
        }
      }
    }
    const known = ctx.meters.get(id)?.events != null;
    if (fired) outcome(ctx, 'V03', 'fail', { meterId: id });
    else if (known) outcome(ctx, 'V03', 'pass', { meterId: id });
    else outcome(ctx, 'V03', 'not_evaluated', { meterId: id }, 'no event log');
  }
}
