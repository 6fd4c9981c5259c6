/**
 * Day blocks (DESIGN.md "Time and data conventions"): the raw interval data of one meter channel over one operating
 * day as slot arrays, and the merge that keeps re-reads idempotent. Pure: no store, no clock.
 *
 * Slot k (0-based) of day D is the interval ending at operatingDayStart(D) + (k+1)·interval. Meter labels are wall
 * times; they become instants with the point's zone before anything else, so days with 276 or 300 slots (old DST
 * days) fall out of the instant arithmetic rather than needing special cases.
 *
 * A value is present exactly where the slot's flags carry FLAG_ACTUAL; `value` is NaN and `pulses` −1 elsewhere.
 */
import { FronteiraError } from '../domain/errors.ts';
import { addDays, instantToWall, operatingDayOfIntervalEnd, operatingDayStart, wallToInstant } from '../domain/time.ts';
import type { ChannelConstant } from '../protocols/abnt14522/commands/parameters.ts';
import { MM_FLAG_CLOCK_SUSPECT, MM_FLAG_POWER_OFF } from '../protocols/abnt14522/mass-memory.ts';
import type { DayBlock } from '../store/day-blocks.ts';
import type { GroupReading, Reading } from './session/reading.ts';

export type { DayBlock } from '../store/day-blocks.ts';

/** Per-slot marks stored in interval_raw.flags. */
export const FLAG_ACTUAL = 1;
export const FLAG_POWER_OFF = 2;
export const FLAG_CLOCK_SUSPECT = 4;
/** A later read disagreed with the stored actual (the stored value was kept; see the conflict event). */
export const FLAG_CONFLICT = 8;

export interface SlotConflict {
  slot: number;
  stored: number;
  read: number;
  storedPulses: number;
  readPulses: number;
}

export interface MergeResult {
  block: DayBlock;
  /** Slots that were missing and now hold a value. */
  filled: number;
  /** Slots where the incoming actual disagreed with the stored one (kept). */
  conflicts: SlotConflict[];
  /** Whether the block differs from `existing` (false: nothing to write). */
  changed: boolean;
}

export function emptyDayBlock(
  meterId: number,
  channel: number,
  day: string,
  intervalS: number,
  slots: number,
): DayBlock {
  if (!Number.isInteger(slots) || slots < 1 || slots > 32767) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `day block ${channel}@${day}: ${slots} is not a slot count`, {
      channel,
      day,
      slots,
    });
  }
  return {
    meterId,
    channel,
    day,
    intervalS,
    slots,
    value: new Float64Array(slots).fill(Number.NaN),
    pulses: new Int32Array(slots).fill(-1),
    flags: new Uint8Array(slots),
    filled: 0,
    firstSession: null,
    lastSession: null,
  };
}

export function dayBlockKey(b: { meterId: number; channel: number; day: string }): string {
  return `${b.meterId}|${b.channel}|${b.day}`;
}

