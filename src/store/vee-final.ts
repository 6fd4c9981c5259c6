/**
 * SQL of vee_final: the versioned final series per point, quantity and operating day (spec/vee.md §1 "final").
 *
 * A save compares each series with its current version: unchanged (finalDaysEqual's notion of equal content, checked
 * through an md5 of the stored arrays, so nothing big is read back) → nothing written; changed → the current row
 * gets superseded_at and version + 1 is inserted. A locked row is never modified except for that
 * superseded_at stamp: locking pins a version, it does not stop VEE from writing a newer one beside it.
 *
 * Writes go through the caller's transaction (a bulk.ts Tx: new versions are a binary COPY, ~4 kB per series). The
 * comparison reads without row locks (an unchanged series writes nothing); the superseding UPDATE locks the rows
 * that change and re-checks they are still current, and a series with no row yet is guarded by the unique indexes.
 * So when two workers save the same series, the second one's UPDATE finds the row superseded or its COPY hits a
 * unique violation: its savepoint is rolled back and the save is redone against what the first committed.
 *
 * Also here, because vee/load.ts reads the same way: the codecs of the array columns. Big float8[] columns are
 * selected as base64(array_send(...)) and decoded here: with pg's text parser for float8[], reading a month of day
 * blocks took ~4× as long (20,000 rows of 288 values: 4.2 s against 1.2 s on PGlite, 2.5 s against 0.6 s on
 * PostgreSQL).
 */
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import { isDay } from '../vee/params.ts';
import {
  canonicalJson,
  countQualities,
  type FinalDay,
  type FinalNotes,
  METHOD_NAMES,
  QUALITY_NAMES,
  type QualityCounts,
  SOURCE_NAMES,
} from '../vee/types.ts';
import { CopyBinary, copyInto, type Tx } from './bulk.ts';
import type { Db } from './registry.ts';
import type { Schema } from './schema.ts';

// ---------------------------------------------------------------------------------------------------------------
// Shared by the VEE store modules

/** What the VEE store functions accept: a Kysely handle (plain or a transaction) or a bulk.ts transaction. */
export type VeeDb = Db | Tx;

export function isTx(db: VeeDb): db is Tx {
  return typeof (db as Tx).client === 'object' && (db as Tx).client !== null && 'kind' in db;
}

/** Runs one SQL statement with positional parameters on either kind of handle. */
export async function veeQuery<R>(db: VeeDb, text: string, params: readonly unknown[] = []): Promise<R[]> {
  if (isTx(db)) return (await db.client.query(text, params as unknown[])).rows as R[];
  return (await db.executeQuery(CompiledQuery.raw(text, [...params]))).rows as R[];
}

/**
 * Runs `fn` inside a transaction: the caller's (a Tx, or a Kysely transaction), else a new one. Do not pass `tx.db`
 * of a bulk.ts Tx: it does not know it is inside a transaction; pass the Tx itself.
 */
export async function inVeeTransaction<T>(db: VeeDb, fn: (db: Db) => Promise<T>): Promise<T> {
  if (isTx(db)) return fn(db.db);
  if (db.isTransaction) return fn(db);
  return (db as Kysely<Schema>).transaction().execute(fn);
}

export function badInput(field: string, message: string, details: Record<string, unknown> = {}): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field, ...details });
}

export function checkDayArg(day: unknown, field: string): string {
  if (!isDay(day)) throw badInput(field, `'${String(day)}' is not a YYYY-MM-DD day`);
  return day;
}

export function checkRange(from: unknown, to: unknown): void {
  checkDayArg(from, 'from');
  checkDayArg(to, 'to');
  if ((to as string) < (from as string)) throw badInput('to', `${String(to)} is before from ${String(from)}`);
}

export function checkIds(ids: readonly unknown[], field: string): number[] {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || (id as number) < 1) throw badInput(field, `${String(id)} is not an id`);
  }
  return ids as number[];
}

const ARRAY_HEADER = 20;
const OID_FLOAT8 = 701;

function malformed(what: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_CONFLICT', `stored ${what} does not decode as a float8[] array_send`, {
    field: what,
  });
}

/**
 * A float8[] from base64(array_send(col)), NaN where an element is NULL. `into` (when long enough) receives the
 * values and is returned as a subarray, so a loop decoding many rows can reuse one scratch array.
 */
