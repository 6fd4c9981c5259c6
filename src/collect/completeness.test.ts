import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { operatingDayStart } from '../domain/time.ts';
import { withTransaction } from '../store/bulk.ts';
import { type DayBlock, writeDayBlocks } from '../store/day-blocks.ts';
import { insertMeter } from '../store/registry.ts';
import type { ChannelMapEntry } from '../store/schema.ts';
import { dayCompleteness, daysBetween, lastGoodInterval, missingRanges } from './completeness.ts';
import { emptyDayBlock, FLAG_ACTUAL } from './day-block.ts';

const ZONE = 'America/Sao_Paulo';
const MIN5 = 300_000;

/** A block of the day with every slot actual except `missing` (inclusive slot ranges). */
function dayBlock(meterId: number, channel: number, day: string, slots: number, missing: [number, number][] = []) {
  const b: DayBlock = emptyDayBlock(meterId, channel, day, 300, slots);
  for (let k = 0; k < slots; k++) {
    if (missing.some(([a, z]) => k >= a && k <= z)) continue;
    b.value[k] = k / 10;
    b.pulses[k] = k;
    b.flags[k] = FLAG_ACTUAL;
    b.filled++;
  }
  return b;
}

function map(channels: number[]): ChannelMapEntry[] {
  return channels.map((channel) => ({
    group: Math.floor((channel - 1) / 3),
    channel,
    quantityCode: 1,
    numerator: 1,
    denominator: 100,
  }));
}

/** End instant of slot k of a day. */
const end = (day: string, k: number) => new Date(operatingDayStart(day, ZONE) + (k + 1) * MIN5);
/** A local wall time 'YYYY-MM-DDTHH:mm' as an instant (Brasília, −03 in 2024). */
const local = (s: string) => new Date(`${s}:00-03:00`);

