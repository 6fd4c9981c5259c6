import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { insertChannel, insertMeter, insertPoint, listActiveMeters, meterBySerial, pointByCode } from './registry.ts';

for (const backend of backends) {
  describe(`registry SQL on ${backend.name}`, () => {
    test('points, meters with validity, channels; listActiveMeters joins them', async () => {
      const store = await backend.open();
      try {
        const p = await insertPoint(store.db, {
          code: 'SPSIMUI000001',
          name: 'Fábrica',
          kind: 'consumidor_livre',
          segment: 'livre',
          tags: ['a'],
        });
        assert.equal((await pointByCode(store.db, 'SPSIMUI000001'))?.id, p.id);
        const old = await insertMeter(store.db, p.id, {
          serial: '11111111',
          role: 'principal',
          validFrom: new Date('2020-01-01T00:00:00Z'),
          validTo: new Date('2025-01-01T00:00:00Z'),
        });
        const cur = await insertMeter(store.db, p.id, {
          serial: '22222222',
          role: 'principal',
          validFrom: new Date('2025-01-01T00:00:00Z'),
          channelMap: [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }],
        });
        await insertChannel(store.db, cur.id, {
          kind: 'tcp',
          address: 'tcp://127.0.0.1:4100',
          concurrencyGroup: 'modem-1',
        });
        await insertChannel(store.db, cur.id, { kind: 'tcp', address: 'tcp://127.0.0.1:4101', enabled: false });
        assert.equal((await meterBySerial(store.db, '11111111', new Date('2024-06-01T00:00:00Z')))?.id, old.id);
        assert.equal(await meterBySerial(store.db, '11111111'), undefined);
        const active = await listActiveMeters(store.db);
        assert.equal(active.length, 1);
        assert.equal(active[0].meter.serial, '22222222');
        assert.equal(active[0].point.code, 'SPSIMUI000001');
        assert.deepEqual(active[0].point.tags, ['a']);
        assert.equal(active[0].channels.length, 1);
        assert.equal(active[0].channels[0].concurrency_group, 'modem-1');
        assert.deepEqual(active[0].meter.channel_map, [
          { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 },
        ]);
      } finally {
        await store.close();
      }
    });
  });
}
