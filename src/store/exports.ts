/**
 * SQL of export_file / export_file_final (migration 009): the record of every produced or refused export file, the
 * final-series versions each produced file used (locked 'export:<id>'), history and staleness.
 *
 * Staleness is not stored: a produced file is stale while some version it used has superseded_at set (VEE or an
 * edit wrote a newer one). Computing it on read means no trigger on vee_final and no job to keep a flag in step.
 */
import { FronteiraError } from '../domain/errors.ts';
import { badInput, checkDayArg, checkIds, type VeeDb, veeQuery } from './vee-final.ts';

export type ExportStatus = 'produced' | 'failed';

/** A final version a file used, by series and version (getCurrentFinals gives versions, not row ids). */
export interface UsedFinal {
  pointId: number;
  quantityCode: number;
  day: string;
  version: number;
}

export interface ExportFileInsert {
  /** From reserveExportIds (the id is part of the file name). */
  id: number;
  layout: string;
  pointId: number;
  dayFrom: string;
  dayTo: string;
  scope: string;
  status: ExportStatus;
  fileName: string | null;
  path: string | null;
  sha256: string | null;
  bytes: number | null;
  error: string | null;
  createdBy: string;
  replaces?: number | null;
  /** Produced files only: the versions to link and lock. */
  finals: readonly UsedFinal[];
}

/** A stored export_file row: what was inserted, with the point's code, timestamps and links. */
export interface ExportFileRecord extends Omit<ExportFileInsert, 'finals' | 'replaces'> {
  pointCode: string;
  createdAt: Date;
  supersededBy: number | null;
  replaces: number | null;
  /** Produced, and some final version it used has been superseded since. */
  stale: boolean;
}

export interface ExportFinalLink {
  finalId: number;
  quantityCode: number;
  day: string;
  version: number;
  current: boolean;
  lockedBy: string | null;
}

interface RecordRow {
  id: string | number;
  layout: string;
  point_id: string | number;
  point_code: string;
  day_from: string;
  day_to: string;
  scope: string;
  status: ExportStatus;
  file_name: string | null;
  path: string | null;
  sha256: string | null;
  bytes: string | number | null;
  error: string | null;
  created_at: Date;
  created_by: string;
  superseded_by: string | number | null;
  replaces: string | number | null;
  stale: boolean;
}

const RECORD_COLUMNS = `e.id, e.layout, e.point_id, p.code AS point_code, to_char(e.day_from, 'YYYY-MM-DD') AS day_from,
  to_char(e.day_to, 'YYYY-MM-DD') AS day_to, e.scope, e.status, e.file_name, e.path, e.sha256, e.bytes, e.error,
  e.created_at, e.created_by, e.superseded_by, e.replaces,
  (e.status = 'produced' AND EXISTS (SELECT 1 FROM export_file_final ef JOIN vee_final f ON f.id = ef.final_id
                                      WHERE ef.export_id = e.id AND f.superseded_at IS NOT NULL)) AS stale`;

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function toRecord(r: RecordRow): ExportFileRecord {
  return {
    id: Number(r.id),
    layout: r.layout,
    pointId: Number(r.point_id),
    pointCode: r.point_code,
    dayFrom: r.day_from,
    dayTo: r.day_to,
    scope: r.scope,
    status: r.status,
    fileName: r.file_name,
    path: r.path,
    sha256: r.sha256,
    bytes: num(r.bytes),
    error: r.error,
    createdAt: r.created_at,
    createdBy: r.created_by,
    supersededBy: num(r.superseded_by),
    replaces: num(r.replaces),
    stale: r.stale,
  };
}

