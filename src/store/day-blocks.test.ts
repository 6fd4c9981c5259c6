import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testBlock } from '../../test/helpers/day-blocks.ts';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { withTransaction } from './bulk.ts';
import {
  type DayBlock,
  dayBlocksCopyBinary,
  lockDayBlocks,
  lockMeters,
  readDayBlocks,
  rowToDayBlock,
  writeDayBlocks,
} from './day-blocks.ts';
import { insertMeter, insertPoint } from './registry.ts';

/** Pulses = slot number and a power-off mark on every 7th slot: the round trip must keep both. */
const block = (meterId: number, channel: number, day: string, fill: (k: number) => number | null) =>
  testBlock(meterId, channel, day, fill, { pulses: (k) => k, flags: (k) => 1 | (k % 7 === 0 ? 2 : 0) });

function plain(b: DayBlock) {
  return {
    ...b,
    value: Array.from(b.value, (v) => (Number.isNaN(v) ? null : v)),
    pulses: Array.from(b.pulses),
    flags: Array.from(b.flags),
  };
}

describe('day block rows', () => {
  test('binary COPY input: one row per block; inconsistent blocks and rows are refused', () => {
    const b = block(3, 2, '2024-01-05', (k) => (k === 1 ? 0.1 + 0.2 : k === 2 ? 7 : null));
    const bin = dayBlocksCopyBinary([b, b]);
    const chunks = bin.done();
    assert.equal(bin.rows, 2);
    assert.deepEqual(
      [...chunks[0].subarray(0, 11)],
      [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00],
    );
    const last = chunks[chunks.length - 1];
    assert.deepEqual([...last.subarray(last.length - 2)], [0xff, 0xff]);
    assert.throws(
      () => dayBlocksCopyBinary([{ ...b, slots: 287 }]),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.throws(
      () => dayBlocksCopyBinary([{ ...b, channel: 100 }]),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.throws(
      () =>
        rowToDayBlock({
          meter_id: 1,
          channel: 1,
          day: '2024-01-01',
          interval_s: 300,
          slots: 2,
          filled: 0,
          value: [null],
          pulses: [null, null],
          flags: new Uint8Array(2),
          first_session: null,
          last_session: null,
        }),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
    );
  });
});

for (const backend of backends) {
  describe(`interval_raw SQL on ${backend.name}`, () => {
    test('write, lock, replace and read day blocks; values round-trip exactly', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const m1 = await insertMeter(store.db, p.id, { serial: '11111111', role: 'principal' });
        const m2 = await insertMeter(store.db, p.id, { serial: '22222222', role: 'retaguarda' });
        const a = block(m1.id, 1, '2024-01-05', (k) => (k < 100 ? k / 3 : null));
        a.firstSession = null;
        const b = block(m1.id, 2, '2024-01-05', (k) => k * 1e-7);
        const c = block(m2.id, 1, '2024-01-06', () => null);
        await withTransaction(store, async (tx) => {
          await lockMeters(tx, [m2.id, m1.id, m1.id]);
          assert.deepEqual(await lockDayBlocks(tx, [a, b, c]), []);
          assert.equal(await writeDayBlocks(tx, [a, b, c]), 3);
        });
        const read = await readDayBlocks(store.db, { fromDay: '2024-01-01', toDay: '2024-01-31' });
        assert.deepEqual(read.map(plain), [a, b, c].map(plain));
        assert.deepEqual(
          (await readDayBlocks(store.db, { fromDay: '2024-01-06', toDay: '2024-01-06', meterIds: [m2.id] })).map(
            (x) => x.channel,
          ),
          [1],
        );
        assert.deepEqual(
          await readDayBlocks(store.db, { fromDay: '2024-01-01', toDay: '2024-01-31', channels: [3] }),
          [],
        );

        // Replace one block: the stored row is swapped for the new one, the others stay.
        const a2 = block(m1.id, 1, '2024-01-05', (k) => k / 3);
        a2.lastSession = null;
        await withTransaction(store, async (tx) => {
          await lockMeters(tx, [m1.id]);
          const locked = await lockDayBlocks(tx, [a, { meterId: m1.id, channel: 9, day: '2024-01-05' }]);
          assert.deepEqual(locked.map(plain), [plain(a)]);
          await writeDayBlocks(tx, [a2], [a]);
        });
        const after = await readDayBlocks(store.db, { fromDay: '2024-01-05', toDay: '2024-01-05' });
        assert.deepEqual(after.map(plain), [a2, b].map(plain));
        const count = await store.pool.query('SELECT count(*)::int AS n FROM interval_raw');
        assert.equal(count.rows[0].n, 3);
        // Every write counts once per meter-month it touched (what month profiles fingerprint).
        const d = block(m1.id, 1, '2024-02-01', () => 1);
        await withTransaction(store, (tx) => writeDayBlocks(tx, [d]));
        const versions = await store.pool.query(
          "SELECT meter_id::int AS m, to_char(month, 'YYYY-MM') AS month, version::int AS v FROM raw_month_version ORDER BY 1, 2",
        );
        assert.deepEqual(versions.rows, [
          { m: m1.id, month: '2024-01', v: 2 },
          { m: m1.id, month: '2024-02', v: 1 },
          { m: m2.id, month: '2024-01', v: 1 },
        ]);
      } finally {
        await store.close();
      }
    });

    test('lockMeters makes a second ingest of the same meter wait for the first to commit', async () => {
      const store = await backend.open();
      try {
        const p = await insertPoint(store.db, {
          code: 'SPSIMUI000002',
          name: 'P',
          kind: 'fronteira',
          segment: 'livre',
        });
        const m = await insertMeter(store.db, p.id, { serial: '33333333', role: 'principal' });
        const order: string[] = [];
        let releaseFirst!: () => void;
        const firstHolds = new Promise<void>((r) => {
          releaseFirst = r;
        });
        let firstLocked!: () => void;
        const locked = new Promise<void>((r) => {
          firstLocked = r;
        });
        const first = withTransaction(store, async (tx) => {
          await lockMeters(tx, [m.id]);
          order.push('first locked');
          firstLocked();
          await firstHolds;
          await writeDayBlocks(tx, [block(m.id, 1, '2024-02-01', () => 1)]);
          order.push('first commits');
        });
        await locked;
        const second = withTransaction(store, async (tx) => {
          await lockMeters(tx, [m.id]);
          order.push('second locked');
          const seen = await lockDayBlocks(tx, [{ meterId: m.id, channel: 1, day: '2024-02-01' }]);
          assert.equal(seen.length, 1, 'the second sees what the first wrote');
        });
        // Give the second every chance to overtake before the first is released.
        await new Promise((r) => setTimeout(r, 50));
        order.push('release');
        releaseFirst();
        await Promise.all([first, second]);
        assert.deepEqual(order, ['first locked', 'release', 'first commits', 'second locked']);
      } finally {
        await store.close();
      }
    });
  });
}
