/**
 * The store adapter on VEE's input side: turns what collection stored (registry, interval_raw day blocks, meter
 * events, reading sessions, register and instantaneous snapshots, open gaps) into one ValidationInput per point and
 * operating day, and reads the final-series history like-day estimation (LD) and V08 compare against.
 *
 * Everything is batched: a call for N points × D days runs a fixed handful of queries (points, meters, day blocks,
 * events, sessions, snapshots, gaps, and at most one for register periods that reach past the range), whatever N
 * and D. Memory is the day blocks themselves: ~15 kB per point-day with two meters of 3 channels at 5 min, so a
 * month for 1,000 points is ~0.5 GB of typed arrays — callers should batch by a few hundred points (or by day).
 *
 * What the stored data allow, and what they do not ([I] = our inference):
 * - Events: outages are `at → ended_at`; an outage whose start (or end) the meter did not log has that side null
 *   and is attached only to the day of its known side. Clock changes are alterations 0x29/0x30/0x64 (instants) and
 *   clock_sync events (the window at ± |drift before the sync|). Occurrences are occurrence events plus the
 *   alterations that change what the data mean (constants 0x33, initialisation 0x38, MM interval 0x73, 0x93 [S]).
 * - registerAdvance [I]: from two 'registers_current' snapshots of the channel (snapshot data carry the channel
 *   number and the quantity code the meter reported; used only when that code is the registered one). A snapshot
 *   at meter time t is taken to count the intervals ending at or before t (aligned down to a slot end: the
 *   simulator's registers stop at the last complete interval; real meters may include the running one, an error of
 *   at most one partial interval). The pair kept covers most of the day with the fewest slots outside it; the part
 *   in the neighbouring days is `outsideSum`, and a pair whose outside part has a missing interval is not used.
 * - instant.nominalV [I]: the point's voltage_kv gives the nominal phase voltage (kV·1000/√3) on the primary side;
 *   the instantaneous values may be primary (the simulator) or secondary (÷ tp_ratio) depending on the meter, so the
 *   nominal is the one of those two the measured highest phase voltage lies within 0.5–1.5× of; otherwise null.
 * - observed identity: the serial the meter answered in the day's sessions; channels and MM interval as
 *   registered unless a constants_mismatch event in force at the day's last session says otherwise (ingest records
 *   a mismatch once, when first seen; a later write alteration of the constants/interval or a registry change that
 *   agrees with the meter resolves it). TP/TC are not reported by the meter: null. No session that day: null.
 * - rereadPossible [I]: slots whose end is still inside the meter's memory_days as of `opts.now`, except those of a
 *   lost gap or of a gap whose re-read failed `rereadMaxAttempts` times (the RR step of the chain waits for them).
 */
import { FronteiraError } from '../domain/errors.ts';
import { addDays, DEFAULT_ZONE, instantToWall } from '../domain/time.ts';
import {
  checkIds,
  checkRange,
  decodeBase64Bytes,
  decodeFloat8ArraySend,
  type VeeDb,
  veeQuery,
} from '../store/vee-final.ts';
import { HolidayCalendar } from './calendar.ts';
import { dayStartMs, expectedSlots } from './slots.ts';
import {
  type ChannelRegistration,
  type DailyHistory,
  type InstantSample,
  type LikeDay,
  type MeterContext,
  type MeterDay,
  type MeterEvents,
  type MeterIdentity,
  type MeterRole,
  meterDay,
  type PhaseTriple,
  type PointInfo,
  Quality,
  type RegisterAdvance,
  type TimeRange,
  type ValidationInput,
} from './types.ts';

const DAY_MS = 86_400_000;
/** Days one call may span. */
const MAX_DAYS = 400;

/** Alterations that set the clock or the date: 0x29 date, 0x30 time, 0x64 daylight saving [S]. */
export const CLOCK_ALTERATION_CODES: readonly number[] = [0x29, 0x30, 0x64];
/** Alterations that change what the interval data mean: constants, initialisation, MM interval, 0x93 [S]. */
export const DATA_ALTERATION_CODES: readonly number[] = [0x33, 0x38, 0x73, 0x93];
/** Alterations after which a recorded constants mismatch no longer holds (the meter was reprogrammed). */
const CHANNEL_RESOLVING_CODES = new Set([0x33, 0x38, 0x66, 0x93]);
const INTERVAL_RESOLVING_CODES = new Set([0x38, 0x73]);

export interface LoadOptions {
  /** Reference instant (ms) for rereadPossible's memory window; default the system clock. */
  now?: number;
  /** Alteration codes reported as occurrences (default DATA_ALTERATION_CODES). */
  occurrenceAlterationCodes?: readonly number[];
  /**
   * A gap whose re-read failed this many times stops holding its slots for RR, so the rest of the chain can fill
   * them (default 3) [I]; the gap task keeps trying, and an actual that arrives later supersedes the estimate.
   */
  rereadMaxAttempts?: number;
}

export function inputKey(pointId: number, day: string): string {
  return `${pointId}|${day}`;
}

