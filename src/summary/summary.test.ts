import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { saveFinals } from '../store/vee-final.ts';
import { emptyFinalDay, Quality, Reason } from '../vee/types.ts';
import { localHourLabel, parseChannels, parseSummaryBy, type SummaryRow, summarize } from './summary.ts';
import { D1, D2, summaryFixture } from './testing.ts';

type Figures = Partial<Omit<SummaryRow, 'group' | 'channel' | 'period'>>;

function find(rows: SummaryRow[], group: string, channel: string, period: string): SummaryRow {
  const r = rows.find((x) => x.group === group && x.channel === channel && x.period === period);
  assert.ok(r, `no row ${group} ${channel} ${period} in ${rows.map((x) => `${x.group}/${x.channel}/${x.period}`)}`);
  return r;
}

function check(r: SummaryRow, want: Figures): void {
  const got: Figures = {};
  for (const k of Object.keys(want) as (keyof Figures)[]) (got as Record<string, unknown>)[k] = r[k];
  assert.deepEqual(got, want, `${r.group} ${r.channel} ${r.period}`);
}

for (const backend of backends) {
  describe(`summaries on ${backend.name}`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
      await summaryFixture(store);
    });
    after(async () => {
      await store?.close();
    });

    test('daily totals by segment equal the hand-computed sums, with completeness', async () => {
      const s = await summarize(store.db, { by: { kind: 'segment' }, resolution: 'day', from: D1, to: D2 });
      assert.deepEqual(
        s.rows.map((r) => `${r.group}/${r.channel}/${r.period}`),
        [
          `cativo/C/${D1}`,
          `cativo/C/${D2}`,
          `cativo/G/${D1}`,
          `cativo/G/${D2}`,
          // livre on day 1: P3's meter starts on day 2 and the virtual point is left out: nothing expected.
          `livre/C/${D2}`,
        ],
      );
      check(find(s.rows, 'cativo', 'C', D1), {
        energy: 288 + 864,
        expectedSlots: 576,
        actual: 570,
        substituted: 6,
        estimated: 0,
        manual: 0,
        missing: 0,
        completeness: 1,
        points: 2,
        pointsWithData: 2,
        pointsWithoutData: 0,
        unit: 'kWh',
        quantityCode: 1,
      });
      check(find(s.rows, 'cativo', 'C', D2), {
        energy: 24 + 264 * 2 + 864,
        expectedSlots: 576,
        actual: 264 + 276,
        substituted: 0,
        estimated: 12,
        manual: 12,
        missing: 12,
        completeness: 564 / 576,
        points: 2,
        pointsWithData: 2,
      });
      check(find(s.rows, 'cativo', 'G', D1), { energy: 144, expectedSlots: 288, actual: 288, missing: 0, points: 1 });
      // An expected day without a final row: every slot missing, the point without data.
      check(find(s.rows, 'cativo', 'G', D2), {
        energy: 0,
        expectedSlots: 288,
        actual: 0,
        missing: 288,
        completeness: 0,
        points: 1,
        pointsWithData: 0,
        pointsWithoutData: 1,
      });
      check(find(s.rows, 'livre', 'C', D2), { energy: 1152, expectedSlots: 288, actual: 288, points: 1 });
    });

    test('monthly totals; virtual points only when asked', async () => {
      const s = await summarize(store.db, { by: { kind: 'segment' }, resolution: 'month', from: D1, to: D2 });
      check(find(s.rows, 'cativo', 'C', '2024-03'), {
        energy: 1152 + 1416,
        expectedSlots: 1152,
        actual: 1110,
        substituted: 6,
        estimated: 12,
        manual: 12,
        missing: 12,
        points: 2,
        pointsWithData: 2,
      });
      check(find(s.rows, 'cativo', 'G', '2024-03'), {
        energy: 144,
        expectedSlots: 576,
        missing: 288,
        completeness: 0.5,
        points: 1,
        pointsWithData: 1,
      });
      check(find(s.rows, 'livre', 'C', '2024-03'), { energy: 1152, expectedSlots: 288, points: 1 });
      const v = await summarize(store.db, {
        by: { kind: 'segment' },
        resolution: 'month',
        from: D1,
        to: D2,
        includeVirtual: true,
      });
      check(find(v.rows, 'livre', 'C', '2024-03'), { energy: 1152 + 5760, expectedSlots: 864, points: 2 });
      assert.equal(v.includeVirtual, true);
    });

    test('by tag: a point in every tag it carries; one tag; a channel filter', async () => {
      const s = await summarize(store.db, { by: { kind: 'tag', tag: null }, resolution: 'month', from: D1, to: D2 });
      assert.deepEqual(
        s.rows.map((r) => `${r.group}/${r.channel}`),
        ['norte/C', 'norte/G', 'sul/C'],
      );
      check(find(s.rows, 'norte', 'C', '2024-03'), { energy: 1152 + 1416, points: 2 });
      check(find(s.rows, 'sul', 'C', '2024-03'), { energy: 864 + 864 + 1152, expectedSlots: 864, points: 2 });
      const one = await summarize(store.db, {
        by: parseSummaryBy('tag:norte'),
        resolution: 'day',
        from: D2,
        to: D2,
        channels: parseChannels('g'),
      });
      assert.deepEqual(
        one.rows.map((r) => `${r.group}/${r.channel}/${r.period}/${r.missing}`),
        [`norte/G/${D2}/288`],
      );
      const none = await summarize(store.db, { by: parseSummaryBy('tag:nada'), resolution: 'day', from: D1, to: D2 });
      assert.deepEqual(none.rows, []);
    });

    test('hourly totals add up to the daily ones and count per hour', async () => {
      const opts = { by: { kind: 'segment' } as const, from: D1, to: D2 };
      const h = await summarize(store.db, { ...opts, resolution: 'hour' });
      const d = await summarize(store.db, { ...opts, resolution: 'day' });
      assert.equal(h.rows.length, d.rows.length * 24);
      for (const day of d.rows) {
        const hours = h.rows.filter(
          (x) => x.group === day.group && x.channel === day.channel && x.period.startsWith(day.period),
        );
        assert.equal(hours.length, 24);
        assert.equal(hours[0].period, `${day.period}T00:00-03:00`);
        assert.equal(hours[23].period, `${day.period}T23:00-03:00`);
        for (const k of ['expectedSlots', 'actual', 'substituted', 'estimated', 'manual', 'missing'] as const) {
          assert.equal(
            hours.reduce((a, x) => a + x[k], 0),
            day[k],
            `${day.group} ${day.channel} ${day.period} ${k}`,
          );
        }
        assert.ok(Math.abs(hours.reduce((a, x) => a + x.energy, 0) - day.energy) < 1e-9);
      }
      check(find(h.rows, 'cativo', 'C', `${D2}T00:00-03:00`), {
        energy: 24 + 36,
        expectedSlots: 24,
        actual: 12,
        estimated: 12,
        missing: 0,
        points: 2,
        pointsWithData: 2,
      });
      check(find(h.rows, 'cativo', 'C', `${D2}T01:00-03:00`), {
        energy: 36,
        expectedSlots: 24,
        missing: 12,
        points: 2,
        pointsWithData: 1,
        pointsWithoutData: 1,
      });
      check(find(h.rows, 'cativo', 'G', `${D2}T05:00-03:00`), { missing: 12, pointsWithoutData: 1, energy: 0 });
    });
  });
}

