/**
 * SQL of vee_dirty: the point-days whose VEE inputs changed (ingest, events, edits, parameters) and need a run.
 *
 * A mark is an upsert that refreshes marked_at, always to a later instant than the row held (clock_timestamp(), at
 * least 1 µs after the previous mark), so a mark made after a run claimed the row is newer than the claim. A run
 * claims rows (FOR UPDATE SKIP LOCKED, oldest day first) and, in the transaction that writes its results, clears
 * them: only the rows not marked again since the claim are deleted.
 */
import { addDays, instantToWall, operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { Tx } from './bulk.ts';
import { badInput, checkDayArg, checkIds, type VeeDb, veeQuery } from './vee-final.ts';

export interface DirtyMark {
  pointId: number;
  day: string;
  reason: string;
}

export interface DirtyRow extends DirtyMark {
  markedAt: Date;
  /** marked_at in µs since the epoch: the exact claim token clearDirty compares (a Date keeps only ms). */
  markedAtUs: number;
}

/** How a mark meets an existing one: the newer reason, and a marked_at strictly later than the stored one. */
export const DIRTY_UPSERT = `ON CONFLICT (point_id, day) DO UPDATE
   SET reason = EXCLUDED.reason,
       marked_at = GREATEST(EXCLUDED.marked_at, vee_dirty.marked_at + interval '1 microsecond')`;

function checkReason(reason: unknown, field: string): string {
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 200) {
    throw badInput(field, `'${String(reason)}' is not a reason`);
  }
  return reason;
}

/** Marks point-days dirty (one statement; repeated pairs count once, the last reason wins). Returns rows marked. */
export async function markDirty(db: VeeDb, marks: readonly DirtyMark[]): Promise<number> {
  const unique = new Map<string, DirtyMark>();
  marks.forEach((m, i) => {
    checkIds([m?.pointId], `marks[${i}].pointId`);
    checkDayArg(m.day, `marks[${i}].day`);
    checkReason(m.reason, `marks[${i}].reason`);
    unique.set(`${m.pointId}|${m.day}`, m);
  });
  if (unique.size === 0) return 0;
  // Key order: two transactions marking overlapping sets lock the rows in the same order.
  const list = [...unique.values()].sort(
    (a, b) => a.pointId - b.pointId || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0),
  );
  const rows = await veeQuery<{ n: number }>(
    db,
    `WITH m AS (
       INSERT INTO vee_dirty (point_id, day, reason, marked_at)
       SELECT p, d, r, clock_timestamp()
         FROM unnest($1::bigint[], $2::date[], $3::text[]) WITH ORDINALITY AS v(p, d, r, n)
        ORDER BY n
       ${DIRTY_UPSERT}
       RETURNING 1
     ) SELECT count(*)::int AS n FROM m`,
    [list.map((m) => m.pointId), list.map((m) => m.day), list.map((m) => m.reason)],
  );
  return rows[0]?.n ?? 0;
}

/** Marks dirty the days of meters, on the points the meters belong to. One statement for any number of meters. */
export async function markDirtyForMeters(
  db: VeeDb,
  items: readonly { meterId: number; day: string }[],
  reason: string,
): Promise<number> {
  checkReason(reason, 'reason');
  const unique = new Map<string, { meterId: number; day: string }>();
  items.forEach((x, i) => {
    checkIds([x?.meterId], `items[${i}].meterId`);
    checkDayArg(x.day, `items[${i}].day`);
    unique.set(`${x.meterId}|${x.day}`, x);
  });
  if (unique.size === 0) return 0;
  const list = [...unique.values()];
  const rows = await veeQuery<{ n: number }>(
    db,
    `WITH m AS (
       INSERT INTO vee_dirty (point_id, day, reason, marked_at)
       SELECT DISTINCT ON (mt.point_id, v.d) mt.point_id, v.d, $3, clock_timestamp()
         FROM unnest($1::bigint[], $2::date[]) AS v(m, d)
         JOIN meter mt ON mt.id = v.m
        ORDER BY mt.point_id, v.d
       ${DIRTY_UPSERT}
       RETURNING 1
     ) SELECT count(*)::int AS n FROM m`,
    [list.map((x) => x.meterId), list.map((x) => x.day), reason],
  );
  return rows[0]?.n ?? 0;
}