function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    out.push(d);
    if (out.length > MAX_DAYS) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `to: ${from}..${to} spans more than ${MAX_DAYS} days`, {
        field: 'to',
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rows

interface PointRow {
  id: number;
  code: string;
  kind: PointInfo['kind'];
  segment: PointInfo['segment'];
  load_capacity_kw: number | null;
  voltage_kv: number | null;
  tags: string[];
  timezone: string;
}

interface MeterRow {
  id: number;
  point_id: number;
  serial: string;
  role: MeterRole;
  mm_interval_s: number;
  memory_days: number;
  tp_ratio: number;
  tc_ratio: number;
  channel_map: unknown;
  valid_from: Date;
  valid_to: Date | null;
}

interface RawRow {
  meter_id: number;
  channel: number;
  day: string;
  interval_s: number;
  slots: number;
  value: string;
  flags: string;
}

interface EventRow {
  meter_id: number;
  kind: string;
  at: Date;
  ended_at: Date | null;
  detail: Record<string, unknown>;
}

interface SessionRow {
  meter_id: number;
  started_at: Date;
  drift_s: number | null;
  meter_serial: string | null;
}

interface SnapshotRow {
  meter_id: number;
  kind: 'registers_current' | 'instant';
  channel_group: number;
  at: Date;
  data: Record<string, unknown>;
}

interface GapRow {
  meter_id: number;
  first_end: Date;
  last_end: Date;
  state: 'pending' | 'retrying' | 'lost';
  attempts: number;
}

/** A meter as the loader works with it. */
interface Meter {
  row: MeterRow;
  id: number;
  zone: string;
  channels: ChannelRegistration[];
  groupOf: Map<number, number>;
  registration: MeterIdentity;
}

function parseChannelMap(raw: unknown): { channels: ChannelRegistration[]; groupOf: Map<number, number> } {
  let list: unknown = raw;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch {
      list = [];
    }
  }
  const channels: ChannelRegistration[] = [];
  const groupOf = new Map<number, number>();
  if (!Array.isArray(list)) return { channels, groupOf };
  for (const e of list as Record<string, unknown>[]) {
    const channel = Number(e?.channel);
    if (!Number.isInteger(channel) || groupOf.has(channel)) continue;
    channels.push({
      channel,
      quantityCode: Number(e.quantityCode),
      numerator: Number(e.numerator),
      denominator: Number(e.denominator),
    });
    groupOf.set(channel, Number.isInteger(e.group) ? (e.group as number) : Math.floor((channel - 1) / 3));
  }
  channels.sort((a, b) => a.channel - b.channel);
  return { channels, groupOf };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function triple(v: unknown): PhaseTriple | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const a = num(o.a);
  const b = num(o.b);
  const c = num(o.c);
  return a === null || b === null || c === null ? null : { a, b, c };
}

function alterationCode(e: EventRow): number | null {
  return num(e.detail?.code);
}

// ---------------------------------------------------------------------------------------------------------------
// Register periods

interface RegisterSnapshot {
  /** Slot-end boundary the register is taken to count up to (ms). */
  boundary: number;
  /** Operating day of the boundary and its slot index there (the boundary is the start of that slot). */
  day: string;
  slot: number;
  energy: Map<number, { quantityCode: number; energy: number }>;
}

/** The operating day holding instant t (an instant at midnight starts the new day). */
function dayOfInstant(t: number, zone: string): string {
  return new Date(instantToWall(t, zone)).toISOString().slice(0, 10);
}

function registerSnapshot(s: SnapshotRow, zone: string, intervalS: number): RegisterSnapshot | null {
  const channels = (s.data as { channels?: unknown }).channels;
  if (!Array.isArray(channels)) return null;
  const at = s.at.getTime();
  const day = dayOfInstant(at, zone);
  const start = dayStartMs(day, zone);
  const step = intervalS * 1000;
  const slot = Math.floor((at - start) / step);
  const energy = new Map<number, { quantityCode: number; energy: number }>();
  for (const c of channels as Record<string, unknown>[]) {
    const channel = num(c?.channel);
    const e = num(c?.energy);
    const q = num(c?.quantityCode);
    if (channel !== null && e !== null && q !== null) energy.set(channel, { quantityCode: q, energy: e });
  }
  return { boundary: start + slot * step, day, slot, energy };
}

/** Sums of interval values over parts of days, from the loaded blocks or (outside the range) from one query. */
class SegmentSums {
  /** Edge sums fetched from the store: key meter|channel|day|from|to → sum or null (a slot missing). */
  private readonly edge = new Map<string, number | null>();
  readonly wanted = new Map<string, { meterId: number; channel: number; day: string; a: number; b: number }>();

  constructor(
    private readonly blocks: Map<string, MeterDay>,
    private readonly from: string,
    private readonly to: string,
  ) {}

  private inRange(day: string): boolean {
    return day >= this.from && day <= this.to;
  }

  /** Registers an out-of-range segment [a, b] (inclusive slots) to fetch. */
  want(meterId: number, channel: number, day: string, a: number, b: number): void {
    if (this.inRange(day) || b < a) return;
    this.wanted.set(`${meterId}|${channel}|${day}|${a}|${b}`, { meterId, channel, day, a, b });
  }

  setEdge(key: string, sum: number | null): void {
    this.edge.set(key, sum);
  }

  /** Sum of slots a..b of a meter channel-day; null when a slot is missing or the day holds another interval. */
  sum(meterId: number, channel: number, day: string, a: number, b: number, intervalS: number): number | null {
    if (b < a) return 0;
    if (!this.inRange(day)) return this.edge.get(`${meterId}|${channel}|${day}|${a}|${b}`) ?? null;
    const md = this.blocks.get(`${meterId}|${channel}|${day}`);
    if (!md || md.intervalS !== intervalS || b >= md.slots) return null;
    let s = 0;
    for (let k = a; k <= b; k++) {
      const v = md.value[k];
      if (Number.isNaN(v)) return null;
      s += v;
    }
    return s;
  }
}

