/**
 * Where a point's data begin: VEE does not estimate days before the first day any of its meters delivered data
 * (a point registered today has no "missing" history to fill).
 */
import { checkIds, type VeeDb, veeQuery } from './vee-final.ts';

/** First operating day with a raw row, per point (points with no raw data are absent). */
export async function firstRawDays(db: VeeDb, pointIds: readonly number[]): Promise<Map<number, string>> {
  checkIds(pointIds, 'pointIds');
  if (pointIds.length === 0) return new Map();
  const rows = await veeQuery<{ point_id: string | number; day: string }>(
    db,
    `SELECT m.point_id, to_char(min(f.day), 'YYYY-MM-DD') AS day
       FROM meter m
       CROSS JOIN LATERAL (SELECT r.day FROM interval_raw r WHERE r.meter_id = m.id ORDER BY r.day LIMIT 1) f
      WHERE m.point_id = ANY($1::bigint[])
      GROUP BY m.point_id`,
    [pointIds],
  );
  return new Map(rows.map((r) => [Number(r.point_id), r.day]));
}
