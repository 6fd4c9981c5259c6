/**
 * Task rows: remote parametrization and on-demand reads asked of one meter (read_now, clock_sync, demand_interval,
 * holidays, demand_reset), with who asked, when it ran, the session and the result. What a task does is in
 * collect/tasks.ts.
 */
import { type Selectable, sql } from 'kysely';
import type { Db } from './registry.ts';
import type { MeterEventKind, TaskKind, TaskTable } from './schema.ts';

export type TaskRow = Selectable<TaskTable>;
export type TaskStatus = TaskRow['status'];

export interface NewTask {
  kind: TaskKind;
  meterId: number;
  params: Record<string, unknown>;
  requestedBy: string;
}

export async function insertTask(db: Db, t: NewTask): Promise<TaskRow> {
  return db
    .insertInto('task')
    .values({
      kind: t.kind,
      meter_id: t.meterId,
      params: JSON.stringify(t.params),
      status: 'pending',
      requested_by: t.requestedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function taskById(db: Db, id: number): Promise<TaskRow | undefined> {
  return db.selectFrom('task').selectAll().where('id', '=', id).executeTakeFirst();
}

/** pending → running; undefined when the task is not pending (already taken, finished or cancelled). */
export async function claimTask(db: Db, id: number): Promise<TaskRow | undefined> {
  return db
    .updateTable('task')
    .set({ status: 'running', started_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/** A task left running by a process that died: taken again (its previous start is kept in the result). */
export async function reclaimTask(db: Db, id: number): Promise<TaskRow | undefined> {
  return db
    .updateTable('task')
    .set({ started_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

/** running → pending: the task never reached the meter (shutdown) and will be taken again. */
export async function unclaimTask(db: Db, id: number): Promise<TaskRow | undefined> {
  return db
    .updateTable('task')
    .set({ status: 'pending', started_at: null })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

export async function finishTask(
  db: Db,
  id: number,
  f: { status: 'done' | 'failed' | 'cancelled'; result: Record<string, unknown>; sessionId: number | null },
): Promise<TaskRow | undefined> {
  return db
    .updateTable('task')
    .set({
      status: f.status,
      finished_at: sql`now()`,
      result: JSON.stringify(f.result),
      session_id: f.sessionId,
    })
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'running'])
    .returningAll()
    .executeTakeFirst();
}

export interface TaskQuery {
  meterId?: number;
  kinds?: TaskKind[];
  statuses?: TaskStatus[];
  limit: number;
}

/** Newest first. */
export async function listTasks(db: Db, q: TaskQuery): Promise<TaskRow[]> {
  let query = db.selectFrom('task').selectAll();
  if (q.meterId !== undefined) query = query.where('meter_id', '=', q.meterId);
  if (q.kinds && q.kinds.length > 0) query = query.where('kind', 'in', q.kinds);
  if (q.statuses && q.statuses.length > 0) query = query.where('status', 'in', q.statuses);
  return query.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

/** Pending tasks oldest first (re-queued at engine start, in case their job was never sent). */
export async function pendingTasks(db: Db, limit: number): Promise<TaskRow[]> {
  return db.selectFrom('task').selectAll().where('status', '=', 'pending').orderBy('id').limit(limit).execute();
}

/** Meters among `meterIds` with a task of this kind pending or running, or finished since `since`. */
export async function metersWithRecentTask(
  db: Db,
  kind: TaskKind,
  meterIds: number[],
  since: Date,
): Promise<Set<number>> {
  if (meterIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('task')
    .select('meter_id')
    .distinct()
    .where('kind', '=', kind)
    .where('meter_id', 'in', meterIds)
    .where((eb) => eb.or([eb('status', 'in', ['pending', 'running']), eb('finished_at', '>=', since)]))
    .execute();
  return new Set(rows.map((r) => r.meter_id));
}

export async function cancelTask(db: Db, id: number): Promise<TaskRow | undefined> {
  return db
    .updateTable('task')
    .set({ status: 'cancelled', finished_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/** What a task did to a meter, as a meter event (once per task: the dedupe key is the task id). */
export async function insertTaskEvent(
  db: Db,
  e: {
    meterId: number;
    kind: MeterEventKind;
    at: Date;
    detail: Record<string, unknown>;
    sessionId: number | null;
    taskId: number;
  },
): Promise<void> {
  await db
    .insertInto('meter_event')
    .values({
      meter_id: e.meterId,
      kind: e.kind,
      at: e.at,
      ended_at: null,
      detail: JSON.stringify(e.detail),
      session_id: e.sessionId,
      dedupe: `task:${e.taskId}`,
    })
    .onConflict((oc) => oc.columns(['meter_id', 'kind', 'dedupe']).doNothing())
    .execute();
}
