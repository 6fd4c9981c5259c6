import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { listAudit } from './audit.ts';
import { withTransaction } from './bulk.ts';
import { getEdit, insertEdit, listEdits, type NewManualEdit, reverseEdit } from './vee-edits.ts';

for (const backend of backends) {
  describe(`vee_manual_edit SQL on ${backend.name}`, () => {
    test('insert, list, reverse; every change audited with who, when, before, after and comment', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const q = await insertTestPoint(store.db, 'SPSIMUI000002');
        const t1 = new Date('2024-05-02T12:00:00.000Z');
        const replace = await insertEdit(
          store.db,
          {
            pointId: p.id,
            quantityCode: 1,
            day: '2024-05-01',
            firstSlot: 10,
            lastSlot: 12,
            kind: 'replace',
            values: [1.5, 0, -2.25],
            comment: 'leitura no local',
            createdBy: 'api:ana',
          },
          { before: { value: [null, null, null], quality: 'NNN' }, now: t1 },
        );
        assert.deepEqual(replace, {
          id: replace.id,
          pointId: p.id,
          quantityCode: 1,
          day: '2024-05-01',
          firstSlot: 10,
          lastSlot: 12,
          kind: 'replace',
          values: [1.5, 0, -2.25],
          comment: 'leitura no local',
          createdBy: 'api:ana',
          createdAt: t1.getTime(),
          reversedAt: null,
          reversedBy: null,
          reverseComment: null,
        });
        const accept = await withTransaction(store, (tx) =>
          insertEdit(tx, {
            pointId: p.id,
            quantityCode: 1,
            day: '2024-05-01',
            firstSlot: 40,
            lastSlot: 40,
            kind: 'accept',
            comment: 'pico confirmado',
            createdBy: 'api:bia',
          }),
        );
        const other = await insertEdit(store.db, {
          pointId: q.id,
          quantityCode: 14,
          day: '2024-05-03',
          firstSlot: 0,
          lastSlot: 287,
          kind: 'copy_retaguarda',
          values: null,
          comment: 'principal com defeito',
          createdBy: 'api:ana',
        });
        const interp = await insertEdit(store.db, {
          pointId: p.id,
          quantityCode: 10,
          day: '2024-05-02',
          firstSlot: 3,
          lastSlot: 8,
          kind: 'interpolate',
          comment: 'lacuna',
          createdBy: 'api:ana',
        });

        const t2 = new Date('2024-05-04T08:00:00.000Z');
        const reversed = await reverseEdit(store.db, replace.id, 'api:chefe', 'valores errados', { now: t2 });
        assert.equal(reversed.reversedAt, t2.getTime());
        assert.equal(reversed.reversedBy, 'api:chefe');
        assert.equal(reversed.reverseComment, 'valores errados');
        assert.deepEqual(reversed.values, [1.5, 0, -2.25], 'the edit itself is kept');
        await assert.rejects(
          reverseEdit(store.db, replace.id, 'api:ana', 'de novo'),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT') && e.details.reason === 'already_reversed',
        );
        await assert.rejects(reverseEdit(store.db, 999999, 'api:ana', 'x'), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND'),
        );
        await assert.rejects(reverseEdit(store.db, accept.id, 'api:ana', '  '), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        assert.equal((await getEdit(store.db, accept.id))?.reversedAt, null);

        assert.deepEqual(
          (await listEdits(store.db, { pointIds: [p.id, q.id] })).map((e) => e.id),
          [accept.id, interp.id, other.id],
          'active edits, in application order',
        );
        assert.deepEqual(
          (await listEdits(store.db, { pointIds: [p.id] }, '2024-05-01', '2024-05-01', { includeReversed: true })).map(
            (e) => e.id,
          ),
          [replace.id, accept.id],
        );
        assert.deepEqual(
          (
            await listEdits(store.db, {
              keys: [
                { pointId: p.id, quantityCode: 10, day: '2024-05-02' },
                { pointId: q.id, quantityCode: 14, day: '2024-05-03' },
                { pointId: q.id, quantityCode: 1, day: '2024-05-03' },
              ],
            })
          ).map((e) => e.id),
          [interp.id, other.id],
        );
        assert.deepEqual(await listEdits(store.db, { keys: [] }), []);

        const audits = await listAudit(store.db, { entity: 'vee_manual_edit', limit: 20 });
        assert.equal(audits.length, 5);
        const created = audits.find((a) => a.action === 'create' && a.entity_id === String(replace.id))!;
        assert.equal(created.actor, 'api:ana');
        assert.equal(created.comment, 'leitura no local');
        assert.deepEqual(created.before, { value: [null, null, null], quality: 'NNN' });
        assert.deepEqual((created.after as { values: number[] }).values, [1.5, 0, -2.25]);
        const rev = audits.find((a) => a.action === 'reverse')!;
        assert.deepEqual([rev.actor, rev.entity_id, rev.comment], ['api:chefe', String(replace.id), 'valores errados']);
        assert.equal((rev.before as { reversedAt: string | null }).reversedAt, null);
        assert.equal((rev.after as { reversedAt: string }).reversedAt, t2.toISOString());
      } finally {
        await store.close();
      }
    });

    test('edits without a comment, with wrong values or slots are refused; nothing is stored', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const base: NewManualEdit = {
          pointId: p.id,
          quantityCode: 1,
          day: '2024-05-01',
          firstSlot: 0,
          lastSlot: 1,
          kind: 'replace',
          values: [1, 2],
          comment: 'ok',
          createdBy: 'api:ana',
        };
        const bad: [Partial<NewManualEdit>, string][] = [
          [{ comment: ' ' }, 'comment'],
          [{ createdBy: '' }, 'createdBy'],
          [{ values: [1] }, 'values'],
          [{ values: [1, Number.NaN] }, 'values[1]'],
          [{ kind: 'accept' }, 'values'],
          [{ kind: 'erase' as NewManualEdit['kind'] }, 'kind'],
          [{ firstSlot: 3 }, 'lastSlot'],
          [{ firstSlot: -1 }, 'firstSlot'],
          [{ day: '2024-5-1' }, 'day'],
        ];
        for (const [over, field] of bad) {
          await assert.rejects(
            insertEdit(store.db, { ...base, ...over }),
            (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && e.details.field === field,
            field,
          );
        }
        const n = await store.pool.query(
          'SELECT (SELECT count(*) FROM vee_manual_edit)::int AS e, (SELECT count(*) FROM audit_log)::int AS a',
        );
        assert.deepEqual(n.rows[0], { e: 0, a: 0 });
      } finally {
        await store.close();
      }
    });
  });
}
