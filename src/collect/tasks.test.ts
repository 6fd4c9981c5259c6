import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quiet, registerFleet, startTestFleet } from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { instantToWall } from '../domain/time.ts';
import { startEngine } from './engine.ts';
import { validateTaskParams } from './tasks.ts';

describe('task parameters', () => {
  const meter = { mm_interval_s: 300 };
  const rejects = (kind: Parameters<typeof validateTaskParams>[0], params: Record<string, unknown>, field: RegExp) => {
    assert.throws(
      () => validateTaskParams(kind, params, meter),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && field.test(e.message),
    );
  };

  test('are checked against the meter and normalised', () => {
    assert.deepEqual(validateTaskParams('demand_interval', { minutes: 15 }, meter), { minutes: 15 });
    rejects('demand_interval', { minutes: 7 }, /minutes: 7 must be a whole number of minutes that divides 60/);
    rejects('demand_interval', { minutes: 2 }, /2 is not a multiple of the meter's 5-min mass-memory interval/);
    assert.deepEqual(validateTaskParams('holidays', { dates: ['2026-04-21', '2026-01-01', '2026-01-01'] }, meter), {
      dates: ['2026-01-01', '2026-04-21'],
    });
    rejects('holidays', { dates: ['2026-02-30'] }, /dates\[0\]: "2026-02-30" is not a YYYY-MM-DD date/);
    rejects(
      'holidays',
      { dates: Array.from({ length: 16 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`) },
      /at most 15/,
    );
    rejects('read_now', { window: { amount: 120, unit: 'hours' } }, /window.amount: 120/);
    assert.deepEqual(validateTaskParams('read_now', { window: { amount: 3, unit: 'days' } }, meter), {
      window: { amount: 3, unit: 'days' },
    });
    assert.deepEqual(validateTaskParams('demand_reset', { anything: 1 }, meter), {});
  });
});

for (const backend of backends) {
  describe(`tasks against a simulated meter on ${backend.name}`, () => {
    test('every kind runs, is recorded on the task and audited; a write leaves a parametrization event', async () => {
      const store = await backend.open();
      const fleet = await startTestFleet({ meters: 1, clockOffsetS: { 0: -50 } });
      const engine = await startEngine(store, { queue: false, logger: quiet, runner: { maxAttempts: 2 } });
      try {
        const [meter] = await registerFleet(store, fleet);
        const sim = fleet.meters[0];
        const run = async (kind: Parameters<typeof engine.requestTask>[0]['kind'], params = {}) => {
          const t = await engine.requestTask({ kind, meterId: meter.id, params, requestedBy: 'cli:ana' });
          assert.equal(t.status, 'pending');
          const done = await engine.runTask(t.id);
          assert.equal(done.status, 'done', JSON.stringify(done.result));
          assert.ok(done.session_id, 'the session is named on the task');
          return done;
        };

        const read = await run('read_now', { window: { amount: 2, unit: 'hours' } });
        assert.ok(((read.result as { intervals: number }).intervals ?? 0) >= 12);

        const clock = await run('clock_sync');
        const c = clock.result as { before: { driftS: number }; after: { driftS: number } };
        assert.ok(Math.abs(c.before.driftS + 50) <= 2, `before ${c.before.driftS}`);
        assert.ok(Math.abs(c.after.driftS) <= 2, `after ${c.after.driftS}`);

        const demand = await run('demand_interval', { minutes: 5 });
        assert.deepEqual(
          { before: (demand.result as { before: number }).before, after: (demand.result as { after: number }).after },
          { before: 15, after: 5 },
        );

        const holidays = await run('holidays', { dates: ['2026-04-21', '2026-01-01'] });
        assert.deepEqual((holidays.result as { after: string[] }).after, ['2026-01-01', '2026-04-21']);

        const resetsBefore = sim.resetState(instantToWall(Date.now())).resetCount;
        const reset = await run('demand_reset');
        assert.equal((reset.result as { after: { resetCount: number } }).after.resetCount, resetsBefore + 1);
        assert.equal(sim.resetState(instantToWall(Date.now())).resetCount, resetsBefore + 1);

        const audit = await store.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
        const requests = audit.filter((a) => a.action === 'task.request');
        assert.equal(requests.length, 5);
        assert.ok(requests.every((a) => a.actor === 'cli:ana' && a.entity === 'task'));
        const outcomes = audit.filter((a) => a.entity === 'meter' && a.entity_id === String(meter.id));
        assert.deepEqual(
          outcomes.map((a) => a.action),
          ['read', 'parametrize', 'parametrize', 'parametrize', 'parametrize'],
        );
        const demandAudit = outcomes[2];
        assert.deepEqual([demandAudit.before, demandAudit.after], [15, 5]);
        assert.match(demandAudit.comment ?? '', /demand_interval done/);
        const events = await store.db
          .selectFrom('meter_event')
          .select(['kind', 'detail'])
          .where('meter_id', '=', meter.id)
          .where('kind', '=', 'parametrization')
          .execute();
        assert.deepEqual(events.map((e) => (e.detail as { kind: string }).kind).sort(), [
          'clock_sync',
          'demand_interval',
          'demand_reset',
          'holidays',
        ]);

        // A demand reset found running (its process died) is not repeated.
        const stuck = await engine.requestTask({ kind: 'demand_reset', meterId: meter.id, requestedBy: 'cli:ana' });
        await store.db.updateTable('task').set({ status: 'running' }).where('id', '=', stuck.id).execute();
        const failed = await engine.runTask(stuck.id);
        assert.equal(failed.status, 'failed');
        assert.match(String((failed.result as { error: string }).error), /may or may not have happened/);
        assert.equal(sim.resetState(instantToWall(Date.now())).resetCount, resetsBefore + 1);

        // Bad parameters never reach the table.
        await assert.rejects(
          engine.requestTask({ kind: 'demand_interval', meterId: meter.id, params: { minutes: 7 }, requestedBy: 'x' }),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        await assert.rejects(engine.requestTask({ kind: 'clock_sync', meterId: 999_999, requestedBy: 'x' }), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND'),
        );
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });
  });
}
