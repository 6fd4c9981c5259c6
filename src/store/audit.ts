/**
 * Audit trail: who changed what in the registry or asked a meter to change (parametrization), with the values
 * before and after. Written with the caller's `db`, so an audit row commits or rolls back with the change it records.
 */
import type { Selectable } from 'kysely';
import type { Db } from './registry.ts';
import type { AuditLogTable } from './schema.ts';

export type AuditRow = Selectable<AuditLogTable>;

export interface AuditEntry {
  /** Who: `cli:<os user>`, `api:<user>`, `engine`… */
  actor: string;
  /** What: create, update, retire, swap, disable, parametrize… */
  action: string;
  /** Which kind of thing: point, meter, channel, task… */
  entity: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
  comment?: string | null;
}

export interface AuditQuery {
  entity?: string;
  entityId?: string | number;
  actor?: string;
  limit: number;
}

function json(value: unknown): string | null {
  // Dates become ISO strings through JSON.stringify; undefined means "nothing to record".
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function row(e: AuditEntry) {
  return {
    actor: e.actor,
    action: e.action,
    entity: e.entity,
    entity_id: e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
    before: json(e.before),
    after: json(e.after),
    comment: e.comment ?? null,
  };
}

export async function audit(db: Db, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(row(e)).execute();
}

/** Many entries in few statements (imports). */
export async function auditMany(db: Db, entries: AuditEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await db
      .insertInto('audit_log')
      .values(entries.slice(i, i + 500).map(row))
      .execute();
  }
}

/** Newest first. */
export async function listAudit(db: Db, q: AuditQuery): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (q.entity !== undefined) query = query.where('entity', '=', q.entity);
  if (q.entityId !== undefined) query = query.where('entity_id', '=', String(q.entityId));
  if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

export async function countAudit(db: Db): Promise<number> {
  const r = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
