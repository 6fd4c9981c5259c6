/**
 * Register and instantaneous-value snapshots (meter_snapshot). Register totals are kept raw and, as energy, under the
 * reading's constant ([I]: the register counts the same pulses as the mass memory — true for the simulator,
 * unconfirmed for real meters, spec §7.2), so validation can compare a register advance with the sum of intervals.
 */
import { sql } from 'kysely';
import type { Db } from './registry.ts';

export type SnapshotKind = 'registers_current' | 'registers_previous' | 'instant';

export interface RegisterSnapshotChannel {
  channel: number;
  quantityCode: number;
  totalRaw: number | null;
  /** totalRaw × numerator/denominator × ratio factor, in the channel's unit; null when the raw total is. */
  energy: number | null;
}

export interface NewSnapshot {
  meterId: number;
  sessionId: number | null;
  kind: SnapshotKind;
  group: number;
  at: Date;
  data: Record<string, unknown>;
}

export interface SnapshotRow {
  meterId: number;
  kind: SnapshotKind;
  group: number;
  at: Date;
  sessionId: number | null;
  data: Record<string, unknown>;
}

/** Inserts snapshots, ignoring ones already stored; returns how many were new. */
export async function insertSnapshots(db: Db, rows: readonly NewSnapshot[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await db
    .insertInto('meter_snapshot')
    .values(
      rows.map((r) => ({
        meter_id: r.meterId,
        session_id: r.sessionId,
        kind: r.kind,
        channel_group: r.group,
        at: r.at,
        data: JSON.stringify(r.data),
      })),
    )
    .onConflict((oc) => oc.columns(['meter_id', 'kind', 'channel_group', 'at']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0);
}

/** Snapshots of the given meters and kind in [from, to], oldest first. */
export async function listSnapshots(
  db: Db,
  q: { meterIds: number[]; kind: SnapshotKind; from: Date; to: Date },
): Promise<SnapshotRow[]> {
  if (q.meterIds.length === 0) return [];
  const rows = await db
    .selectFrom('meter_snapshot')
    .select(['meter_id', 'kind', 'channel_group', 'at', 'session_id', 'data'])
    .where('meter_id', 'in', q.meterIds)
    .where('kind', '=', q.kind)
    .where('at', '>=', q.from)
    .where('at', '<=', q.to)
    .orderBy('at')
    .execute();
  return rows.map((r) => ({
    meterId: r.meter_id,
    kind: r.kind,
    group: r.channel_group,
    at: new Date(r.at),
    sessionId: r.session_id,
    data: r.data as Record<string, unknown>,
  }));
}

/** The newest snapshot of each meter at or before `at`. */
export async function latestSnapshots(
  db: Db,
  q: { meterIds: number[]; kind: SnapshotKind; at: Date },
): Promise<SnapshotRow[]> {
  if (q.meterIds.length === 0) return [];
  const rows = await sql<{
    meter_id: number;
    kind: SnapshotKind;
    channel_group: number;
    at: Date;
    session_id: number | null;
    data: Record<string, unknown>;
  }>`SELECT DISTINCT ON (meter_id, channel_group) meter_id, kind, channel_group, at, session_id, data
       FROM meter_snapshot
      WHERE meter_id = ANY(${q.meterIds}) AND kind = ${q.kind} AND at <= ${q.at}
      ORDER BY meter_id, channel_group, at DESC`.execute(db);
  return rows.rows.map((r) => ({
    meterId: r.meter_id,
    kind: r.kind,
    group: r.channel_group,
    at: new Date(r.at),
    sessionId: r.session_id,
    data: r.data,
  }));
}
