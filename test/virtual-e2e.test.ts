/**
 * Virtual meters end to end (issue 7): two real points' raw day blocks go through VEE into final series; a virtual
 * meter over them is defined and computed from those finals; then an analyst's manual edit on one input and a late
 * re-read on the other reach the virtual meter (and the one reading it) through the VEE dirty queue, each change a
 * new version with the old ones kept. Expectations are computed by hand from the raw values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withTransaction } from '../src/store/bulk.ts';
import { writeDayBlocks } from '../src/store/day-blocks.ts';
import { insertMeter, insertPoint } from '../src/store/registry.ts';
import type { ChannelMapEntry } from '../src/store/schema.ts';
import { markDirtyForMeterDays } from '../src/store/vee-dirty.ts';
import { getCurrentFinals, getFinalHistory } from '../src/store/vee-final.ts';
import { runDirty, runVeeRange, submitEdit } from '../src/vee/service.ts';
import { Method, Quality, Source } from '../src/vee/types.ts';
import { defineVirtualMeter, getVirtualMeter } from '../src/virtual/service.ts';
import { testBlock } from './helpers/day-blocks.ts';
import { backends } from './helpers/stores.ts';

const LOAD = 'SPVE2ELOAD001';
const PLANT = 'SPVE2EPLANT01';
const D = '2024-06-12';
const MAP: ChannelMapEntry[] = [
  { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 },
  { group: 0, channel: 2, quantityCode: 14, numerator: 1, denominator: 1 },
];
const NOW = Date.parse('2024-07-01T12:00:00Z');

const load = (k: number) => 2 + (k % 12) * 0.25;
const plant = (k: number) => (k >= 72 && k < 216 ? 1 + (k % 6) * 0.5 : 0);

const block = (meterId: number, channel: number, fill: (k: number) => number | null) =>
  testBlock(meterId, channel, D, fill);

for (const backend of backends) {
  describe(`virtual meters end to end on ${backend.name}`, () => {
    test('VEE finals → virtual series; an edit and a re-read of the inputs recompute it and its dependent', async () => {
      const store = await backend.open();
      try {
        const since = new Date('2020-01-01T00:00:00Z');
        const lp = await insertPoint(store.db, {
          code: LOAD,
          name: 'Carga',
          kind: 'consumidor_livre',
          segment: 'livre',
        });
        const pp = await insertPoint(store.db, {
          code: PLANT,
          name: 'Usina',
          kind: 'geracao',
          segment: 'geracao',
          tags: ['usinas'],
        });
        const lm = await insertMeter(store.db, lp.id, {
          serial: '7001',
          role: 'principal',
          channelMap: MAP,
          validFrom: since,
        });
        const pm = await insertMeter(store.db, pp.id, {
          serial: '7002',
          role: 'principal',
          channelMap: MAP,
          validFrom: since,
        });
        // The plant's meter missed 12:00–12:30 (slots 144–149) on its first read.
        const hole = (k: number) => k >= 144 && k <= 149;
        await withTransaction(store, (tx) =>
          writeDayBlocks(tx, [
            block(lm.id, 1, load),
            block(lm.id, 2, () => 0),
            block(pm.id, 1, () => 0),
            block(pm.id, 2, (k) => (hole(k) ? null : plant(k))),
          ]),
        );
        const vee = await runVeeRange(store, { from: D, to: D, now: NOW });
        assert.equal(vee.pointDays, 2);

        const net = await defineVirtualMeter(
          store,
          { name: 'liquido', channel: 'C', formula: `${LOAD}.C - sum(group("usinas").G)` },
          'user:ana',
        );
        const half = await defineVirtualMeter(
          store,
          { name: 'metade', channel: 'C', formula: 'vm("liquido") * 0.5' },
          'user:ana',
        );
        assert.deepEqual((await getVirtualMeter(store, 'liquido')).dependents, ['metade']);

        const [plantFinal] = await getCurrentFinals(store.db, [Number(pp.id)], D, D, [14]);
        const [v1] = await getCurrentFinals(store.db, [net.pointId], D, D, [1]);
        assert.equal(v1.slots, 288);
        for (let k = 0; k < 288; k++) {
          // Whatever VEE made of the hole (left for a re-read or estimated), the virtual slot follows it.
          if (plantFinal.quality[k] === Quality.A) {
            assert.equal(v1.quality[k], Quality.A, `slot ${k} actual`);
            assert.ok(Math.abs(v1.value[k] - (load(k) - plant(k))) < 1e-12, `slot ${k} = load − plant`);
            assert.equal(v1.source[k], Source.virtual);
          } else {
            assert.ok(hole(k), `only the hole is not actual (slot ${k})`);
            assert.equal(v1.quality[k], plantFinal.quality[k], `slot ${k} takes the plant's quality`);
            assert.equal(v1.method[k], plantFinal.method[k], `slot ${k} takes the plant's method`);
          }
        }
        const notes1 = v1.notes as unknown as { virtual: { nonActual: { input: string; firstSlot: number }[] } };
        assert.deepEqual(
          notes1.virtual.nonActual.map((r) => [r.input, r.firstSlot]),
          [[`${PLANT}.G`, 144]],
        );

        // An analyst replaces slots 10–11 of the load with 9 kWh: VEE stores a new version and marks the virtual
        // meter dirty in the same transaction; the dirty pass recomputes it, then its dependent.
        await submitEdit(
          store,
          Number(lp.id),
          {
            quantityCode: 1,
            day: D,
            firstSlot: 10,
            lastSlot: 11,
            kind: 'replace',
            values: 9,
            comment: 'leitura manual',
          },
          'user:ana',
        );
        const pass = await runDirty(store, { now: NOW });
        assert.equal(pass.changed, 2, 'liquido and metade changed');
        const [v2] = await getCurrentFinals(store.db, [net.pointId], D, D, [1]);
        assert.equal(v2.version, v1.version + 1);
        assert.equal(v2.value[10], 9 - plant(10));
        assert.equal(v2.quality[10], Quality.M);
        assert.equal(v2.method[10], Method.ME);
        assert.equal(v2.value[12], v1.value[12]);
        const [h2] = await getCurrentFinals(store.db, [half.pointId], D, D, [1]);
        assert.equal(h2.value[11], (9 - plant(11)) * 0.5);
        assert.equal(h2.quality[11], Quality.M, 'the manual quality reaches the second level');

        // The plant's hole is re-read: ingest rewrites the block and marks the day; the pass runs VEE on the plant,
        // then the virtual meters, in one go.
        const reread = block(pm.id, 2, plant);
        await store.db
          .updateTable('interval_raw')
          .set({
            value: [...reread.value],
            pulses: [...reread.pulses],
            flags: Buffer.from(reread.flags),
            filled: reread.filled,
          })
          .where('meter_id', '=', pm.id)
          .where('channel', '=', 2)
          .where('day', '=', D)
          .execute();
        await markDirtyForMeterDays(store.db, pm.id, [D]);
        const reran = await runDirty(store, { now: NOW });
        assert.equal(reran.changed, 3, 'the plant, liquido and metade');
        const [v3] = await getCurrentFinals(store.db, [net.pointId], D, D, [1]);
        for (let k = 144; k <= 149; k++) {
          assert.equal(v3.quality[k], Quality.A, `re-read slot ${k} actual`);
          assert.ok(Math.abs(v3.value[k] - (load(k) - plant(k))) < 1e-12);
        }
        const [h3] = await getCurrentFinals(store.db, [half.pointId], D, D, [1]);
        assert.ok(Math.abs(h3.value[146] - (load(146) - plant(146)) * 0.5) < 1e-12);
        const history = await getFinalHistory(store.db, net.pointId, 1, D);
        assert.equal(history.length, 3, 'every version kept');
        assert.deepEqual(
          history.map((h) => [h.version, h.current, h.cause]),
          [
            [1, false, 'virtual'],
            [2, false, 'virtual'],
            [3, true, 'virtual'],
          ],
        );
        // A virtual meter's results are not edited by hand: its next recomputation would overwrite the edit.
        await assert.rejects(
          submitEdit(
            store,
            net.pointId,
            { quantityCode: 1, day: D, firstSlot: 0, lastSlot: 0, kind: 'replace', values: 1, comment: 'não' },
            'user:ana',
          ),
          (e: { code?: string; message?: string }) =>
            e.code === 'FRONTEIRA_E_CONFLICT' && /virtual meter/.test(e.message ?? ''),
        );
        // Nothing left to do.
        const idle = await runDirty(store, { now: NOW });
        assert.equal(idle.pointDays, 0);

        // A range run (`vee run --from --to`) that changes an input brings its virtual meters up to date as well.
        const changed = block(lm.id, 1, (k) => (k === 0 ? load(0) * 1.01 : load(k)));
        await store.db
          .updateTable('interval_raw')
          .set({ value: [...changed.value], pulses: [...changed.pulses] })
          .where('meter_id', '=', lm.id)
          .where('channel', '=', 1)
          .where('day', '=', D)
          .execute();
        const ranged = await runVeeRange(store, { from: D, to: D, now: NOW });
        assert.equal(ranged.changed, 3, 'the load, liquido and metade');
        const [v4] = await getCurrentFinals(store.db, [net.pointId], D, D, [1]);
        assert.equal(v4.version, v3.version + 1);
        assert.equal(v4.quality[0], Quality.A);
        assert.ok(Math.abs(v4.value[0] - (load(0) * 1.01 - plant(0))) < 1e-9);
        const [h4] = await getCurrentFinals(store.db, [half.pointId], D, D, [1]);
        assert.ok(Math.abs(h4.value[0] - v4.value[0] * 0.5) < 1e-12);
      } finally {
        await store.close();
      }
    });
  });
}
