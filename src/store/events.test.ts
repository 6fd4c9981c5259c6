import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { withTransaction } from './bulk.ts';
import { insertEvents, listEvents, type NewEvent } from './events.ts';
import { insertMeter } from './registry.ts';

for (const backend of backends) {
  describe(`meter_event SQL on ${backend.name}`, () => {
    test('events are deduplicated by natural key; an open outage gets its end later', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const m = await insertMeter(store.db, p.id, { serial: '12345678', role: 'principal' });
        const t = Date.UTC(2024, 4, 1, 12);
        const ev = (over: Partial<NewEvent>): NewEvent => ({
          meterId: m.id,
          kind: 'alteration',
          at: t,
          endedAt: null,
          detail: {},
          sessionId: null,
          dedupe: 'x',
          ...over,
        });
        const first = await withTransaction(store, (tx) =>
          insertEvents(tx, [
            ev({ kind: 'outage', dedupe: 'start:A', detail: { open: true } }),
            ev({ kind: 'alteration', dedupe: '41@A', detail: { code: 0x29 } }),
            ev({ kind: 'alteration', dedupe: '41@A', detail: { code: 0x29, again: true } }),
            ev({ kind: 'constants_mismatch', dedupe: 'ch1', detail: { text: 'quote " and \\ backslash' } }),
          ]),
        );
        assert.deepEqual(
          first.map((e) => e.dedupe),
          ['start:A', '41@A', 'ch1'],
        );
        const second = await withTransaction(store, (tx) =>
          insertEvents(tx, [
            ev({ kind: 'outage', dedupe: 'start:A', endedAt: t + 60_000, detail: { open: false } }),
            ev({ kind: 'outage', dedupe: 'start:B', endedAt: t + 120_000 }),
            ev({ kind: 'alteration', dedupe: '41@A' }),
          ]),
        );
        assert.deepEqual(
          second.map((e) => e.dedupe),
          ['start:B'],
          'closing an outage is not a new event',
        );
        const outages = await listEvents(store.db, { meterId: m.id, kinds: ['outage'] });
        const a = outages.find((o) => o.dedupe === 'start:A')!;
        assert.equal(a.ended_at?.getTime(), t + 60_000);
        assert.deepEqual(a.detail, { open: false });
        // A later read of the closed outage changes nothing.
        const third = await withTransaction(store, (tx) =>
          insertEvents(tx, [ev({ kind: 'outage', dedupe: 'start:A', endedAt: t + 999_000 })]),
        );
        assert.deepEqual(third, []);
        assert.equal(
          (await listEvents(store.db, { kinds: ['outage'] })).find((o) => o.dedupe === 'start:A')?.ended_at?.getTime(),
          t + 60_000,
        );
        const all = await listEvents(store.db, { meterId: m.id });
        assert.equal(all.length, 4);
        assert.deepEqual((await listEvents(store.db, { kinds: ['constants_mismatch'] }))[0].detail, {
          text: 'quote " and \\ backslash',
        });
        assert.equal((await listEvents(store.db, { from: new Date(t + 1) })).length, 0);
        assert.equal((await listEvents(store.db, { limit: 1 })).length, 1);
      } finally {
        await store.close();
      }
    });
  });
}