export function decodeFloat8ArraySend(base64: string, what = 'array', into?: Float64Array): Float64Array {
  const b = Buffer.from(base64, 'base64');
  // DataView reads big-endian numbers ~3× faster than Buffer's readDoubleBE.
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 12) throw malformed(what);
  const ndim = dv.getInt32(0);
  if (ndim === 0) return into ? into.subarray(0, 0) : new Float64Array(0);
  if (ndim !== 1 || b.length < ARRAY_HEADER || dv.getUint32(8) !== OID_FLOAT8) throw malformed(what);
  const n = dv.getInt32(12);
  if (n < 0 || n > (b.length - ARRAY_HEADER) / 4) throw malformed(what);
  const out = into && into.length >= n ? into.subarray(0, n) : new Float64Array(n);
  const end = b.length;
  let p = ARRAY_HEADER;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw malformed(what);
    const len = dv.getInt32(p);
    p += 4;
    if (len === -1) {
      out[i] = Number.NaN;
    } else if (len === 8 && p + 8 <= end) {
      out[i] = dv.getFloat64(p);
      p += 8;
    } else {
      throw malformed(what);
    }
  }
  return out;
}

/** bytea selected as base64 text. */
export function decodeBase64Bytes(base64: string): Uint8Array {
  return Buffer.from(base64, 'base64');
}

const utf8 = new TextEncoder();

/** A text column in binary COPY: its UTF-8 bytes (the same length-prefixed field layout as bytea). */
export function copyText(out: CopyBinary, s: string): void {
  out.bytea(utf8.encode(s));
}

/** A jsonb column in binary COPY: version byte 1, then the JSON text. */
export function copyJsonb(out: CopyBinary, json: string): void {
  const text = utf8.encode(json);
  const bytes = new Uint8Array(text.length + 1);
  bytes[0] = 1;
  bytes.set(text, 1);
  out.bytea(bytes);
}

export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

// ---------------------------------------------------------------------------------------------------------------
// Final series

export interface SeriesKey {
  pointId: number;
  quantityCode: number;
  day: string;
}

export interface SaveFinalsOptions {
  /** What made the versions: 'vee' (a run), 'edit:<manual_edit id>', 'reversal:<manual_edit id>'. */
  cause: string;
  /** created_at of new versions and superseded_at of the ones they replace (default: the transaction's now()). */
  now?: Date;
}

export interface SavedFinal extends SeriesKey {
  /** The current version after the save (the stored one when unchanged). */
  version: number;
  changed: boolean;
  /** Version that was current before the save (null: the series is new). */
  previousVersion: number | null;
  /** Whether that version is locked: a changed series then means an export or bill is stale. */
  previousLocked: boolean;
}

const MAX_SAVE_ATTEMPTS = 5;

function seriesWhere(f: SeriesKey): string {
  return `point ${f.pointId} quantity ${f.quantityCode} ${f.day}`;
}

