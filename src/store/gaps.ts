/**
 * Gap rows: a run of intervals a meter did not deliver, with its state (pending → retrying → recovered, or lost once
 * older than the meter's memory) and its history. The decisions are in collect/gaps.ts; this module reads and writes
 * rows, many at a time.
 */
import { type Selectable, sql } from 'kysely';
import type { Db } from './registry.ts';
import type { GapState, GapTable } from './schema.ts';

export type GapRow = Selectable<GapTable>;

export interface GapHistoryEntry {
  at: string;
  /** found, grown, shrunk, merged, scheduled, reread, recovered, lost. */
  action: string;
  sessionId: number | null;
  result: string | null;
}

export interface GapInsert {
  meterId: number;
  firstEnd: Date;
  lastEnd: Date;
  intervals: number;
  state: GapState;
  attempts?: number;
  closedAt?: Date | null;
  history: GapHistoryEntry[];
}

export interface GapUpdate {
  id: number;
  firstEnd: Date;
  lastEnd: Date;
  intervals: number;
  state: GapState;
  attempts: number;
  closedAt: Date | null;
  /** Appended to the row's history. */
  history: GapHistoryEntry[];
}

export interface GapChanges {
  inserts: GapInsert[];
  updates: GapUpdate[];
  /** Gaps absorbed into another by a merge (their history was copied to it). */
  deletes: number[];
}

export const OPEN_STATES: readonly GapState[] = ['pending', 'retrying'];

export async function openGaps(db: Db, meterIds: number[]): Promise<GapRow[]> {
  if (meterIds.length === 0) return [];
  return db
    .selectFrom('gap')
    .selectAll()
    .where('meter_id', 'in', meterIds)
    .where('state', 'in', [...OPEN_STATES])
    .orderBy('meter_id')
    .orderBy('first_end')
    .execute();
}

export async function gapsByIds(db: Db, ids: number[]): Promise<GapRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('gap').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

export async function applyGapChanges(db: Db, c: GapChanges): Promise<void> {
  if (c.deletes.length > 0) await db.deleteFrom('gap').where('id', 'in', c.deletes).execute();
  if (c.inserts.length > 0) {
    await db
      .insertInto('gap')
      .values(
        c.inserts.map((g) => ({
          meter_id: g.meterId,
          first_end: g.firstEnd,
          last_end: g.lastEnd,
          intervals: g.intervals,
          state: g.state,
          attempts: g.attempts ?? 0,
          closed_at: g.closedAt ?? null,
          history: JSON.stringify(g.history),
        })),
      )
      .execute();
  }
  if (c.updates.length > 0) {
    const u = c.updates;
    await sql`
      UPDATE gap SET
        first_end = v.first_end, last_end = v.last_end, intervals = v.intervals, state = v.state,
        attempts = v.attempts, closed_at = v.closed_at,
        next_attempt_at = CASE WHEN v.state IN ('pending', 'retrying') THEN gap.next_attempt_at END,
        history = gap.history || v.history
      FROM unnest(
        ${u.map((x) => x.id)}::bigint[], ${u.map((x) => x.firstEnd.toISOString())}::timestamptz[],
        ${u.map((x) => x.lastEnd.toISOString())}::timestamptz[], ${u.map((x) => x.intervals)}::int[],
        ${u.map((x) => x.state)}::text[], ${u.map((x) => x.attempts)}::int[],
        ${u.map((x) => x.closedAt?.toISOString() ?? null)}::timestamptz[],
        ${u.map((x) => JSON.stringify(x.history))}::jsonb[]
      ) AS v(id, first_end, last_end, intervals, state, attempts, closed_at, history)
      WHERE gap.id = v.id`.execute(db);
  }
}

/** Open gaps whose next attempt is due, oldest first. */
export async function dueGaps(db: Db, now: Date, limit: number): Promise<GapRow[]> {
  return db
    .selectFrom('gap')
    .selectAll()
    .where('state', 'in', [...OPEN_STATES])
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .orderBy('first_end')
    .limit(limit)
    .execute();
}

/** A re-read was queued: hold the gaps until `holdUntil` so the next scan does not queue them again. */
export async function markGapsScheduled(
  db: Db,
  ids: number[],
  at: Date,
  holdUntil: Date,
  jobId: string | null,
): Promise<void> {
  if (ids.length === 0) return;
  const entry: GapHistoryEntry = { at: at.toISOString(), action: 'scheduled', sessionId: null, result: jobId };
  await db
    .updateTable('gap')
    .set({ next_attempt_at: holdUntil, history: sql`history || ${JSON.stringify([entry])}::jsonb` })
    .where('id', 'in', ids)
    .where('state', 'in', [...OPEN_STATES])
    .execute();
}

export interface GapAttempt {
  gapId: number;
  at: Date;
  sessionId: number | null;
  ok: boolean;
  /** 'ok', or the failure code and message. */
  result: string;
}

/**
 * One re-read attempt per gap: attempts + 1, state retrying (the reconciliation that follows decides recovered), and
 * the next attempt after baseMs · 2^(attempts before), at most maxMs.
 */
export async function recordGapAttempts(db: Db, attempts: GapAttempt[], baseMs: number, maxMs: number): Promise<void> {
  if (attempts.length === 0) return;
  const entries = attempts.map((a) =>
    JSON.stringify([
      {
        at: a.at.toISOString(),
        action: 'reread',
        sessionId: a.sessionId,
        result: a.result,
      } satisfies GapHistoryEntry,
    ]),
  );
  await sql`
    UPDATE gap SET
      attempts = gap.attempts + 1, state = 'retrying', last_attempt_at = v.at,
      next_attempt_at = v.at + make_interval(secs => LEAST(${maxMs}::float8,
                                                           ${baseMs}::float8 * 2 ^ LEAST(gap.attempts, 30)) / 1000),
      last_error = CASE WHEN v.ok THEN NULL ELSE v.result END,
      history = gap.history || v.entry
    FROM unnest(
      ${attempts.map((a) => a.gapId)}::bigint[], ${attempts.map((a) => a.at.toISOString())}::timestamptz[],
      ${attempts.map((a) => a.ok)}::bool[], ${attempts.map((a) => a.result)}::text[], ${entries}::jsonb[]
    ) AS v(id, at, ok, result, entry)
    WHERE gap.id = v.id AND gap.state IN ('pending', 'retrying')`.execute(db);
}

export interface GapQuery {
  states?: GapState[];
  meterIds?: number[];
  limit: number;
}

export async function listGaps(db: Db, q: GapQuery): Promise<GapRow[]> {
  let query = db.selectFrom('gap').selectAll();
  if (q.states && q.states.length > 0) query = query.where('state', 'in', q.states);
  if (q.meterIds && q.meterIds.length > 0) query = query.where('meter_id', 'in', q.meterIds);
  return query.orderBy('first_end', 'desc').orderBy('id').limit(q.limit).execute();
}

export async function gapCounts(db: Db): Promise<Record<GapState, { gaps: number; intervals: number }>> {
  const rows = await db
    .selectFrom('gap')
    .select((eb) => ['state', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('intervals').as('intervals')])
    .groupBy('state')
    .execute();
  const out: Record<GapState, { gaps: number; intervals: number }> = {
    pending: { gaps: 0, intervals: 0 },
    retrying: { gaps: 0, intervals: 0 },
    recovered: { gaps: 0, intervals: 0 },
    lost: { gaps: 0, intervals: 0 },
  };
  for (const r of rows) out[r.state] = { gaps: Number(r.n), intervals: Number(r.intervals ?? 0) };
  return out;
}