function slotsOf(day: string, intervalS: number, zone: string, blocks: Map<string, MeterDay>, key: string): number {
  return blocks.get(key)?.slots ?? expectedSlots(day, intervalS, zone);
}

/** The best register period of one channel for a day (see the module comment), or null. */
function registerAdvance(
  m: Meter,
  ch: ChannelRegistration,
  day: string,
  snaps: readonly RegisterSnapshot[],
  sums: SegmentSums,
  blocks: Map<string, MeterDay>,
): RegisterAdvance | null {
  const intervalS = m.row.mm_interval_s;
  const step = intervalS * 1000;
  const dayStart = dayStartMs(day, m.zone);
  const prev = addDays(day, -1);
  const next = addDays(day, 1);
  const dayEnd = dayStartMs(next, m.zone);
  const lo = dayStartMs(prev, m.zone);
  const hi = dayStartMs(addDays(day, 2), m.zone);
  const usable = snaps.filter((s) => {
    const e = s.energy.get(ch.channel);
    return e !== undefined && e.quantityCode === ch.quantityCode && s.boundary >= lo && s.boundary < hi;
  });
  let best: { score: number; outside: number; adv: RegisterAdvance } | null = null;
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      const a = usable[i];
      const b = usable[j];
      if (b.boundary <= a.boundary) continue;
      const energy = b.energy.get(ch.channel)!.energy - a.energy.get(ch.channel)!.energy;
      if (energy < 0) continue; // register wrapped or was reset
      const from = Math.max(a.boundary, dayStart);
      const to = Math.min(b.boundary, dayEnd);
      if (to <= from) continue;
      const covered = Math.round((to - from) / step);
      let outsideSlots = 0;
      let outsideSum = 0;
      if (a.boundary < dayStart) {
        const n = slotsOf(prev, intervalS, m.zone, blocks, `${m.id}|${ch.channel}|${prev}`);
        const s = sums.sum(m.id, ch.channel, prev, a.slot, n - 1, intervalS);
        if (s === null) continue;
        outsideSlots += n - a.slot;
        outsideSum += s;
      }
      if (b.boundary > dayEnd) {
        const s = sums.sum(m.id, ch.channel, next, 0, b.slot - 1, intervalS);
        if (s === null) continue;
        outsideSlots += b.slot;
        outsideSum += s;
      }
      const score = covered - outsideSlots;
      if (!best || score > best.score || (score === best.score && outsideSlots < best.outside)) {
        best = {
          score,
          outside: outsideSlots,
          adv: {
            quantityCode: ch.quantityCode,
            energy,
            firstSlot: Math.round((from - dayStart) / step),
            lastSlot: Math.round((to - dayStart) / step) - 1,
            outsideSum,
          },
        };
      }
    }
  }
  return best && best.score > 0 ? best.adv : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Observed identity

function observedIdentity(
  m: Meter,
  lastSession: SessionRow | undefined,
  mismatches: readonly EventRow[],
  alterations: readonly EventRow[],
): MeterIdentity | null {
  if (!lastSession || lastSession.meter_serial === null) return null;
  const t = lastSession.started_at.getTime();
  const resolvedAfter = (at: number, codes: Set<number>) =>
    alterations.some((a) => {
      const c = alterationCode(a);
      const ta = a.at.getTime();
      return c !== null && codes.has(c) && ta > at && ta <= t;
    });
  let intervalS = m.registration.intervalS;
  const channels = m.channels.map((c) => ({ ...c }));
  const latestChannel = new Map<number, EventRow>();
  let latestInterval: EventRow | null = null;
  for (const e of mismatches) {
    if (e.at.getTime() > t) continue;
    if (e.detail?.field === 'mm_interval_s') {
      if (!latestInterval || e.at >= latestInterval.at) latestInterval = e;
      continue;
    }
    const ch = num(e.detail?.channel);
    if (ch === null) continue;
    const had = latestChannel.get(ch);
    if (!had || e.at >= had.at) latestChannel.set(ch, e);
  }
  if (latestInterval && !resolvedAfter(latestInterval.at.getTime(), INTERVAL_RESOLVING_CODES)) {
    const read = num(latestInterval.detail?.read);
    if (read !== null) intervalS = read;
  }
  for (const c of channels) {
    const e = latestChannel.get(c.channel);
    if (!e || resolvedAfter(e.at.getTime(), CHANNEL_RESOLVING_CODES)) continue;
    const read = e.detail?.read as Record<string, unknown> | undefined;
    const q = num(read?.quantityCode);
    const n = num(read?.numerator);
    const d = num(read?.denominator);
    if (q === null || n === null || d === null) continue;
    // A registry change that agrees with the meter resolves the mismatch (the row compares equal again).
    c.quantityCode = q;
    c.numerator = n;
    c.denominator = d;
  }
  return { serial: lastSession.meter_serial, intervalS, channels, tpRatio: null, tcRatio: null };
}

// ---------------------------------------------------------------------------------------------------------------
// Instantaneous values