function checkFinal(f: FinalDay, i: number): void {
  const at = `finals[${i}]`;
  const where = { pointId: f?.pointId, quantityCode: f?.quantityCode, day: f?.day };
  if (typeof f !== 'object' || f === null) throw badInput(at, 'is not a final series');
  if (!Number.isSafeInteger(f.pointId) || f.pointId < 1) throw badInput(`${at}.pointId`, `${f.pointId} is not an id`);
  if (!Number.isInteger(f.quantityCode) || f.quantityCode < 0 || f.quantityCode > 32767) {
    throw badInput(`${at}.quantityCode`, `${f.quantityCode} is not a quantity code`, where);
  }
  checkDayArg(f.day, `${at}.day`);
  const w = seriesWhere(f);
  if (!Number.isInteger(f.slots) || f.slots < 1 || f.slots > 32767) {
    throw badInput(`${at}.slots`, `${w}: ${f.slots} is not a slot count`, where);
  }
  if (!Number.isInteger(f.intervalS) || f.intervalS <= 0 || 86400 % f.intervalS !== 0) {
    throw badInput(`${at}.intervalS`, `${w}: ${f.intervalS} s is not an interval`, where);
  }
  if (typeof f.unit !== 'string') throw badInput(`${at}.unit`, `${w}: unit must be text`, where);
  const arrays: [string, ArrayLike<number> | undefined, number][] = [
    ['value', f.value, Number.POSITIVE_INFINITY],
    ['quality', f.quality, QUALITY_NAMES.length],
    ['method', f.method, METHOD_NAMES.length],
    ['reason', f.reason, 256],
    ['source', f.source, SOURCE_NAMES.length],
  ];
  for (const [name, a, limit] of arrays) {
    const ok = name === 'value' ? a instanceof Float64Array : a instanceof Uint8Array;
    if (!ok || !a || a.length !== f.slots) {
      throw badInput(
        `${at}.${name}`,
        `${w}: must be a ${name === 'value' ? 'Float64Array' : 'Uint8Array'} of ${f.slots} slots`,
        where,
      );
    }
    if (limit < 256) {
      for (let k = 0; k < a.length; k++) {
        if (a[k] >= limit) throw badInput(`${at}.${name}`, `${w}: slot ${k} has undefined ${name} code ${a[k]}`, where);
      }
    }
  }
  if (typeof f.notes !== 'object' || f.notes === null || Array.isArray(f.notes)) {
    throw badInput(`${at}.notes`, `${w}: notes must be an object`, where);
  }
}

function keyOf(k: SeriesKey): string {
  return `${k.pointId}|${k.quantityCode}|${k.day}`;
}

interface FinalRow {
  id: number;
  point_id: number;
  point_code: string;
  quantity_code: number;
  day: string;
  version: number;
  locked: boolean;
  interval_s: number;
  slots: number;
  unit: string;
  value: string;
  quality: string;
  method: string;
  reason: string;
  source: string;
  notes: FinalNotes;
}

/** The columns a FinalDay is rebuilt from (f = vee_final, p = metering_point). */
const FINAL_COLUMNS = `f.id, f.point_id, p.code AS point_code, f.quantity_code, to_char(f.day, 'YYYY-MM-DD') AS day,
  f.version, f.locked_at IS NOT NULL AS locked, f.interval_s, f.slots, f.unit,
  encode(array_send(f.value), 'base64') AS value, encode(f.quality, 'base64') AS quality,
  encode(f.method, 'base64') AS method, encode(f.reason, 'base64') AS reason, encode(f.source, 'base64') AS source,
  f.notes`;

function rowToFinal(r: FinalRow): FinalDay {
  const what = `vee_final ${r.id}`;
  const f: FinalDay = {
    pointId: Number(r.point_id),
    pointCode: r.point_code,
    quantityCode: r.quantity_code,
    day: r.day,
    slots: r.slots,
    intervalS: r.interval_s,
    unit: r.unit,
    value: decodeFloat8ArraySend(r.value, `${what} value`),
    quality: decodeBase64Bytes(r.quality),
    method: decodeBase64Bytes(r.method),
    reason: decodeBase64Bytes(r.reason),
    source: decodeBase64Bytes(r.source),
    notes: r.notes ?? { principalMeterId: null, retaguardaMeterId: null },
    version: r.version,
    locked: r.locked,
  };
  for (const a of [f.value, f.quality, f.method, f.reason, f.source]) {
    if (a.length !== f.slots) {
      throw new FronteiraError('FRONTEIRA_E_CONFLICT', `${what}: arrays do not hold ${f.slots} slots`, { id: r.id });
    }
  }
  return f;
}

const COPY_COLUMNS = [
  'point_id',
  'quantity_code',
  'day',
  'version',
  'interval_s',
  'slots',
  'unit',
  'value',
  'quality',
  'method',
  'reason',
  'source',
  'notes',
  'counts',
  'energy',
  'cause',
] as const;

/** The values with -0 stored as 0 (equal under finalDaysEqual; one stored form keeps the content digest exact). */
function storedValues(v: Float64Array): Float64Array {
  for (let k = 0; k < v.length; k++) {
    if (v[k] === 0 && 1 / v[k] < 0) return v.map((x) => (x === 0 ? 0 : x));
  }
  return v;
}

const DIGEST_SQL = `md5(array_send(f.value) || f.quality || f.method || f.reason || f.source)`;

