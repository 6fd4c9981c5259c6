/**
 * SQL of vee_dirty for whole scopes: a parameter version or a calendar edit makes every point-day it governs dirty
 * (from a day on, for all points, the points of a tag, or one point), and a range run clears what it has just
 * recomputed. Row-at-a-time marking lives in vee-dirty.ts.
 */
import type { ParamScope } from '../vee/params.ts';
import { DIRTY_UPSERT } from './vee-dirty.ts';
import { checkDayArg, checkIds, type VeeDb, veeQuery } from './vee-final.ts';

/**
 * Marks dirty every point-day from `from` on that has raw data, for the points of a parameter scope. Returns the
 * point-days marked.
 */
export async function markDirtyForScope(db: VeeDb, scope: ParamScope, from: string, reason: string): Promise<number> {
  checkDayArg(from, 'from');
  const kind = scope === 'global' ? 'global' : scope.startsWith('group:') ? 'group' : 'point';
  const name = kind === 'global' ? null : scope.slice(scope.indexOf(':') + 1);
  const rows = await veeQuery<{ n: number }>(
    db,
    `WITH m AS (
       INSERT INTO vee_dirty (point_id, day, reason, marked_at)
       -- DISTINCT before clock_timestamp(): a volatile column would make every row distinct, and one statement
       -- may not upsert the same key twice.
       SELECT k.point_id, k.day, $4, clock_timestamp()
         FROM (SELECT DISTINCT mt.point_id, r.day
                 FROM interval_raw r
                 JOIN meter mt ON mt.id = r.meter_id
                 JOIN metering_point p ON p.id = mt.point_id
                WHERE r.day >= $1::date
                  AND ($2 = 'global' OR ($2 = 'group' AND $3 = ANY (p.tags)) OR ($2 = 'point' AND p.code = $3))
                ORDER BY 1, 2) k
       ${DIRTY_UPSERT}
       RETURNING 1
     ) SELECT count(*)::int AS n FROM m`,
    [from, kind, name, reason],
  );
  return rows[0]?.n ?? 0;
}

/** Deletes the dirty marks of these point-days that are not newer than `before` (a run that started at `before`). */
export async function clearDirtyFor(
  db: VeeDb,
  pairs: readonly { pointId: number; day: string }[],
  before: Date,
): Promise<number> {
  if (pairs.length === 0) return 0;
  checkIds(
    pairs.map((p) => p.pointId),
    'pointId',
  );
  for (const p of pairs) checkDayArg(p.day, 'day');
  const rows = await veeQuery<{ n: number }>(
    db,
    `WITH x AS (
       DELETE FROM vee_dirty v USING unnest($1::bigint[], $2::date[]) AS k(p, d)
        WHERE v.point_id = k.p AND v.day = k.d AND v.marked_at <= $3::timestamptz
       RETURNING 1
     ) SELECT count(*)::int AS n FROM x`,
    [pairs.map((p) => p.pointId), pairs.map((p) => p.day), before],
  );
  return rows[0]?.n ?? 0;
}
