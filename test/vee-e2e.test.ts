/**
 * VEE end to end (issue 4): simulated meters read over TCP by the collection engine, then validation and estimation
 * from the store, compared with what the simulator says the meters hold.
 *
 * One point, a principal and a retaguarda meter. The principal's memory holds only 2 days, so the day before
 * yesterday's yesterday (D−3) is gone from it for good: that day must come from the retaguarda (RT). Both meters lose
 * power yesterday 10:00–11:00: those intervals must be zeros with reason "outage". A link failure leaves a 30-minute
 * hole in the principal's data yesterday: while the meter still holds it, VEE must leave it for the re-read (RR), and
 * after the gap task the actual values appear.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startEngine } from '../src/collect/engine.ts';
import { addDays, operatingDayOfIntervalEnd } from '../src/domain/time.ts';
import { startFleet } from '../src/simulator/fleet.ts';
import { type FleetSpec, makeFleet } from '../src/simulator/fleet-config.ts';
import { getCurrentFinals } from '../src/store/vee-final.ts';
import { runDirty, runVeeRange } from '../src/vee/service.ts';
import { Method, Quality, Reason, Source } from '../src/vee/types.ts';
import { quiet, registerFleet } from './helpers/collect.ts';
import { backends } from './helpers/stores.ts';

const HOUR = 3_600_000;

/** A 2-meter fleet whose only point has a principal (index 0) and a retaguarda (index 1). */
function pairSpec(): FleetSpec {
  for (let seed = 1; seed < 200; seed++) {
    const spec = makeFleet({ meters: 2, seed, faults: 'none' });
    if (spec.points.length === 1 && spec.points[0].meterIndexes.length === 2 && spec.points[0].shape !== 'solar') {
      return spec;
    }
  }
  throw new Error('no seed gives a principal + retaguarda pair');
}

/** Wall time (ms, Brasília) of `hh:mm` on `day`. */
function wallAt(day: string, hh: number, mm = 0): number {
  return Date.parse(`${day}T00:00:00Z`) + hh * HOUR + mm * 60_000;
}