/**
 * md5 of what DIGEST_SQL hashes for this series once stored: array_send of value (1-D float8[] with lower bound 1:
 * ndim, has-null flag, element type 701, length, lower bound, then per element its length 8 and the big-endian
 * double, or −1 for NULL = NaN) followed by the four code arrays. Equal digests, equal shape and equal canonical
 * notes are exactly finalDaysEqual, without reading the arrays back.
 */
function contentDigest(f: FinalDay): string {
  const v = storedValues(f.value);
  let nulls = 0;
  for (let k = 0; k < v.length; k++) if (Number.isNaN(v[k])) nulls++;
  const b = new Uint8Array(20 + 4 * v.length + 8 * (v.length - nulls));
  const dv = new DataView(b.buffer);
  dv.setInt32(0, 1);
  dv.setInt32(4, nulls > 0 ? 1 : 0);
  dv.setUint32(8, OID_FLOAT8);
  dv.setInt32(12, v.length);
  dv.setInt32(16, 1);
  let p = 20;
  for (let k = 0; k < v.length; k++) {
    if (Number.isNaN(v[k])) {
      dv.setInt32(p, -1);
      p += 4;
    } else {
      dv.setInt32(p, 8);
      dv.setFloat64(p + 4, v[k]);
      p += 12;
    }
  }
  return createHash('md5').update(b).update(f.quality).update(f.method).update(f.reason).update(f.source).digest('hex');
}

