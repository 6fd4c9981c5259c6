/**
 * SQL of the VEE settings: parameter versions (vee_param_version, src/vee/params.ts) and the holiday calendar
 * (vee_calendar, src/vee/calendar.ts). Both are append-only: a change is a new row, audited in the same transaction;
 * the versions in force and the newest calendar are what VEE reads.
 */

import { type HolidayCalendarSpec, parseCalendarSpec } from '../vee/calendar.ts';
import { type ParamScope, type ParamVersion, parseParamVersion, parseScope } from '../vee/params.ts';
import { audit } from './audit.ts';
import { badInput, inVeeTransaction, type VeeDb, veeQuery } from './vee-final.ts';

export interface StoredParamVersion extends ParamVersion {
  id: number;
  createdBy: string;
  createdAt: Date;
  comment: string | null;
}

function checkActor(actor: unknown): string {
  if (typeof actor !== 'string' || actor.trim() === '') throw badInput('actor', 'who makes the change must be named');
  return actor;
}

interface ParamRow {
  id: number;
  scope: string;
  effective_from: string;
  params: unknown;
  created_by: string;
  created_at: Date;
  comment: string | null;
}

function toStored(r: ParamRow): StoredParamVersion {
  // Stored rows went through the same check on the way in; re-checking names the row if the catalogue moved since.
  const v = parseParamVersion(
    { id: Number(r.id), scope: r.scope, effectiveFrom: r.effective_from, params: r.params },
    `vee_param_version[${r.id}]`,
  );
  return { ...v, id: Number(r.id), createdBy: r.created_by, createdAt: r.created_at, comment: r.comment };
}

const PARAM_COLUMNS = `id, scope, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, params, created_by,
  created_at, comment`;

/**
 * Adds a parameter version ({scope, effectiveFrom, params}, checked by parseParamVersion; an `id` in the input is
 * ignored), audited as `create vee_param_version`.
 */
export async function addParamVersion(
  db: VeeDb,
  input: unknown,
  actor: string,
  opts: { comment?: string | null } = {},
): Promise<StoredParamVersion> {
  checkActor(actor);
  const clean =
    typeof input === 'object' && input !== null && !Array.isArray(input)
      ? { ...(input as Record<string, unknown>) }
      : input;
  if (typeof clean === 'object' && clean !== null) delete (clean as Record<string, unknown>).id;
  const v = parseParamVersion(clean);
  return inVeeTransaction(db, async (trx) => {
    const [row] = await veeQuery<ParamRow>(
      trx,
      `INSERT INTO vee_param_version (scope, effective_from, params, created_by, comment)
       VALUES ($1, $2::date, $3::jsonb, $4, $5)
       RETURNING ${PARAM_COLUMNS}`,
      [v.scope, v.effectiveFrom, JSON.stringify(v.params), actor, opts.comment ?? null],
    );
    const stored = toStored(row);
    await audit(trx, {
      actor,
      action: 'create',
      entity: 'vee_param_version',
      entityId: stored.id,
      after: { scope: stored.scope, effectiveFrom: stored.effectiveFrom, params: stored.params },
      comment: opts.comment ?? null,
    });
    return stored;
  });
}

/**
 * Parameter versions, ordered by effective day then id (the order resolveParams expects: a later entry wins a
 * tie). `scope` restricts to one scope.
 */
export async function listParamVersions(db: VeeDb, q: { scope?: ParamScope } = {}): Promise<StoredParamVersion[]> {
  const scope = q.scope === undefined ? null : parseScope(q.scope);
  const rows = await veeQuery<ParamRow>(
    db,
    `SELECT ${PARAM_COLUMNS} FROM vee_param_version
      WHERE ($1::text IS NULL OR scope = $1::text)
      ORDER BY effective_from, id`,
    [scope],
  );
  return rows.map(toStored);
}

export interface StoredCalendar {
  /** null: nothing saved yet (the national calendar). */
  id: number | null;
  spec: Required<HolidayCalendarSpec>;
  createdBy: string | null;
  createdAt: Date | null;
  comment: string | null;
}

interface CalendarRow {
  id: number;
  spec: unknown;
  created_by: string;
  created_at: Date;
  comment: string | null;
}

async function newestCalendar(db: VeeDb): Promise<StoredCalendar> {
  const [r] = await veeQuery<CalendarRow>(
    db,
    'SELECT id, spec, created_by, created_at, comment FROM vee_calendar ORDER BY id DESC LIMIT 1',
  );
  if (!r) return { id: null, spec: parseCalendarSpec({}), createdBy: null, createdAt: null, comment: null };
  return {
    id: Number(r.id),
    spec: parseCalendarSpec(r.spec, `vee_calendar[${r.id}]`),
    createdBy: r.created_by,
    createdAt: r.created_at,
    comment: r.comment,
  };
}

/** The calendar in force (the newest saved), with who saved it; the national calendar when none was saved. */
export async function getCalendar(db: VeeDb): Promise<StoredCalendar> {
  return newestCalendar(db);
}

/** Just the spec in force, for `new HolidayCalendar(spec)`. */
export async function getCalendarSpec(db: VeeDb): Promise<HolidayCalendarSpec> {
  return (await newestCalendar(db)).spec;
}

/** Saves a new calendar spec (checked by parseCalendarSpec), audited with the spec it replaces. */
export async function saveCalendarSpec(
  db: VeeDb,
  input: unknown,
  actor: string,
  opts: { comment?: string | null } = {},
): Promise<StoredCalendar> {
  checkActor(actor);
  const spec = parseCalendarSpec(input);
  return inVeeTransaction(db, async (trx) => {
    // Two saves at once: the second to lock sees the first's row as "before".
    await veeQuery(trx, 'LOCK TABLE vee_calendar IN SHARE ROW EXCLUSIVE MODE');
    const before = await newestCalendar(trx);
    const [r] = await veeQuery<CalendarRow>(
      trx,
      `INSERT INTO vee_calendar (spec, created_by, comment) VALUES ($1::jsonb, $2, $3)
       RETURNING id, spec, created_by, created_at, comment`,
      [JSON.stringify(spec), actor, opts.comment ?? null],
    );
    await audit(trx, {
      actor,
      action: 'update',
      entity: 'vee_calendar',
      entityId: Number(r.id),
      before: before.spec,
      after: spec,
      comment: opts.comment ?? null,
    });
    return { id: Number(r.id), spec, createdBy: r.created_by, createdAt: r.created_at, comment: r.comment };
  });
}