for (const backend of backends) {
  describe(`completeness on ${backend.name}`, () => {
    test('day completeness, missing ranges across day boundaries and DST days, last good interval', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        // M1: registered channels 1–3, in service from 2024-03-01 12:00 local.
        const m1 = await insertMeter(store.db, p.id, {
          serial: '11111111',
          role: 'principal',
          channelMap: map([1, 2, 3]),
          validFrom: local('2024-03-01T12:00'),
        });
        // M2: no channel map (its data says channels 1 and 4); M3: a map but no data; M4: neither.
        const m2 = await insertMeter(store.db, p.id, {
          serial: '22222222',
          role: 'retaguarda',
          validFrom: new Date('2010-01-01T00:00:00Z'),
        });
        const m3 = await insertMeter(store.db, p.id, {
          serial: '33333333',
          role: 'retaguarda',
          channelMap: map([1]),
          validFrom: new Date('2010-01-01T00:00:00Z'),
        });
        const m4 = await insertMeter(store.db, p.id, {
          serial: '44444444',
          role: 'retaguarda',
          validFrom: new Date('2010-01-01T00:00:00Z'),
        });
        await withTransaction(store, (tx) =>
          writeDayBlocks(tx, [
            // 03-01: no rows at all.
            dayBlock(m1.id, 1, '2024-03-02', 288),
            dayBlock(m1.id, 2, '2024-03-02', 288, [[280, 287]]),
            dayBlock(m1.id, 3, '2024-03-02', 288),
            dayBlock(m1.id, 1, '2024-03-03', 288, [[0, 9]]),
            dayBlock(m1.id, 2, '2024-03-03', 288),
            dayBlock(m1.id, 3, '2024-03-03', 288, [[200, 287]]),
            // 03-04: no rows.
            dayBlock(m2.id, 1, '2018-11-04', 276, [[0, 5]]),
            dayBlock(m2.id, 4, '2018-11-04', 276),
          ]),
        );

        // M1 until 03-04 06:00 local.
        const ranges = await missingRanges(store.db, {
          fromDay: '2024-02-28',
          toDay: '2024-03-06',
          until: local('2024-03-04T06:00'),
          meterIds: [m1.id],
        });
        assert.deepEqual(ranges, [
          // Nothing before valid_from; the rest of 03-01 has no rows.
          { meterId: m1.id, firstEnd: local('2024-03-01T12:05'), lastEnd: local('2024-03-02T00:00'), intervals: 144 },
          // Channel 2 late on 03-02 and channel 1 early on 03-03: one range across midnight.
          { meterId: m1.id, firstEnd: end('2024-03-02', 280), lastEnd: end('2024-03-03', 9), intervals: 18 },
          // Channel 3 from 16:45 on 03-03, then 03-04 (no rows) up to `until`.
          {
            meterId: m1.id,
            firstEnd: local('2024-03-03T16:45'),
            lastEnd: local('2024-03-04T06:00'),
            intervals: 88 + 72,
          },
        ]);
        assert.deepEqual(
          await missingRanges(store.db, {
            fromDay: '2024-03-02',
            toDay: '2024-03-02',
            until: local('2024-03-02T23:30'),
            meterIds: [m1.id],
          }),
          [{ meterId: m1.id, firstEnd: end('2024-03-02', 280), lastEnd: local('2024-03-02T23:30'), intervals: 2 }],
        );
        assert.deepEqual(
          await missingRanges(store.db, {
            fromDay: '2024-03-01',
            toDay: '2024-03-01',
            until: local('2024-03-01T12:00'),
            meterIds: [m1.id],
          }),
          [],
          'nothing is due before the meter was in service',
        );
        assert.equal((await lastGoodInterval(store.db, m1.id))?.getTime(), local('2024-03-03T16:40').getTime());

        // The DST day 2018-11-04 has 276 slots (it starts at 01:00, −02); M2's channels come from its data.
        const dst = await missingRanges(store.db, {
          fromDay: '2018-11-04',
          toDay: '2018-11-05',
          until: new Date('2018-11-05T03:00:00Z'),
          meterIds: [m2.id, m3.id],
        });
        assert.deepEqual(dst, [
          { meterId: m2.id, firstEnd: end('2018-11-04', 0), lastEnd: end('2018-11-04', 5), intervals: 6 },
          { meterId: m2.id, firstEnd: end('2018-11-05', 0), lastEnd: new Date('2018-11-05T03:00:00Z'), intervals: 12 },
          // M3 has no data: every slot of its registered channel is missing, across the DST day into the next.
          {
            meterId: m3.id,
            firstEnd: end('2018-11-04', 0),
            lastEnd: new Date('2018-11-05T03:00:00Z'),
            intervals: 276 + 12,
          },
        ]);
        assert.equal(end('2018-11-04', 0).toISOString(), '2018-11-04T03:05:00.000Z');
        assert.equal(end('2018-11-04', 275).toISOString(), '2018-11-05T02:00:00.000Z');
        assert.equal((await lastGoodInterval(store.db, m2.id))?.toISOString(), '2018-11-05T02:00:00.000Z');
        assert.equal(await lastGoodInterval(store.db, m3.id), null);
        await assert.rejects(lastGoodInterval(store.db, 987_654), (e) => isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND'));

        const days = await dayCompleteness(store.db, {
          fromDay: '2018-11-04',
          toDay: '2018-11-05',
          meterIds: [m2.id, m3.id, m4.id],
        });
        assert.deepEqual(
          days.map((d) => [d.serial, d.channel, d.day, d.slots, d.filled]),
          [
            ['22222222', 1, '2018-11-04', 276, 270],
            ['22222222', 1, '2018-11-05', 288, 0],
            ['22222222', 4, '2018-11-04', 276, 276],
            ['22222222', 4, '2018-11-05', 288, 0],
            ['33333333', 1, '2018-11-04', 276, 0],
            ['33333333', 1, '2018-11-05', 288, 0],
            ['44444444', 0, '2018-11-04', 276, 0],
            ['44444444', 0, '2018-11-05', 288, 0],
          ],
        );
        assert.ok(days.every((d) => d.pointCode === 'SPSIMUI000001' && d.role === 'retaguarda'));
        // The long fall-back day, and M1 only on the days it was in service.
        const fall = await dayCompleteness(store.db, { fromDay: '2018-02-17', toDay: '2018-02-17', meterIds: [m3.id] });
        assert.deepEqual(
          fall.map((d) => d.slots),
          [300],
        );
        const m1days = await dayCompleteness(store.db, {
          fromDay: '2024-02-29',
          toDay: '2024-03-02',
          meterIds: [m1.id],
        });
        assert.deepEqual(
          m1days.map((d) => [d.channel, d.day, d.slots, d.filled]),
          [
            [1, '2024-03-01', 288, 0],
            [1, '2024-03-02', 288, 288],
            [2, '2024-03-01', 288, 0],
            [2, '2024-03-02', 288, 280],
            [3, '2024-03-01', 288, 0],
            [3, '2024-03-02', 288, 288],
          ],
        );
        // All meters at once: M4 has no channel at all, so everything is missing for it too.
        const all = await missingRanges(store.db, {
          fromDay: '2018-11-04',
          toDay: '2018-11-04',
          until: new Date('2030-01-01T00:00:00Z'),
        });
        assert.deepEqual(
          all.map((r) => [r.meterId, r.intervals]),
          [
            [m2.id, 6],
            [m3.id, 276],
            [m4.id, 276],
          ],
        );
      } finally {
        await store.close();
      }
    });
  });
}

test('day arguments are checked', async () => {
  assert.deepEqual(daysBetween('2024-02-28', '2024-03-01'), ['2024-02-28', '2024-02-29', '2024-03-01']);
  assert.throws(
    () => daysBetween('2024-03-02', '2024-03-01'),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
  );
  const db = null as never;
  await assert.rejects(dayCompleteness(db, { fromDay: '2024-3-1', toDay: '2024-03-02' }), (e) =>
    isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
  );
  await assert.rejects(
    missingRanges(db, { fromDay: '2024-03-01', toDay: '2024-03-02', until: new Date(Number.NaN) }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
  );
});