function encodeVersions(rows: readonly { f: FinalDay; version: number }[], cause: string, now?: Date): CopyBinary {
  const out = new CopyBinary();
  const n = COPY_COLUMNS.length + (now ? 1 : 0);
  for (const { f, version } of rows) {
    const c = countQualities(f);
    let energy = 0;
    for (let k = 0; k < f.slots; k++) if (!Number.isNaN(f.value[k])) energy += f.value[k];
    out.row(n);
    out.int8(f.pointId);
    out.int2(f.quantityCode);
    out.date(f.day);
    out.int4(version);
    out.int4(f.intervalS);
    out.int2(f.slots);
    copyText(out, f.unit);
    out.float8Array(storedValues(f.value));
    out.bytea(f.quality);
    out.bytea(f.method);
    out.bytea(f.reason);
    out.bytea(f.source);
    copyJsonb(out, canonicalJson(f.notes));
    out.int4ArrayNonNegative(Int32Array.of(c.N, c.A, c.S, c.E, c.M));
    out.float8(energy);
    copyText(out, cause);
    if (now) out.timestamptz(now.getTime());
  }
  return out;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** Thrown inside a save attempt when a row compared as current was superseded by another transaction meanwhile. */
class SupersededMeanwhile extends Error {}

async function saveOnce(tx: Tx, finals: readonly FinalDay[], opts: SaveFinalsOptions): Promise<SavedFinal[]> {
  // No row locks here: an unchanged series writes nothing (serialisable before any concurrent writer), and the rows
  // that will change are locked by the UPDATE below, which also re-checks that they are still current. The arrays
  // are compared by digest: reading them back would move ~6 kB per series.
  const current = await veeQuery<{
    id: number;
    point_id: number;
    quantity_code: number;
    day: string;
    version: number;
    locked: boolean;
    interval_s: number;
    slots: number;
    unit: string;
    notes: FinalNotes;
    digest: string;
  }>(
    tx,
    `SELECT f.id, f.point_id, f.quantity_code, to_char(f.day, 'YYYY-MM-DD') AS day, f.version,
            f.locked_at IS NOT NULL AS locked, f.interval_s, f.slots, f.unit, f.notes, ${DIGEST_SQL} AS digest
       FROM vee_final f
      WHERE f.superseded_at IS NULL AND f.point_id = ANY($1::bigint[]) AND f.day = ANY($2::date[])
        AND f.quantity_code = ANY($3::smallint[])`,
    // Plain lists, not a join with unnest(...) of the keys: without statistics (PGlite never analyses) the planner
    // merge-joined the keys against every current row, a cost that grew with the table (a month: ~9 s of the run).
    // This form is an index scan of vee_final_day; rows outside the wanted keys are ignored below.
    [unique(finals.map((f) => f.pointId)), unique(finals.map((f) => f.day)), unique(finals.map((f) => f.quantityCode))],
  );
  const byKey = new Map(
    current.map((r) => [keyOf({ pointId: Number(r.point_id), quantityCode: r.quantity_code, day: r.day }), r]),
  );
  const out: SavedFinal[] = [];
  const superseded = new Map<number, SavedFinal>();
  const inserts: { f: FinalDay; version: number }[] = [];
  for (const f of finals) {
    const row = byKey.get(keyOf(f));
    const key = { pointId: f.pointId, quantityCode: f.quantityCode, day: f.day };
    if (
      row &&
      row.slots === f.slots &&
      row.interval_s === f.intervalS &&
      row.unit === f.unit &&
      row.digest === contentDigest(f) &&
      canonicalJson(row.notes) === canonicalJson(f.notes)
    ) {
      out.push({
        ...key,
        version: row.version,
        changed: false,
        previousVersion: row.version,
        previousLocked: row.locked,
      });
      continue;
    }
    const version = row ? row.version + 1 : 1;
    inserts.push({ f, version });
    const saved: SavedFinal = {
      ...key,
      version,
      changed: true,
      previousVersion: row ? row.version : null,
      previousLocked: row ? row.locked : false,
    };
    if (row) superseded.set(Number(row.id), saved);
    out.push(saved);
  }
  if (superseded.size > 0) {
    // Ordered by id, so two transactions superseding overlapping sets take the row locks in the same order.
    const updated = await veeQuery<{ id: number; locked: boolean }>(
      tx,
      `UPDATE vee_final f SET superseded_at = COALESCE($2::timestamptz, now())
         FROM (SELECT id FROM vee_final WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE) AS l
        WHERE f.id = l.id AND f.superseded_at IS NULL
        RETURNING f.id, f.locked_at IS NOT NULL AS locked`,
      [[...superseded.keys()], opts.now ?? null],
    );
    if (updated.length !== superseded.size) throw new SupersededMeanwhile();
    for (const u of updated) superseded.get(Number(u.id))!.previousLocked = u.locked;
  }
  if (inserts.length > 0) {
    const columns = opts.now ? [...COPY_COLUMNS, 'created_at'] : [...COPY_COLUMNS];
    await copyInto(tx, 'vee_final', columns, encodeVersions(inserts, opts.cause, opts.now));
  }
  return out;
}

/**
 * Saves final series inside the caller's transaction: per series nothing (same content as the current version),
 * or a new version that supersedes the current one. Returns one entry per input, in input order.
 */
export async function saveFinals(tx: Tx, finals: readonly FinalDay[], opts: SaveFinalsOptions): Promise<SavedFinal[]> {
  if (!isTx(tx)) throw badInput('tx', 'saveFinals needs a bulk.ts transaction (withTransaction)');
  if (typeof opts?.cause !== 'string' || opts.cause.trim() === '' || opts.cause.length > 200) {
    throw badInput('cause', `'${String(opts?.cause)}' is not a cause (vee, edit:<id>, reversal:<id>)`);
  }
  if (opts.now !== undefined && !(opts.now instanceof Date && Number.isFinite(opts.now.getTime()))) {
    throw badInput('now', 'must be a valid Date');
  }
  const seen = new Set<string>();
  finals.forEach((f, i) => {
    checkFinal(f, i);
    const k = keyOf(f);
    if (seen.has(k)) throw badInput(`finals[${i}]`, `${seriesWhere(f)} is listed twice`);
    seen.add(k);
  });
  if (finals.length === 0) return [];
  for (let attempt = 1; ; attempt++) {
    await tx.client.query('SAVEPOINT vee_final_save');
    try {
      const saved = await saveOnce(tx, finals, opts);
      await tx.client.query('RELEASE SAVEPOINT vee_final_save');
      return saved;
    } catch (e) {
      try {
        await tx.client.query('ROLLBACK TO SAVEPOINT vee_final_save');
        await tx.client.query('RELEASE SAVEPOINT vee_final_save');
      } catch {
        throw e;
      }
      // Another transaction wrote one of these series first (it has committed: the COPY or the UPDATE waited for
      // it): redo against what it wrote.
      if (!isUniqueViolation(e) && !(e instanceof SupersededMeanwhile)) throw e;
      if (attempt >= MAX_SAVE_ATTEMPTS) {
        throw new FronteiraError(
          'FRONTEIRA_E_CONFLICT',
          `final series kept changing under ${MAX_SAVE_ATTEMPTS} save attempts (concurrent VEE runs on the same points)`,
          { attempts: attempt },
          { cause: e },
        );
      }
    }
  }
}

/** Current versions of the points' series over from..to, ordered by point, quantity and day. */
export async function getCurrentFinals(
  db: VeeDb,
  pointIds: readonly number[],
  from: string,
  to: string,
  quantityCodes?: readonly number[],
): Promise<FinalDay[]> {
  checkIds(pointIds, 'pointIds');
  checkRange(from, to);
  if (pointIds.length === 0) return [];
  const rows = await veeQuery<FinalRow>(
    db,
    `SELECT ${FINAL_COLUMNS}
       FROM vee_final f JOIN metering_point p ON p.id = f.point_id
      WHERE f.superseded_at IS NULL AND f.point_id = ANY($1::bigint[]) AND f.day BETWEEN $2::date AND $3::date
        AND ($4::smallint[] IS NULL OR f.quantity_code = ANY($4::smallint[]))
      ORDER BY f.point_id, f.quantity_code, f.day`,
    [pointIds, from, to, quantityCodes ?? null],
  );
  return rows.map(rowToFinal);
}

export interface FinalVersion {
  id: number;
  version: number;
  current: boolean;
  cause: string;
  createdAt: Date;
  supersededAt: Date | null;
  lockedAt: Date | null;
  lockedBy: string | null;
  final: FinalDay;
}

/** Every version of one series, oldest first. */
export async function getFinalHistory(
  db: VeeDb,
  pointId: number,
  quantityCode: number,
  day: string,
): Promise<FinalVersion[]> {
  checkIds([pointId], 'pointId');
  checkDayArg(day, 'day');
  const rows = await veeQuery<
    FinalRow & {
      cause: string;
      created_at: Date;
      superseded_at: Date | null;
      locked_at: Date | null;
      locked_by: string | null;
    }
  >(
    db,
    `SELECT ${FINAL_COLUMNS}, f.cause, f.created_at, f.superseded_at, f.locked_at, f.locked_by
       FROM vee_final f JOIN metering_point p ON p.id = f.point_id
      WHERE f.point_id = $1 AND f.quantity_code = $2 AND f.day = $3::date
      ORDER BY f.version`,
    [pointId, quantityCode, day],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    version: r.version,
    current: r.superseded_at === null,
    cause: r.cause,
    createdAt: r.created_at,
    supersededAt: r.superseded_at,
    lockedAt: r.locked_at,
    lockedBy: r.locked_by,
    final: rowToFinal(r),
  }));
}

