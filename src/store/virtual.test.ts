import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { emptyFinalDay } from '../vee/types.ts';
import { withTransaction } from './bulk.ts';
import { insertMeter, insertPoint } from './registry.ts';
import { clearDirty } from './vee-dirty.ts';
import { saveFinals, veeQuery } from './vee-final.ts';
import {
  claimVirtualDirty,
  finalDaysOf,
  insertVirtualRow,
  listVersionRows,
  listVirtualRows,
  loadPointFacts,
  markVirtualDependentsDirty,
  retireVirtualRow,
  setVirtualInputs,
  updateVirtualRow,
  virtualPointIds,
  virtualRowByName,
} from './virtual.ts';

const row = (name: string, code: string | null = null) => ({
  code,
  segment: 'faturamento',
  name,
  channel: 'C',
  quantityCode: 1,
  unit: 'kWh',
  formula: 'SPSTOREVIRT01.C',
  description: null,
  tags: ['t'],
  createdBy: 'user:a',
  comment: null,
});

for (const backend of backends) {
  describe(`virtual meter SQL on ${backend.name}`, () => {
    test('rows, generated codes that skip taken ones, versions, retire and reuse of a name, dirty marks', async () => {
      const store = await backend.open();
      try {
        const p = await insertPoint(store.db, {
          code: 'SPSTOREVIRT01',
          name: 'p',
          kind: 'fronteira',
          segment: 'livre',
        });
        const pid = Number(p.id);
        await insertMeter(store.db, pid, {
          serial: '9',
          role: 'principal',
          channelMap: [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 }],
        });
        // A user took the first generated code.
        await insertPoint(store.db, { code: 'VM00000000001', name: 'x', kind: 'fronteira', segment: 'livre' });
        const a = await withTransaction(store, (tx) => insertVirtualRow(tx, row('a')));
        assert.equal(a.code, 'VM00000000002');
        assert.equal(a.version, 1);
        const b = await withTransaction(store, (tx) => insertVirtualRow(tx, row('b', 'VMUSERCODE001')));
        assert.equal(b.code, 'VMUSERCODE001');
        await assert.rejects(
          withTransaction(store, (tx) => insertVirtualRow(tx, row('a'))),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
        );
        await assert.rejects(
          withTransaction(store, (tx) => insertVirtualRow(tx, row('c', 'SPSTOREVIRT01'))),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
        );
        const facts = await loadPointFacts(store.db);
        assert.deepEqual(facts.find((f) => f.id === pid)?.quantityCodes, [1]);
        assert.equal(facts.find((f) => f.id === a.pointId)?.kind, 'virtual');
        assert.deepEqual([...(await virtualPointIds(store.db, [pid, a.pointId]))], [a.pointId]);

        const a2 = await withTransaction(store, (tx) =>
          updateVirtualRow(tx, a, {
            formula: 'SPSTOREVIRT01.C * 2',
            description: 'd',
            tags: [],
            segment: 'cativo',
            by: 'user:b',
            comment: 'x2',
          }),
        );
        assert.equal(a2.version, 2);
        assert.equal(a2.segment, 'cativo');
        assert.deepEqual(
          (await listVersionRows(store.db, a.id)).map((v) => [v.version, v.formula, v.createdBy]),
          [
            [1, 'SPSTOREVIRT01.C', 'user:a'],
            [2, 'SPSTOREVIRT01.C * 2', 'user:b'],
          ],
        );

        // Dirty marks follow virtual_meter_input; a retired meter gets none.
        await setVirtualInputs(store.db, a.id, [{ pointId: pid, quantityCode: 1 }]);
        await setVirtualInputs(store.db, b.id, [
          { pointId: pid, quantityCode: 1 },
          { pointId: pid, quantityCode: 1 },
        ]);
        const n = await markVirtualDependentsDirty(store.db, [
          { pointId: pid, quantityCode: 1, day: '2026-01-02' },
          { pointId: pid, quantityCode: 14, day: '2026-01-03' },
        ]);
        assert.equal(n, 2);
        const claimed = await withTransaction(store, async (tx) => {
          const rows = await claimVirtualDirty(tx, 10);
          await clearDirty(tx, rows);
          return rows;
        });
        assert.deepEqual(
          claimed.map((r) => [r.pointId, r.day, r.reason]).sort(),
          [
            [a.pointId, '2026-01-02', 'input'],
            [b.pointId, '2026-01-02', 'input'],
          ].sort(),
        );
        const [{ n: left }] = await veeQuery<{ n: number }>(store.db, 'SELECT count(*)::int AS n FROM vee_dirty');
        assert.equal(left, 0);

        await withTransaction(store, (tx) => retireVirtualRow(tx, b));
        assert.equal(
          await markVirtualDependentsDirty(store.db, [{ pointId: pid, quantityCode: 1, day: '2026-01-04' }]),
          1,
        );
        // The name is free again once retired; by name, the active one comes first.
        const b2 = await withTransaction(store, (tx) => insertVirtualRow(tx, row('b')));
        assert.equal((await virtualRowByName(store.db, 'b'))?.id, b2.id);
        assert.equal((await listVirtualRows(store.db)).length, 2);
        assert.equal((await listVirtualRows(store.db, { includeRetired: true })).length, 3);

        const f = emptyFinalDay({
          pointId: pid,
          pointCode: 'SPSTOREVIRT01',
          quantityCode: 1,
          day: '2026-01-05',
          slots: 24,
          intervalS: 3600,
        });
        await withTransaction(store, (tx) => saveFinals(tx, [f, { ...f, day: '2026-01-01' }], { cause: 'vee' }));
        assert.deepEqual(
          await finalDaysOf(store.db, [
            { pointId: pid, quantityCode: 1 },
            { pointId: pid, quantityCode: 14 },
          ]),
          ['2026-01-01', '2026-01-05'],
        );
      } finally {
        await store.close();
      }
    });
  });
}