/** Equal energies: exact for values computed the same way, tolerant of float noise from a different order. */
function sameValue(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

const MARKS = FLAG_POWER_OFF | FLAG_CLOCK_SUSPECT;

/**
 * Merges an incoming block (one reading's slots) into the stored one. A missing slot is filled; an equal value
 * only adds the incoming marks (power off, clock suspect); a different value for a stored actual is never written:
 * it is returned as a conflict and the slot gets FLAG_CONFLICT. Merging the same incoming twice changes nothing,
 * and non-conflicting incomings give the same block in any order.
 */
export function mergeDayBlock(existing: DayBlock | null, incoming: DayBlock): MergeResult {
  if (
    existing &&
    (existing.meterId !== incoming.meterId ||
      existing.channel !== incoming.channel ||
      existing.day !== incoming.day ||
      existing.slots !== incoming.slots ||
      existing.intervalS !== incoming.intervalS)
  ) {
    throw new FronteiraError(
      'FRONTEIRA_E_CONFLICT',
      `day block meter ${incoming.meterId} channel ${incoming.channel} ${incoming.day}: ` +
        `${incoming.slots} slots of ${incoming.intervalS} s cannot merge into ` +
        `meter ${existing.meterId} channel ${existing.channel} ${existing.day} with ${existing.slots} slots of ${existing.intervalS} s`,
      { meterId: incoming.meterId, channel: incoming.channel, day: incoming.day },
    );
  }
  const base =
    existing ?? emptyDayBlock(incoming.meterId, incoming.channel, incoming.day, incoming.intervalS, incoming.slots);
  const value = base.value.slice();
  const pulses = base.pulses.slice();
  const flags = base.flags.slice();
  let filledNow = 0;
  let changed = existing === null;
  const conflicts: SlotConflict[] = [];
  const inFlags = incoming.flags;
  for (let k = 0; k < incoming.slots; k++) {
    const f = inFlags[k];
    if ((f & FLAG_ACTUAL) === 0) continue;
    const had = flags[k];
    if ((had & FLAG_ACTUAL) === 0) {
      value[k] = incoming.value[k];
      pulses[k] = incoming.pulses[k];
      flags[k] = had | FLAG_ACTUAL | (f & MARKS);
      filledNow++;
      changed = true;
    } else if (sameValue(value[k], incoming.value[k])) {
      const marked = had | (f & MARKS);
      if (marked !== had) {
        flags[k] = marked;
        changed = true;
      }
    } else {
      conflicts.push({
        slot: k,
        stored: value[k],
        read: incoming.value[k],
        storedPulses: pulses[k],
        readPulses: incoming.pulses[k],
      });
      if ((had & FLAG_CONFLICT) === 0) {
        flags[k] = had | FLAG_CONFLICT;
        changed = true;
      }
    }
  }
  const session = incoming.lastSession ?? incoming.firstSession;
  const block: DayBlock = {
    ...base,
    value,
    pulses,
    flags,
    filled: base.filled + filledNow,
    firstSession: base.firstSession ?? session,
    lastSession: changed ? (session ?? base.lastSession) : base.lastSession,
  };
  return { block, filled: filledNow, conflicts, changed };
}

export function countActual(flags: Uint8Array): number {
  let n = 0;
  for (let k = 0; k < flags.length; k++) n += flags[k] & FLAG_ACTUAL;
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading → incoming blocks

const DAY_MS = 86_400_000;

/**
 * Per zone and wall day: the zone's offset when it is the same all day (wall − instant), or null on a day the
 * offset changes. Almost every label then converts with one subtraction instead of several Intl lookups.
 */
const dayOffsets = new Map<string, number | null>();

function wallDayOffset(wallDay: number, zone: string): number | null {
  const key = `${zone}|${wallDay}`;
  let o = dayOffsets.get(key);
  if (o === undefined) {
    if (dayOffsets.size > 100_000) dayOffsets.clear();
    const start = wallDay * DAY_MS;
    const a = start - wallToInstant(start, zone);
    const b = start + DAY_MS - wallToInstant(start + DAY_MS, zone);
    o = a === b ? a : null;
    dayOffsets.set(key, o);
  }
  return o;
}

/** wallToInstant through the per-day offsets (the same answer, DST days included). */
export function wallToInstantFast(wall: number, zone: string): number {
  const o = wallDayOffset(Math.floor(wall / DAY_MS), zone);
  return o === null ? wallToInstant(wall, zone) : wall - o;
}

/** Instants of the labels firstEnd + i·step. */
export function labelInstants(firstEnd: number, step: number, count: number, zone: string): Float64Array {
  const out = new Float64Array(count);
  let day = Number.NaN;
  let offset: number | null = null;
  for (let i = 0; i < count; i++) {
    const w = firstEnd + i * step;
    const d = Math.floor(w / DAY_MS);
    if (d !== day) {
      day = d;
      offset = wallDayOffset(d, zone);
    }
    out[i] = offset === null ? wallToInstant(w, zone) : w - offset;
  }
  return out;
}

interface DayFrame {
  day: string;
  start: number;
  next: number;
  slots: number;
}

const dayFrames = new Map<string, DayFrame>();

/** Start, end and slot count of an operating day (cached: every reading of a fleet touches the same few days). */
function dayFrame(day: string, zone: string, intervalMs: number): DayFrame {
  const key = `${zone}|${day}|${intervalMs}`;
  let f = dayFrames.get(key);
  if (!f) {
    if (dayFrames.size > 100_000) dayFrames.clear();
    const start = operatingDayStart(day, zone);
    const next = operatingDayStart(addDays(day, 1), zone);
    f = { day, start, next, slots: Math.round((next - start) / intervalMs) };
    dayFrames.set(key, f);
  }
  return f;
}

/** Operating days by instant. */
class DayGrid {
  private current: DayFrame | null = null;

  constructor(
    private readonly zone: string,
    private readonly intervalMs: number,
  ) {}

  /** The day an interval ending at `end` belongs to (start < end ≤ next). */
  dayOf(end: number): DayFrame {
    let f = this.current;
    if (f && end > f.start && end <= f.next) return f;
    if (f && end > f.next && end <= f.next + DAY_MS * 2) {
      // The usual case: the next day of a run of labels.
      f = dayFrame(addDays(f.day, 1), this.zone, this.intervalMs);
      if (end > f.start && end <= f.next) {
        this.current = f;
        return f;
      }
    }
    f = dayFrame(operatingDayOfIntervalEnd(end, this.zone), this.zone, this.intervalMs);
    this.current = f;
    return f;
  }
}

export interface ReadingBlocksContext {
  meterId: number;
  /** Registered mass-memory interval (meter.mm_interval_s): the slot size. */
  intervalS: number;
  /** The point's zone: meter labels are wall times there. */
  zone: string;
  /** Multiplies num/den: 1 when the constants include TP×TC, else tp_ratio × tc_ratio. */
  factor: number;
  /** Registry constants by channel, used only when the meter's own constant is unusable (denominator 0). */
  fallbackConstants?: ReadonlyMap<number, ChannelConstant>;
  /** Recorded as first/last session of new slots. */
  sessionId: number | null;
}

export interface ReadingBlocks {
  blocks: DayBlock[];
  /** Interval values taken from the reading (channels × intervals placed in a slot). */
  values: number;
  /** Groups left out because their interval differs from the registered one. */
  intervalMismatches: { group: number; readSeconds: number }[];
  warnings: string[];
}

function usableConstant(c: ChannelConstant | undefined): c is ChannelConstant {
  return (
    c !== undefined &&
    Number.isFinite(c.numerator) &&
    c.numerator >= 0 &&
    Number.isFinite(c.denominator) &&
    c.denominator > 0
  );
}

function readFlags(f: number): number {
  let out = FLAG_ACTUAL;
  if (f & MM_FLAG_POWER_OFF) out |= FLAG_POWER_OFF;
  if (f & MM_FLAG_CLOCK_SUSPECT) out |= FLAG_CLOCK_SUSPECT;
  return out;
}

/**
 * The reading's mass memory as incoming day blocks, one per (channel, operating day) touched: labels → instants
 * with the zone → day and slot; energy = pulses × num/den (the group's constants as read) × factor; flags = actual
 * plus the reading's outage and clock marks. Labels that do not fall on the slot grid, and a second value for a
 * slot already taken in the same reading, are left out with a warning.
 */
export function readingDayBlocks(reading: Pick<Reading, 'groups'>, ctx: ReadingBlocksContext): ReadingBlocks {
  const intervalMs = ctx.intervalS * 1000;
  if (!Number.isInteger(ctx.intervalS) || ctx.intervalS <= 0) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `meter ${ctx.meterId}: interval ${ctx.intervalS} s is not valid`,
    );
  }
  if (!Number.isFinite(ctx.factor) || ctx.factor <= 0) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `meter ${ctx.meterId}: energy factor ${ctx.factor} is not valid`,
    );
  }
  const blocks = new Map<string, DayBlock>();
  const out: ReadingBlocks = { blocks: [], values: 0, intervalMismatches: [], warnings: [] };
  const grid = new DayGrid(ctx.zone, intervalMs);
  for (const g of reading.groups) {
    const mm = g.massMemory;
    if (!mm || mm.timeline.count === 0) continue;
    const t = mm.timeline;
    if (t.step !== intervalMs) {
      out.intervalMismatches.push({ group: g.group, readSeconds: t.step / 1000 });
      out.warnings.push(
        `group ${g.group}: mass-memory interval ${t.step / 1000} s differs from the registered ${ctx.intervalS} s; not stored`,
      );
      continue;
    }
    const ends = labelInstants(t.firstEnd, t.step, t.count, ctx.zone);
    placeGroup(g, ends, ctx, grid, blocks, out);
  }
  out.blocks = [...blocks.values()];
  return out;
}