/** A version to lock: by row id, or by series (its current version unless `version` is given). */
export type FinalRef = { id: number } | (SeriesKey & { version?: number });

export interface LockedFinal extends SeriesKey {
  id: number;
  version: number;
  lockedAt: Date;
  lockedBy: string;
  /** It was locked before this call (its first lock is kept). */
  alreadyLocked: boolean;
}

/**
 * Locks versions (an export or a bill used them): locked_at/locked_by are set once and never changed. Returns the
 * versions found; a ref that matches nothing (unknown id, no current version) is absent from the result.
 */
export async function lockFinals(db: VeeDb, refs: readonly FinalRef[], by: string): Promise<LockedFinal[]> {
  if (typeof by !== 'string' || by.trim() === '')
    throw badInput('by', 'who locks must be named (export:<id>, bill:<id>, user:<name>)');
  const ids: number[] = [];
  const keys: (SeriesKey & { version?: number })[] = [];
  refs.forEach((r, i) => {
    if ('id' in r) {
      checkIds([r.id], `refs[${i}].id`);
      ids.push(r.id);
    } else {
      checkIds([r.pointId], `refs[${i}].pointId`);
      checkDayArg(r.day, `refs[${i}].day`);
      if (!Number.isInteger(r.quantityCode))
        throw badInput(`refs[${i}].quantityCode`, `${r.quantityCode} is not a code`);
      if (r.version !== undefined && (!Number.isInteger(r.version) || r.version < 1)) {
        throw badInput(`refs[${i}].version`, `${r.version} is not a version`);
      }
      keys.push(r);
    }
  });
  if (refs.length === 0) return [];
  const rows = await veeQuery<{
    id: number;
    point_id: number;
    quantity_code: number;
    day: string;
    version: number;
    locked_at: Date;
    locked_by: string;
    was: boolean;
  }>(
    db,
    `WITH k AS (
       SELECT * FROM unnest($2::bigint[], $3::smallint[], $4::date[], $5::int[]) AS k(p, q, d, v)
     ), t AS (
       SELECT f.id, f.locked_at IS NOT NULL AS was
         FROM vee_final f
        WHERE f.id IN (SELECT unnest($1::bigint[])
                       UNION
                       SELECT x.id FROM vee_final x JOIN k ON x.point_id = k.p AND x.quantity_code = k.q
                          AND x.day = k.d AND (CASE WHEN k.v IS NULL THEN x.superseded_at IS NULL ELSE x.version = k.v END))
        ORDER BY f.id
          FOR UPDATE OF f
     )
     UPDATE vee_final f
        SET locked_at = COALESCE(f.locked_at, now()), locked_by = COALESCE(f.locked_by, $6)
       FROM t
      WHERE f.id = t.id
     RETURNING f.id, f.point_id, f.quantity_code, to_char(f.day, 'YYYY-MM-DD') AS day, f.version, f.locked_at,
               f.locked_by, t.was`,
    [
      ids,
      keys.map((k) => k.pointId),
      keys.map((k) => k.quantityCode),
      keys.map((k) => k.day),
      keys.map((k) => k.version ?? null),
      by,
    ],
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      pointId: Number(r.point_id),
      quantityCode: r.quantity_code,
      day: r.day,
      version: r.version,
      lockedAt: r.locked_at,
      lockedBy: r.locked_by,
      alreadyLocked: r.was,
    }))
    .sort((a, b) => a.id - b.id);
}

