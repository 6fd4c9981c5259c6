/**
 * The bulk write path: one interface over both backends for writing many rows inside one transaction.
 *
 * - PostgreSQL server: `COPY … FROM STDIN` (pg-copy-streams) on the pooled client that holds the transaction.
 * - PGlite: `COPY … FROM '/dev/blob'` with the rows as a Blob (its pg adapter crashes on COPY FROM STDIN, DESIGN.md).
 *   PGlite is one backend session behind a one-connection pool, so a blob COPY sent through `store.pglite` while our
 *   pooled client holds the transaction runs inside that same transaction: atomic with everything else in it.
 * - `INSERT … SELECT FROM unnest(…)` on either, for comparison and for small row counts (bench/ingest.ts measures
 *   which is faster per backend; `preferredMethod` holds the answer).
 *
 * Rows are encoded once as PostgreSQL text literals; COPY escapes them for its text format, unnest passes them as
 * text[] parameters and casts each column. Rows made of numeric arrays (day blocks) use COPY's binary format
 * instead (CopyBinary), which skips formatting and parsing every number.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { FronteiraError } from '../domain/errors.ts';
import type { Store, StoreKind } from './pool.ts';
import type { Schema } from './schema.ts';

/** One open transaction on one pooled connection: raw SQL on `client`, Kysely on `db`, COPY through `copyInto`. */
export interface Tx {
  kind: StoreKind;
  client: pg.PoolClient;
  /** Kysely bound to `client` (so its queries are part of the transaction). */
  readonly db: Kysely<Schema>;
  /** PGlite only: the engine behind `client`, for blob COPY. */
  pglite?: PGlite;
}

