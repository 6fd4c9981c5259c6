import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meterConfig, todayMidnightWall } from '../../test/helpers/sim-meter.ts';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { ingestReadings } from '../collect/ingest.ts';
import type { Reading } from '../collect/session/reading.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { wallToInstant } from '../domain/time.ts';
import { visibleChannels } from '../protocols/abnt14522/commands/parameters.ts';
import type { WallTime } from '../protocols/abnt14522/fields.ts';
import { SimulatedMeter } from '../simulator/meter-model.ts';
import { withTransaction } from './bulk.ts';
import type { Store } from './pool.ts';
import { insertMeter, insertPoint } from './registry.ts';
import {
  claimDirty,
  clearDirty,
  countDirty,
  type DirtyRow,
  markDirty,
  markDirtyForMeterDays,
  markIngestDirty,
} from './vee-dirty.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONE = 'America/Sao_Paulo';

async function dirty(store: Store): Promise<{ point_id: number; day: string; reason: string; us: number }[]> {
  const r = await store.pool.query(
    `SELECT point_id, to_char(day, 'YYYY-MM-DD') AS day, reason, (extract(epoch FROM marked_at) * 1000000)::bigint AS us
       FROM vee_dirty ORDER BY point_id, day`,
  );
  return r.rows.map((x) => ({ ...x, point_id: Number(x.point_id), us: Number(x.us) }));
}

/** A window read of the simulator at true wall time `now`: the last `hours` of mass memory, plus outages given. */
function reading(
  sim: SimulatedMeter,
  now: WallTime,
  opts: {
    hours?: number;
    none?: boolean;
    startedAt?: number;
    outages?: { start: WallTime; end: WallTime | null }[];
  } = {},
): Reading {
  const window = { windowHours: opts.hours ?? 24 };
  const parameters = sim.parameters(0, now, window);
  const range = sim.windowRange(now, window);
  const truth = sim.groundTruth(0, range.fromEnd, range.toEnd);
  const count = opts.none ? 0 : truth.ends.length;
  const startedAt = opts.startedAt ?? wallToInstant(now, ZONE);
  return {
    address: 'tcp://127.0.0.1:1',
    sequence: 'memoria',
    readerSerial: '000001',
    zone: ZONE,
    startedAt,
    endedAt: startedAt + 1000,
    ok: true,
    failure: null,
    meterSerial: sim.serial,
    identity: null,
    clock: { meterTime: parameters.meterTime, readerTime: now, driftSeconds: 0 },
    groups: [
      {
        group: 0,
        parametersCode: 0x51,
        parameters,
        channels: visibleChannels(parameters, 0),
        massMemory: {
          source: 'window',
          code: 0x52,
          expectedWords: 3 * count,
          partial: false,
          blocks: 1,
          timeline: {
            intervalSeconds: 300,
            firstEnd: truth.ends[0],
            step: 300_000,
            count,
            values: truth.pulses.map((p) => p.slice(0, count)),
            warnings: [],
          },
        },
        flags: new Uint8Array(count),
      },
    ],
    outages: opts.outages && {
      period: 'current',
      value: { records: opts.outages.map((o, slot) => ({ slot, ...o })), tail: new Uint8Array(11) },
    },
    steps: [],
    frames: [],
    warnings: [],
  };
}

