/**
 * SQL of meter_event: what meters report (outages, alterations, occurrences, demand resets), what reading them
 * revealed (clock drift, conflicts, serial or registration mismatches) and what was done to them (clock syncs,
 * parametrizations). Each event carries the natural key of what it records (`dedupe`), so re-reading the same log
 * adds nothing: UNIQUE (meter_id, kind, dedupe).
 */
import type { Selectable } from 'kysely';
import { type Tx, toJson } from './bulk.ts';
import type { Db } from './registry.ts';
import type { MeterEventKind, MeterEventTable } from './schema.ts';

export type EventRow = Selectable<MeterEventTable>;

export interface NewEvent {
  meterId: number;
  kind: MeterEventKind;
  /** Epoch ms. */
  at: number;
  endedAt: number | null;
  detail: Record<string, unknown>;
  sessionId: number | null;
  dedupe: string;
}

function eventKey(e: Pick<NewEvent, 'meterId' | 'kind' | 'dedupe'>): string {
  return `${e.meterId}|${e.kind}|${e.dedupe}`;
}

/**
 * Inserts events, skipping those already stored (same meter, kind and dedupe key). An outage stored while still
 * open gets its end when a later read reports it. Returns the events that are new (in input order); duplicates
 * inside `events` count once, the one with an end preferred.
 */
export async function insertEvents(tx: Tx, events: readonly NewEvent[]): Promise<NewEvent[]> {
  if (events.length === 0) return [];
  const unique = new Map<string, NewEvent>();
  for (const e of events) {
    const k = eventKey(e);
    const had = unique.get(k);
    if (!had || (had.endedAt === null && e.endedAt !== null)) unique.set(k, e);
  }
  const list = [...unique.values()];
  const r = await tx.client.query<{ meter_id: number; kind: MeterEventKind; dedupe: string; inserted: boolean }>(
    `INSERT INTO meter_event (meter_id, kind, at, ended_at, detail, session_id, dedupe)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::jsonb[], $6::bigint[],
                          $7::text[])
     ON CONFLICT (meter_id, kind, dedupe) DO UPDATE
        SET ended_at = EXCLUDED.ended_at, detail = EXCLUDED.detail
      WHERE meter_event.kind = 'outage' AND meter_event.ended_at IS NULL AND EXCLUDED.ended_at IS NOT NULL
     RETURNING meter_id, kind, dedupe, (xmax = 0) AS inserted`,
    [
      list.map((e) => e.meterId),
      list.map((e) => e.kind),
      list.map((e) => new Date(e.at).toISOString()),
      list.map((e) => (e.endedAt === null ? null : new Date(e.endedAt).toISOString())),
      list.map((e) => toJson(e.detail)),
      list.map((e) => e.sessionId),
      list.map((e) => e.dedupe),
    ],
  );
  const inserted = new Set<string>();
  for (const row of r.rows) {
    if (row.inserted) inserted.add(eventKey({ meterId: Number(row.meter_id), kind: row.kind, dedupe: row.dedupe }));
  }
  return list.filter((e) => inserted.has(eventKey(e)));
}

/** Events, newest first. */
export async function listEvents(
  db: Db,
  q: { meterId?: number; kinds?: MeterEventKind[]; from?: Date; to?: Date; sessionId?: number; limit?: number } = {},
): Promise<EventRow[]> {
  let query = db.selectFrom('meter_event').selectAll().orderBy('at', 'desc').orderBy('id', 'desc');
  if (q.meterId !== undefined) query = query.where('meter_id', '=', q.meterId);
  if (q.kinds && q.kinds.length > 0) query = query.where('kind', 'in', q.kinds);
  if (q.from) query = query.where('at', '>=', q.from);
  if (q.to) query = query.where('at', '<', q.to);
  if (q.sessionId !== undefined) query = query.where('session_id', '=', q.sessionId);
  if (q.limit !== undefined) query = query.limit(q.limit);
  return query.execute();
}