function boundKysely(client: pg.PoolClient): Kysely<Schema> {
  const wrapper = {
    query: client.query.bind(client),
    release: () => {},
  } as unknown as PostgresPoolClient;
  const pool: PostgresPool = { connect: async () => wrapper, end: async () => {} };
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` in one transaction on one pooled connection: COMMIT when it returns, ROLLBACK when it throws (the
 * error is rethrown). On PGlite this holds the only connection for the duration.
 */
export async function withTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await store.pool.connect();
  let db: Kysely<Schema> | null = null;
  const tx: Tx = {
    kind: store.kind,
    client,
    get db() {
      db ??= boundKysely(client);
      return db;
    },
    pglite: store.pglite,
  };
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(tx);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable: drop it from the pool rather than hand it to the next caller.
      broken = rollbackError as Error;
    }
    throw e;
  } finally {
    client.release(broken);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Text literals

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** JSON with typed arrays as hex / plain arrays (step traces hold raw bytes). */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x instanceof Uint8Array) return hexOf(x);
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
    if (typeof x === 'bigint') return x.toString();
    return x;
  });
}

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  const s = typeof v === 'string' ? v : String(v);
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * A value as PostgreSQL's text input reads it (null for SQL NULL): numbers, bigints, booleans, strings, Dates
 * (ISO instants), Uint8Array (bytea hex), 1-D arrays (NaN/null elements become NULL) and plain objects (JSON).
 * A non-finite number is NULL.
 */
export function pgLiteral(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : null;
    case 'string':
      return v;
    case 'boolean':
      return v ? 't' : 'f';
    case 'bigint':
      return v.toString();
  }
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `\\x${hexOf(v)}`;
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const a = v as ArrayLike<unknown>;
    let s = '{';
    for (let i = 0; i < a.length; i++) s += (i > 0 ? ',' : '') + arrayElement(a[i]);
    return `${s}}`;
  }
  return toJson(v);
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** Escapes a text literal for COPY's text format. */
export function copyEscape(s: string): string {
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** One COPY text cell. */
export function copyCell(v: unknown): string {
  const s = pgLiteral(v);
  return s === null ? '\\N' : copyEscape(s);
}

/**
 * COPY text-format input built line by line, in chunks of about 256 kB (a stream of modest writes rather than one
 * huge string).
 */
export class CopyText {
  readonly chunks: string[] = [];
  private current = '';
  rows = 0;

  /** Appends one row of cells already encoded with copyCell (or equivalent). */
  line(cells: string): void {
    this.current += `${cells}\n`;
    this.rows++;
    if (this.current.length > 262_144) {
      this.chunks.push(this.current);
      this.current = '';
    }
  }

  row(values: readonly unknown[]): void {
    let s = '';
    for (let i = 0; i < values.length; i++) s += (i > 0 ? '\t' : '') + copyCell(values[i]);
    this.line(s);
  }

  /** All chunks, the last one included. */
  done(): string[] {
    if (this.current.length > 0) {
      this.chunks.push(this.current);
      this.current = '';
    }
    return this.chunks;
  }
}

const BINARY_SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const PG_EPOCH_DAYS = 10_957; // 2000-01-01 in days since 1970-01-01
const DAY_MS = 86_400_000;
/** Element type OIDs of the arrays the binary writer knows. */
const OID_INT4 = 23;
const OID_FLOAT8 = 701;

/**
 * COPY binary-format input (PostgreSQL's "PGCOPY" layout), written field by field into large buffers. For rows of
 * numeric arrays this avoids formatting and parsing every number as text, on both sides. Field types must match
 * the columns exactly (int8, int2, int4, float8, timestamptz, date, float8[], int4[], bytea); the writer methods name the type they write.
 */
export class CopyBinary {
  readonly chunks: Uint8Array[] = [];
  rows = 0;
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(private readonly chunkSize = 1 << 20) {
    this.buf = new Uint8Array(chunkSize);
    this.view = new DataView(this.buf.buffer);
    this.buf.set(BINARY_SIGNATURE, 0);
    this.view.setInt32(11, 0);
    this.view.setInt32(15, 0);
    this.pos = 19;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(Math.max(this.chunkSize, n));
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.room(2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
    this.rows++;
  }

  null(): void {
    this.room(4);
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  int8(v: number): void {
    this.room(12);
    const hi = Math.floor(v / 4294967296);
    this.view.setInt32(this.pos, 8);
    this.view.setInt32(this.pos + 4, hi);
    this.view.setUint32(this.pos + 8, v - hi * 4294967296);
    this.pos += 12;
  }

  int8OrNull(v: number | null): void {
    if (v === null) this.null();
    else this.int8(v);
  }

  int4(v: number): void {
    this.room(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, v);
    this.pos += 8;
  }

  int2(v: number): void {
    this.room(6);
    this.view.setInt32(this.pos, 2);
    this.view.setInt16(this.pos + 4, v);
    this.pos += 6;
  }

  float8(v: number): void {
    this.room(12);
    this.view.setInt32(this.pos, 8);
    this.view.setFloat64(this.pos + 4, v);
    this.pos += 12;
  }

  /** An instant (epoch ms) as timestamptz: microseconds since 2000-01-01 UTC. */
  timestamptz(ms: number): void {
    this.int8((ms - PG_EPOCH_DAYS * DAY_MS) * 1000);
  }

  /** A 'YYYY-MM-DD' date. */
  date(day: string): void {
    const ms = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
    this.int4(Math.round(ms / DAY_MS) - PG_EPOCH_DAYS);
  }

  bytea(bytes: Uint8Array): void {
    this.room(4 + bytes.length);
    this.view.setInt32(this.pos, bytes.length);
    this.buf.set(bytes, this.pos + 4);
    this.pos += 4 + bytes.length;
  }

  private arrayHeader(bytes: number, n: number, hasNull: boolean, oid: number): void {
    this.room(4 + bytes);
    const v = this.view;
    v.setInt32(this.pos, bytes);
    v.setInt32(this.pos + 4, 1); // dimensions
    v.setInt32(this.pos + 8, hasNull ? 1 : 0);
    v.setInt32(this.pos + 12, oid);
    v.setInt32(this.pos + 16, n);
    v.setInt32(this.pos + 20, 1); // lower bound
    this.pos += 24;
  }

  /** float8[]; NaN elements are NULL. */
  float8Array(a: Float64Array): void {
    let nulls = 0;
    for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) nulls++;
    this.arrayHeader(20 + 4 * a.length + 8 * (a.length - nulls), a.length, nulls > 0, OID_FLOAT8);
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (Number.isNaN(x)) {
        v.setInt32(p, -1);
        p += 4;
      } else {
        v.setInt32(p, 8);
        v.setFloat64(p + 4, x);
        p += 12;
      }
    }
    this.pos = p;
  }

  /** int4[]; negative elements are NULL. */
  int4ArrayNonNegative(a: Int32Array): void {
    let nulls = 0;
    for (let i = 0; i < a.length; i++) if (a[i] < 0) nulls++;
    this.arrayHeader(20 + 4 * a.length + 4 * (a.length - nulls), a.length, nulls > 0, OID_INT4);
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (x < 0) {
        v.setInt32(p, -1);
        p += 4;
      } else {
        v.setInt32(p, 4);
        v.setInt32(p + 4, x);
        p += 8;
      }
    }
    this.pos = p;
  }

  /** All chunks, the trailer included. */
  done(): Uint8Array[] {
    this.room(2);
    this.view.setInt16(this.pos, -1);
    this.pos += 2;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    return this.chunks;
  }
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

function checkIdent(what: string, name: string): void {
  if (!IDENT.test(name)) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `bulk write: ${what} '${name}' is not a plain SQL identifier`);
  }
}

/**
 * COPY rows into `table` (columns in order) inside the transaction; returns the rows written. `rows` is either
 * prepared CopyText or value rows (encoded with copyCell).
 */
export async function copyInto(
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: CopyText | CopyBinary | Iterable<readonly unknown[]>,
): Promise<number> {
  checkIdent('table', table);
  for (const c of columns) checkIdent('column', c);
  if (rows instanceof CopyBinary)
    return copyChunks(tx, table, columns, rows.done(), rows.rows, ' WITH (FORMAT binary)');
  let text: CopyText;
  if (rows instanceof CopyText) text = rows;
  else {
    text = new CopyText();
    for (const r of rows) {
      if (r.length !== columns.length) {
        throw new FronteiraError(
          'FRONTEIRA_E_VALIDATION',
          `bulk write into ${table}: a row has ${r.length} values for ${columns.length} columns`,
        );
      }
      text.row(r);
    }
  }
  return copyChunks(tx, table, columns, text.done(), text.rows, '');
}

async function copyChunks(
  tx: Tx,
  table: string,
  columns: readonly string[],
  chunks: (string | Uint8Array)[],
  rows: number,
  options: string,
): Promise<number> {
  if (rows === 0) return 0;
  const target = `${table} (${columns.join(', ')})`;
  if (tx.kind === 'pglite') {
    if (!tx.pglite) throw new FronteiraError('FRONTEIRA_E_STORE_UNAVAILABLE', 'PGlite store without its engine');
    const r = await tx.pglite.query(`COPY ${target} FROM '/dev/blob'${options}`, [], {
      blob: new Blob(chunks as ConstructorParameters<typeof Blob>[0]),
    });
    return r.affectedRows ?? rows;
  }
  const stream = tx.client.query(copyFrom(`COPY ${target} FROM STDIN${options}`));
  await pipeline(Readable.from(chunks), stream);
  return stream.rowCount;
}

export interface BulkColumn {
  name: string;
  /** SQL type the text literal is cast to, e.g. 'bigint', 'float8[]', 'jsonb'. */
  type: string;
}

const TYPE = /^[a-z_][a-z0-9_ ]*(\[\])?$/;

/** `INSERT INTO table (…) SELECT … FROM unnest($1::text[], …)`: one statement, every column as text literals. */
export async function insertUnnest(
  tx: Tx,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly (readonly unknown[])[],
  suffix = '',
): Promise<number> {
  checkIdent('table', table);
  if (rows.length === 0) return 0;
  const params: (string | null)[][] = columns.map(() => new Array(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== columns.length) {
      throw new FronteiraError(
        'FRONTEIRA_E_VALIDATION',
        `bulk write into ${table}: row ${i} has ${r.length} values for ${columns.length} columns`,
      );
    }
    for (let c = 0; c < columns.length; c++) params[c][i] = pgLiteral(r[c]);
  }
  const names: string[] = [];
  const casts: string[] = [];
  const args: string[] = [];
  columns.forEach((c, i) => {
    checkIdent('column', c.name);
    if (!TYPE.test(c.type)) throw new FronteiraError('FRONTEIRA_E_VALIDATION', `bulk write: type '${c.type}' is odd`);
    names.push(c.name);
    casts.push(`u.c${i}::${c.type}`);
    args.push(`$${i + 1}::text[]`);
  });
  const alias = columns.map((_, i) => `c${i}`).join(', ');
  const r = await tx.client.query(
    `INSERT INTO ${table} (${names.join(', ')}) SELECT ${casts.join(', ')} FROM unnest(${args.join(', ')}) AS u(${alias}) ${suffix}`,
    params,
  );
  return r.rowCount ?? rows.length;
}

export type BulkMethod = 'copy' | 'unnest';

/**
 * The faster method per backend, measured by bench/ingest.ts (bench/RESULTS.md): COPY on both, for day blocks by a
 * wide margin (binary COPY against unnest of text literals cast per column).
 */
export function preferredMethod(_kind: StoreKind): BulkMethod {
  return 'copy';
}

/** Writes rows with the backend's preferred method (or the one asked for). */
export async function bulkInsert(
  tx: Tx,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly (readonly unknown[])[],
  method: BulkMethod = preferredMethod(tx.kind),
): Promise<number> {
  if (method === 'unnest') return insertUnnest(tx, table, columns, rows);
  return copyInto(
    tx,
    table,
    columns.map((c) => c.name),
    rows,
  );
}