export interface FinalSeriesSummary {
  quantityCode: number;
  version: number;
  locked: boolean;
  counts: QualityCounts;
  energy: number;
}

export interface FinalDaySummary {
  pointId: number;
  day: string;
  /** Slots per quality over every quantity of the point-day. */
  counts: QualityCounts;
  series: FinalSeriesSummary[];
}

function qualityCounts(a: readonly number[] | null): QualityCounts {
  return { N: a?.[0] ?? 0, A: a?.[1] ?? 0, S: a?.[2] ?? 0, E: a?.[3] ?? 0, M: a?.[4] ?? 0 };
}

/**
 * Counts per quality of the current versions, per point and day (status pages, API): read from the counts column,
 * no arrays unpacked. `pointIds` absent = every point.
 */
export async function finalSummary(
  db: VeeDb,
  q: { from: string; to: string; pointIds?: readonly number[] },
): Promise<FinalDaySummary[]> {
  checkRange(q.from, q.to);
  if (q.pointIds) checkIds(q.pointIds, 'pointIds');
  const rows = await veeQuery<{
    point_id: number;
    day: string;
    quantity_code: number;
    version: number;
    locked: boolean;
    counts: number[];
    energy: number;
  }>(
    db,
    `SELECT point_id, to_char(day, 'YYYY-MM-DD') AS day, quantity_code, version, locked_at IS NOT NULL AS locked,
            counts, energy
       FROM vee_final
      WHERE superseded_at IS NULL AND day BETWEEN $1::date AND $2::date
        AND ($3::bigint[] IS NULL OR point_id = ANY($3::bigint[]))
      ORDER BY point_id, day, quantity_code`,
    [q.from, q.to, q.pointIds ?? null],
  );
  const out: FinalDaySummary[] = [];
  let last: FinalDaySummary | null = null;
  for (const r of rows) {
    const pointId = Number(r.point_id);
    if (!last || last.pointId !== pointId || last.day !== r.day) {
      last = { pointId, day: r.day, counts: qualityCounts(null), series: [] };
      out.push(last);
    }
    const counts = qualityCounts(r.counts);
    for (const k of QUALITY_NAMES) last.counts[k] += counts[k];
    last.series.push({ quantityCode: r.quantity_code, version: r.version, locked: r.locked, counts, energy: r.energy });
  }
  return out;
}
