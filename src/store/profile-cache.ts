/**
 * SQL of the month-profile cache (migration 010, src/profiles/month-cache.ts). The fingerprint is always computed by
 * the database functions of that migration, in the same statement that looks the body up, so a body is never
 * served for rows it was not built from.
 */
import type pg from 'pg';
import type { Db, PointRow } from './registry.ts';
import { type VeeDb, veeQuery } from './vee-final.ts';

export type ProfileLayer = 'raw' | 'final';

const FINGERPRINT_FN: Record<ProfileLayer, string> = {
  raw: 'profile_fingerprint_raw',
  final: 'profile_fingerprint_final',
};

export interface CachedProfile {
  /** The point row (undefined: no point by that id or code). */
  point: PointRow | undefined;
  /** The current fingerprint ('<format>:<md5>'), whether or not a body matched it. */
  fingerprint: string;
  /**
   * The stored gzip body when it was built from exactly the current rows and the caller does not already hold that
   * version (`known`); null otherwise.
   */
  body: Buffer | null;
  /** The current fingerprint is the `known` one the caller passed. */
  known: boolean;
}

/**
 * A point (by id or code), the current fingerprint of its month and, when the stored body matches it, that body:
 * one statement, as this is the whole database work of a cached read. Read the fingerprint BEFORE the data a new
 * body is built from: a change in between then leaves a body under an older fingerprint, which the next read finds
 * stale, never the reverse.
 */
export async function cachedProfile(
  pool: pg.Pool,
  point: { id: number } | { code: string },
  layer: ProfileLayer,
  month: string,
  to: string,
  format: string,
  known?: string,
): Promise<CachedProfile> {
  const byId = 'id' in point;
  // A named statement, prepared once per connection: planning this join took as long as running it, and it runs
  // for every month read.
  const { rows } = await pool.query<
    PointRow & { profile_fingerprint: string; profile_body: string | null; profile_known: boolean | null }
  >({
    name: `fronteira_profile_${layer}_${byId ? 'id' : 'code'}`,
    text: `SELECT p.*, x.f AS profile_fingerprint, x.f = $6 AS profile_known,
                  encode(CASE WHEN x.f = $6 THEN NULL ELSE c.body END, 'base64') AS profile_body
             FROM metering_point p
            CROSS JOIN LATERAL (SELECT $4 || ':' || ${FINGERPRINT_FN[layer]}(p.id, $3::date, $5::date) AS f) x
             LEFT JOIN profile_month c
               ON c.point_id = p.id AND c.layer = $2 AND c.month = $3::date AND c.fingerprint = x.f
            WHERE ${byId ? 'p.id = $1::bigint' : 'p.code = $1'}`,
    values: [byId ? point.id : point.code, layer, month, format, to, known ?? null],
  });
  const r = rows[0];
  if (!r) return { point: undefined, fingerprint: '', body: null, known: false };
  const { profile_fingerprint: fingerprint, profile_body: body, profile_known: isKnown, ...row } = r;
  return {
    point: row as PointRow,
    fingerprint,
    body: body === null ? null : Buffer.from(body, 'base64'),
    known: isKnown === true,
  };
}

/** Stores (or replaces) a month's body. */
export async function storeProfile(
  db: VeeDb,
  p: { pointId: number; layer: ProfileLayer; month: string; fingerprint: string; body: Buffer; jsonBytes: number },
): Promise<void> {
  await veeQuery(
    db,
    `INSERT INTO profile_month (point_id, layer, month, fingerprint, body, json_bytes)
     VALUES ($1, $2, $3::date, $4, $5, $6)
     ON CONFLICT (point_id, layer, month) DO UPDATE
        SET fingerprint = EXCLUDED.fingerprint, body = EXCLUDED.body, json_bytes = EXCLUDED.json_bytes,
            built_at = now()`,
    [p.pointId, p.layer, p.month, p.fingerprint, p.body, p.jsonBytes],
  );
}

export interface StaleProfile {
  pointId: number;
  /** The fingerprint to store the rebuilt body under (read before the rebuild reads the data). */
  fingerprint: string;
}

/**
 * Points with data in the month whose stored body is missing, stale or of another encoder format, in id order:
 * one statement for every point, so that a sweep that finds nothing to do costs one scan of the month's row
 * headers (the value arrays are not read).
 */
export async function staleProfiles(
  db: VeeDb,
  layer: ProfileLayer,
  month: string,
  to: string,
  format: string,
): Promise<StaleProfile[]> {
  const hasData =
    layer === 'raw'
      ? `EXISTS (SELECT 1 FROM interval_raw r
                  WHERE r.meter_id = ANY (ARRAY(SELECT m.id FROM meter m WHERE m.point_id = p.id))
                    AND r.day BETWEEN $2::date AND $4::date)`
      : `EXISTS (SELECT 1 FROM vee_final f
                  WHERE f.point_id = p.id AND f.superseded_at IS NULL AND f.day BETWEEN $2::date AND $4::date)`;
  const rows = await veeQuery<{ point_id: string; fingerprint: string }>(
    db,
    `SELECT x.point_id, x.fingerprint
       FROM (SELECT p.id AS point_id, $3 || ':' || ${FINGERPRINT_FN[layer]}(p.id, $2::date, $4::date) AS fingerprint
               FROM metering_point p
              WHERE ${hasData}) x
       LEFT JOIN profile_month c ON c.point_id = x.point_id AND c.layer = $1 AND c.month = $2::date
      WHERE c.fingerprint IS DISTINCT FROM x.fingerprint
      ORDER BY x.point_id`,
    [layer, month, format, to],
  );
  return rows.map((r) => ({ pointId: Number(r.point_id), fingerprint: r.fingerprint }));
}

/** Removes stored months older than `before` (first day of a month); returns how many. */
export async function pruneProfiles(db: Db, before: string): Promise<number> {
  const rows = await veeQuery<{ n: string }>(
    db,
    'WITH d AS (DELETE FROM profile_month WHERE month < $1::date RETURNING 1) SELECT count(*) AS n FROM d',
    [before],
  );
  return Number(rows[0].n);
}