function instantSample(s: SnapshotRow | undefined, point: PointRow, m: Meter): InstantSample | null {
  if (!s) return null;
  const voltageV = triple(s.data.voltagePhaseV);
  if (!voltageV) return null;
  const currentA = triple(s.data.currentA);
  let nominalV: number | null = null;
  const kv = num(point.voltage_kv === null ? null : Number(point.voltage_kv));
  const peak = Math.max(voltageV.a, voltageV.b, voltageV.c);
  if (kv !== null && kv > 0 && peak > 0) {
    const primary = (kv * 1000) / Math.sqrt(3);
    const candidates = m.row.tp_ratio > 1 ? [primary, primary / m.row.tp_ratio] : [primary];
    nominalV = candidates.find((v) => peak >= 0.5 * v && peak <= 1.5 * v) ?? null;
  }
  return { at: s.at.getTime(), voltageV, currentA, nominalV };
}

// ---------------------------------------------------------------------------------------------------------------
// Events

function overlaps(r: TimeRange, dayStart: number, dayEnd: number): boolean {
  const from = r.from ?? r.to;
  const to = r.to ?? r.from;
  if (from === null || to === null) return false;
  if (from === to) return from >= dayStart && from <= dayEnd;
  return from < dayEnd && to > dayStart;
}

interface MeterEventRanges {
  outages: TimeRange[];
  clockChanges: TimeRange[];
  occurrences: TimeRange[];
}

function eventRanges(events: readonly EventRow[], occurrenceCodes: ReadonlySet<number>): MeterEventRanges {
  const out: MeterEventRanges = { outages: [], clockChanges: [], occurrences: [] };
  for (const e of events) {
    const at = e.at.getTime();
    switch (e.kind) {
      case 'outage': {
        // Stored with `at` = the logged start, or the end when the start was not logged (detail.start null).
        const startKnown = e.detail?.start !== null && e.detail?.start !== undefined;
        if (startKnown) out.outages.push({ from: at, to: e.ended_at ? e.ended_at.getTime() : null });
        else out.outages.push({ from: null, to: e.ended_at ? e.ended_at.getTime() : at });
        break;
      }
      case 'clock_sync': {
        const d = num(e.detail?.driftBefore);
        const w = d === null ? 0 : Math.abs(d) * 1000;
        out.clockChanges.push({ from: at - w, to: at + w });
        break;
      }
      case 'alteration': {
        const c = alterationCode(e);
        if (c === null) break;
        if (CLOCK_ALTERATION_CODES.includes(c)) out.clockChanges.push({ from: at, to: at });
        else if (occurrenceCodes.has(c)) out.occurrences.push({ from: at, to: at });
        break;
      }
      case 'occurrence':
        out.occurrences.push({ from: at, to: at });
        break;
    }
  }
  return out;
}

function eventsOfDay(r: MeterEventRanges, dayStart: number, dayEnd: number): MeterEvents {
  const pick = (list: TimeRange[]) => list.filter((x) => overlaps(x, dayStart, dayEnd));
  return { outages: pick(r.outages), clockChanges: pick(r.clockChanges), occurrences: pick(r.occurrences) };
}

// ---------------------------------------------------------------------------------------------------------------
// The loader

