import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quiet, registerFleet, startTestFleet } from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import type { MeterRow } from '../store/registry.ts';
import { driftFindings } from './clock-sync.ts';
import { startEngine } from './engine.ts';
import type { PlannedRead } from './planner.ts';
import type { ReadingSummary, ReadOutcome } from './runner.ts';

function outcome(meterId: number, driftS: number | null, purpose: PlannedRead['purpose'] = 'daily'): ReadOutcome {
  const summary = {
    clock: driftS === null ? null : { meterTime: 0, readerTime: 0, driftSeconds: driftS },
  } as ReadingSummary;
  return {
    read: { meter: { id: meterId, serial: String(meterId) } as MeterRow, purpose } as PlannedRead,
    ok: true,
    attempts: 1,
    sessionIds: [1],
    results: [],
    failure: null,
    summary,
  };
}

describe('driftFindings', () => {
  test('strictly above the threshold, either way; a clock-sync session and a reading without clock are not judged', () => {
    const found = driftFindings(
      [outcome(1, 31), outcome(2, 30), outcome(3, -45), outcome(4, 500, 'clock_sync'), outcome(5, null)],
      30,
    );
    assert.deepEqual(
      found.map((f) => [f.meterId, f.driftS]),
      [
        [1, 31],
        [3, -45],
      ],
    );
  });
});

for (const backend of backends) {
  describe(`clock sync on ${backend.name}`, () => {
    test('a read that finds the clock 90 s ahead asks for a sync, 10 s does not; the sync is audited', async () => {
      const store = await backend.open();
      const fleet = await startTestFleet({ meters: 2, clockOffsetS: { 0: 90, 1: 10 } });
      const engine = await startEngine(store, { queue: false, logger: quiet });
      try {
        const [ahead, close] = await registerFleet(store, fleet);
        const report = await engine.runOnce('intraday');
        assert.equal(report.ok, 2);
        assert.equal(report.clockSyncs, 1);
        const tasks = await store.db.selectFrom('task').selectAll().execute();
        assert.equal(tasks.length, 1);
        assert.equal(tasks[0].kind, 'clock_sync');
        assert.equal(tasks[0].meter_id, ahead.id);
        assert.equal(tasks[0].requested_by, 'engine');
        assert.ok(Math.abs((tasks[0].params as { driftS: number }).driftS - 90) <= 2);
        assert.notEqual(tasks[0].meter_id, close.id);

        const done = await engine.runTask(tasks[0].id);
        assert.equal(done.status, 'done');
        const audit = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('action', '=', 'parametrize')
          .where('entity_id', '=', String(ahead.id))
          .executeTakeFirstOrThrow();
        const before = (audit.before as { driftS: number }).driftS;
        const after = (audit.after as { driftS: number }).driftS;
        assert.ok(Math.abs(before - 90) <= 2, `before ${before}`);
        assert.ok(Math.abs(after) <= 2, `after ${after}`);
        assert.equal(audit.actor, 'engine');
        const kinds = (
          await store.db.selectFrom('meter_event').select('kind').where('meter_id', '=', ahead.id).execute()
        ).map((e) => e.kind);
        assert.ok(kinds.includes('clock_sync') && kinds.includes('parametrization') && kinds.includes('clock_drift'));

        // The next read finds the clock right: no new sync.
        await new Promise((r) => setTimeout(r, 10));
        const again = await engine.runOnce('intraday', { runTasks: true });
        assert.equal(again.clockSyncs, 0);
        assert.equal((await store.db.selectFrom('task').selectAll().execute()).length, 1);
        const state = await store.db
          .selectFrom('meter_collect_state')
          .selectAll()
          .where('meter_id', '=', ahead.id)
          .executeTakeFirstOrThrow();
        assert.ok(Math.abs(state.drift_s ?? 99) <= 2);
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });
  });
}
