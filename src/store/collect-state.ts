/**
 * meter_collect_state: what the last sessions said about each meter that the planner needs later (clock drift,
 * demand resets) and what a status view shows (last good session, failures in a row). Written in bulk after each
 * batch of sessions.
 */
import { sql } from 'kysely';
import type { Db } from './registry.ts';

export interface MeterStateRow {
  meterId: number;
  lastReset: Date | null;
  penultimateReset: Date | null;
  driftS: number | null;
  driftAt: Date | null;
  lastAttemptAt: Date | null;
  lastOkAt: Date | null;
  failures: number;
  lastError: string | null;
}

export interface SessionNote {
  meterId: number;
  /** When the session ended. */
  at: Date;
  ok: boolean;
  error: string | null;
  /** Null: not learned in this session (keeps the stored value). */
  driftS: number | null;
  lastReset: Date | null;
  penultimateReset: Date | null;
}

export async function meterStates(db: Db, meterIds: number[]): Promise<Map<number, MeterStateRow>> {
  const out = new Map<number, MeterStateRow>();
  if (meterIds.length === 0) return out;
  const rows = await db.selectFrom('meter_collect_state').selectAll().where('meter_id', 'in', meterIds).execute();
  for (const r of rows) {
    out.set(r.meter_id, {
      meterId: r.meter_id,
      lastReset: r.last_reset,
      penultimateReset: r.penultimate_reset,
      driftS: r.drift_s,
      driftAt: r.drift_at,
      lastAttemptAt: r.last_attempt_at,
      lastOkAt: r.last_ok_at,
      failures: r.failures,
      lastError: r.last_error,
    });
  }
  return out;
}

/** Folds session results into the state rows; for a meter seen twice, the later note wins. */
export async function noteSessions(db: Db, notes: SessionNote[]): Promise<void> {
  if (notes.length === 0) return;
  const latest = new Map<number, SessionNote>();
  for (const n of [...notes].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const had = latest.get(n.meterId);
    latest.set(n.meterId, {
      ...n,
      driftS: n.driftS ?? had?.driftS ?? null,
      lastReset: n.lastReset ?? had?.lastReset ?? null,
      penultimateReset: n.penultimateReset ?? had?.penultimateReset ?? null,
      ok: n.ok,
    });
  }
  const l = [...latest.values()];
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  await sql`
    INSERT INTO meter_collect_state AS s (meter_id, last_reset, penultimate_reset, drift_s, drift_at, last_attempt_at,
                                         last_ok_at, failures, last_error, updated_at)
    SELECT v.meter_id, v.last_reset, v.penultimate_reset, v.drift_s,
           CASE WHEN v.drift_s IS NULL THEN NULL ELSE v.at END, v.at,
           CASE WHEN v.ok THEN v.at END, CASE WHEN v.ok THEN 0 ELSE 1 END, v.error, now()
    FROM unnest(
      ${l.map((n) => n.meterId)}::bigint[], ${l.map((n) => n.at.toISOString())}::timestamptz[],
      ${l.map((n) => n.ok)}::bool[], ${l.map((n) => n.error)}::text[], ${l.map((n) => n.driftS)}::int[],
      ${l.map((n) => iso(n.lastReset))}::timestamptz[], ${l.map((n) => iso(n.penultimateReset))}::timestamptz[]
    ) AS v(meter_id, at, ok, error, drift_s, last_reset, penultimate_reset)
    ON CONFLICT (meter_id) DO UPDATE SET
      last_reset = COALESCE(EXCLUDED.last_reset, s.last_reset),
      penultimate_reset = COALESCE(EXCLUDED.penultimate_reset, s.penultimate_reset),
      drift_s = COALESCE(EXCLUDED.drift_s, s.drift_s),
      drift_at = COALESCE(EXCLUDED.drift_at, s.drift_at),
      last_attempt_at = EXCLUDED.last_attempt_at,
      last_ok_at = COALESCE(EXCLUDED.last_ok_at, s.last_ok_at),
      failures = CASE WHEN EXCLUDED.failures = 0 THEN 0 ELSE s.failures + 1 END,
      last_error = EXCLUDED.last_error,
      updated_at = now()`.execute(db);
}

/** Meters with at least one stored day block (the others have never been read: no last good interval to find). */
export async function metersWithData(db: Db, meterIds: number[]): Promise<Set<number>> {
  if (meterIds.length === 0) return new Set();
  const r = await sql<{ meter_id: number }>`
    SELECT m AS meter_id FROM unnest(${meterIds}::bigint[]) AS m
    WHERE EXISTS (SELECT 1 FROM interval_raw r WHERE r.meter_id = m)`.execute(db);
  return new Set(r.rows.map((x) => Number(x.meter_id)));
}