/** markDirtyForMeters for one meter. */
export async function markDirtyForMeterDays(
  db: VeeDb,
  meterId: number,
  days: readonly string[],
  reason = 'ingest',
): Promise<number> {
  return markDirtyForMeters(
    db,
    days.map((day) => ({ meterId, day })),
    reason,
  );
}

/** An event ingest is about to store, with the zone of its meter's point. */
export interface IngestEventMark {
  meterId: number;
  kind: string;
  dedupe: string;
  /** Epoch ms. */
  at: number;
  endedAt: number | null;
  zone: string;
  /** Alterations: detail.code is the command the meter logged. */
  detail?: Record<string, unknown>;
}

/** Kinds of meter event that change what VEE sees (V03 events, ZO outages). */
export const VEE_EVENT_KINDS: ReadonlySet<string> = new Set(['outage', 'alteration', 'clock_sync', 'occurrence']);

/**
 * The alteration commands VEE reads (src/vee/load.ts: clock 0x29/0x30/0x64, data meaning 0x33/0x38/0x73/0x93, channel
 * quantities 0x66). A daily read replays the meter's whole alteration log, mostly other commands: those are not
 * looked up at all.
 */
export const VEE_ALTERATION_CODES: ReadonlySet<number> = new Set([0x29, 0x30, 0x64, 0x33, 0x38, 0x73, 0x93, 0x66]);

function readByVee(e: IngestEventMark): boolean {
  if (!VEE_EVENT_KINDS.has(e.kind)) return false;
  return e.kind !== 'alteration' || VEE_ALTERATION_CODES.has(e.detail?.code as number);
}

/** An outage longer than this marks only its first and last days' neighbourhood (a bad log entry, not a month). */
const MAX_EVENT_DAYS = 62;

function eventDays(e: IngestEventMark): { first: string; last: string } {
  // The slot ending at `at` (an instant at midnight belongs to the previous day) through the day holding the end.
  const first = operatingDayOfIntervalEnd(e.at, e.zone);
  const endAt = e.endedAt ?? e.at;
  let last = new Date(instantToWall(endAt, e.zone)).toISOString().slice(0, 10);
  if (last < first) last = first;
  if (e.endedAt !== null && e.endedAt - e.at > MAX_EVENT_DAYS * 86_400_000) last = addDays(first, MAX_EVENT_DAYS);
  return { first, last };
}

/**
 * Ingest's dirty marks, in its transaction, BEFORE its events are inserted (one statement): the days of the day
 * blocks it changed, and the days of the events in `events` that are new or close a stored open outage (what
 * insertEvents will add or update next).
 */
export async function markIngestDirty(
  tx: Tx,
  blocks: readonly { meterId: number; day: string }[],
  events: readonly IngestEventMark[],
): Promise<number> {
  const relevant = events.filter(readByVee);
  if (blocks.length === 0 && relevant.length === 0) return 0;
  const spans = relevant.map(eventDays);
  const rows = await veeQuery<{ n: number }>(
    tx,
    `WITH d AS (
       SELECT b.m, b.d FROM unnest($1::bigint[], $2::date[]) AS b(m, d)
       UNION
       SELECT e.m, g.d::date
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bool[], $7::date[], $8::date[])
              AS e(m, k, dd, closes, first_day, last_day)
        CROSS JOIN LATERAL generate_series(e.first_day::timestamp, e.last_day::timestamp, interval '1 day') AS g(d)
        WHERE NOT EXISTS (
                SELECT 1 FROM meter_event x
                 WHERE x.meter_id = e.m AND x.kind = e.k AND x.dedupe = e.dd
                   AND NOT (e.closes AND x.kind = 'outage' AND x.ended_at IS NULL))
     ), m AS (
       INSERT INTO vee_dirty (point_id, day, reason, marked_at)
       SELECT DISTINCT ON (mt.point_id, d.d) mt.point_id, d.d, 'ingest', clock_timestamp()
         FROM d JOIN meter mt ON mt.id = d.m
        ORDER BY mt.point_id, d.d
       ${DIRTY_UPSERT}
       RETURNING 1
     ) SELECT count(*)::int AS n FROM m`,
    [
      blocks.map((b) => b.meterId),
      blocks.map((b) => b.day),
      relevant.map((e) => e.meterId),
      relevant.map((e) => e.kind),
      relevant.map((e) => e.dedupe),
      relevant.map((e) => e.endedAt !== null),
      spans.map((s) => s.first),
      spans.map((s) => s.last),
    ],
  );
  return rows[0]?.n ?? 0;
}