function placeGroup(
  g: GroupReading,
  ends: Float64Array,
  ctx: ReadingBlocksContext,
  grid: DayGrid,
  blocks: Map<string, DayBlock>,
  out: ReadingBlocks,
): void {
  const t = g.massMemory!.timeline;
  const intervalMs = ctx.intervalS * 1000;
  const channels = Math.min(t.values.length, 3);
  let unaligned = 0;
  let duplicates = 0;
  for (let c = 0; c < channels; c++) {
    const channel = 3 * g.group + c + 1;
    const read = g.channels.find((ch) => ch.index === channel)?.constant ?? g.parameters.constants[c];
    const constant = usableConstant(read) ? read : ctx.fallbackConstants?.get(channel);
    if (!usableConstant(constant)) {
      out.warnings.push(
        `channel ${channel}: constant ${read?.numerator}/${read?.denominator} is not usable and the registry has none; not stored`,
      );
      continue;
    }
    if (constant !== read) {
      out.warnings.push(
        `channel ${channel}: constant ${read?.numerator}/${read?.denominator} is not usable; the registry's ` +
          `${constant.numerator}/${constant.denominator} was used`,
      );
    }
    const { numerator, denominator } = constant;
    const factor = ctx.factor;
    const pulses = t.values[c];
    const marks = g.flags;
    let block: DayBlock | null = null;
    for (let i = 0; i < t.count; i++) {
      const end = ends[i];
      const f = grid.dayOf(end);
      const pos = (end - f.start) / intervalMs;
      if (!Number.isInteger(pos) || pos < 1 || pos > f.slots) {
        if (c === 0) unaligned++;
        continue;
      }
      if (!block || block.day !== f.day) {
        const key = `${channel}|${f.day}`;
        block = blocks.get(key) ?? null;
        if (!block) {
          block = emptyDayBlock(ctx.meterId, channel, f.day, ctx.intervalS, f.slots);
          block.firstSession = ctx.sessionId;
          block.lastSession = ctx.sessionId;
          blocks.set(key, block);
        }
      }
      const k = pos - 1;
      const p = pulses[i];
      const energy = factor === 1 ? (p * numerator) / denominator : ((p * numerator) / denominator) * factor;
      if (block.flags[k] & FLAG_ACTUAL) {
        if (!sameValue(block.value[k], energy) && c === 0) duplicates++;
        continue;
      }
      block.value[k] = energy;
      block.pulses[k] = p;
      block.flags[k] = readFlags(marks ? marks[i] : 0);
      block.filled++;
      out.values++;
    }
  }
  if (unaligned > 0) {
    out.warnings.push(
      `group ${g.group}: ${unaligned} interval(s) whose end is not on the ${ctx.intervalS} s grid of the operating day; not stored`,
    );
  }
  if (duplicates > 0) {
    out.warnings.push(
      `group ${g.group}: ${duplicates} interval(s) labelled like an earlier one with a different value (clock set back?); the first was kept`,
    );
  }
}

/** End instant of slot k of a day (ms). */
export function slotEnd(day: string, slot: number, intervalS: number, zone: string): number {
  return operatingDayStart(day, zone) + (slot + 1) * intervalS * 1000;
}

/** Wall 'YYYY-MM-DDTHH:mm:ss' of an instant in a zone, for event details. */
export function wallIso(instant: number, zone: string): string {
  return new Date(instantToWall(instant, zone)).toISOString().slice(0, 19);
}
