/**
 * Completeness of the raw layer ("100% da memória de massa"): slots filled per point/meter/channel/day, the
 * missing ranges per meter, and a meter's last good interval. One query per call whatever the range: the days and
 * registered channels are generated in SQL and joined to interval_raw; only days that are not complete come back
 * to TS with their flags, since a complete day (filled = slots on every channel) has nothing missing.
 *
 * A meter's channels are its registry channel map; a meter registered without one uses the channels seen in its
 * data; a meter with neither has every slot missing (it is reported as channel 0).
 */
import { sql } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import { addDays, intervalsInDay, operatingDayStart } from '../domain/time.ts';
import type { Db } from '../store/registry.ts';
import { FLAG_ACTUAL } from './day-block.ts';

export interface DayCompleteness {
  pointCode: string;
  meterId: number;
  serial: string;
  role: string;
  channel: number;
  day: string;
  slots: number;
  filled: number;
}

export interface MissingRange {
  meterId: number;
  /** End instants of the first and last missing intervals. */
  firstEnd: Date;
  lastEnd: Date;
  intervals: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function checkDays(fromDay: string, toDay: string): void {
  for (const [k, v] of [
    ['fromDay', fromDay],
    ['toDay', toDay],
  ] as const) {
    if (!DAY_RE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `completeness: ${k} '${v}' is not a YYYY-MM-DD day`, {
        field: k,
      });
    }
  }
  if (toDay < fromDay) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `completeness: toDay ${toDay} is before fromDay ${fromDay}`);
  }
}

/**
 * The registered channels of meter `m` (SQL expression): the channel map's channels, else those in its data (a
 * loose index scan: one probe per channel, not per row), else {0}.
 */
const CHANNELS = sql.raw(`COALESCE(
  NULLIF(ARRAY(SELECT DISTINCT (e->>'channel')::int FROM jsonb_array_elements(m.channel_map) e ORDER BY 1), '{}'),
  NULLIF(ARRAY(
    WITH RECURSIVE s(c) AS (
      SELECT min(channel)::int FROM interval_raw WHERE meter_id = m.id
      UNION ALL
      SELECT (SELECT min(channel)::int FROM interval_raw WHERE meter_id = m.id AND channel > s.c) FROM s WHERE s.c IS NOT NULL
    ) SELECT c FROM s WHERE c IS NOT NULL), '{}'),
  '{0}'::int[])`);

/**
 * Slots and filled slots per point, meter, registered channel and operating day in fromDay..toDay, for meters
 * valid on the day (validity overlaps it). A day without a row counts with its slot count and 0 filled.
 */
export async function dayCompleteness(
  db: Db,
  q: { fromDay: string; toDay: string; meterIds?: number[] },
): Promise<DayCompleteness[]> {
  checkDays(q.fromDay, q.toDay);
  const ids = q.meterIds ?? null;
  const r = await sql<{
    point_code: string;
    meter_id: number;
    serial: string;
    role: string;
    channel: number;
    day: string;
    slots: number;
    filled: number;
  }>`
    WITH mm AS (
      SELECT m.id, m.serial, m.role, m.mm_interval_s, m.valid_from, m.valid_to, p.code AS point_code, p.timezone,
             ${CHANNELS} AS channels
        FROM meter m JOIN metering_point p ON p.id = m.point_id
       WHERE (${ids}::bigint[] IS NULL OR m.id = ANY(${ids}::bigint[]))
    ), d AS (
      SELECT mm.*, g.day::date AS day,
             (g.day AT TIME ZONE mm.timezone) AS day_start,
             ((g.day + interval '1 day') AT TIME ZONE mm.timezone) AS day_end
        FROM mm CROSS JOIN generate_series(${q.fromDay}::timestamp, ${q.toDay}::timestamp, interval '1 day') AS g(day)
    )
    SELECT d.point_code, d.id AS meter_id, d.serial, d.role, c.channel, to_char(d.day, 'YYYY-MM-DD') AS day,
           COALESCE(r.slots, round(extract(epoch FROM d.day_end - d.day_start) / d.mm_interval_s))::int AS slots,
           COALESCE(r.filled, 0)::int AS filled
      FROM d CROSS JOIN LATERAL unnest(d.channels) AS c(channel)
      LEFT JOIN interval_raw r ON r.meter_id = d.id AND r.channel = c.channel AND r.day = d.day
     WHERE d.day_end > d.valid_from AND (d.valid_to IS NULL OR d.day_start < d.valid_to)
     ORDER BY d.point_code, d.role, d.id, c.channel, d.day`.execute(db);
  return r.rows.map((x) => ({
    pointCode: x.point_code,
    meterId: Number(x.meter_id),
    serial: x.serial,
    role: x.role,
    channel: x.channel,
    day: x.day,
    slots: x.slots,
    filled: x.filled,
  }));
}

