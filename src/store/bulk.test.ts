import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import {
  type BulkColumn,
  bulkInsert,
  CopyBinary,
  CopyText,
  copyCell,
  copyInto,
  insertUnnest,
  pgLiteral,
  preferredMethod,
  withTransaction,
} from './bulk.ts';

describe('text literals', () => {
  test('values as PostgreSQL reads them, escaped for COPY', () => {
    assert.equal(pgLiteral(null), null);
    assert.equal(pgLiteral(Number.NaN), null);
    assert.equal(pgLiteral(1.5), '1.5');
    assert.equal(pgLiteral(true), 't');
    assert.equal(pgLiteral(12n), '12');
    assert.equal(pgLiteral(new Date(0)), '1970-01-01T00:00:00.000Z');
    assert.equal(pgLiteral(Uint8Array.of(0, 255)), '\\x00ff');
    assert.equal(pgLiteral([1, null, Number.NaN, 2.5]), '{1,NULL,NULL,2.5}');
    assert.equal(pgLiteral(['a', 'b"c', 'd\\e', null]), '{"a","b\\"c","d\\\\e",NULL}');
    assert.equal(pgLiteral({ a: Uint8Array.of(1) }), '{"a":"01"}');
    assert.equal(copyCell(null), '\\N');
    assert.equal(copyCell('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(copyCell(Uint8Array.of(1)), '\\\\x01');
    assert.equal(preferredMethod('pglite'), 'copy');
  });

  test('CopyText splits long input into chunks and counts rows', () => {
    const t = new CopyText();
    for (let i = 0; i < 20_000; i++) t.row([i, 'x'.repeat(30)]);
    const chunks = t.done();
    assert.equal(t.rows, 20_000);
    assert.ok(chunks.length > 1);
    assert.equal(chunks.join('').split('\n').length - 1, 20_000);
  });
});

const COLUMNS: BulkColumn[] = [
  { name: 'id', type: 'int' },
  { name: 'label', type: 'text' },
  { name: 'v', type: 'float8[]' },
  { name: 'b', type: 'bytea' },
  { name: 'j', type: 'jsonb' },
  { name: 't', type: 'timestamptz' },
  { name: 'tags', type: 'text[]' },
];

const TRICKY = ['tab\there', 'line\nbreak', 'back\\slash', 'quote"s', "apo'strophe", 'çãõ ⚡', '\\N', 'NULL', ''];

function rowsFor(start: number): unknown[][] {
  return TRICKY.map((s, i) => [
    start + i,
    s,
    [i, null, i / 3],
    Uint8Array.of(i, 0, 255),
    { s, n: i, nested: [null, true] },
    new Date(Date.UTC(2024, 0, 1, 0, i)),
    [s, null, 'x'],
  ]);
}

for (const backend of backends) {
  describe(`bulk path on ${backend.name}`, () => {
    test('COPY and unnest write the same rows; a rolled-back transaction leaves none', async () => {
      const store = await backend.open();
      try {
        await store.pool.query(
          'CREATE TABLE bulk_t (id int PRIMARY KEY, label text, v float8[], b bytea, j jsonb, t timestamptz, tags text[])',
        );
        const n = await withTransaction(store, async (tx) => {
          const a = await copyInto(
            tx,
            'bulk_t',
            COLUMNS.map((c) => c.name),
            rowsFor(0),
          );
          const b = await insertUnnest(tx, 'bulk_t', COLUMNS, rowsFor(100));
          const c = await bulkInsert(tx, 'bulk_t', COLUMNS, rowsFor(200), 'unnest');
          const d = await bulkInsert(tx, 'bulk_t', COLUMNS, rowsFor(300));
          // Kysely bound to the transaction sees its own rows.
          const seen = await tx.db
            .selectFrom('bulk_t' as never)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow();
          assert.equal(Number(seen.n), 4 * TRICKY.length);
          return a + b + c + d;
        });
        assert.equal(n, 4 * TRICKY.length);
        const rows = (await store.pool.query('SELECT * FROM bulk_t ORDER BY id')).rows;
        for (const base of [0, 100, 200, 300]) {
          const got = rows.filter((r) => r.id >= base && r.id < base + 100);
          assert.deepEqual(
            got.map((r) => [r.label, r.v, [...r.b], r.j, r.t.toISOString(), r.tags]),
            TRICKY.map((s, i) => [
              s,
              [i, null, i / 3],
              [i, 0, 255],
              { s, n: i, nested: [null, true] },
              new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
              [s, null, 'x'],
            ]),
            `rows from ${base}`,
          );
        }

        await assert.rejects(
          withTransaction(store, async (tx) => {
            await copyInto(tx, 'bulk_t', ['id', 'label'], [[1000, 'kept?']]);
            await insertUnnest(tx, 'bulk_t', COLUMNS.slice(0, 2), [[1001, 'kept?']]);
            throw new Error('boom');
          }),
          /boom/,
        );
        // A COPY that fails inside the transaction rolls it back too, and the pool is usable afterwards.
        await assert.rejects(
          withTransaction(store, async (tx) => {
            await copyInto(tx, 'bulk_t', ['id', 'label'], [[2000, 'first']]);
            await copyInto(tx, 'bulk_t', ['id', 'label'], [[2000, 'duplicate key']]);
          }),
        );
        const count = await store.pool.query('SELECT count(*)::int AS n FROM bulk_t');
        assert.equal(count.rows[0].n, 4 * TRICKY.length);
      } finally {
        await store.close();
      }
    });

    test('binary COPY: integers of every width, dates, arrays with NULLs, bytea', async () => {
      const store = await backend.open();
      try {
        await store.pool.query(
          'CREATE TABLE bin_t (a bigint, b smallint, c int, d date, v float8[], p int[], f bytea, n bigint, x float8, t timestamptz)',
        );
        const rows = [
          [0, 0, 0, '2000-01-01', [0.1 + 0.2, Number.NaN, -1e-300, 1e300], [0, -1, 2147483647], [], null],
          [-1, -32768, -2147483648, '1999-12-31', [], [-5], [0, 255], 2 ** 53 - 1],
          [2 ** 40 + 5, 32767, 7, '2024-02-29', [Number.NaN], [], [1, 2, 3], -(2 ** 33)],
        ] as const;
        const bin = new CopyBinary(64);
        for (const r of rows) {
          bin.row(10);
          bin.int8(r[0]);
          bin.int2(r[1]);
          bin.int4(r[2]);
          bin.date(r[3]);
          bin.float8Array(Float64Array.from(r[4]));
          bin.int4ArrayNonNegative(Int32Array.from(r[5]));
          bin.bytea(Uint8Array.from(r[6]));
          bin.int8OrNull(r[7]);
          bin.float8(r[1] / 3);
          bin.timestamptz(Date.UTC(2024, 0, 1) + r[1] * 1000 + 7);
        }
        const n = await withTransaction(store, (tx) =>
          copyInto(tx, 'bin_t', ['a', 'b', 'c', 'd', 'v', 'p', 'f', 'n', 'x', 't'], bin),
        );
        assert.equal(n, 3);
        const xt = await store.pool.query('SELECT b, x, t FROM bin_t ORDER BY b');
        assert.deepEqual(
          xt.rows.map((r) => [r.x, r.t.getTime()]),
          [-32768, 0, 32767].map((b) => [b / 3, Date.UTC(2024, 0, 1) + b * 1000 + 7]),
        );
        const got = await store.pool.query(
          "SELECT a::text, b, c, to_char(d, 'YYYY-MM-DD') AS d, v, p, f, n::text FROM bin_t ORDER BY b DESC",
        );
        assert.deepEqual(
          got.rows.map((r) => [r.a, r.b, r.c, r.d, r.v, r.p, [...r.f], r.n]),
          [
            [String(2 ** 40 + 5), 32767, 7, '2024-02-29', [null], [], [1, 2, 3], String(-(2 ** 33))],
            ['0', 0, 0, '2000-01-01', [0.1 + 0.2, null, -1e-300, 1e300], [0, null, 2147483647], [], null],
            ['-1', -32768, -2147483648, '1999-12-31', [], [null], [0, 255], String(2 ** 53 - 1)],
          ],
        );
      } finally {
        await store.close();
      }
    });

    test('bad identifiers and row widths are refused before any SQL', async () => {
      const store = await backend.open();
      try {
        await withTransaction(store, async (tx) => {
          const refused = (p: Promise<unknown>) =>
            assert.rejects(p, (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'));
          await refused(copyInto(tx, 'x; DROP TABLE meter', ['a'], [[1]]));
          await refused(copyInto(tx, 'meter', ['a b'], [[1]]));
          await refused(copyInto(tx, 'meter', ['id', 'serial'], [[1]]));
          await refused(insertUnnest(tx, 'meter', [{ name: 'id', type: 'int); DROP' }], [[1]]));
          assert.equal(await copyInto(tx, 'meter', ['id'], []), 0);
        });
      } finally {
        await store.close();
      }
    });
  });
}