function groupBy<T>(rows: readonly T[], key: (r: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * ValidationInputs for points × days (from..to inclusive), keyed inputKey(pointId, day). Every requested point-day
 * gets an input, with one MeterDay per registered channel of each meter valid on the day (principal first); a
 * channel-day with no stored block is all missing. `history` is left for the caller (loadDailyHistory).
 */
export async function loadVeeInputs(
  db: VeeDb,
  pointIds: readonly number[],
  from: string,
  to: string,
  opts: LoadOptions = {},
): Promise<Map<string, ValidationInput>> {
  checkIds(pointIds, 'pointIds');
  checkRange(from, to);
  const days = daysOf(from, to);
  const out = new Map<string, ValidationInput>();
  const ids = [...new Set(pointIds)];
  if (ids.length === 0) return out;
  const now = opts.now ?? Date.now();
  const occurrenceCodes = new Set(opts.occurrenceAlterationCodes ?? DATA_ALTERATION_CODES);

  const points = await veeQuery<PointRow>(
    db,
    `SELECT id, code, kind, segment, load_capacity_kw, voltage_kv, tags, timezone
       FROM metering_point WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  if (points.length !== ids.length) {
    const found = new Set(points.map((p) => Number(p.id)));
    const missing = ids.filter((id) => !found.has(id));
    throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `metering points ${missing.join(', ')} do not exist`, {
      entity: 'point',
      key: missing.join(','),
    });
  }
  const pointById = new Map(points.map((p) => [Number(p.id), p]));
  const zones = [...new Set(points.map((p) => p.timezone || DEFAULT_ZONE))];
  const t0 = Math.min(...zones.map((z) => dayStartMs(from, z)));
  const t1 = Math.max(...zones.map((z) => dayStartMs(addDays(to, 1), z)));

  const meterRows = await veeQuery<MeterRow>(
    db,
    `SELECT id, point_id, serial, role, mm_interval_s, memory_days, tp_ratio, tc_ratio, channel_map, valid_from, valid_to
       FROM meter
      WHERE point_id = ANY($1::bigint[]) AND valid_from < $3::timestamptz
        AND (valid_to IS NULL OR valid_to > $2::timestamptz)
      ORDER BY point_id, role, valid_from, id`,
    [ids, new Date(t0), new Date(t1)],
  );
  const meters: Meter[] = meterRows.map((row) => {
    const { channels, groupOf } = parseChannelMap(row.channel_map);
    return {
      row,
      id: Number(row.id),
      zone: pointById.get(Number(row.point_id))?.timezone || DEFAULT_ZONE,
      channels,
      groupOf,
      registration: {
        serial: row.serial,
        intervalS: row.mm_interval_s,
        channels,
        tpRatio: row.tp_ratio,
        tcRatio: row.tc_ratio,
      },
    };
  });
  const meterIds = meters.map((m) => m.id);
  const metersOfPoint = groupBy(meters, (m) => Number(m.row.point_id));

  const margin = DAY_MS;
  const [raw, events, sessions, snapshots, gaps] =
    meterIds.length === 0
      ? [[], [], [], [], []]
      : await inOrder([
          () =>
            veeQuery<RawRow>(
              db,
              `SELECT meter_id, channel, to_char(day, 'YYYY-MM-DD') AS day, interval_s, slots,
                    encode(array_send(value), 'base64') AS value, encode(flags, 'base64') AS flags
               FROM interval_raw
              WHERE meter_id = ANY($1::bigint[]) AND channel = ANY($4::smallint[])
                AND day BETWEEN $2::date AND $3::date`,
              [meterIds, from, to, [...new Set(meters.flatMap((m) => m.channels.map((c) => c.channel)))]],
            ),
          () =>
            veeQuery<EventRow>(
              db,
              // Four index range scans ((meter_id, at) for the window, (meter_id, kind, dedupe) for the rest): events
              // in the window; outages overlapping it, however early they began; registration mismatches of any age;
              // and, for meters with one, the earlier alterations that could have resolved it.
              `SELECT meter_id, kind, at, ended_at, detail, id
                 FROM meter_event
                WHERE meter_id = ANY($1::bigint[]) AND kind IN ('alteration', 'clock_sync', 'occurrence')
                  AND at >= $2::timestamptz AND at < $3::timestamptz
               UNION ALL
               SELECT meter_id, kind, at, ended_at, detail, id
                 FROM meter_event
                WHERE meter_id = ANY($1::bigint[]) AND kind = 'outage'
                  AND at < $3::timestamptz AND COALESCE(ended_at, at) >= $2::timestamptz
               UNION ALL
               SELECT meter_id, kind, at, ended_at, detail, id
                 FROM meter_event
                WHERE meter_id = ANY($1::bigint[]) AND kind = 'constants_mismatch' AND at < $3::timestamptz
               UNION ALL
               SELECT meter_id, kind, at, ended_at, detail, id
                 FROM meter_event
                WHERE meter_id IN (SELECT meter_id FROM meter_event
                                    WHERE meter_id = ANY($1::bigint[]) AND kind = 'constants_mismatch'
                                      AND at < $3::timestamptz)
                  AND kind = 'alteration' AND at < $2::timestamptz AND detail->>'code' = ANY($4::text[])
                ORDER BY meter_id, at, id`,
              [
                meterIds,
                new Date(t0 - margin),
                new Date(t1 + margin),
                [...CHANNEL_RESOLVING_CODES, ...INTERVAL_RESOLVING_CODES].map(String),
              ],
            ),
          () =>
            veeQuery<SessionRow>(
              db,
              `SELECT meter_id, started_at, drift_s, meter_serial
               FROM read_session
              WHERE meter_id = ANY($1::bigint[]) AND started_at >= $2::timestamptz AND started_at < $3::timestamptz
              ORDER BY meter_id, started_at, id`,
              [meterIds, new Date(t0), new Date(t1)],
            ),
          () =>
            veeQuery<SnapshotRow>(
              db,
              `SELECT meter_id, kind, channel_group, at, data, id
                 FROM meter_snapshot
                WHERE meter_id = ANY($1::bigint[]) AND kind = 'registers_current'
                  AND at >= $2::timestamptz AND at < $3::timestamptz
               UNION ALL
               SELECT meter_id, kind, channel_group, at, data, id
                 FROM meter_snapshot
                WHERE meter_id = ANY($1::bigint[]) AND kind = 'instant' AND at >= $4::timestamptz AND at < $5::timestamptz
                ORDER BY meter_id, at, id`,
              [meterIds, new Date(t0 - 2 * DAY_MS), new Date(t1 + 2 * DAY_MS), new Date(t0), new Date(t1)],
            ),
          () =>
            veeQuery<GapRow>(
              db,
              `SELECT meter_id, first_end, last_end, state, attempts
               FROM gap
              WHERE meter_id = ANY($1::bigint[]) AND state IN ('pending', 'retrying', 'lost')
                AND first_end <= $3::timestamptz AND last_end > $2::timestamptz`,
              [meterIds, new Date(t0), new Date(t1)],
            ),
        ]);

  // Day blocks → MeterDays of registered channels (decoded once; a scratch array avoids a temporary per row).
  const meterById = new Map(meters.map((m) => [m.id, m]));
  const blocks = new Map<string, MeterDay>();
  let scratch = new Float64Array(300);
  for (const r of raw) {
    const m = meterById.get(Number(r.meter_id));
    const reg = m?.channels.find((c) => c.channel === r.channel);
    if (!m || !reg) continue;
    if (scratch.length < r.slots) scratch = new Float64Array(r.slots);
    const value = decodeFloat8ArraySend(r.value, `interval_raw meter ${m.id} channel ${r.channel} ${r.day}`, scratch);
    const flags = decodeBase64Bytes(r.flags);
    if (value.length !== r.slots || flags.length !== r.slots) {
      throw new FronteiraError(
        'FRONTEIRA_E_CONFLICT',
        `interval_raw meter ${m.id} channel ${r.channel} ${r.day}: arrays of ${value.length}/${flags.length} elements for ${r.slots} slots`,
        { meterId: m.id, channel: r.channel, day: r.day },
      );
    }
    blocks.set(
      `${m.id}|${r.channel}|${r.day}`,
      meterDay({
        meterId: m.id,
        role: m.row.role,
        channel: r.channel,
        quantityCode: reg.quantityCode,
        day: r.day,
        slots: r.slots,
        intervalS: r.interval_s,
        value,
        flags,
      }),
    );
  }

  const eventsOf = groupBy(events, (e) => Number(e.meter_id));
  const sessionsOf = groupBy(sessions, (s) => Number(s.meter_id));
  const snapshotsOf = groupBy(snapshots, (s) => Number(s.meter_id));
  const gapsOf = groupBy(gaps, (g) => Number(g.meter_id));

  // Register snapshots per meter and group, and the out-of-range segments their periods may need.
  const sums = new SegmentSums(blocks, from, to);
  const dayBefore = addDays(from, -1);
  const dayAfter = addDays(to, 1);
  const registerSnaps = new Map<string, RegisterSnapshot[]>();
  for (const m of meters) {
    for (const s of snapshotsOf.get(m.id) ?? []) {
      if (s.kind !== 'registers_current') continue;
      const snap = registerSnapshot(s, m.zone, m.row.mm_interval_s);
      if (!snap) continue;
      const k = `${m.id}|${s.channel_group}`;
      const list = registerSnaps.get(k);
      if (list) list.push(snap);
      else registerSnaps.set(k, [snap]);
      for (const c of m.channels) {
        if (m.groupOf.get(c.channel) !== s.channel_group) continue;
        if (snap.day === dayBefore) {
          const n = expectedSlots(snap.day, m.row.mm_interval_s, m.zone);
          sums.want(m.id, c.channel, snap.day, snap.slot, n - 1);
        } else if (snap.day === dayAfter) {
          sums.want(m.id, c.channel, snap.day, 0, snap.slot - 1);
        }
      }
    }
  }
  if (sums.wanted.size > 0) {
    const wanted = [...sums.wanted.entries()];
    const rows = await veeQuery<{ i: number; n: number; s: number | null; interval_s: number | null }>(
      db,
      `SELECT k.i, count(v)::int AS n, sum(v) AS s, max(r.interval_s) AS interval_s
         FROM unnest($1::int[], $2::bigint[], $3::smallint[], $4::date[], $5::int[], $6::int[]) AS k(i, m, c, d, a, b)
         LEFT JOIN interval_raw r ON r.meter_id = k.m AND r.channel = k.c AND r.day = k.d
         LEFT JOIN LATERAL unnest(r.value[k.a + 1 : k.b + 1]) AS v ON true
        GROUP BY k.i`,
      [
        wanted.map((_, i) => i),
        wanted.map(([, w]) => w.meterId),
        wanted.map(([, w]) => w.channel),
        wanted.map(([, w]) => w.day),
        wanted.map(([, w]) => w.a),
        wanted.map(([, w]) => w.b),
      ],
    );
    for (const r of rows) {
      const [key, w] = wanted[r.i];
      const m = meterById.get(w.meterId);
      const complete = r.n === w.b - w.a + 1 && m !== undefined && r.interval_s === m.row.mm_interval_s;
      sums.setEdge(key, complete ? Number(r.s) : null);
    }
  }

  const rangesOf = new Map<number, MeterEventRanges>();
  const mismatchesOf = new Map<number, EventRow[]>();
  const resolvingOf = new Map<number, EventRow[]>();
  for (const m of meters) {
    const list = eventsOf.get(m.id) ?? [];
    rangesOf.set(m.id, eventRanges(list, occurrenceCodes));
    mismatchesOf.set(
      m.id,
      list.filter((e) => e.kind === 'constants_mismatch'),
    );
    resolvingOf.set(
      m.id,
      list.filter((e) => e.kind === 'alteration'),
    );
  }

  for (const pointId of ids) {
    const p = pointById.get(pointId)!;
    const zone = p.timezone || DEFAULT_ZONE;
    const point: PointInfo = {
      id: pointId,
      code: p.code,
      kind: p.kind,
      segment: p.segment,
      loadCapacityKw: p.load_capacity_kw === null ? null : Number(p.load_capacity_kw),
      tags: p.tags ?? [],
      timezone: zone,
    };
    for (const day of days) {
      const dayStart = dayStartMs(day, zone);
      const dayEnd = dayStartMs(addDays(day, 1), zone);
      const channels: MeterDay[] = [];
      const contexts: MeterContext[] = [];
      for (const m of metersOfPoint.get(pointId) ?? []) {
        if (m.row.valid_from.getTime() >= dayEnd || (m.row.valid_to && m.row.valid_to.getTime() <= dayStart)) continue;
        const intervalS = m.row.mm_interval_s;
        for (const c of m.channels) {
          const stored = blocks.get(`${m.id}|${c.channel}|${day}`);
          channels.push(
            stored ??
              meterDay({
                meterId: m.id,
                role: m.row.role,
                channel: c.channel,
                quantityCode: c.quantityCode,
                day,
                slots: expectedSlots(day, intervalS, m.zone),
                intervalS,
              }),
          );
        }
        const daySessions = (sessionsOf.get(m.id) ?? []).filter((s) => {
          const t = s.started_at.getTime();
          return t >= dayStart && t < dayEnd;
        });
        const drift = daySessions.map((s) => s.drift_s).filter((d): d is number => d !== null);
        const advances: RegisterAdvance[] = [];
        for (const c of m.channels) {
          const snaps = registerSnaps.get(`${m.id}|${m.groupOf.get(c.channel)}`);
          if (!snaps) continue;
          const a = registerAdvance(m, c, day, snaps, sums, blocks);
          if (a) advances.push(a);
        }
        let instant: SnapshotRow | undefined;
        for (const s of snapshotsOf.get(m.id) ?? []) {
          const t = s.at.getTime();
          if (s.kind === 'instant' && t >= dayStart && t < dayEnd && (!instant || s.at >= instant.at)) instant = s;
        }
        const lastSession = [...daySessions].reverse().find((s) => s.meter_serial !== null);
        const ctx: MeterContext = {
          meterId: m.id,
          role: m.row.role,
          events: eventsOfDay(rangesOf.get(m.id)!, dayStart, dayEnd),
          driftS: drift,
          registerAdvance: advances,
          instant: instantSample(instant, p, m),
          registration: m.registration,
          observed: observedIdentity(m, lastSession, mismatchesOf.get(m.id)!, resolvingOf.get(m.id)!),
        };
        const reread = rereadSlots(gapsOf.get(m.id), m, day, dayStart, now, opts.rereadMaxAttempts ?? 3);
        if (reread) ctx.rereadPossible = reread;
        contexts.push(ctx);
      }
      out.set(inputKey(pointId, day), { point, day, channels, meters: contexts });
    }
  }
  return out;
}

/**
 * Runs the queries one after another: on a transaction's single client pg would queue parallel calls anyway (and
 * warns that it will stop doing so), and PGlite has one connection.
 */
async function inOrder<T extends unknown[]>(fns: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const out: unknown[] = [];
  for (const f of fns as (() => Promise<unknown>)[]) out.push(await f());
  return out as T;
}

function rereadSlots(
  gaps: readonly GapRow[] | undefined,
  m: Meter,
  day: string,
  dayStart: number,
  now: number,
  maxAttempts: number,
): Uint8Array | null {
  const intervalS = m.row.mm_interval_s;
  const step = intervalS * 1000;
  const slots = expectedSlots(day, intervalS, m.zone);
  const oldest = now - m.row.memory_days * DAY_MS;
  // Slot k ends at dayStart + (k + 1)·step. Every slot the meter still holds can be re-read (the gap task finds a
  // hole within minutes even before a gap row exists), except where a gap is lost or has failed too often.
  const k0 = Math.max(0, Math.ceil((oldest + 1 - dayStart) / step) - 1);
  const k1 = Math.min(slots - 1, Math.floor((now - dayStart) / step) - 1);
  if (k0 > k1) return null;
  const out = new Uint8Array(slots);
  out.fill(1, k0, k1 + 1);
  for (const g of gaps ?? []) {
    if (g.state !== 'lost' && g.attempts < maxAttempts) continue;
    const a = g.first_end.getTime();
    const b = g.last_end.getTime();
    const g0 = Math.max(0, Math.ceil((a - dayStart) / step) - 1);
    const g1 = Math.min(slots - 1, Math.floor((b - dayStart) / step) - 1);
    if (g0 <= g1) out.fill(0, g0, g1 + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// History from the final layer

export interface HistoryOptions {
  /** Day classes (default: the national calendar). */
  calendar?: HolidayCalendar;
  quantityCodes?: readonly number[];
}

/** Like-day candidates of each target day (same class, up to `weeks` weeks back, most recent first). */
function candidatesOf(targets: readonly string[], weeks: number, calendar: HolidayCalendar): Map<string, string[]> {
  return new Map(targets.map((d) => [d, calendar.likeDayCandidates(d, weeks)]));
}

function allDays(c: Map<string, string[]>): string[] {
  const s = new Set<string>();
  for (const list of c.values()) for (const d of list) s.add(d);
  return [...s].sort();
}

/**
 * Like-days for LD for every day of from..to: per target day, point and quantity code, the current final series of
 * the same-class days up to `weeks` weeks back, most recent first, usable where quality is A or S. One query; a
 * stored day shared by several targets is the same LikeDay object. Read before the run writes: a month run sees the
 * finals as they were when it started.
 */
export async function loadLikeDayHistoryRange(
  db: VeeDb,
  pointIds: readonly number[],
  from: string,
  to: string,
  weeks: number,
  opts: HistoryOptions = {},
): Promise<Map<string, Map<number, Map<number, LikeDay[]>>>> {
  checkIds(pointIds, 'pointIds');
  checkRange(from, to);
  const targets = daysOf(from, to);
  const calendar = opts.calendar ?? HolidayCalendar.national();
  const candidates = candidatesOf(targets, weeks, calendar);
  const out = new Map<string, Map<number, Map<number, LikeDay[]>>>();
  for (const d of targets) out.set(d, new Map());
  if (pointIds.length === 0) return out;
  const rows = await veeQuery<{ point_id: number; quantity_code: number; day: string; value: string; quality: string }>(
    db,
    `SELECT point_id, quantity_code, to_char(day, 'YYYY-MM-DD') AS day,
            encode(array_send(value), 'base64') AS value, encode(quality, 'base64') AS quality
       FROM vee_final
      WHERE superseded_at IS NULL AND point_id = ANY($1::bigint[]) AND day = ANY($2::date[])
        AND ($3::smallint[] IS NULL OR quantity_code = ANY($3::smallint[]))`,
    [[...new Set(pointIds)], allDays(candidates), opts.quantityCodes ?? null],
  );
  const stored = new Map<string, LikeDay>();
  const series = new Map<number, Set<number>>();
  for (const r of rows) {
    const value = decodeFloat8ArraySend(r.value, `vee_final ${r.point_id}/${r.quantity_code}/${r.day}`);
    const quality = decodeBase64Bytes(r.quality);
    const usable = new Uint8Array(value.length);
    for (let k = 0; k < usable.length; k++) {
      usable[k] = (quality[k] === Quality.A || quality[k] === Quality.S) && !Number.isNaN(value[k]) ? 1 : 0;
    }
    const pointId = Number(r.point_id);
    stored.set(`${pointId}|${r.quantity_code}|${r.day}`, { day: r.day, value, usable });
    const codes = series.get(pointId) ?? new Set<number>();
    codes.add(r.quantity_code);
    series.set(pointId, codes);
  }
  for (const target of targets) {
    const byPoint = out.get(target)!;
    for (const [pointId, codes] of series) {
      const byCode = new Map<number, LikeDay[]>();
      for (const q of [...codes].sort((a, b) => a - b)) {
        const list: LikeDay[] = [];
        for (const d of candidates.get(target)!) {
          const ld = stored.get(`${pointId}|${q}|${d}`);
          if (ld) list.push(ld);
        }
        if (list.length > 0) byCode.set(q, list);
      }
      if (byCode.size > 0) byPoint.set(pointId, byCode);
    }
  }
  return out;
}

/** Like-days of one target day: per point and quantity code, most recent first (see loadLikeDayHistoryRange). */
export async function loadLikeDayHistory(
  db: VeeDb,
  pointIds: readonly number[],
  day: string,
  weeks: number,
  opts: HistoryOptions = {},
): Promise<Map<number, Map<number, LikeDay[]>>> {
  const r = await loadLikeDayHistoryRange(db, pointIds, day, day, weeks, opts);
  return r.get(day)!;
}

/**
 * V08 history for every day of from..to: per target day and point, the daily totals (vee_final.energy of the
 * current versions) of the same-class days in the `weeks` weeks before, most recent first. Days with a missing
 * slot (quality N) are left out: their total is not the day's energy [I].
 */
export async function loadDailyHistoryRange(
  db: VeeDb,
  pointIds: readonly number[],
  from: string,
  to: string,
  opts: HistoryOptions & { weeks?: number } = {},
): Promise<Map<string, Map<number, DailyHistory[]>>> {
  checkIds(pointIds, 'pointIds');
  checkRange(from, to);
  const targets = daysOf(from, to);
  const calendar = opts.calendar ?? HolidayCalendar.national();
  const candidates = candidatesOf(targets, opts.weeks ?? 4, calendar);
  const out = new Map<string, Map<number, DailyHistory[]>>();
  for (const d of targets) out.set(d, new Map());
  if (pointIds.length === 0) return out;
  const rows = await veeQuery<{ point_id: number; quantity_code: number; day: string; energy: number }>(
    db,
    `SELECT point_id, quantity_code, to_char(day, 'YYYY-MM-DD') AS day, energy
       FROM vee_final
      WHERE superseded_at IS NULL AND point_id = ANY($1::bigint[]) AND day = ANY($2::date[]) AND counts[1] = 0
        AND ($3::smallint[] IS NULL OR quantity_code = ANY($3::smallint[]))`,
    [[...new Set(pointIds)], allDays(candidates), opts.quantityCodes ?? null],
  );
  const energy = new Map<string, number>();
  const series = new Map<number, Set<number>>();
  for (const r of rows) {
    const pointId = Number(r.point_id);
    energy.set(`${pointId}|${r.quantity_code}|${r.day}`, Number(r.energy));
    const codes = series.get(pointId) ?? new Set<number>();
    codes.add(r.quantity_code);
    series.set(pointId, codes);
  }
  for (const target of targets) {
    const byPoint = out.get(target)!;
    for (const [pointId, codes] of series) {
      const list: DailyHistory[] = [];
      for (const q of [...codes].sort((a, b) => a - b)) {
        const totals: number[] = [];
        for (const d of candidates.get(target)!) {
          const e = energy.get(`${pointId}|${q}|${d}`);
          if (e !== undefined) totals.push(e);
        }
        if (totals.length > 0) list.push({ quantityCode: q, totals });
      }
      if (list.length > 0) byPoint.set(pointId, list);
    }
  }
  return out;
}

/** V08 history of one day: per point, same-class daily totals of the last `weeks` (default 4) weeks. */
export async function loadDailyHistory(
  db: VeeDb,
  pointIds: readonly number[],
  day: string,
  opts: HistoryOptions & { weeks?: number } = {},
): Promise<Map<number, DailyHistory[]>> {
  const r = await loadDailyHistoryRange(db, pointIds, day, day, opts);
  return r.get(day)!;
}