interface IncompleteDay {
  meter_id: number;
  day: string;
  timezone: string;
  mm_interval_s: number;
  valid_from: Date;
  valid_to: Date | null;
  channels: number;
  present: number;
  partial: Uint8Array[] | null;
}

/**
 * Missing intervals per meter across its registered channels (a slot missing on any channel counts), for days
 * fromDay..toDay, only slots ending at or before `until` (no future slots) and inside the meter's validity
 * (ending after valid_from, at or before valid_to); days without rows are missing. Consecutive missing slots form
 * one range, across day boundaries too. Ordered by meter and time.
 */
export async function missingRanges(
  db: Db,
  q: { fromDay: string; toDay: string; until: Date; meterIds?: number[] },
): Promise<MissingRange[]> {
  checkDays(q.fromDay, q.toDay);
  if (!(q.until instanceof Date) || Number.isNaN(q.until.getTime())) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', 'missingRanges: until is not a valid Date');
  }
  const ids = q.meterIds ?? null;
  const r = await sql<IncompleteDay>`
    WITH mm AS (
      SELECT m.id, m.mm_interval_s, m.valid_from, m.valid_to, p.timezone, ${CHANNELS} AS channels
        FROM meter m JOIN metering_point p ON p.id = m.point_id
       WHERE (${ids}::bigint[] IS NULL OR m.id = ANY(${ids}::bigint[]))
         AND m.valid_from < ${q.until}::timestamptz
    ), d AS (
      SELECT mm.*, g.day::date AS day
        FROM mm CROSS JOIN generate_series(${q.fromDay}::timestamp, ${q.toDay}::timestamp, interval '1 day') AS g(day)
       WHERE (g.day AT TIME ZONE mm.timezone) < ${q.until}::timestamptz
         AND ((g.day + interval '1 day') AT TIME ZONE mm.timezone) > mm.valid_from
         AND (mm.valid_to IS NULL OR (g.day AT TIME ZONE mm.timezone) < mm.valid_to)
    )
    SELECT d.id AS meter_id, to_char(d.day, 'YYYY-MM-DD') AS day, d.timezone, d.mm_interval_s, d.valid_from,
           d.valid_to, cardinality(d.channels) AS channels, count(r.channel)::int AS present,
           array_agg(r.flags) FILTER (WHERE r.filled < r.slots) AS partial
      FROM d CROSS JOIN LATERAL unnest(d.channels) AS c(channel)
      LEFT JOIN interval_raw r ON r.meter_id = d.id AND r.channel = c.channel AND r.day = d.day
     GROUP BY d.id, d.day, d.timezone, d.mm_interval_s, d.valid_from, d.valid_to, d.channels
    HAVING count(r.channel) < cardinality(d.channels) OR bool_or(r.filled < r.slots)
     ORDER BY d.id, d.day`.execute(db);

  const until = q.until.getTime();
  const out: MissingRange[] = [];
  let open: { meterId: number; first: number; last: number; n: number; step: number } | null = null;
  const close = () => {
    if (open)
      out.push({
        meterId: open.meterId,
        firstEnd: new Date(open.first),
        lastEnd: new Date(open.last),
        intervals: open.n,
      });
    open = null;
  };
  for (const row of r.rows) {
    const meterId = Number(row.meter_id);
    const step = row.mm_interval_s * 1000;
    const slots = intervalsInDay(row.day, step, row.timezone);
    const start = operatingDayStart(row.day, row.timezone);
    const allMissing = row.present < row.channels;
    const partial = row.partial ?? [];
    const from = row.valid_from.getTime();
    const to = row.valid_to ? row.valid_to.getTime() : Number.POSITIVE_INFINITY;
    if (open && open.meterId !== meterId) close();
    for (let k = 0; k < slots; k++) {
      const end = start + (k + 1) * step;
      if (end > until || end > to) break;
      if (end <= from) continue;
      let missing = allMissing;
      for (let i = 0; !missing && i < partial.length; i++) {
        const f = partial[i];
        missing = k >= f.length || (f[k] & FLAG_ACTUAL) === 0;
      }
      if (!missing) {
        close();
        continue;
      }
      if (open && open.meterId === meterId && end === open.last + open.step) {
        open.last = end;
        open.n++;
      } else {
        close();
        open = { meterId, first: end, last: end, n: 1, step };
      }
    }
  }
  close();
  return out;
}

