/**
 * Paginated, filtered reads of the session log, meter events and tasks, each row with its meter serial and point
 * code (the store's own list functions serve collection, which needs neither totals nor offsets).
 */
import type { Db } from '../../store/registry.ts';
import type { MeterEventKind, SessionPurpose, TaskKind } from '../../store/schema.ts';

interface Common {
  meterSerial?: string;
  pointCode?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export async function querySessions(
  db: Db,
  q: Common & { statuses?: ('running' | 'ok' | 'failed')[]; purposes?: SessionPurpose[] },
) {
  let query = db
    .selectFrom('read_session as s')
    .innerJoin('meter as m', 'm.id', 's.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id');
  if (q.meterSerial !== undefined) query = query.where('m.serial', '=', q.meterSerial);
  if (q.pointCode !== undefined) query = query.where('p.code', '=', q.pointCode);
  if (q.statuses?.length) query = query.where('s.status', 'in', q.statuses);
  if (q.purposes?.length) query = query.where('s.purpose', 'in', q.purposes);
  if (q.from) query = query.where('s.started_at', '>=', q.from);
  if (q.to) query = query.where('s.started_at', '<', q.to);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('s')
    .select(['m.serial as m_serial', 'm.role as m_role', 'p.code as p_code'])
    .orderBy('s.started_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

export async function sessionById(db: Db, id: number) {
  return db
    .selectFrom('read_session as s')
    .innerJoin('meter as m', 'm.id', 's.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id')
    .selectAll('s')
    .select(['m.serial as m_serial', 'm.role as m_role', 'p.code as p_code'])
    .where('s.id', '=', id)
    .executeTakeFirst();
}

export async function queryEvents(db: Db, q: Common & { kinds?: MeterEventKind[] }) {
  let query = db
    .selectFrom('meter_event as e')
    .innerJoin('meter as m', 'm.id', 'e.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id');
  if (q.meterSerial !== undefined) query = query.where('m.serial', '=', q.meterSerial);
  if (q.pointCode !== undefined) query = query.where('p.code', '=', q.pointCode);
  if (q.kinds?.length) query = query.where('e.kind', 'in', q.kinds);
  if (q.from) query = query.where('e.at', '>=', q.from);
  if (q.to) query = query.where('e.at', '<', q.to);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('e')
    .select(['m.serial as m_serial', 'p.code as p_code'])
    .orderBy('e.at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

type TaskStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export async function queryTasks(db: Db, q: Common & { kinds?: TaskKind[]; statuses?: TaskStatus[] }) {
  let query = db
    .selectFrom('task as t')
    .innerJoin('meter as m', 'm.id', 't.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id');
  if (q.meterSerial !== undefined) query = query.where('m.serial', '=', q.meterSerial);
  if (q.pointCode !== undefined) query = query.where('p.code', '=', q.pointCode);
  if (q.kinds?.length) query = query.where('t.kind', 'in', q.kinds);
  if (q.statuses?.length) query = query.where('t.status', 'in', q.statuses);
  if (q.from) query = query.where('t.requested_at', '>=', q.from);
  if (q.to) query = query.where('t.requested_at', '<', q.to);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('t')
    .select(['m.serial as m_serial', 'p.code as p_code'])
    .orderBy('t.requested_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

export async function taskById(db: Db, id: number) {
  return db
    .selectFrom('task as t')
    .innerJoin('meter as m', 'm.id', 't.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id')
    .selectAll('t')
    .select(['m.serial as m_serial', 'p.code as p_code'])
    .where('t.id', '=', id)
    .executeTakeFirst();
}