interface DirtySqlRow {
  point_id: number;
  day: string;
  reason: string;
  marked_at: Date;
  us: number;
}

/**
 * Claims up to `limit` dirty point-days, oldest day first, skipping rows another run holds. Call inside the
 * transaction that will write the results and clearDirty them. `markedBefore` leaves marks newer than it for a
 * later run (let a burst of ingests settle); `beforeDay` leaves the days from it on (days not over yet).
 */
export async function claimDirty(
  db: VeeDb,
  limit: number,
  opts: { markedBefore?: Date; beforeDay?: string } = {},
): Promise<DirtyRow[]> {
  if (!Number.isInteger(limit) || limit < 1) throw badInput('limit', `${limit} is not a positive count`);
  if (opts.beforeDay !== undefined) checkDayArg(opts.beforeDay, 'beforeDay');
  const rows = await veeQuery<DirtySqlRow>(
    db,
    `SELECT point_id, to_char(day, 'YYYY-MM-DD') AS day, reason, marked_at,
            (extract(epoch FROM marked_at) * 1000000)::bigint AS us
       FROM vee_dirty
      WHERE ($2::timestamptz IS NULL OR marked_at < $2::timestamptz)
        AND ($3::date IS NULL OR day < $3::date)
      ORDER BY day, point_id
      LIMIT $1
        FOR UPDATE SKIP LOCKED`,
    [limit, opts.markedBefore ?? null, opts.beforeDay ?? null],
  );
  return rows.map((r) => ({
    pointId: Number(r.point_id),
    day: r.day,
    reason: r.reason,
    markedAt: r.marked_at,
    markedAtUs: Number(r.us),
  }));
}

/** Deletes claimed rows that were not marked again since the claim; returns how many were deleted. */
export async function clearDirty(db: VeeDb, rows: readonly DirtyRow[]): Promise<number> {
  rows.forEach((r, i) => {
    checkIds([r?.pointId], `rows[${i}].pointId`);
    checkDayArg(r.day, `rows[${i}].day`);
    if (!Number.isSafeInteger(r.markedAtUs)) throw badInput(`rows[${i}].markedAtUs`, 'is not a claim token');
  });
  if (rows.length === 0) return 0;
  const res = await veeQuery<{ n: number }>(
    db,
    `WITH x AS (
       DELETE FROM vee_dirty v USING unnest($1::bigint[], $2::date[], $3::bigint[]) AS k(p, d, us)
        WHERE v.point_id = k.p AND v.day = k.d AND (extract(epoch FROM v.marked_at) * 1000000)::bigint <= k.us
       RETURNING 1
     ) SELECT count(*)::int AS n FROM x`,
    [rows.map((r) => r.pointId), rows.map((r) => r.day), rows.map((r) => r.markedAtUs)],
  );
  return res[0]?.n ?? 0;
}

/** Dirty point-days waiting, with the oldest day among them. */
export async function countDirty(db: VeeDb): Promise<{ count: number; oldestDay: string | null }> {
  const [r] = await veeQuery<{ n: number; oldest: string | null }>(
    db,
    `SELECT count(*)::int AS n, to_char(min(day), 'YYYY-MM-DD') AS oldest FROM vee_dirty`,
  );
  return { count: r?.n ?? 0, oldestDay: r?.oldest ?? null };
}
