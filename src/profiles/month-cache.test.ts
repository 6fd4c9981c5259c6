import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { testBlock } from '../../test/helpers/day-blocks.ts';
import { backends } from '../../test/helpers/stores.ts';
import { addMeter, createPoint } from '../registry/service.ts';
import { withTransaction } from '../store/bulk.ts';
import { writeDayBlocks } from '../store/day-blocks.ts';
import type { Store } from '../store/pool.ts';
import { type PointRow, pointByCode, updateMeterRow, updatePointRow } from '../store/registry.ts';
import { getCurrentFinals, lockFinals } from '../store/vee-final.ts';
import { runVeeRange } from '../vee/service.ts';
import { intervalsJson } from './json.ts';
import { ProfileMemo } from './memo.ts';
import {
  calendarMonthOf,
  checkMonth,
  lastDayOfMonth,
  monthProfile,
  monthStart,
  pruneMonthProfiles,
  refreshProfiles,
  saveMonthProfile,
} from './month-cache.ts';
import { loadSeries } from './series.ts';

test('calendar months: only a whole month qualifies', () => {
  assert.equal(calendarMonthOf('2026-10-01', '2026-10-31'), '2026-10-01');
  assert.equal(calendarMonthOf('2028-02-01', '2028-02-29'), '2028-02-01');
  assert.equal(calendarMonthOf('2026-02-01', '2026-02-28'), '2026-02-01');
  assert.equal(calendarMonthOf('2026-10-01', '2026-10-30'), null);
  assert.equal(calendarMonthOf('2026-10-02', '2026-10-31'), null);
  assert.equal(calendarMonthOf('2026-10-01', '2026-11-30'), null);
  assert.equal(lastDayOfMonth('2026-12-01'), '2026-12-31');
  assert.equal(monthStart('2026-01-15', -1), '2025-12-01');
  assert.equal(monthStart('2026-11-27', 0), '2026-11-01');
  assert.equal(checkMonth('m', '2026-10'), '2026-10-01');
  assert.throws(() => checkMonth('m', '2026-13'), /not a month/);
  assert.throws(() => checkMonth('m', '2026-10-02'), /not a month/);
});

const MONTH = '2026-09-01';
const DAYS = ['2026-09-01', '2026-09-02', '2026-09-03'];
const NOW = Date.parse('2026-10-15T12:00:00Z');
const CODE = 'SPPROFILE0001';