for (const backend of backends) {
  describe(`VEE end to end on ${backend.name}`, () => {
    test('lost day from the retaguarda, outage as zeros, a link gap left for the re-read and then actual', async () => {
      const today = operatingDayOfIntervalEnd(Date.now());
      const d1 = addDays(today, -1);
      const d3 = addDays(today, -3);
      const spec = pairSpec();
      for (const m of spec.meters) {
        m.config.clock = { offsetMs: 0, driftPpm: 0 };
        m.config.outages = [{ start: wallAt(d1, 10), end: wallAt(d1, 11) }];
        m.faults = null;
      }
      spec.meters[0].config.memoryDays = 2;
      assert.equal(spec.meters[0].role, 'principal');
      assert.equal(spec.meters[1].role, 'retaguarda');
      const fleet = await startFleet(spec);
      const store = await backend.open();
      const engine = await startEngine(store, {
        queue: false,
        logger: quiet,
        planner: { dailyLookbackDays: 3 },
        runner: { maxAttempts: 1 },
      });
      try {
        const [principal, retaguarda] = await registerFleet(store, fleet, { memoryDays: 35 });
        await store.db.updateTable('meter').set({ memory_days: 2 }).where('id', '=', principal.id).execute();
        const pointId = Number(principal.point_id);

        const round = await engine.runOnce('daily');
        assert.equal(round.failed, 0, 'both meters read');

        // A link failure lost 14:00–14:30 of yesterday on the principal (slots 168…173): what a dropped connection
        // leaves in the day block.
        const hole = { first: 168, last: 173 };
        const [block] = await store.db
          .selectFrom('interval_raw')
          .select(['value', 'pulses', 'flags', 'filled'])
          .where('meter_id', '=', principal.id)
          .where('channel', '=', 1)
          .where('day', '=', d1)
          .execute();
        const value = [...block.value];
        const pulses = [...block.pulses];
        const flags = Buffer.from(block.flags);
        for (let k = hole.first; k <= hole.last; k++) {
          value[k] = null;
          pulses[k] = null as unknown as number;
          flags[k] = 0;
        }
        await store.db
          .updateTable('interval_raw')
          .set({ value, pulses, flags, filled: value.filter((v) => v !== null).length })
          .where('meter_id', '=', principal.id)
          .where('channel', '=', 1)
          .where('day', '=', d1)
          .execute();

        const first = await runVeeRange(store, { from: d3, to: d1 });
        assert.equal(first.pointDays, 3);

        // D−3: the principal no longer holds it; every consumption interval is the retaguarda's, as read.
        const [c3] = await getCurrentFinals(store.db, [pointId], d3, d3, [1]);
        const r3 = await store.db
          .selectFrom('interval_raw')
          .select('value')
          .where('meter_id', '=', retaguarda.id)
          .where('channel', '=', 1)
          .where('day', '=', d3)
          .executeTakeFirstOrThrow();
        const truth3 = fleet.meters[1].groundTruth(0, wallAt(d3, 0, 5), wallAt(addDays(d3, 1), 0));
        assert.equal(c3.slots, 288);
        for (let k = 0; k < 288; k++) {
          assert.equal(c3.quality[k], Quality.S, `D-3 slot ${k} substituted`);
          assert.equal(c3.method[k], Method.RT);
          assert.equal(c3.source[k], Source.retaguarda);
          assert.equal(c3.value[k], r3.value[k], `D-3 slot ${k} = retaguarda raw`);
          assert.ok(Math.abs(c3.value[k] - truth3.energy[0][k]) < 1e-9, `D-3 slot ${k} = retaguarda ground truth`);
        }
        assert.equal(c3.notes.retaguardaMeterId, retaguarda.id);

        // D−1: outage 10:00–11:00 → zeros with reason outage; the hole is waiting for the re-read.
        const [c1] = await getCurrentFinals(store.db, [pointId], d1, d1, [1]);
        for (let k = 120; k <= 131; k++) {
          assert.equal(c1.value[k], 0, `outage slot ${k} is zero`);
          assert.equal(c1.reason[k], Reason.outage, `outage slot ${k} has reason outage`);
        }
        for (let k = hole.first; k <= hole.last; k++) {
          assert.equal(c1.quality[k], Quality.N, `hole slot ${k} is not estimated`);
          assert.equal(c1.method[k], Method.RR, `hole slot ${k} waits for the re-read`);
        }
        const truth1 = fleet.meters[0].groundTruth(0, wallAt(d1, 0, 5), wallAt(today, 0));
        let actual = 0;
        for (let k = 0; k < 288; k++) {
          if (c1.quality[k] !== Quality.A) continue;
          actual++;
          assert.ok(Math.abs(c1.value[k] - truth1.energy[0][k]) < 1e-9, `D-1 actual slot ${k} = principal truth`);
        }
        assert.ok(actual >= 288 - 12 - 6 - 6, `most of D-1 is actual (${actual})`);

        // Unchanged input: nothing changes.
        const again = await runVeeRange(store, { from: d3, to: d1 });
        assert.equal(again.changed, 0, 're-running VEE on unchanged input changes nothing');

        // The gap task re-reads the hole; ingest marks the day dirty; the VEE pass makes it actual.
        const gaps = await engine.runOnce('gaps');
        assert.ok((gaps.gaps?.found ?? 0) >= 1, 'the hole is found');
        const pass = await runDirty(store);
        assert.ok(pass.pointDays >= 1, 'the re-read day was recomputed');
        const [c1b] = await getCurrentFinals(store.db, [pointId], d1, d1, [1]);
        assert.ok(c1b.version > c1.version, 'a new version');
        for (let k = hole.first; k <= hole.last; k++) {
          assert.equal(c1b.quality[k], Quality.A, `hole slot ${k} actual after the re-read`);
          assert.ok(Math.abs(c1b.value[k] - truth1.energy[0][k]) < 1e-9, `hole slot ${k} = truth`);
        }
        const history = await store.db
          .selectFrom('vee_final')
          .select(['version', 'superseded_at'])
          .where('point_id', '=', pointId)
          .where('quantity_code', '=', 1)
          .where('day', '=', d1)
          .orderBy('version')
          .execute();
        assert.ok(history.length >= 2, 'the superseded version is kept');
        assert.ok(history[0].superseded_at !== null);
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });
  });
}
