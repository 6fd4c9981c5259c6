/**
 * SQL of read_session and read_session_frames: one row per reading session (status, steps, bytes, errors, clock
 * drift) and one packed blob of its raw frames (store/frames.ts). Rows are written in bulk by ingest with ids
 * allocated up front, so a whole batch of sessions is one COPY.
 */
import type { Selectable } from 'kysely';
import { CopyText, copyCell, copyInto, hexOf, type Tx, toJson } from './bulk.ts';
import { decodeFrames, encodeFrames, type RawFrame } from './frames.ts';
import type { Db } from './registry.ts';
import type { ReadSessionTable, SessionPurpose } from './schema.ts';

export type SessionRow = Selectable<ReadSessionTable>;

export interface SessionRecord {
  id: number;
  meterId: number;
  channelId: number | null;
  purpose: SessionPurpose;
  sequence: string;
  status: 'running' | 'ok' | 'failed';
  /** Epoch ms. */
  startedAt: number;
  endedAt: number | null;
  /** Step records without frames (JSON; byte arrays become hex). */
  steps: unknown[];
  bytesIn: number;
  bytesOut: number;
  failureStep: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  meterSerial: string | null;
  driftS: number | null;
  intervals: number;
  jobId: string | null;
  warnings: string[];
}

const SESSION_COLUMNS = [
  'id',
  'meter_id',
  'channel_id',
  'purpose',
  'sequence',
  'status',
  'started_at',
  'ended_at',
  'steps',
  'bytes_in',
  'bytes_out',
  'failure_step',
  'error_code',
  'error_message',
  'meter_serial',
  'drift_s',
  'intervals',
  'job_id',
  'warnings',
] as const;

/** Ids for `n` new sessions, from read_session's identity sequence (COPY then writes them explicitly). */
export async function allocateSessionIds(tx: Tx, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const r = await tx.client.query<{ id: number }>(
    `SELECT nextval(pg_get_serial_sequence('read_session', 'id')) AS id FROM generate_series(1, $1::int)`,
    [n],
  );
  return r.rows.map((x) => Number(x.id));
}

function iso(ms: number | null): string {
  return ms === null ? '\\N' : new Date(ms).toISOString();
}

/** Inserts sessions whose ids came from allocateSessionIds. */
export async function copySessions(tx: Tx, records: readonly SessionRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const text = new CopyText();
  for (const s of records) {
    text.line(
      [
        String(s.id),
        String(s.meterId),
        copyCell(s.channelId),
        copyCell(s.purpose),
        copyCell(s.sequence),
        copyCell(s.status),
        iso(s.startedAt),
        iso(s.endedAt),
        copyCell(toJson(s.steps)),
        String(Math.trunc(s.bytesIn)),
        String(Math.trunc(s.bytesOut)),
        copyCell(s.failureStep),
        copyCell(s.errorCode),
        copyCell(s.errorMessage),
        copyCell(s.meterSerial),
        copyCell(s.driftS === null ? null : Math.round(s.driftS)),
        String(s.intervals),
        copyCell(s.jobId),
        copyCell(s.warnings),
      ].join('\t'),
    );
  }
  return copyInto(tx, 'read_session', SESSION_COLUMNS, text);
}

/** One packed blob per session. */
export async function copySessionFrames(
  tx: Tx,
  rows: readonly { sessionId: number; frames: readonly RawFrame[] }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const text = new CopyText();
  for (const r of rows) {
    text.line(`${r.sessionId}\t${r.frames.length}\t\\\\x${hexOf(encodeFrames(r.frames))}`);
  }
  return copyInto(tx, 'read_session_frames', ['session_id', 'frame_count', 'frames'], text);
}

export interface SessionKey {
  meterId: number;
  /** Epoch ms. */
  startedAt: number;
  sequence: string;
}

/** Sessions already stored for these (meter, start, sequence) keys: a reading ingested twice is recognised. */
export async function findSessions(
  tx: Tx,
  keys: readonly SessionKey[],
): Promise<{ id: number; meterId: number; startedAt: number; sequence: string; status: string; intervals: number }[]> {
  if (keys.length === 0) return [];
  const r = await tx.client.query<{
    id: number;
    meter_id: number;
    started_at: Date;
    sequence: string;
    status: string;
    intervals: number;
  }>(
    `SELECT s.id, s.meter_id, s.started_at, s.sequence, s.status, s.intervals
       FROM read_session s
       JOIN unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS k(m, t, q)
         ON s.meter_id = k.m AND s.started_at = k.t AND s.sequence = k.q`,
    [keys.map((k) => k.meterId), keys.map((k) => new Date(k.startedAt).toISOString()), keys.map((k) => k.sequence)],
  );
  return r.rows.map((x) => ({
    id: Number(x.id),
    meterId: Number(x.meter_id),
    startedAt: x.started_at.getTime(),
    sequence: x.sequence,
    status: x.status,
    intervals: x.intervals,
  }));
}

export async function readSession(db: Db, id: number): Promise<SessionRow | undefined> {
  return db.selectFrom('read_session').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The raw frames of a session, decoded from its blob (empty when it stored none). */
export async function readSessionFrames(db: Db, sessionId: number): Promise<RawFrame[]> {
  const row = await db
    .selectFrom('read_session_frames')
    .select(['frames'])
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row ? decodeFrames(row.frames) : [];
}

/** Sessions of a meter, newest first. */
export async function listSessions(
  db: Db,
  q: { meterId: number; limit?: number; before?: Date },
): Promise<SessionRow[]> {
  let query = db
    .selectFrom('read_session')
    .selectAll()
    .where('meter_id', '=', q.meterId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit ?? 50);
  if (q.before) query = query.where('started_at', '<', q.before);
  return query.execute();
}
