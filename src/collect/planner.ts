/**
 * What to read from each meter, as pure decisions over what the store already holds (missing ranges, last good
 * interval) and what the last sessions told about the meter (clock drift, demand resets). No I/O: the engine
 * gathers the inputs, the runner executes the plans.
 *
 * Windows. 0x51 takes an amount of hours or days (1–99) that the meter counts back from its own last interval end,
 * so a window reaching interval end E must span now − E plus whatever the meter's clock is ahead, plus a margin for
 * the time between planning and the session. Hours are preferred while ≤ 99 (a tighter window); beyond that days.
 */
import { addDays, operatingDayOfIntervalEnd, operatingDayStart } from '../domain/time.ts';
import type { ActiveMeter, ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import type { ChannelMapEntry, SessionPurpose } from '../store/schema.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The protocol's 0x51 amount is two BCD digits. */
export const MAX_WINDOW_AMOUNT = 99;

export interface MassMemoryWindow {
  amount: number;
  unit: 'hours' | 'days';
}

/** What the last sessions said about a meter (store: meter_collect_state). */
export interface MeterState {
  /** meter − reader, seconds. */
  driftS: number | null;
  lastReset: Date | null;
  penultimateReset: Date | null;
}

/** A missing run of intervals of one meter (completeness.ts MissingRange). */
export interface MissingSpan {
  firstEnd: Date;
  lastEnd: Date;
  intervals: number;
}

/** Extra inputs of the parametrization sequences. */
export interface WriteOptions {
  demandIntervalMinutes?: number;
  /** Wall times (midnight) of the holidays to program. */
  holidays?: number[];
}

export interface PlannedRead {
  meter: MeterRow;
  point: PointRow;
  /** Enabled channels, best first; retries move to the next one. */
  channels: ChannelRow[];
  purpose: SessionPurpose;
  sequence: string;
  window?: MassMemoryWindow;
  groups?: number[];
  write?: WriteOptions;
  /** Attempts for link failures (default: the runner's). 1 for writes that must not run twice. */
  maxAttempts?: number;
  /** Earliest interval end (instant ms) the read is meant to bring. */
  fromEnd?: number;
  /** Human reason, for logs. */
  reason: string;
  gapIds?: number[];
  taskId?: number;
}

export type PlanDecision = { kind: 'read'; read: PlannedRead } | { kind: 'skip'; meterId: number; reason: string };

export interface PlannerOptions {
  /** Days before today a daily read covers (default 1: the previous operating day). */
  dailyLookbackDays: number;
  /** Days before today an intraday read looks at for its trailing gap (default 1, so 00:10 still closes yesterday). */
  intradayLookbackDays: number;
  /** Slack added to every window for the time between planning and the 0x51 (default 2 min). */
  marginMs: number;
  /** Skip a daily read when nothing is missing in its range (default true). */
  skipComplete: boolean;
}

export const DEFAULT_PLANNER_OPTIONS: Readonly<PlannerOptions> = Object.freeze({
  dailyLookbackDays: 1,
  intradayLookbackDays: 1,
  marginMs: 120_000,
  skipComplete: true,
});

/** Channel groups to read, from the registry's channel map (undefined: the reader's default, groups 0 and 1). */
export function groupsOf(channelMap: ChannelMapEntry[] | null | undefined): number[] | undefined {
  if (!Array.isArray(channelMap) || channelMap.length === 0) return undefined;
  const groups = [...new Set(channelMap.map((c) => c.group))].filter((g) => Number.isInteger(g) && g >= 0);
  return groups.length > 0 ? groups.sort((a, b) => a - b) : undefined;
}

export function intervalMsOf(meter: MeterRow): number {
  return meter.mm_interval_s * 1000;
}

/** End of the last complete interval at `now` (instants; Brasília offsets are whole hours, so the grid is UTC's). */
export function lastSlotEnd(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs;
}

/** The oldest interval end the meter still holds at `now`. */
export function memoryStartEnd(meter: MeterRow, now: number): number {
  const step = intervalMsOf(meter);
  return lastSlotEnd(now - meter.memory_days * DAY, step) + step;
}

export interface WindowChoice {
  window: MassMemoryWindow;
  /** False when even 99 days do not reach `fromEnd`. */
  reaches: boolean;
  /** Intervals the window spans (its cost on the line). */
  intervals: number;
}

/** The smallest 0x51 window that reaches interval end `fromEnd` (instant) from `now`. */
export function windowReaching(
  fromEnd: number,
  now: number,
  opts: { intervalMs: number; driftS?: number | null; marginMs?: number },
): WindowChoice {
  const drift = Math.abs(opts.driftS ?? 0) * 1000;
  const need = Math.max(0, now - fromEnd) + drift + (opts.marginMs ?? DEFAULT_PLANNER_OPTIONS.marginMs);
  const hours = Math.max(1, Math.ceil(need / HOUR));
  if (hours <= MAX_WINDOW_AMOUNT) {
    return {
      window: { amount: hours, unit: 'hours' },
      reaches: true,
      intervals: Math.ceil((hours * HOUR) / opts.intervalMs),
    };
  }
  const days = Math.ceil(need / DAY);
  const amount = Math.min(days, MAX_WINDOW_AMOUNT);
  return {
    window: { amount, unit: 'days' },
    reaches: days <= MAX_WINDOW_AMOUNT,
    intervals: Math.ceil((amount * DAY) / opts.intervalMs),
  };
}

/** Operating days a collect read looks at: [today − lookback, today] in the point's zone. */
export function collectRange(
  purpose: 'daily' | 'intraday',
  now: number,
  zone: string,
  opts: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
): { fromDay: string; toDay: string; rangeStart: number } {
  const today = operatingDayOfIntervalEnd(now, zone);
  const back = purpose === 'daily' ? opts.dailyLookbackDays : opts.intradayLookbackDays;
  const fromDay = addDays(today, -Math.max(0, back));
  return { fromDay, toDay: today, rangeStart: operatingDayStart(fromDay, zone) };
}

export interface CollectPlanInput {
  now: number;
  /** This meter's missing runs within collectRange(...), until `now`, oldest first. */
  missing: MissingSpan[];
  /** Start of the range (instant): collectRange().rangeStart. */
  rangeStart: number;
  /**
   * The meter's last good interval end, looked up only when the whole range is missing (older data, or none: null).
   * Undefined when not looked up.
   */
  lastGood?: Date | null;
  state?: MeterState | null;
}

/** True when the meter has nothing at all in the range, so only lastGoodInterval can say where its data stops. */
export function needsLastGood(meter: MeterRow, input: Omit<CollectPlanInput, 'lastGood' | 'state'>): boolean {
  const step = intervalMsOf(meter);
  const first = input.missing[0];
  const last = input.missing[input.missing.length - 1];
  if (!first || !last) return false;
  const end = lastSlotEnd(input.now, step);
  return first.firstEnd.getTime() <= input.rangeStart + step && last.lastEnd.getTime() >= end;
}

function base(m: ActiveMeter, purpose: SessionPurpose): Omit<PlannedRead, 'sequence' | 'reason'> {
  return { meter: m.meter, point: m.point, channels: m.channels, purpose, groups: groupsOf(m.meter.channel_map) };
}

/**
 * Daily: the previous day plus anything missing since the last good interval. Intraday: since the last good interval.
 * Both reach back at most to the meter's memory; older holes belong to the gap task.
 */
export function planCollect(
  m: ActiveMeter,
  purpose: 'daily' | 'intraday',
  input: CollectPlanInput,
  opts: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
): PlanDecision {
  const meterId = m.meter.id;
  if (m.channels.length === 0) return { kind: 'skip', meterId, reason: 'no enabled communication channel' };
  const step = intervalMsOf(m.meter);
  const end = lastSlotEnd(input.now, step);
  const missing = [...input.missing].sort((a, b) => a.firstEnd.getTime() - b.firstEnd.getTime());
  const last = missing[missing.length - 1];
  const trailing = last && last.lastEnd.getTime() >= end ? last : undefined;

  let lastGood: number | null;
  if (!trailing) lastGood = end;
  else if (needsLastGood(m.meter, { ...input, missing }) && input.lastGood !== undefined) {
    lastGood = input.lastGood === null ? null : input.lastGood.getTime();
  } else lastGood = trailing.firstEnd.getTime() - step;

  let fromEnd: number;
  if (purpose === 'intraday') {
    if (!trailing) return { kind: 'skip', meterId, reason: 'up to date' };
    fromEnd = lastGood === null ? trailing.firstEnd.getTime() : Math.min(lastGood + step, trailing.firstEnd.getTime());
  } else {
    if (missing.length === 0 && opts.skipComplete) return { kind: 'skip', meterId, reason: 'complete' };
    const earliest = missing.length > 0 ? missing[0].firstEnd.getTime() : end;
    fromEnd = lastGood === null ? earliest : Math.min(earliest, lastGood + step);
  }
  fromEnd = Math.max(fromEnd, memoryStartEnd(m.meter, input.now));
  const choice = windowReaching(fromEnd, input.now, {
    intervalMs: step,
    driftS: input.state?.driftS,
    marginMs: opts.marginMs,
  });
  return {
    kind: 'read',
    read: {
      ...base(m, purpose),
      sequence: 'memoria',
      window: choice.window,
      fromEnd,
      reason: `${purpose}: from ${new Date(fromEnd).toISOString()}`,
    },
  };
}

export interface GapTarget {
  id: number;
  firstEnd: Date;
  lastEnd: Date;
}

/**
 * One targeted re-read covering every due gap of a meter: the smallest 0x51 window reaching the oldest gap start,
 * unless the gaps all lie in one billing period whose own transfer is smaller — 0x27 (previous period, through the
 * 'recuperacao' sequence: 22 → 27) or 0x26 (current period, 'verificacao': 21 → 26). Neither of those resets
 * demand. The period bounds are the meter's resets as last seen; a 0x51 window is the fallback when they are unknown.
 */
export function planGapRead(
  m: ActiveMeter,
  gaps: GapTarget[],
  now: number,
  state: MeterState | null | undefined,
  opts: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
): PlanDecision {
  const meterId = m.meter.id;
  if (m.channels.length === 0) return { kind: 'skip', meterId, reason: 'no enabled communication channel' };
  if (gaps.length === 0) return { kind: 'skip', meterId, reason: 'no gap' };
  const step = intervalMsOf(m.meter);
  const oldest = Math.min(...gaps.map((g) => g.firstEnd.getTime()));
  const newest = Math.max(...gaps.map((g) => g.lastEnd.getTime()));
  const fromEnd = Math.max(oldest, memoryStartEnd(m.meter, now));
  const choice = windowReaching(fromEnd, now, { intervalMs: step, driftS: state?.driftS, marginMs: opts.marginMs });
  const read: PlannedRead = {
    ...base(m, 'gap'),
    sequence: 'memoria',
    window: choice.window,
    fromEnd,
    gapIds: gaps.map((g) => g.id),
    reason: `gap: ${gaps.length} gap(s) from ${new Date(fromEnd).toISOString()}`,
  };
  const period = periodRead(state, fromEnd, newest, now, step, opts.marginMs);
  if (period && period.intervals < choice.intervals) {
    delete read.window;
    read.sequence = period.sequence;
    read.reason = `gap: ${gaps.length} gap(s) in the ${period.label} billing period`;
  } else if (!choice.reaches) {
    read.reason += ` (0x51 reaches back only ${MAX_WINDOW_AMOUNT} days)`;
  }
  return { kind: 'read', read };
}

function periodRead(
  state: MeterState | null | undefined,
  fromEnd: number,
  toEnd: number,
  now: number,
  step: number,
  marginMs: number,
): { sequence: string; intervals: number; label: string } | null {
  const last = state?.lastReset?.getTime();
  const penultimate = state?.penultimateReset?.getTime();
  if (last === undefined) return null;
  // The margin keeps a gap at a period boundary out of a period the meter's clock might place differently.
  if (fromEnd > last + marginMs) {
    return { sequence: 'verificacao', intervals: Math.ceil((now - last) / step), label: 'current' };
  }
  if (penultimate !== undefined && fromEnd > penultimate + marginMs && toEnd <= last - marginMs) {
    return { sequence: 'recuperacao', intervals: Math.ceil((last - penultimate) / step), label: 'previous' };
  }
  return null;
}
