import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { emptyFinalDay, type FinalDay, finalDaysEqual, Method, Quality, Reason, Source } from '../vee/types.ts';
import { type Tx, withTransaction } from './bulk.ts';
import type { Store } from './pool.ts';
import {
  decodeFloat8ArraySend,
  finalSummary,
  getCurrentFinals,
  getFinalHistory,
  lockFinals,
  saveFinals,
} from './vee-final.ts';

function final(pointId: number, day: string, fill: (k: number) => number | null, over: Partial<FinalDay> = {}) {
  const f = emptyFinalDay({ pointId, pointCode: 'SPSIMUI000001', quantityCode: 1, day, slots: 288, intervalS: 300 });
  for (let k = 0; k < f.slots; k++) {
    const v = fill(k);
    if (v === null) continue;
    f.value[k] = v;
    f.quality[k] = Quality.A;
    f.reason[k] = Reason.none;
    f.source[k] = Source.principal;
  }
  f.notes = { principalMeterId: 7, retaguardaMeterId: null };
  return { ...f, ...over };
}

const save = (store: Store, finals: FinalDay[], cause = 'vee', now?: Date) =>
  withTransaction(store, (tx) => saveFinals(tx, finals, { cause, now }));

test('float8[] array_send codec: NULL is NaN, a scratch array is reused, garbage is a typed error', () => {
  const body = Buffer.alloc(20 + 12 + 4);
  body.writeInt32BE(1, 0);
  body.writeInt32BE(1, 4);
  body.writeUInt32BE(701, 8);
  body.writeInt32BE(2, 12);
  body.writeInt32BE(1, 16);
  body.writeInt32BE(8, 20);
  body.writeDoubleBE(-0.1, 24);
  body.writeInt32BE(-1, 32);
  const scratch = new Float64Array(8);
  const out = decodeFloat8ArraySend(body.toString('base64'), 'x', scratch);
  assert.equal(out.buffer, scratch.buffer);
  assert.deepEqual([...out], [-0.1, Number.NaN]);
  assert.throws(
    () => decodeFloat8ArraySend(body.subarray(0, 30).toString('base64')),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
  );
  assert.throws(
    () => decodeFloat8ArraySend('AAAA'),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
  );
});