/**
 * The end of the latest slot where every registered channel of the meter holds an actual value, or null when there
 * is none. Looks at the last week of data first, then further back only if that week has no good slot.
 */
export async function lastGoodInterval(db: Db, meterId: number): Promise<Date | null> {
  for (const lookbackDays of [7, 400, 100_000]) {
    const r = await sql<{
      timezone: string;
      mm_interval_s: number;
      channels: number[];
      channel: number | null;
      day: string | null;
      flags: Uint8Array | null;
      span: number | null;
    }>`
      SELECT p.timezone, m.mm_interval_s, ${CHANNELS} AS channels, r.channel, to_char(r.day, 'YYYY-MM-DD') AS day,
             r.flags, (SELECT max(day) - min(day) FROM interval_raw WHERE meter_id = m.id) AS span
        FROM meter m JOIN metering_point p ON p.id = m.point_id
        LEFT JOIN interval_raw r ON r.meter_id = m.id
             AND r.day >= (SELECT max(day) FROM interval_raw WHERE meter_id = m.id) - ${lookbackDays}::int
       WHERE m.id = ${meterId}
       ORDER BY r.day DESC, r.channel`.execute(db);
    if (r.rows.length === 0) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `lastGoodInterval: no meter with id ${meterId}`, { meterId });
    }
    const first = r.rows[0];
    if (first.day === null) return null;
    const wanted = first.channels;
    const byDay = new Map<string, Map<number, Uint8Array>>();
    for (const row of r.rows) {
      if (row.day === null || row.channel === null || row.flags === null) continue;
      const m = byDay.get(row.day) ?? new Map<number, Uint8Array>();
      byDay.set(row.day, m);
      m.set(row.channel, row.flags);
    }
    const step = first.mm_interval_s * 1000;
    for (const [day, channels] of byDay) {
      const flags = wanted.map((c) => channels.get(c));
      if (flags.some((f) => f === undefined)) continue;
      const n = Math.min(...flags.map((f) => f!.length));
      for (let k = n - 1; k >= 0; k--) {
        if (flags.every((f) => (f![k] & FLAG_ACTUAL) !== 0)) {
          return new Date(operatingDayStart(day, first.timezone) + (k + 1) * step);
        }
      }
    }
    if ((first.span ?? 0) <= lookbackDays) return null;
  }
  return null;
}

/** The operating days from..to inclusive (helper for callers building day ranges). */
export function daysBetween(fromDay: string, toDay: string): string[] {
  checkDays(fromDay, toDay);
  const out: string[] = [];
  for (let d = fromDay; d <= toDay; d = addDays(d, 1)) out.push(d);
  return out;
}
