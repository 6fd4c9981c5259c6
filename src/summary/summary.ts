/**
 * Energy summaries by market segment or by group (tag) — issue 7: hourly, daily and monthly totals per channel of
 * the current final series, each with the completeness of its inputs. The SQL is in query.ts (see there what a
 * total expects); this module validates the request, turns rows into SummaryRow and bins slots into hours.
 *
 * Hours are local clock hours of the point's zone (America/Sao_Paulo by default), labelled by their START as
 * 'YYYY-MM-DDTHH:00-03:00': slot k of a day (the interval ending at day start + (k+1)·interval) belongs to the
 * hour its start falls in, so 00:00–01:00 holds the slots ending 00:05 … 01:00. On a DST day (none in Brazil since
 * 2019, but the slot count of each row is respected) the repeated or skipped hour follows the instants: a 25-hour
 * day gives 25 hour rows, the repeated one told apart by its offset.
 */
import { FronteiraError } from '../domain/errors.ts';
import { addDays, operatingDayStart, zoneOffsetMs } from '../domain/time.ts';
import { checkRange, decodeFloat8ArraySend, type VeeDb } from '../store/vee-final.ts';
import { Quality } from '../vee/types.ts';
import { CHANNEL_NAMES, CHANNELS, type ChannelName, isChannelName } from '../virtual/formula/parse.ts';
import {
  type AggregateRow,
  aggregateTotals,
  groupMembers,
  pointDays,
  type SummaryBy,
  type SummaryScope,
} from './query.ts';

export type { SummaryBy } from './query.ts';
export type SummaryResolution = 'hour' | 'day' | 'month';
export const SUMMARY_RESOLUTIONS: readonly SummaryResolution[] = ['hour', 'day', 'month'];

/** Longest range per request, in days: hourly totals read every slot. */
export const MAX_SUMMARY_DAYS: Readonly<Record<SummaryResolution, number>> = { hour: 93, day: 732, month: 1831 };

export interface SummaryQuery {
  by: SummaryBy;
  resolution: SummaryResolution;
  /** Operating days 'YYYY-MM-DD', inclusive. */
  from: string;
  to: string;
  /** Default: every channel (C, G, QC, QG). */
  channels?: readonly ChannelName[];
  /** Include points of kind 'virtual' (default false: their inputs are already in the totals). */
  includeVirtual?: boolean;
}

export interface SummaryRow {
  /** Segment (cativo, livre, geracao, faturamento) or tag. */
  group: string;
  channel: ChannelName;
  quantityCode: number;
  unit: string;
  /** 'YYYY-MM' (month), 'YYYY-MM-DD' (day) or 'YYYY-MM-DDTHH:00±HH:MM' (hour, by its start). */
  period: string;
  /** Sum of the slots with a value (actual, substituted, estimated, manual), in `unit`. */
  energy: number;
  /** Slots the period should hold over every expected point. */
  expectedSlots: number;
  actual: number;
  substituted: number;
  estimated: number;
  manual: number;
  /** Slots without a value: missing in a final series, or in an expected day that has none. */
  missing: number;
  /** (expectedSlots − missing) / expectedSlots; 1 when nothing was expected. */
  completeness: number;
  /** Points expected (or with data) in the period. */
  points: number;
  pointsWithData: number;
  pointsWithoutData: number;
}

export interface Summary {
  by: SummaryBy;
  resolution: SummaryResolution;
  from: string;
  to: string;
  channels: ChannelName[];
  includeVirtual: boolean;
  /** Ordered by group, channel (C, G, QC, QG) and period. */
  rows: SummaryRow[];
}

function bad(field: string, message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field });
}

/** 'segment', 'tag' (every tag) or 'tag:NAME'. */
export function parseSummaryBy(text: string): SummaryBy {
  if (text === 'segment') return { kind: 'segment' };
  if (text === 'tag') return { kind: 'tag', tag: null };
  if (text.startsWith('tag:') && text.length > 4) return { kind: 'tag', tag: text.slice(4) };
  throw bad('by', `'${text}' is not segment, tag or tag:NAME`);
}

export function formatSummaryBy(by: SummaryBy): string {
  return by.kind === 'segment' ? 'segment' : by.tag === null ? 'tag' : `tag:${by.tag}`;
}