describe('summary arguments', () => {
  test('by, channels, resolution and range are checked', async () => {
    assert.deepEqual(parseSummaryBy('segment'), { kind: 'segment' });
    assert.deepEqual(parseSummaryBy('tag'), { kind: 'tag', tag: null });
    assert.deepEqual(parseSummaryBy('tag:usinas'), { kind: 'tag', tag: 'usinas' });
    assert.throws(
      () => parseSummaryBy('mercado'),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.throws(
      () => parseSummaryBy('tag:'),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.deepEqual(parseChannels('qg, c,C'), ['C', 'QG']);
    assert.throws(() => parseChannels('C,X'), /'X' is not one of C, G, QC, QG/);
    const db = {} as Store['db'];
    const base = { by: { kind: 'segment' } as const, resolution: 'day' as const, from: D1, to: D2 };
    await assert.rejects(summarize(db, { ...base, to: '2024-02-01' }), /before from/);
    await assert.rejects(summarize(db, { ...base, resolution: 'week' as 'day' }), /not hour, day or month/);
    await assert.rejects(summarize(db, { ...base, resolution: 'hour', to: '2024-12-31' }), /at most 93/);
    await assert.rejects(summarize(db, { ...base, channels: [] }), /at least one channel/);
    await assert.rejects(summarize(db, { ...base, by: { kind: 'tag', tag: '' } }), /by:/);
  });

  test('hour labels carry the local offset', () => {
    assert.equal(localHourLabel(Date.parse('2024-03-01T03:00:00Z'), 'America/Sao_Paulo'), '2024-03-01T00:00-03:00');
    // Brasília summer time, 2018-11-04 onwards: −02:00.
    assert.equal(localHourLabel(Date.parse('2018-12-01T12:00:00Z'), 'America/Sao_Paulo'), '2018-12-01T10:00-02:00');
  });
});

for (const backend of backends) {
  describe(`summaries across Brasília's last DST changes on ${backend.name}`, () => {
    // 2018-02-17 had 25 hours (summer time ended at midnight, 00:00 → 23:00 of the 17th again), 2018-11-04 had 23
    // (00:00 jumped to 01:00).
    const LONG = '2018-02-17';
    const SHORT = '2018-11-04';
    let store: Store;
    before(async () => {
      store = await backend.open();
      const p = await insertPoint(store.db, {
        code: 'SPHORAVERAO01',
        name: 'DST',
        kind: 'fronteira',
        segment: 'cativo',
      });
      await insertMeter(store.db, Number(p.id), {
        serial: '9',
        role: 'principal',
        channelMap: [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 }],
      });
      const f = emptyFinalDay({
        pointId: Number(p.id),
        pointCode: 'SPHORAVERAO01',
        quantityCode: 1,
        day: LONG,
        slots: 300,
        intervalS: 300,
      });
      f.value.fill(1);
      f.quality.fill(Quality.A);
      f.reason.fill(Reason.none);
      await withTransaction(store, (tx) => saveFinals(tx, [f], { cause: 'vee' }));
    });
    after(async () => {
      await store?.close();
    });

    test('a 25-hour day keeps its 300 slots; a 23-hour day without data expects 276', async () => {
      const base = { by: { kind: 'segment' } as const, channels: ['C' as const] };
      const d = await summarize(store.db, { ...base, resolution: 'day', from: LONG, to: LONG });
      assert.deepEqual(
        d.rows.map((r) => [r.period, r.expectedSlots, r.actual, r.energy]),
        [[LONG, 300, 300, 300]],
      );
      const s = await summarize(store.db, { ...base, resolution: 'day', from: SHORT, to: SHORT });
      assert.deepEqual(
        s.rows.map((r) => [r.period, r.expectedSlots, r.missing, r.pointsWithoutData]),
        [[SHORT, 276, 276, 1]],
      );
      const m = await summarize(store.db, { ...base, resolution: 'month', from: '2018-11-01', to: '2018-11-30' });
      assert.deepEqual(
        m.rows.map((r) => [r.period, r.expectedSlots]),
        [['2018-11', 29 * 288 + 276]],
      );
    });

    test('hourly: 25 hours, the repeated one told apart by its offset; 23 hours on the short day', async () => {
      const base = { by: { kind: 'segment' } as const, channels: ['C' as const], resolution: 'hour' as const };
      const h = await summarize(store.db, { ...base, from: LONG, to: LONG });
      assert.equal(h.rows.length, 25);
      assert.deepEqual(
        h.rows.slice(22).map((r) => [r.period, r.expectedSlots, r.energy]),
        [
          [`${LONG}T22:00-02:00`, 12, 12],
          [`${LONG}T23:00-02:00`, 12, 12],
          [`${LONG}T23:00-03:00`, 12, 12],
        ],
      );
      assert.equal(h.rows[0].period, `${LONG}T00:00-02:00`);
      const s = await summarize(store.db, { ...base, from: SHORT, to: SHORT });
      assert.equal(s.rows.length, 23);
      assert.deepEqual(
        s.rows.slice(0, 2).map((r) => [r.period, r.expectedSlots, r.missing]),
        [
          [`${SHORT}T01:00-02:00`, 12, 12],
          [`${SHORT}T02:00-02:00`, 12, 12],
        ],
      );
      assert.equal(
        s.rows.reduce((a, r) => a + r.expectedSlots, 0),
        276,
      );
    });
  });
}
