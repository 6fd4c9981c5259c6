import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { audit, auditMany, countAudit, listAudit } from './audit.ts';

for (const backend of backends) {
  describe(`audit log on ${backend.name}`, () => {
    test('rows commit or roll back with the change; list filters, newest first', async () => {
      const store = await backend.open();
      try {
        await audit(store.db, {
          actor: 'cli:ana',
          action: 'create',
          entity: 'point',
          entityId: 'SPABCDEF00001',
          after: { name: 'A', at: new Date('2025-01-02T03:04:05Z') },
        });
        await store.db
          .transaction()
          .execute(async (trx) => {
            await audit(trx, { actor: 'cli:ana', action: 'update', entity: 'point', entityId: 'SPABCDEF00001' });
            throw new Error('the change failed');
          })
          .catch(() => {});
        assert.equal(await countAudit(store.db), 1, 'the audit row rolled back with its transaction');
        await store.db.transaction().execute(async (trx) => {
          await audit(trx, {
            actor: 'engine',
            action: 'update',
            entity: 'meter',
            entityId: 42,
            before: { tpRatio: 1 },
            after: { tpRatio: 120 },
            comment: 'troca de TP',
          });
        });
        await auditMany(
          store.db,
          Array.from({ length: 3 }, (_, i) => ({
            actor: 'import',
            action: 'create',
            entity: 'channel',
            entityId: i + 1,
          })),
        );
        assert.equal(await countAudit(store.db), 5);
        const all = await listAudit(store.db, { limit: 10 });
        assert.deepEqual(
          all.map((a) => `${a.entity}:${a.entity_id}`),
          ['channel:3', 'channel:2', 'channel:1', 'meter:42', 'point:SPABCDEF00001'],
        );
        const meter = await listAudit(store.db, { entity: 'meter', entityId: 42, limit: 10 });
        assert.equal(meter.length, 1);
        assert.equal(meter[0].actor, 'engine');
        assert.deepEqual(meter[0].before, { tpRatio: 1 });
        assert.deepEqual(meter[0].after, { tpRatio: 120 });
        assert.equal(meter[0].comment, 'troca de TP');
        assert.ok(meter[0].at instanceof Date);
        const point = (await listAudit(store.db, { actor: 'cli:ana', limit: 10 }))[0];
        assert.deepEqual(point.after, { name: 'A', at: '2025-01-02T03:04:05.000Z' });
        assert.equal(point.before, null);
        assert.equal((await listAudit(store.db, { entity: 'channel', limit: 2 })).length, 2);
      } finally {
        await store.close();
      }
    });
  });
}
