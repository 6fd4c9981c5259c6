/**
 * SQL of vee_manual_edit: an analyst's edits of a final series (replace values, interpolate a range, copy the
 * retaguarda, accept a flagged value), each with a mandatory comment, re-applied by every VEE run of the day until
 * reversed. Insert and reversal are audited (audit_log: who, when, before, after, comment) in the same transaction.
 * Applying edits to a series is src/vee/edits.ts; this module only keeps them.
 */
import { FronteiraError } from '../domain/errors.ts';
import { audit } from './audit.ts';
import type { ManualEditKind } from './schema.ts';
import {
  badInput,
  checkDayArg,
  checkIds,
  checkRange,
  inVeeTransaction,
  type SeriesKey,
  type VeeDb,
  veeQuery,
} from './vee-final.ts';

export const MANUAL_EDIT_KINDS: readonly ManualEditKind[] = ['replace', 'interpolate', 'copy_retaguarda', 'accept'];

export interface ManualEdit {
  id: number;
  pointId: number;
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: ManualEditKind;
  /** replace: one value per slot firstSlot … lastSlot; otherwise null. */
  values: number[] | null;
  comment: string;
  createdBy: string;
  /** Epoch ms. */
  createdAt: number;
  reversedAt: number | null;
  reversedBy: string | null;
  reverseComment: string | null;
}

export interface NewManualEdit {
  pointId: number;
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: ManualEditKind;
  values?: readonly number[] | null;
  comment: string;
  createdBy: string;
}

export interface EditAuditOptions {
  /** What the edited slots held before (for the audit row), e.g. the current final's values and codes. */
  before?: unknown;
  /** Edit time (default the transaction's now()). */
  now?: Date;
}

interface EditRow {
  id: number;
  point_id: number;
  quantity_code: number;
  day: string;
  first_slot: number;
  last_slot: number;
  kind: ManualEditKind;
  edit_values: number[] | null;
  comment: string;
  created_by: string;
  created_at: Date;
  reversed_at: Date | null;
  reversed_by: string | null;
  reverse_comment: string | null;
}

const EDIT_COLUMNS = `id, point_id, quantity_code, to_char(day, 'YYYY-MM-DD') AS day, first_slot, last_slot, kind,
  edit_values, comment, created_by, created_at, reversed_at, reversed_by, reverse_comment`;

function toEdit(r: EditRow): ManualEdit {
  return {
    id: Number(r.id),
    pointId: Number(r.point_id),
    quantityCode: r.quantity_code,
    day: r.day,
    firstSlot: r.first_slot,
    lastSlot: r.last_slot,
    kind: r.kind,
    values: r.edit_values === null ? null : r.edit_values.map(Number),
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: r.created_at.getTime(),
    reversedAt: r.reversed_at === null ? null : r.reversed_at.getTime(),
    reversedBy: r.reversed_by,
    reverseComment: r.reverse_comment,
  };
}

function auditView(e: ManualEdit) {
  return {
    pointId: e.pointId,
    quantityCode: e.quantityCode,
    day: e.day,
    firstSlot: e.firstSlot,
    lastSlot: e.lastSlot,
    kind: e.kind,
    values: e.values,
    comment: e.comment,
    createdBy: e.createdBy,
    createdAt: new Date(e.createdAt).toISOString(),
    reversedAt: e.reversedAt === null ? null : new Date(e.reversedAt).toISOString(),
    reversedBy: e.reversedBy,
    reverseComment: e.reverseComment,
  };
}

function text(v: unknown, field: string, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw badInput(field, `${what} is mandatory`);
  return v;
}

function checkNewEdit(e: NewManualEdit): number[] | null {
  if (typeof e !== 'object' || e === null) throw badInput('edit', 'must be an object');
  checkIds([e.pointId], 'pointId');
  if (!Number.isInteger(e.quantityCode) || e.quantityCode < 0 || e.quantityCode > 32767) {
    throw badInput('quantityCode', `${e.quantityCode} is not a quantity code`);
  }
  checkDayArg(e.day, 'day');
  if (!Number.isInteger(e.firstSlot) || e.firstSlot < 0 || e.firstSlot > 32766) {
    throw badInput('firstSlot', `${e.firstSlot} is not a slot`);
  }
  if (!Number.isInteger(e.lastSlot) || e.lastSlot < e.firstSlot || e.lastSlot > 32766) {
    throw badInput('lastSlot', `${e.lastSlot} is not a slot at or after firstSlot ${e.firstSlot}`);
  }
  if (!MANUAL_EDIT_KINDS.includes(e.kind)) {
    throw badInput('kind', `'${String(e.kind)}' is not one of ${MANUAL_EDIT_KINDS.join(', ')}`);
  }
  text(e.comment, 'comment', 'a comment');
  text(e.createdBy, 'createdBy', 'who edits');
  const n = e.lastSlot - e.firstSlot + 1;
  if (e.kind === 'replace') {
    const v = e.values;
    if (!Array.isArray(v) || v.length !== n) {
      throw badInput(
        'values',
        `replace needs ${n} values (slots ${e.firstSlot}–${e.lastSlot}), got ${v?.length ?? 'none'}`,
      );
    }
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw badInput(`values[${i}]`, `${String(x)} is not a number`);
    });
    return [...v];
  }
  if (e.values !== undefined && e.values !== null) throw badInput('values', `${e.kind} takes no values`);
  return null;
}