/** 'C,G' → ['C', 'G'] (case-insensitive, duplicates dropped, in CHANNEL_NAMES order). */
export function parseChannels(text: string): ChannelName[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  if (names.length === 0) throw bad('channels', 'name at least one channel (C, G, QC, QG)');
  for (const n of names)
    if (!isChannelName(n)) throw bad('channels', `'${n}' is not one of ${CHANNEL_NAMES.join(', ')}`);
  return CHANNEL_NAMES.filter((c) => names.includes(c));
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

function checkQuery(q: SummaryQuery): Omit<Summary, 'rows'> {
  if (typeof q !== 'object' || q === null) throw bad('query', 'is not an object');
  const by = q.by;
  if (
    typeof by !== 'object' ||
    by === null ||
    !(
      by.kind === 'segment' ||
      (by.kind === 'tag' && (by.tag === null || (typeof by.tag === 'string' && by.tag !== '')))
    )
  ) {
    throw bad('by', 'must be { kind: "segment" } or { kind: "tag", tag: name | null }');
  }
  if (!SUMMARY_RESOLUTIONS.includes(q.resolution)) {
    throw bad('resolution', `'${String(q.resolution)}' is not hour, day or month`);
  }
  checkRange(q.from, q.to);
  const days = daysBetween(q.from, q.to);
  const max = MAX_SUMMARY_DAYS[q.resolution];
  if (days > max) throw bad('to', `${days} days at resolution ${q.resolution}: at most ${max}`);
  if (q.channels !== undefined && !Array.isArray(q.channels)) throw bad('channels', 'must be a list of channels');
  const channels = q.channels === undefined ? [...CHANNEL_NAMES] : [...q.channels];
  if (channels.length === 0) throw bad('channels', 'name at least one channel');
  for (const c of channels) {
    if (typeof c !== 'string' || !isChannelName(c)) throw bad('channels', `'${String(c)}' is not a channel`);
  }
  if (q.includeVirtual !== undefined && typeof q.includeVirtual !== 'boolean') {
    throw bad('includeVirtual', 'must be true or false');
  }
  return {
    by: by.kind === 'segment' ? { kind: 'segment' } : { kind: 'tag', tag: by.tag },
    resolution: q.resolution,
    from: q.from,
    to: q.to,
    channels: CHANNEL_NAMES.filter((c) => channels.includes(c)),
    includeVirtual: q.includeVirtual ?? false,
  };
}

const CHANNEL_OF_CODE = new Map<number, ChannelName>(CHANNEL_NAMES.map((c) => [CHANNELS[c].quantityCode, c]));
const CHANNEL_ORDER = new Map<ChannelName, number>(CHANNEL_NAMES.map((c, i) => [c, i]));

/** Sums of one row: energy, expected slots, slots per quality (N A S E M), points in scope and with data. */
interface Totals {
  energy: number;
  slots: number;
  n: number;
  a: number;
  s: number;
  e: number;
  m: number;
  points: number;
  withData: number;
}

function makeRow(group: string, quantityCode: number, period: string, t: Totals): SummaryRow {
  const channel = CHANNEL_OF_CODE.get(quantityCode)!;
  return {
    group,
    channel,
    quantityCode,
    unit: CHANNELS[channel].unit,
    period,
    energy: t.energy,
    expectedSlots: t.slots,
    actual: t.a,
    substituted: t.s,
    estimated: t.e,
    manual: t.m,
    missing: t.n,
    completeness: t.slots === 0 ? 1 : (t.slots - t.n) / t.slots,
    points: t.points,
    pointsWithData: t.withData,
    pointsWithoutData: t.points - t.withData,
  };
}

function compareRows(x: SummaryRow, y: SummaryRow): number {
  if (x.group !== y.group) return x.group < y.group ? -1 : 1;
  if (x.channel !== y.channel) return CHANNEL_ORDER.get(x.channel)! - CHANNEL_ORDER.get(y.channel)!;
  return x.period < y.period ? -1 : x.period > y.period ? 1 : 0;
}

/** Local ISO minute with offset, e.g. '2026-10-01T13:00-03:00'. */
export function localHourLabel(instant: number, zone: string): string {
  const off = zoneOffsetMs(instant, zone);
  const wall = new Date(instant + off).toISOString().slice(0, 16);
  const a = Math.abs(off) / 60_000;
  const sign = off < 0 ? '-' : '+';
  return `${wall}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

interface DayLayout {
  /** Hour index of each slot. */
  hourOf: Uint16Array;
  /** Start instant of each hour. */
  hourStart: number[];
  /** Slots per hour. */
  slotsIn: number[];
}

const HOUR = 3_600_000;

/** Which local hour each slot of a day starts in. */
function dayLayout(day: string, zone: string, slots: number, intervalS: number): DayLayout {
  const start = operatingDayStart(day, zone);
  const step = intervalS * 1000;
  const hourOf = new Uint16Array(slots);
  const hourStart: number[] = [];
  const slotsIn: number[] = [];
  let current = Number.NaN;
  for (let k = 0; k < slots; k++) {
    const t = start + k * step;
    const off = zoneOffsetMs(t, zone);
    const h = t - ((((t + off) % HOUR) + HOUR) % HOUR);
    if (h !== current) {
      current = h;
      hourStart.push(h);
      slotsIn.push(0);
    }
    hourOf[k] = hourStart.length - 1;
    slotsIn[hourStart.length - 1]++;
  }
  return { hourOf, hourStart, slotsIn };
}

interface HourBin extends Totals {
  label: string;
}

/** Point-days per statement in hourly mode: bounds the base64 text held at once (~3 kB per point-day). */
const HOURLY_POINT_DAYS_PER_READ = 40_000;

async function hourlyTotals(db: VeeDb, scope: SummaryScope): Promise<SummaryRow[]> {
  const members = await groupMembers(db, scope);
  const groupsOf = new Map<number, string[]>();
  for (const m of members) {
    const g = groupsOf.get(m.point_id);
    if (g) g.push(m.grp);
    else groupsOf.set(m.point_id, [m.grp]);
  }
  if (groupsOf.size === 0) return [];
  const perDay = groupsOf.size * scope.quantityCodes.length;
  const chunk = Math.max(1, Math.min(31, Math.floor(HOURLY_POINT_DAYS_PER_READ / perDay)));
  const layouts = new Map<string, DayLayout>();
  const bins = new Map<string, HourBin>();
  const scratch = new Float64Array(1440);
  // Per row: slots per hour of the row, by quality, and energy.
  const hourCounts = new Float64Array(6 * 100);
  for (let from = scope.from; from <= scope.to; from = addDays(from, chunk)) {
    let to = addDays(from, chunk - 1);
    if (to > scope.to) to = scope.to;
    const rows = await pointDays(db, scope, from, to);
    for (const r of rows) {
      const lk = `${r.day}|${r.timezone}|${r.slots}|${r.interval_s}`;
      let layout = layouts.get(lk);
      if (!layout) {
        layout = dayLayout(r.day, r.timezone, r.slots, r.interval_s);
        layouts.set(lk, layout);
      }
      const hours = layout.hourStart.length;
      hourCounts.fill(0, 0, 6 * hours);
      if (r.value === null || r.quality === null) {
        for (let h = 0; h < hours; h++) hourCounts[6 * h + 1 + Quality.N] = layout.slotsIn[h];
      } else {
        const value = decodeFloat8ArraySend(r.value, `final of point ${r.point_id} ${r.day}`, scratch);
        const quality = Buffer.from(r.quality, 'base64');
        if (value.length !== r.slots || quality.length !== r.slots) {
          throw new FronteiraError(
            'FRONTEIRA_E_CONFLICT',
            `final of point ${r.point_id} quantity ${r.q} ${r.day}: arrays do not hold ${r.slots} slots`,
            { pointId: r.point_id, day: r.day },
          );
        }
        const { hourOf } = layout;
        for (let k = 0; k < r.slots; k++) {
          const base = 6 * hourOf[k];
          const v = value[k];
          const qc = quality[k];
          // As the row's stored counts and energy have it: counts by quality code, energy of every value.
          hourCounts[base + 1 + (qc <= Quality.M ? qc : Quality.N)]++;
          if (!Number.isNaN(v)) hourCounts[base] += v;
        }
      }
      const groups = groupsOf.get(r.point_id) ?? [];
      for (let h = 0; h < hours; h++) {
        const start = layout.hourStart[h];
        const base = 6 * h;
        const missing = hourCounts[base + 1 + Quality.N];
        for (const g of groups) {
          const key = `${g}|${r.q}|${start}`;
          let b = bins.get(key);
          if (!b) {
            b = {
              energy: 0,
              slots: 0,
              n: 0,
              a: 0,
              s: 0,
              e: 0,
              m: 0,
              points: 0,
              withData: 0,
              label: localHourLabel(start, r.timezone),
            };
            bins.set(key, b);
          }
          b.energy += hourCounts[base];
          b.slots += layout.slotsIn[h];
          b.n += missing;
          b.a += hourCounts[base + 1 + Quality.A];
          b.s += hourCounts[base + 1 + Quality.S];
          b.e += hourCounts[base + 1 + Quality.E];
          b.m += hourCounts[base + 1 + Quality.M];
          b.points++;
          if (missing < layout.slotsIn[h]) b.withData++;
        }
      }
    }
  }
  const out: { start: number; row: SummaryRow }[] = [];
  for (const [key, b] of bins) {
    const [g, q, start] = key.split('|');
    out.push({ start: Number(start), row: makeRow(g, Number(q), b.label, b) });
  }
  // By start instant within a group and channel: labels of a repeated DST hour sort wrongly as text.
  out.sort((x, y) => compareRows({ ...x.row, period: '' }, { ...y.row, period: '' }) || x.start - y.start);
  return out.map((o) => o.row);
}

function fromAggregate(r: AggregateRow): SummaryRow {
  return makeRow(r.grp, r.q, r.period, { ...r, withData: r.with_data });
}

/** Totals of the current final series by segment or tag, per channel and period, with their completeness. */
export async function summarize(db: VeeDb, query: SummaryQuery): Promise<Summary> {
  const q = checkQuery(query);
  const scope: SummaryScope = {
    by: q.by,
    from: q.from,
    to: q.to,
    quantityCodes: q.channels.map((c) => CHANNELS[c].quantityCode),
    includeVirtual: q.includeVirtual,
  };
  const rows =
    q.resolution === 'hour'
      ? await hourlyTotals(db, scope)
      : (await aggregateTotals(db, scope, q.resolution)).map(fromAggregate).sort(compareRows);
  return { ...q, rows };
}