for (const backend of backends) {
  describe(`month profiles on ${backend.name}`, () => {
    let store: Store;
    let point: PointRow;
    let meterId: number;
    const ctx = () => ({ db: store.db, actor: 'test' });

    before(async () => {
      store = await backend.open();
      await createPoint(ctx(), { code: CODE, name: 'Perfil', kind: 'fronteira', segment: 'livre' });
      await createPoint(ctx(), { code: 'SPPROFILE0002', name: 'Sem dados', kind: 'fronteira', segment: 'livre' });
      const channelMap = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }];
      const m = await addMeter(ctx(), { serial: '40000001', pointCode: CODE, role: 'principal', channelMap });
      meterId = Number(m.id);
      await withTransaction(store, (tx) =>
        writeDayBlocks(
          tx,
          DAYS.map((d) => testBlock(meterId, 1, d, (k) => 1 + (k % 7) / 4)),
        ),
      );
      await runVeeRange(store, { from: DAYS[0], to: DAYS[2], now: NOW });
      point = (await pointByCode(store.db, CODE))!;
    });
    after(() => store?.close());

    const mp = async (layer: 'raw' | 'final', month: string) =>
      (await monthProfile(store, { id: Number(point.id) }, layer, month))!;

    const live = async (layer: 'raw' | 'final') =>
      intervalsJson(
        { point: CODE, timezone: point.timezone, layer, resolution: '5min', from: MONTH, to: lastDayOfMonth(MONTH) },
        await loadSeries(store.db, point, { layer, from: MONTH, to: lastDayOfMonth(MONTH) }),
      );

    test('a month is built from the data, stored, then served from the store byte for byte', async () => {
      for (const layer of ['raw', 'final'] as const) {
        const first = await mp(layer, MONTH);
        assert.equal(first.gzip, undefined, `${layer}: nothing stored yet`);
        assert.equal(first.json, await live(layer));
        const parsed = JSON.parse(first.json!);
        assert.equal(parsed.series[0].days.length, 3);
        await saveMonthProfile(store.db, point, layer, MONTH, first.fingerprint, first.json!);
        const second = await mp(layer, MONTH);
        assert.ok(second.gzip, `${layer}: served from the store`);
        assert.equal(second.fingerprint, first.fingerprint);
        assert.equal(gunzipSync(second.gzip).toString(), first.json);
        const byCode = (await monthProfile(store, { code: CODE }, layer, MONTH))!;
        assert.equal(byCode.point.id, point.id);
        assert.deepEqual(byCode.gzip, second.gzip);
      }
      assert.equal(await monthProfile(store, { code: 'SPNOSUCHPOINT' }, 'raw', MONTH), undefined);
      assert.equal(await monthProfile(store, { id: 987654 }, 'final', MONTH), undefined);
    });

    test('a re-read day block makes the raw month stale; the final one only when VEE makes a new version', async () => {
      await refreshProfiles(store.db, { months: [MONTH] });
      const before = await mp('raw', MONTH);
      assert.ok(before.gzip);
      await withTransaction(store, (tx) =>
        writeDayBlocks(
          tx,
          [testBlock(meterId, 1, DAYS[1], (k) => (k === 5 ? 2.5 : 1 + (k % 7) / 4))],
          [{ meterId, channel: 1, day: DAYS[1] }],
        ),
      );
      const raw = await mp('raw', MONTH);
      assert.equal(raw.gzip, undefined, 'stale after the day block changed');
      assert.notEqual(raw.fingerprint, before.fingerprint);
      assert.equal(JSON.parse(raw.json!).series[0].days[1].values[5], 2.5);
      assert.ok((await mp('final', MONTH)).gzip, 'no new final version yet');
      await runVeeRange(store, { from: DAYS[1], to: DAYS[1], now: NOW });
      const final = await mp('final', MONTH);
      assert.equal(final.gzip, undefined, 'stale after the new final version');
      const day = JSON.parse(final.json!).series[0].days[1];
      assert.equal(day.version, 2);
      assert.equal(day.values[5], 2.5);
    });

    test('refresh rebuilds only what is stale, skips months without data, and prunes', async () => {
      const first = await refreshProfiles(store.db, { months: [MONTH] });
      assert.deepEqual(
        first.map((r) => [r.layer, r.stale, r.built]),
        [
          ['raw', 1, 1],
          ['final', 1, 1],
        ],
      );
      assert.ok(first.every((r) => r.bytes > 0 && r.jsonBytes > r.bytes));
      const again = await refreshProfiles(store.db, { months: [MONTH] });
      assert.deepEqual(
        again.map((r) => [r.layer, r.stale, r.built]),
        [
          ['raw', 0, 0],
          ['final', 0, 0],
        ],
      );
      // An export locking the finals is not a change of the answer.
      const finals = await getCurrentFinals(store.db, [Number(point.id)], DAYS[0], DAYS[2]);
      await lockFinals(
        store.db,
        finals.map((f) => ({ pointId: f.pointId, quantityCode: f.quantityCode, day: f.day })),
        'export:1',
      );
      assert.ok((await mp('final', MONTH)).gzip);
      // A registry edit is: the channel map names the quantity in the raw answer.
      await updateMeterRow(store.db, meterId, {
        channel_map: JSON.stringify([{ group: 0, channel: 1, quantityCode: 2, numerator: 1, denominator: 100 }]),
      } as never);
      const raw = await mp('raw', MONTH);
      assert.equal(raw.gzip, undefined);
      assert.equal(JSON.parse(raw.json!).series[0].quantityCode, 2);
      await updatePointRow(store.db, Number(point.id), { name: 'Perfil renomeado' });
      point = (await pointByCode(store.db, CODE))!;
      const rebuilt = await refreshProfiles(store.db, { months: [MONTH] });
      assert.deepEqual(
        rebuilt.map((r) => [r.layer, r.built]),
        [
          ['raw', 1],
          ['final', 1],
        ],
      );
      // Another month with no data: nothing to build.
      const empty = await refreshProfiles(store.db, { months: ['2026-08'] });
      assert.ok(empty.every((r) => r.stale === 0));
      assert.equal(await pruneMonthProfiles(store.db, '2026-09-01'), 0);
      assert.equal(await pruneMonthProfiles(store.db, '2026-10-01'), 2);
      assert.equal((await mp('raw', MONTH)).gzip, undefined);
    });

    test('a memo serves the body it holds only while the database says it is current', async () => {
      await refreshProfiles(store.db, { months: [MONTH] });
      const memo = new ProfileMemo(1 << 20);
      const byCode = { code: CODE };
      const first = (await monthProfile(store, byCode, 'raw', MONTH, memo))!;
      assert.ok(first.gzip);
      assert.equal(memo.size, 1);
      const again = (await monthProfile(store, byCode, 'raw', MONTH, memo))!;
      assert.equal(again.gzip, first.gzip, 'the very buffer held');
      await withTransaction(store, (tx) =>
        writeDayBlocks(
          tx,
          [testBlock(meterId, 1, DAYS[2], (k) => (k === 7 ? 3.25 : 1 + (k % 7) / 4))],
          [{ meterId, channel: 1, day: DAYS[2] }],
        ),
      );
      const changed = (await monthProfile(store, byCode, 'raw', MONTH, memo))!;
      assert.equal(changed.gzip, undefined);
      assert.equal(memo.size, 0, 'the stale body is dropped');
      assert.equal(JSON.parse(changed.json!).series[0].days[2].values[7], 3.25);
      changed.remember!(
        await saveMonthProfile(store.db, changed.point, 'raw', MONTH, changed.fingerprint, changed.json!),
      );
      const held = (await monthProfile(store, byCode, 'raw', MONTH, memo))!;
      assert.equal(gunzipSync(held.gzip!).toString(), changed.json);
    });
  });
}
