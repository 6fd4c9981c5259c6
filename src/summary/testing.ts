/**
 * The small store fixture of the summary tests (service and CLI), with every figure computable by hand.
 */
import { withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { saveFinals, veeQuery } from '../store/vee-final.ts';
import { emptyFinalDay, type FinalDay, Quality, Reason } from '../vee/types.ts';

export const D1 = '2024-03-01';
export const D2 = '2024-03-02';
const SLOTS = 288;

/** A final day of `value` everywhere, quality A, with `marks` = [first slot, last slot, quality, value|NaN]. */
function final(
  pointId: number,
  code: string,
  quantityCode: number,
  day: string,
  value: number,
  marks: [number, number, number, number][] = [],
): FinalDay {
  const f = emptyFinalDay({ pointId, pointCode: code, quantityCode, day, slots: SLOTS, intervalS: 300 });
  f.value.fill(value);
  f.quality.fill(Quality.A);
  f.reason.fill(Reason.none);
  for (const [a, b, q, v] of marks) {
    for (let k = a; k <= b; k++) {
      f.quality[k] = q;
      f.value[k] = v;
      if (q === Quality.N) f.reason[k] = Reason.missing;
    }
  }
  return f;
}

const map = (codes: number[]) =>
  codes.map((q, i) => ({ group: 0, channel: i + 1, quantityCode: q, numerator: 1, denominator: 1 }));

/**
 * P1 cativo [norte]: C day1 1/slot A; day2 2/slot, slots 0–11 E, 12–23 missing. G day1 0.5/slot; day2 no row.
 * P2 cativo [norte, sul]: C day1 3/slot (a superseded version of 100/slot first), slots 0–5 S; day2 3/slot, 100–111 M.
 * P3 livre [sul]: meter valid from day2 (day1 not expected); C day2 4/slot.
 * P4 virtual, livre [sul]: C 10/slot both days, no meter.
 */
export async function summaryFixture(store: Store): Promise<void> {
  const p1 = await insertPoint(store.db, {
    code: 'SPCATIVO00001',
    name: 'P1',
    kind: 'fronteira',
    segment: 'cativo',
    tags: ['norte'],
  });
  const p2 = await insertPoint(store.db, {
    code: 'SPCATIVO00002',
    name: 'P2',
    kind: 'fronteira',
    segment: 'cativo',
    tags: ['norte', 'sul'],
  });
  const p3 = await insertPoint(store.db, {
    code: 'SPLIVRE000003',
    name: 'P3',
    kind: 'consumidor_livre',
    segment: 'livre',
    tags: ['sul'],
  });
  const [p4] = await veeQuery<{ id: number }>(
    store.db,
    `INSERT INTO metering_point (code, name, kind, segment, tags) VALUES ('VMSOMA0000001', 'V', 'virtual', 'livre',
       '{sul}') RETURNING id`,
  );
  const id1 = Number(p1.id);
  const id2 = Number(p2.id);
  const id3 = Number(p3.id);
  const id4 = Number(p4.id);
  await insertMeter(store.db, id1, { serial: '1', role: 'principal', channelMap: map([1, 14]) });
  await insertMeter(store.db, id2, { serial: '2', role: 'principal', channelMap: map([1]) });
  // A retaguarda with the same quantity must not double the expectation.
  await insertMeter(store.db, id2, { serial: '22', role: 'retaguarda', channelMap: map([1]) });
  await insertMeter(store.db, id3, {
    serial: '3',
    role: 'principal',
    channelMap: map([1]),
    validFrom: new Date('2024-03-02T03:00:00Z'),
  });
  const N = Number.NaN;
  await withTransaction(store, (tx) =>
    saveFinals(
      tx,
      [
        final(id1, 'SPCATIVO00001', 1, D1, 1),
        final(id1, 'SPCATIVO00001', 1, D2, 2, [
          [0, 11, Quality.E, 2],
          [12, 23, Quality.N, N],
        ]),
        final(id1, 'SPCATIVO00001', 14, D1, 0.5),
        final(id2, 'SPCATIVO00002', 1, D1, 100),
        final(id2, 'SPCATIVO00002', 1, D2, 3, [[100, 111, Quality.M, 3]]),
        final(id3, 'SPLIVRE000003', 1, D2, 4),
        final(id4, 'VMSOMA0000001', 1, D1, 10),
        final(id4, 'VMSOMA0000001', 1, D2, 10),
      ],
      { cause: 'vee' },
    ),
  );
  await withTransaction(store, (tx) =>
    saveFinals(tx, [final(id2, 'SPCATIVO00002', 1, D1, 3, [[0, 5, Quality.S, 3]])], { cause: 'vee' }),
  );
}
