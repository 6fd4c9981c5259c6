import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { GOLDEN_DAY, seedExportPoint, supersedeFinal } from '../exports/testing.ts';
import {
  type ExportFileInsert,
  exportFinals,
  getExportFile,
  insertExportFiles,
  listExportFiles,
  markSuperseded,
  reserveExportIds,
} from './exports.ts';
import { getCurrentFinals, getFinalHistory, lockFinals } from './vee-final.ts';

const SHA = 'a'.repeat(64);

function produced(id: number, pointId: number, over: Partial<ExportFileInsert> = {}): ExportFileInsert {
  return {
    id,
    layout: 'ccee-5min',
    pointId,
    dayFrom: GOLDEN_DAY,
    dayTo: GOLDEN_DAY,
    scope: 'all',
    status: 'produced',
    fileName: `f${id}.xml`,
    path: `/tmp/f${id}.xml`,
    sha256: SHA,
    bytes: 10,
    error: null,
    createdBy: 'system',
    finals: [1, 14].map((q) => ({ pointId, quantityCode: q, day: GOLDEN_DAY, version: 1 })),
    ...over,
  };
}

for (const backend of backends) {
  describe(`export_file SQL on ${backend.name}`, () => {
    test('records, links and locks (first locker kept), staleness, lists, supersede', async () => {
      const store = await backend.open();
      try {
        const p = await seedExportPoint(store, 'SPSTORE000001', [GOLDEN_DAY], { quantityCodes: [1, 14] });
        const ids = await reserveExportIds(store.db, 3);
        assert.equal(ids.length, 3);
        assert.ok(ids[0] < ids[1] && ids[1] < ids[2]);
        // A version locked by a bill before the export keeps its first locker.
        await lockFinals(store.db, [{ pointId: p.pointId, quantityCode: 14, day: GOLDEN_DAY }], 'bill:9');
        await insertExportFiles(store.db, [
          produced(ids[0], p.pointId),
          {
            ...produced(ids[1], p.pointId),
            status: 'failed',
            fileName: null,
            path: null,
            sha256: null,
            bytes: null,
            error: 'XSD: line 3: bad',
            finals: [],
          },
        ]);
        const links = await exportFinals(store.db, ids[0]);
        assert.deepEqual(
          links.map((l) => [l.quantityCode, l.version, l.current, l.lockedBy]),
          [
            [1, 1, true, `export:${ids[0]}`],
            [14, 1, true, 'bill:9'],
          ],
        );
        assert.equal((await getExportFile(store.db, ids[0]))?.stale, false);
        assert.equal((await getExportFile(store.db, ids[1]))?.error, 'XSD: line 3: bad');

        const [c] = await getCurrentFinals(store.db, [p.pointId], GOLDEN_DAY, GOLDEN_DAY, [1]);
        await supersedeFinal(store, c, 0, 5);
        assert.equal((await getExportFile(store.db, ids[0]))?.stale, true);
        assert.equal((await getExportFile(store.db, ids[1]))?.stale, false, 'a failed record is never stale');
        assert.deepEqual(
          (await listExportFiles(store.db, { stale: true, limit: 10, offset: 0 })).items.map((i) => i.id),
          [ids[0]],
        );
        assert.equal((await listExportFiles(store.db, { status: 'failed', limit: 10, offset: 0 })).total, 1);
        assert.equal((await listExportFiles(store.db, { layout: 'ccee-hourly', limit: 10, offset: 0 })).total, 0);
        assert.equal((await listExportFiles(store.db, { from: '2026-11-27', limit: 10, offset: 0 })).total, 0);
        const page = await listExportFiles(store.db, { limit: 1, offset: 1 });
        assert.deepEqual([page.total, page.items.length], [2, 1]);
        const beyond = await listExportFiles(store.db, { limit: 1, offset: 5 });
        assert.deepEqual([beyond.total, beyond.items.length], [2, 0]);

        await insertExportFiles(store.db, [
          produced(ids[2], p.pointId, {
            replaces: ids[0],
            finals: [{ pointId: p.pointId, quantityCode: 1, day: GOLDEN_DAY, version: 2 }],
          }),
        ]);
        assert.equal(await markSuperseded(store.db, ids[0], ids[2]), true);
        assert.equal(await markSuperseded(store.db, ids[0], ids[2]), false, 'only once');
        assert.equal((await listExportFiles(store.db, { stale: true, limit: 10, offset: 0 })).total, 0);
        const history = await getFinalHistory(store.db, p.pointId, 1, GOLDEN_DAY);
        assert.deepEqual(
          history.map((h) => h.lockedBy),
          [`export:${ids[0]}`, `export:${ids[2]}`],
        );
      } finally {
        await store.close();
      }
    });

    test('a used version that does not exist is a conflict and nothing is recorded', async () => {
      const store = await backend.open();
      try {
        const p = await seedExportPoint(store, 'SPSTORE000002', [GOLDEN_DAY], { quantityCodes: [1] });
        const [id] = await reserveExportIds(store.db, 1);
        const bad = produced(id, p.pointId, {
          finals: [{ pointId: p.pointId, quantityCode: 1, day: GOLDEN_DAY, version: 7 }],
        });
        await assert.rejects(
          store.db.transaction().execute((trx) => insertExportFiles(trx, [bad])),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT') && /1 of 1 final versions/.test(e.message),
        );
        assert.equal(await getExportFile(store.db, id), undefined);
        await assert.rejects(insertExportFiles(store.db, [{ ...bad, sha256: null }]), /a produced file needs/);
      } finally {
        await store.close();
      }
    });
  });
}