for (const backend of backends) {
  describe(`vee_final SQL on ${backend.name}`, () => {
    test('save, unchanged, new version, supersede, history; values and notes round-trip exactly', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const t1 = new Date('2024-05-02T10:00:00.000Z');
        const a = final(p.id, '2024-05-01', (k) => (k === 3 ? null : k === 4 ? -0.1 : k * 0.1 + 1e-9));
        a.method[3] = Method.RR;
        a.notes = {
          principalMeterId: 7,
          retaguardaMeterId: 8,
          likeDays: ['2024-04-24'],
          scale: { factor: 1.5, target: 2, slots: 3 },
        };
        const b = final(p.id, '2024-05-01', (k) => k, { quantityCode: 14 });
        const first = await save(store, [a, b], 'vee', t1);
        assert.deepEqual(
          first.map((r) => [r.quantityCode, r.version, r.changed, r.previousVersion, r.previousLocked]),
          [
            [1, 1, true, null, false],
            [14, 1, true, null, false],
          ],
        );
        // Same content again (fresh objects, notes with keys in another order and an undefined key): nothing written.
        const a2 = final(p.id, '2024-05-01', (k) => (k === 3 ? null : k === 4 ? -0.1 : k * 0.1 + 1e-9));
        a2.method[3] = Method.RR;
        a2.notes = {
          scale: { slots: 3, target: 2, factor: 1.5 },
          likeDays: ['2024-04-24'],
          retaguardaMeterId: 8,
          principalMeterId: 7,
          messages: undefined,
        };
        const again = await save(store, [a2, b]);
        assert.deepEqual(
          again.map((r) => [r.version, r.changed]),
          [
            [1, false],
            [1, false],
          ],
        );
        const [cur] = await getCurrentFinals(store.db, [p.id], '2024-05-01', '2024-05-01', [1]);
        assert.ok(finalDaysEqual(cur, a), 'stored content equals what was saved');
        assert.equal(cur.pointCode, 'SPSIMUI000001');
        assert.equal(cur.version, 1);
        assert.equal(cur.locked, false);
        assert.ok(Number.isNaN(cur.value[3]));
        assert.equal(cur.value[4], -0.1);
        assert.equal(cur.value[287], 287 * 0.1 + 1e-9);

        // A changed slot: version 2 supersedes version 1, which stays as history.
        const t2 = new Date('2024-05-03T10:00:00.000Z');
        const c = final(p.id, '2024-05-01', (k) => (k === 4 ? -0.1 : k * 0.1 + 1e-9));
        c.notes = a.notes;
        c.quality[3] = Quality.E;
        c.method[3] = Method.LI;
        c.source[3] = Source.estimate;
        c.reason[3] = Reason.missing;
        const third = await save(store, [c], 'edit:12', t2);
        assert.deepEqual(
          third.map((r) => [r.version, r.changed, r.previousVersion]),
          [[2, true, 1]],
        );
        const history = await getFinalHistory(store.db, p.id, 1, '2024-05-01');
        assert.deepEqual(
          history.map((h) => [h.version, h.current, h.cause, h.createdAt.getTime(), h.supersededAt?.getTime() ?? null]),
          [
            [1, false, 'vee', t1.getTime(), t2.getTime()],
            [2, true, 'edit:12', t2.getTime(), null],
          ],
        );
        assert.ok(finalDaysEqual(history[0].final, a));
        assert.ok(finalDaysEqual(history[1].final, c));
        const all = await getCurrentFinals(store.db, [p.id], '2024-04-01', '2024-05-31');
        assert.deepEqual(
          all.map((f) => [f.quantityCode, f.version]),
          [
            [1, 2],
            [14, 1],
          ],
        );
        const summary = await finalSummary(store.db, { from: '2024-05-01', to: '2024-05-01' });
        assert.equal(summary.length, 1);
        assert.deepEqual(summary[0].counts, { N: 0, A: 287 + 288, S: 0, E: 1, M: 0 });
        assert.deepEqual(
          summary[0].series.map((s) => [s.quantityCode, s.version, s.locked, s.energy]),
          [
            [1, 2, false, c.value.reduce((x, v) => x + v, 0)],
            [14, 1, false, (287 * 288) / 2],
          ],
        );
        const counts = await store.pool.query(
          'SELECT counts FROM vee_final WHERE superseded_at IS NULL ORDER BY quantity_code',
        );
        assert.deepEqual(counts.rows[0].counts, [0, 287, 0, 1, 0]);
      } finally {
        await store.close();
      }
    });

    test('"unchanged" is exactly finalDaysEqual, whatever differs', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const base = () => {
          const f = final(p.id, '2024-08-01', (k) => (k % 50 === 7 ? null : (k * 7) / 3));
          f.notes = { principalMeterId: 1, retaguardaMeterId: 2, likeDays: ['2024-07-25'], likeDayScale: 1 / 3 };
          f.value[9] = 0;
          return f;
        };
        const variants: [string, (f: FinalDay) => void][] = [
          ['same', () => {}],
          [
            '-0 for 0',
            (f) => {
              f.value[9] = -0;
            },
          ],
          [
            'notes key order',
            (f) => {
              f.notes = { likeDayScale: 1 / 3, likeDays: ['2024-07-25'], retaguardaMeterId: 2, principalMeterId: 1 };
            },
          ],
          [
            'a value',
            (f) => {
              f.value[10] += 1e-12;
            },
          ],
          [
            'missing → value',
            (f) => {
              f.value[7] = 0;
            },
          ],
          [
            'value → missing',
            (f) => {
              f.value[8] = Number.NaN;
            },
          ],
          [
            'quality',
            (f) => {
              f.quality[0] = Quality.S;
            },
          ],
          [
            'method',
            (f) => {
              f.method[287] = Method.ZO;
            },
          ],
          [
            'reason',
            (f) => {
              f.reason[100] = Reason.outage;
            },
          ],
          [
            'source',
            (f) => {
              f.source[1] = Source.retaguarda;
            },
          ],
          [
            'notes value',
            (f) => {
              f.notes = { ...f.notes, likeDayScale: 0.3333 };
            },
          ],
          [
            'notes added',
            (f) => {
              f.notes = { ...f.notes, messages: ['x'] };
            },
          ],
          [
            'unit',
            (f) => {
              f.unit = 'MWh';
            },
          ],
        ];
        let version = 0;
        for (const [name, change] of variants) {
          await store.pool.query('DELETE FROM vee_final');
          const a = base();
          await save(store, [a]);
          const b = base();
          change(b);
          const [r] = await save(store, [b]);
          assert.equal(r.changed, !finalDaysEqual(a, b), name);
          version = Math.max(version, r.version);
        }
        assert.equal(version, 2);
      } finally {
        await store.close();
      }
    });

    test('a locked version never changes: a new version is still written beside it', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const v1 = final(p.id, '2024-06-10', (k) => k);
        await save(store, [v1]);
        const [l1] = await lockFinals(store.db, [{ pointId: p.id, quantityCode: 1, day: '2024-06-10' }], 'export:5');
        assert.equal(l1.version, 1);
        assert.equal(l1.lockedBy, 'export:5');
        assert.equal(l1.alreadyLocked, false);
        const [again] = await lockFinals(store.db, [{ id: l1.id }], 'bill:9');
        assert.equal(again.alreadyLocked, true);
        assert.equal(again.lockedBy, 'export:5', 'the first lock is kept');
        assert.equal(again.lockedAt.getTime(), l1.lockedAt.getTime());
        const [locked] = await getCurrentFinals(store.db, [p.id], '2024-06-10', '2024-06-10');
        assert.equal(locked.locked, true);
        // Unchanged content against a locked version: nothing.
        const same = await save(store, [final(p.id, '2024-06-10', (k) => k)]);
        assert.deepEqual([same[0].changed, same[0].version, same[0].previousLocked], [false, 1, true]);
        const before = await store.pool.query('SELECT * FROM vee_final WHERE id = $1', [l1.id]);
        const v2 = final(p.id, '2024-06-10', (k) => (k === 0 ? 99 : k));
        const saved = await save(store, [v2]);
        assert.deepEqual([saved[0].changed, saved[0].version, saved[0].previousLocked], [true, 2, true]);
        const after = await store.pool.query('SELECT * FROM vee_final WHERE id = $1', [l1.id]);
        const { superseded_at: s0, ...restBefore } = before.rows[0];
        const { superseded_at: s1, ...restAfter } = after.rows[0];
        assert.equal(s0, null);
        assert.ok(s1 instanceof Date, 'the locked version is superseded (history), nothing else changes');
        assert.deepEqual(restAfter, restBefore);
        const history = await getFinalHistory(store.db, p.id, 1, '2024-06-10');
        assert.deepEqual(
          history.map((h) => [h.version, h.current, h.lockedBy]),
          [
            [1, false, 'export:5'],
            [2, true, null],
          ],
        );
        assert.ok(finalDaysEqual(history[0].final, v1));
        // Locking by series + version, and refs that match nothing.
        const locked2 = await lockFinals(
          store.db,
          [
            { pointId: p.id, quantityCode: 1, day: '2024-06-10', version: 2 },
            { pointId: p.id, quantityCode: 1, day: '2024-06-11' },
            { id: 999999 },
          ],
          'user:ana',
        );
        assert.deepEqual(
          locked2.map((l) => [l.version, l.lockedBy]),
          [[2, 'user:ana']],
        );
        await assert.rejects(lockFinals(store.db, [{ id: l1.id }], ' '), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
      } finally {
        await store.close();
      }
    });

    test('bad input is refused before anything is written', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const ok = final(p.id, '2024-06-10', (k) => k);
        const cases: [string, FinalDay[], string][] = [
          ['twice', [ok, final(p.id, '2024-06-10', (k) => k + 1)], 'listed twice'],
          ['short', [{ ...ok, value: new Float64Array(10) }], 'value'],
          ['code', [{ ...ok, quality: new Uint8Array(288).fill(9) }], 'quality code 9'],
          ['day', [{ ...ok, day: '2024-02-30' }], 'day'],
          ['interval', [{ ...ok, intervalS: 7 }], 'interval'],
        ];
        for (const [name, finals, message] of cases) {
          await assert.rejects(
            save(store, finals),
            (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && e.message.includes(message),
            name,
          );
        }
        await assert.rejects(save(store, [ok], ''), (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'));
        await assert.rejects(saveFinals(store.db as unknown as Tx, [ok], { cause: 'vee' }), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        assert.deepEqual(await save(store, []), []);
        const n = await store.pool.query('SELECT count(*)::int AS n FROM vee_final');
        assert.equal(n.rows[0].n, 0);
      } finally {
        await store.close();
      }
    });

    test('two transactions saving the same series never leave two current versions', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const x = final(p.id, '2024-07-01', (k) => k);
        const y = final(p.id, '2024-07-01', (k) => k * 2);
        const other = final(p.id, '2024-07-02', (k) => k);
        if (backend.name === 'postgres') {
          // T1 inserts version 1 and waits; T2 saves other content for the same (new) series and must wait on the
          // unique index, then redo its save on top of T1's version.
          let release!: () => void;
          const gate = new Promise<void>((r) => {
            release = r;
          });
          let t1Saved!: () => void;
          const t1Done = new Promise<void>((r) => {
            t1Saved = r;
          });
          const t1 = withTransaction(store, async (tx) => {
            const r = await saveFinals(tx, [x], { cause: 'vee' });
            t1Saved();
            await gate;
            return r;
          });
          await t1Done;
          const t2 = withTransaction(store, (tx) => saveFinals(tx, [other, y], { cause: 'vee' }));
          await waitForLockWait(store);
          release();
          const [r1, r2] = await Promise.all([t1, t2]);
          assert.deepEqual(
            r1.map((r) => [r.version, r.changed]),
            [[1, true]],
          );
          assert.deepEqual(
            r2.map((r) => [r.day, r.version, r.changed, r.previousVersion]),
            [
              ['2024-07-02', 1, true, null],
              ['2024-07-01', 2, true, 1],
            ],
          );
          // Both now hold the current version of an existing series: the second waits on the row lock.
          const z = final(p.id, '2024-07-01', (k) => k * 3);
          let release2!: () => void;
          const gate2 = new Promise<void>((r) => {
            release2 = r;
          });
          let t3Saved!: () => void;
          const t3Done = new Promise<void>((r) => {
            t3Saved = r;
          });
          const t3 = withTransaction(store, async (tx) => {
            const r = await saveFinals(tx, [z], { cause: 'vee' });
            t3Saved();
            await gate2;
            return r;
          });
          await t3Done;
          const t4 = withTransaction(store, (tx) => saveFinals(tx, [z], { cause: 'vee' }));
          await waitForLockWait(store);
          release2();
          const [r3, r4] = await Promise.all([t3, t4]);
          assert.deepEqual([r3[0].version, r3[0].changed], [3, true]);
          assert.deepEqual([r4[0].version, r4[0].changed], [3, false], 'the second sees the first one’s version');
        } else {
          // One connection: the transactions run one after the other, with the same outcome.
          const [r1, r2] = await Promise.all([
            withTransaction(store, (tx) => saveFinals(tx, [x], { cause: 'vee' })),
            withTransaction(store, (tx) => saveFinals(tx, [other, y], { cause: 'vee' })),
          ]);
          assert.equal(r1[0].version, 1);
          assert.deepEqual([r2[1].version, r2[1].changed], [2, true]);
        }
        const cur = await store.pool.query(
          `SELECT day, count(*)::int AS n FROM vee_final WHERE superseded_at IS NULL GROUP BY day ORDER BY day`,
        );
        assert.deepEqual(
          cur.rows.map((r) => r.n),
          [1, 1],
        );
        const versions = await store.pool.query(
          `SELECT version FROM vee_final WHERE day = '2024-07-01' ORDER BY version`,
        );
        assert.deepEqual(
          versions.rows.map((r) => r.version),
          backend.name === 'postgres' ? [1, 2, 3] : [1, 2],
        );
      } finally {
        await store.close();
      }
    });
  });
}

/** Waits until some other session of this database waits on a lock (the second transaction is blocked). */
async function waitForLockWait(store: Store): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await store.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    if (r.rows[0].n > 0) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  assert.fail('the second transaction never waited on a lock');
}