for (const backend of backends) {
  describe(`vee_dirty SQL on ${backend.name}`, () => {
    test('mark, claim oldest day first, clear: a mark newer than the claim survives', async () => {
      const store = await backend.open();
      try {
        const p1 = await insertTestPoint(store.db);
        const p2 = await insertTestPoint(store.db, 'SPSIMUI000002');
        const m2 = await insertMeter(store.db, p2.id, { serial: '22222222', role: 'retaguarda' });
        assert.equal(
          await markDirty(store.db, [
            { pointId: p1.id, day: '2024-05-02', reason: 'ingest' },
            { pointId: p1.id, day: '2024-05-01', reason: 'ingest' },
            { pointId: p2.id, day: '2024-05-01', reason: 'ingest' },
            { pointId: p1.id, day: '2024-05-01', reason: 'edit' },
          ]),
          3,
        );
        const before = await dirty(store);
        assert.deepEqual(
          before.map((r) => [r.point_id, r.day, r.reason]),
          [
            [p1.id, '2024-05-01', 'edit'],
            [p1.id, '2024-05-02', 'ingest'],
            [p2.id, '2024-05-01', 'ingest'],
          ],
        );
        assert.deepEqual(await countDirty(store.db), { count: 3, oldestDay: '2024-05-01' });

        const claimed = await withTransaction(store, (tx) => claimDirty(tx, 2));
        assert.deepEqual(
          claimed.map((r) => [r.pointId, r.day]),
          [
            [p1.id, '2024-05-01'],
            [p2.id, '2024-05-01'],
          ],
        );
        assert.equal(claimed[0].markedAtUs, before[0].us);
        assert.equal(claimed[0].markedAt.getTime(), Math.floor(before[0].us / 1000));

        // p2's day is marked again after the claim (new data arrived during the run): it must survive the clear.
        await markDirtyForMeterDays(store.db, m2.id, ['2024-05-01', '2024-05-01']);
        const remarked = (await dirty(store)).find((r) => r.point_id === p2.id)!;
        assert.ok(remarked.us > claimed[1].markedAtUs, 'a re-mark is always newer');
        assert.equal(await withTransaction(store, (tx) => clearDirty(tx, claimed)), 1);
        assert.deepEqual(
          (await dirty(store)).map((r) => [r.point_id, r.day]),
          [
            [p1.id, '2024-05-02'],
            [p2.id, '2024-05-01'],
          ],
        );
        assert.deepEqual(
          (await withTransaction(store, (tx) => claimDirty(tx, 10, { markedBefore: new Date(0) }))).length,
          0,
        );

        if (backend.name === 'postgres') {
          // A run holding its claim: another run skips those rows instead of waiting for them.
          let release!: () => void;
          const gate = new Promise<void>((r) => {
            release = r;
          });
          let claimedA!: (rows: DirtyRow[]) => void;
          const gotA = new Promise<DirtyRow[]>((r) => {
            claimedA = r;
          });
          const a = withTransaction(store, async (tx) => {
            claimedA(await claimDirty(tx, 1));
            await gate;
          });
          const rowsA = await gotA;
          const rowsB = await withTransaction(store, (tx) => claimDirty(tx, 10));
          release();
          await a;
          assert.deepEqual(
            [...rowsA, ...rowsB].map((r) => [r.pointId, r.day]).sort(),
            [
              [p1.id, '2024-05-02'],
              [p2.id, '2024-05-01'],
            ].sort(),
          );
          assert.equal(rowsA.length, 1);
          assert.equal(rowsB.length, 1);
        }

        await assert.rejects(markDirty(store.db, [{ pointId: p1.id, day: '2024-05-32', reason: 'x' }]), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        await assert.rejects(markDirty(store.db, [{ pointId: p1.id, day: '2024-05-03', reason: '' }]), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        await assert.rejects(claimDirty(store.db, 0), (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'));
        assert.equal(await markDirty(store.db, []), 0);
        assert.equal(await clearDirty(store.db, []), 0);
      } finally {
        await store.close();
      }
    });

    test('ingest marks the point-days it changed and the days of new events, in its transaction', async () => {
      const store = await backend.open();
      try {
        const sim = new SimulatedMeter(meterConfig(31));
        const point = await insertPoint(store.db, {
          code: sim.pointCode,
          name: 'P',
          kind: 'consumidor_livre',
          segment: 'livre',
        });
        const meter = await insertMeter(store.db, point.id, {
          serial: sim.serial,
          role: sim.role,
          channelMap: [0, 1, 2].map((i) => ({
            group: 0,
            channel: i + 1,
            quantityCode: sim.quantityCodes(0)[i],
            ...sim.constants(0)[i],
          })),
          validFrom: new Date('2020-01-01T00:00:00Z'),
        });
        const midnight = todayMidnightWall() - 2 * DAY;
        const day = (wall: WallTime) => new Date(wall).toISOString().slice(0, 10);
        const now = midnight + 15 * HOUR;
        const input = (r: Reading) => ({ meter, point, channel: null, purpose: 'daily' as const, reading: r });

        await ingestReadings(store, [input(reading(sim, now))]);
        assert.deepEqual(
          (await dirty(store)).map((r) => [r.point_id, r.day, r.reason]),
          [
            [point.id, day(midnight - DAY), 'ingest'],
            [point.id, day(midnight), 'ingest'],
          ],
        );
        await store.pool.query('DELETE FROM vee_dirty');
        // The same values read again (another session): no block changes, nothing to redo.
        await ingestReadings(store, [input(reading(sim, now, { startedAt: wallToInstant(now, ZONE) + 60_000 }))]);
        assert.deepEqual(await dirty(store), []);

        // An outage still open, then closed by a later read: both mark its days; re-reading the log marks nothing.
        const start = midnight - 3 * DAY + 22 * HOUR;
        await ingestReadings(store, [
          input(reading(sim, now, { none: true, startedAt: 1, outages: [{ start, end: null }] })),
        ]);
        assert.deepEqual(
          (await dirty(store)).map((r) => r.day),
          [day(start)],
        );
        await store.pool.query('DELETE FROM vee_dirty');
        const end = start + 30 * HOUR;
        await ingestReadings(store, [
          input(reading(sim, now, { none: true, startedAt: 2, outages: [{ start, end }] })),
        ]);
        assert.deepEqual(
          (await dirty(store)).map((r) => r.day),
          [day(start), day(start + DAY), day(end)].filter((d, i, a) => a.indexOf(d) === i),
        );
        await store.pool.query('DELETE FROM vee_dirty');
        await ingestReadings(store, [
          input(reading(sim, now, { none: true, startedAt: 3, outages: [{ start, end }] })),
        ]);
        assert.deepEqual(await dirty(store), []);

        // A failing batch leaves no mark behind.
        await assert.rejects(
          ingestReadings(store, [input(reading(sim, now + HOUR, { startedAt: 4 }))], {
            beforeCommit: async () => {
              throw new Error('boom');
            },
          }),
        );
        assert.deepEqual(await dirty(store), []);

        // markIngestDirty alone: events VEE does not read (a demand reset, an alteration of the tariff segments)
        // mark nothing; a clock alteration marks its day.
        const alteration = (code: number, dedupe: string) => ({
          meterId: meter.id,
          kind: 'alteration',
          dedupe,
          at: Date.parse('2024-03-10T15:00:00Z'),
          endedAt: null,
          zone: ZONE,
          detail: { code },
        });
        assert.equal(
          await withTransaction(store, (tx) => markIngestDirty(tx, [], [alteration(0x35, 's'), alteration(0x29, 'c')])),
          1,
        );
        assert.deepEqual(
          (await dirty(store)).map((r) => r.day),
          ['2024-03-10'],
        );
        assert.equal(
          await withTransaction(store, (tx) =>
            markIngestDirty(
              tx,
              [],
              [{ meterId: meter.id, kind: 'demand_reset', dedupe: 'x', at: Date.now(), endedAt: null, zone: ZONE }],
            ),
          ),
          0,
        );
      } finally {
        await store.close();
      }
    });
  });
}