/** Reserves `n` export_file ids (in increasing order) before the files are named and written. */
export async function reserveExportIds(db: VeeDb, n: number): Promise<number[]> {
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw badInput('n', `${n} is not a number of ids`);
  if (n === 0) return [];
  const rows = await veeQuery<{ id: string }>(
    db,
    `SELECT nextval(pg_get_serial_sequence('export_file', 'id')) AS id FROM generate_series(1, $1::int)`,
    [n],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * Records files (use the caller's transaction, so records, links and locks commit together). For produced files
 * the used versions are linked and locked: locked_at/locked_by are set once, the first export (or bill) to use a
 * version keeps its name there, as lockFinals does; export_file_final is the complete list. One statement per
 * kind for the whole batch: lockFinals takes one `by` per call, a round trip per file of a 10,000-point day.
 * Throws FRONTEIRA_E_CONFLICT when a used version no longer exists as given (nothing is then recorded).
 */
export async function insertExportFiles(db: VeeDb, rows: readonly ExportFileInsert[]): Promise<number> {
  if (rows.length === 0) return 0;
  rows.forEach((r, i) => {
    checkIds([r.id, r.pointId], `rows[${i}]`);
    checkDayArg(r.dayFrom, `rows[${i}].dayFrom`);
    checkDayArg(r.dayTo, `rows[${i}].dayTo`);
    if (r.status === 'produced' && (!r.fileName || !r.path || !r.sha256 || r.finals.length === 0)) {
      throw badInput(`rows[${i}]`, 'a produced file needs a name, a path, a sha256 and the finals it used');
    }
  });
  await veeQuery(
    db,
    `INSERT INTO export_file (id, layout, point_id, day_from, day_to, scope, status, file_name, path, sha256, bytes,
                              error, created_by, replaces)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::date[], $5::date[], $6::text[], $7::text[],
                          $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::bigint[])`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.layout),
      rows.map((r) => r.pointId),
      rows.map((r) => r.dayFrom),
      rows.map((r) => r.dayTo),
      rows.map((r) => r.scope),
      rows.map((r) => r.status),
      rows.map((r) => r.fileName),
      rows.map((r) => r.path),
      rows.map((r) => r.sha256),
      rows.map((r) => r.bytes),
      rows.map((r) => r.error),
      rows.map((r) => r.createdBy),
      rows.map((r) => r.replaces ?? null),
    ],
  );
  const links: { e: number; f: UsedFinal }[] = [];
  for (const r of rows) if (r.status === 'produced') for (const f of r.finals) links.push({ e: r.id, f });
  if (links.length === 0) return rows.length;
  const linked = await veeQuery<{ n: string }>(
    db,
    `WITH k AS (
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::date[], $5::int[]) AS k(e, p, q, d, v)
     ), ins AS (
       INSERT INTO export_file_final (export_id, final_id)
       SELECT k.e, f.id FROM k JOIN vee_final f ON f.point_id = k.p AND f.quantity_code = k.q AND f.day = k.d
                                               AND f.version = k.v
       RETURNING export_id, final_id
     )
     SELECT count(*) AS n FROM ins`,
    [
      links.map((l) => l.e),
      links.map((l) => l.f.pointId),
      links.map((l) => l.f.quantityCode),
      links.map((l) => l.f.day),
      links.map((l) => l.f.version),
    ],
  );
  if (Number(linked[0].n) !== links.length) {
    throw new FronteiraError(
      'FRONTEIRA_E_CONFLICT',
      `${links.length - Number(linked[0].n)} of ${links.length} final versions used by the export no longer exist`,
      { expected: links.length, linked: Number(linked[0].n) },
    );
  }
  // Ordered by id, as lockFinals does, so concurrent lockers take row locks in the same order.
  await veeQuery(
    db,
    `UPDATE vee_final f SET locked_at = COALESCE(f.locked_at, now()), locked_by = COALESCE(f.locked_by, l.by)
       FROM (SELECT ef.final_id, 'export:' || min(ef.export_id) AS by
               FROM export_file_final ef WHERE ef.export_id = ANY($1::bigint[])
              GROUP BY ef.final_id ORDER BY ef.final_id) AS l
      WHERE f.id = l.final_id AND (f.locked_at IS NULL OR f.locked_by IS NULL)`,
    [rows.filter((r) => r.status === 'produced').map((r) => r.id)],
  );
  return rows.length;
}

export async function getExportFile(db: VeeDb, id: number): Promise<ExportFileRecord | undefined> {
  checkIds([id], 'id');
  const rows = await veeQuery<RecordRow>(
    db,
    `SELECT ${RECORD_COLUMNS} FROM export_file e JOIN metering_point p ON p.id = e.point_id WHERE e.id = $1`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** The final versions a file used, with whether each is still current and who holds its lock. */
export async function exportFinals(db: VeeDb, id: number): Promise<ExportFinalLink[]> {
  checkIds([id], 'id');
  const rows = await veeQuery<{
    id: string;
    quantity_code: number;
    day: string;
    version: number;
    current: boolean;
    locked_by: string | null;
  }>(
    db,
    `SELECT f.id, f.quantity_code, to_char(f.day, 'YYYY-MM-DD') AS day, f.version, f.superseded_at IS NULL AS current,
            f.locked_by
       FROM export_file_final ef JOIN vee_final f ON f.id = ef.final_id
      WHERE ef.export_id = $1 ORDER BY f.day, f.quantity_code`,
    [id],
  );
  return rows.map((r) => ({
    finalId: Number(r.id),
    quantityCode: r.quantity_code,
    day: r.day,
    version: r.version,
    current: r.current,
    lockedBy: r.locked_by,
  }));
}

export interface ExportQuery {
  layout?: string;
  pointIds?: readonly number[];
  /** Files whose day range overlaps [from, to]. */
  from?: string;
  to?: string;
  status?: ExportStatus;
  /** true: only stale produced files not yet regenerated; false: only files that are not stale. */
  stale?: boolean;
  /** Include files already replaced by a regenerated one (default true: the list is the history). */
  includeSuperseded?: boolean;
  limit: number;
  offset: number;
}

/** Files newest first, with the total matching count (API lists are {items,total,limit,offset}). */
export async function listExportFiles(
  db: VeeDb,
  q: ExportQuery,
): Promise<{ items: ExportFileRecord[]; total: number }> {
  if (q.from !== undefined) checkDayArg(q.from, 'from');
  if (q.to !== undefined) checkDayArg(q.to, 'to');
  if (q.pointIds) checkIds(q.pointIds, 'pointIds');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 10_000) throw badInput('limit', `${q.limit} (1..10000)`);
  if (!Number.isInteger(q.offset) || q.offset < 0) throw badInput('offset', `${q.offset} is not an offset`);
  const params: unknown[] = [
    q.layout ?? null,
    q.pointIds ?? null,
    q.from ?? null,
    q.to ?? null,
    q.status ?? null,
    q.includeSuperseded === false,
  ];
  const where = `($1::text IS NULL OR e.layout = $1) AND ($2::bigint[] IS NULL OR e.point_id = ANY($2::bigint[]))
      AND ($3::date IS NULL OR e.day_to >= $3::date) AND ($4::date IS NULL OR e.day_from <= $4::date)
      AND ($5::text IS NULL OR e.status = $5) AND (NOT $6::boolean OR e.superseded_by IS NULL)`;
  const staleFilter =
    q.stale === undefined ? '' : q.stale ? 'WHERE x.stale AND x.superseded_by IS NULL' : 'WHERE NOT x.stale';
  const rows = await veeQuery<RecordRow & { total: string }>(
    db,
    `SELECT x.*, count(*) OVER () AS total FROM (
       SELECT ${RECORD_COLUMNS} FROM export_file e JOIN metering_point p ON p.id = e.point_id WHERE ${where}
     ) AS x ${staleFilter}
     ORDER BY x.created_at DESC, x.id DESC LIMIT ${q.limit} OFFSET ${q.offset}`,
    params,
  );
  let total = rows.length > 0 ? Number(rows[0].total) : 0;
  if (rows.length === 0 && q.offset > 0) {
    const c = await veeQuery<{ n: string }>(
      db,
      `SELECT count(*) AS n FROM (SELECT ${RECORD_COLUMNS} FROM export_file e JOIN metering_point p ON p.id = e.point_id
        WHERE ${where}) AS x ${staleFilter}`,
      params,
    );
    total = Number(c[0].n);
  }
  return { items: rows.map(toRecord), total };
}

/** Links a stale file to the file that regenerated it; false when it was already replaced (a concurrent regenerate). */
export async function markSuperseded(db: VeeDb, oldId: number, newId: number): Promise<boolean> {
  checkIds([oldId, newId], 'id');
  const rows = await veeQuery<{ id: string }>(
    db,
    'UPDATE export_file SET superseded_by = $2 WHERE id = $1 AND superseded_by IS NULL RETURNING id',
    [oldId, newId],
  );
  return rows.length === 1;
}