/** Stores an edit, audited as `create vee_manual_edit` with the slots' previous content when given. */
export async function insertEdit(db: VeeDb, edit: NewManualEdit, opts: EditAuditOptions = {}): Promise<ManualEdit> {
  const values = checkNewEdit(edit);
  return inVeeTransaction(db, async (trx) => {
    const [r] = await veeQuery<EditRow>(
      trx,
      `INSERT INTO vee_manual_edit (point_id, quantity_code, day, first_slot, last_slot, kind, edit_values, comment,
                                    created_by, created_at)
       VALUES ($1, $2, $3::date, $4, $5, $6, $7::float8[], $8, $9, COALESCE($10::timestamptz, now()))
       RETURNING ${EDIT_COLUMNS}`,
      [
        edit.pointId,
        edit.quantityCode,
        edit.day,
        edit.firstSlot,
        edit.lastSlot,
        edit.kind,
        values,
        edit.comment,
        edit.createdBy,
        opts.now ?? null,
      ],
    );
    const stored = toEdit(r);
    await audit(trx, {
      actor: stored.createdBy,
      action: 'create',
      entity: 'vee_manual_edit',
      entityId: stored.id,
      before: opts.before,
      after: auditView(stored),
      comment: stored.comment,
    });
    return stored;
  });
}

/**
 * Reverses an edit (it stops being applied; the row stays). An edit already reversed is refused with
 * FRONTEIRA_E_CONFLICT (details.reason 'already_reversed'); an unknown id with FRONTEIRA_E_NOT_FOUND.
 */
export async function reverseEdit(
  db: VeeDb,
  id: number,
  by: string,
  comment: string,
  opts: { now?: Date } = {},
): Promise<ManualEdit> {
  checkIds([id], 'id');
  text(by, 'by', 'who reverses');
  text(comment, 'comment', 'a comment');
  return inVeeTransaction(db, async (trx) => {
    const [old] = await veeQuery<EditRow>(trx, `SELECT ${EDIT_COLUMNS} FROM vee_manual_edit WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    if (!old) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `manual edit ${id} does not exist`, {
        entity: 'vee_manual_edit',
        key: String(id),
      });
    }
    const before = toEdit(old);
    if (before.reversedAt !== null) {
      throw new FronteiraError(
        'FRONTEIRA_E_CONFLICT',
        `manual edit ${id} was already reversed by ${before.reversedBy} at ${new Date(before.reversedAt).toISOString()}`,
        { id, reason: 'already_reversed', reversedAt: before.reversedAt, reversedBy: before.reversedBy },
      );
    }
    const [r] = await veeQuery<EditRow>(
      trx,
      `UPDATE vee_manual_edit
          SET reversed_at = COALESCE($2::timestamptz, now()), reversed_by = $3, reverse_comment = $4
        WHERE id = $1
        RETURNING ${EDIT_COLUMNS}`,
      [id, opts.now ?? null, by, comment],
    );
    const after = toEdit(r);
    await audit(trx, {
      actor: by,
      action: 'reverse',
      entity: 'vee_manual_edit',
      entityId: id,
      before: auditView(before),
      after: auditView(after),
      comment,
    });
    return after;
  });
}

export type EditSelection = { pointIds: readonly number[] } | { keys: readonly SeriesKey[] };

/**
 * Edits of some points (over from..to) or of some series, ordered by point, quantity, day, then creation (the
 * order they apply in). Reversed edits only with includeReversed.
 */
export async function listEdits(
  db: VeeDb,
  sel: EditSelection,
  from?: string,
  to?: string,
  opts: { includeReversed?: boolean } = {},
): Promise<ManualEdit[]> {
  if ((from === undefined) !== (to === undefined)) throw badInput('to', 'give both from and to, or neither');
  if (from !== undefined) checkRange(from, to);
  let pointIds: readonly number[] | null = null;
  let keys: readonly SeriesKey[] | null = null;
  if ('pointIds' in sel) {
    pointIds = checkIds(sel.pointIds, 'pointIds');
    if (pointIds.length === 0) return [];
  } else {
    keys = sel.keys;
    keys.forEach((k, i) => {
      checkIds([k.pointId], `keys[${i}].pointId`);
      checkDayArg(k.day, `keys[${i}].day`);
    });
    if (keys.length === 0) return [];
  }
  const rows = await veeQuery<EditRow>(
    db,
    `SELECT ${EDIT_COLUMNS} FROM vee_manual_edit e
      WHERE ($1::bigint[] IS NULL OR e.point_id = ANY($1::bigint[]))
        AND ($2::bigint[] IS NULL OR (e.point_id, e.quantity_code, e.day) IN (
              SELECT * FROM unnest($2::bigint[], $3::smallint[], $4::date[])))
        AND ($5::date IS NULL OR e.day BETWEEN $5::date AND $6::date)
        AND ($7 OR e.reversed_at IS NULL)
      ORDER BY e.point_id, e.quantity_code, e.day, e.created_at, e.id`,
    [
      pointIds,
      keys ? keys.map((k) => k.pointId) : null,
      keys ? keys.map((k) => k.quantityCode) : null,
      keys ? keys.map((k) => k.day) : null,
      from ?? null,
      to ?? null,
      opts.includeReversed === true,
    ],
  );
  return rows.map(toEdit);
}

/** One edit by id (reversed or not), or null. */
export async function getEdit(db: VeeDb, id: number): Promise<ManualEdit | null> {
  checkIds([id], 'id');
  const [r] = await veeQuery<EditRow>(db, `SELECT ${EDIT_COLUMNS} FROM vee_manual_edit WHERE id = $1`, [id]);
  return r ? toEdit(r) : null;
}
