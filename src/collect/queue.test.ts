import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, quiet, registerFleet, startTestFleet } from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { startEngine } from './engine.ts';
import { COLLECT_QUEUE, jobId, queueCounts, SCHEDULE_QUEUE_PREFIX, scheduleQueue, startBoss } from './queue.ts';

describe('queue helpers', () => {
  test('deterministic job ids look like UUIDs; schedule names are checked', () => {
    const a = jobId('plan-1:0');
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(jobId('plan-1:0'), a);
    assert.notEqual(jobId('plan-1:1'), a);
    assert.equal(scheduleQueue('solar-plants'), `${SCHEDULE_QUEUE_PREFIX}solar-plants`);
    assert.throws(
      () => scheduleQueue('bad name!'),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
  });
});

for (const backend of backends) {
  describe(`engine queue (pg-boss) on ${backend.name}`, () => {
    test('schedules survive a restart; tag schedules read only their points; tasks and chunks run through jobs', async () => {
      const store = await backend.open();
      const fleet = await startTestFleet({ meters: 4, seed: 5 });
      const opts = { logger: quiet, pollingIntervalSeconds: 0.5, runner: { concurrency: 4 } };
      let engine = await startEngine(store, {
        ...opts,
        schedules: [
          { name: 'daily', cron: '20 0 * * *', purpose: 'daily' },
          { name: 'tagged', cron: '*/10 * * * *', purpose: 'intraday', tags: ['group-a'] },
        ],
      });
      try {
        const meters = await registerFleet(store, fleet);
        // Point group: the first point gets the tag.
        const tagged = meters.filter((m) => m.point_id === meters[0].point_id);
        await store.db
          .updateTable('metering_point')
          .set({ tags: ['group-a'] })
          .where('id', '=', meters[0].point_id)
          .execute();
        let status = await engine.status();
        assert.deepEqual(status.schedules.map((s) => s.name).sort(), [scheduleQueue('daily'), scheduleQueue('tagged')]);

        // What the cron would send: the tagged schedule queues collect jobs for its points only.
        await engine.boss!.send(scheduleQueue('tagged'), {
          purpose: 'intraday',
          tags: ['group-a'],
          schedule: 'tagged',
        });
        await eventually(
          async () => (await queueCounts(store)).some((c) => c.queue === COLLECT_QUEUE && c.state === 'completed'),
          30_000,
          'the tagged collect job',
        );
        const read = await store.db.selectFrom('read_session').select('meter_id').distinct().execute();
        assert.deepEqual(read.map((r) => r.meter_id).sort(), tagged.map((m) => m.id).sort());

        // A task goes through the task queue.
        const task = await engine.requestTask({ kind: 'clock_sync', meterId: meters[1].id, requestedBy: 'api:ops' });
        await eventually(
          async () =>
            (await store.db.selectFrom('task').select('status').where('id', '=', task.id).executeTakeFirst())
              ?.status === 'done',
          30_000,
          'the task',
        );

        await engine.stop();
        engine = await startEngine(store, {
          ...opts,
          schedules: [{ name: 'daily', cron: '20 0 * * *', purpose: 'daily' }],
        });
        status = await engine.status();
        assert.deepEqual(
          status.schedules.map((s) => s.name),
          [scheduleQueue('daily')],
          'the dropped schedule is removed, the other kept',
        );
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });

    if (backend.name === 'pglite') {
      test('a job left active by a process that died is retried at the next start', async () => {
        const store = await backend.open();
        const fleet = await startTestFleet({ meters: 1, seed: 6 });
        try {
          const [meter] = await registerFleet(store, fleet);
          // A first process queued a chunk, took it, and died before finishing it.
          let engine = await startEngine(store, { logger: quiet, schedules: [] });
          await engine.stop();
          const boss = await startBoss(store, { schedule: false });
          const id = await boss.send(COLLECT_QUEUE, { purpose: 'daily', meterIds: [meter.id] });
          const [taken] = await boss.fetch(COLLECT_QUEUE);
          assert.equal(taken.id, id);
          await boss.stop({ graceful: false, wait: true });

          engine = await startEngine(store, { logger: quiet, schedules: [], pollingIntervalSeconds: 0.5 });
          try {
            await eventually(
              async () => (await engine.boss!.getJobById(COLLECT_QUEUE, id!))?.state === 'completed',
              60_000,
              'the interrupted job to complete',
            );
            const sessions = await store.db.selectFrom('read_session').select('status').execute();
            assert.deepEqual(
              sessions.map((s) => s.status),
              ['ok'],
            );
          } finally {
            await engine.stop();
          }
        } finally {
          await fleet.close();
          await store.close();
        }
      });
    }
  });
}
