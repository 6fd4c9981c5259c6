import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertStoredMatchesTruth, dayFill, quiet, registerFleet, startTestFleet } from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { addDays, operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { ActiveMeter, ChannelRow } from '../store/registry.ts';
import { chunkByLine, DEFAULT_SCHEDULES, schedulesFrom, startEngine } from './engine.ts';

describe('chunkByLine', () => {
  test('keeps the meters of one line together', () => {
    const m = (id: number, line: string | null) =>
      ({
        meter: { id },
        channels: line ? [{ concurrency_group: line } as ChannelRow] : [],
      }) as unknown as ActiveMeter;
    const chunks = chunkByLine([m(1, 'a'), m(2, 'b'), m(3, 'a'), m(4, 'c'), m(5, 'c'), m(6, 'c'), m(7, null)], 3);
    assert.deepEqual(
      chunks.map((c) => c.map((x) => x.meter.id)),
      [[1, 3, 2], [4, 5, 6], [7]],
    );
  });
});

describe('schedulesFrom', () => {
  test('the defaults, other times, none, and a point-group schedule', () => {
    assert.deepEqual(schedulesFrom(), DEFAULT_SCHEDULES);
    const tagged = { name: 'ufv', cron: '0 * * * *', purpose: 'intraday' as const, tags: ['solar'] };
    assert.deepEqual(schedulesFrom({ dailyAt: '01:05', intradayMinutes: 0, gapMinutes: 10, extra: [tagged] }), [
      { name: 'daily', cron: '5 1 * * *', purpose: 'daily' },
      { name: 'gaps', cron: '*/10 * * * *', purpose: 'gaps' },
      tagged,
    ]);
    assert.throws(
      () => schedulesFrom({ dailyAt: '24:00' }),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.throws(() => schedulesFrom({ gapMinutes: 90 }), /gapMinutes must be 0–59/);
  });
});

for (const backend of backends) {
  describe(`engine on ${backend.name}`, () => {
    test('a daily round stores what the simulated meters hold; an unreachable meter is caught up by the gap task', async () => {
      const store = await backend.open();
      const now = Date.now();
      const unreachable = { unreachable: [{ from: now - 3_600_000, to: now + 3_600_000 }] };
      const fleet = await startTestFleet({
        meters: 6,
        faults: {
          1: unreachable,
          2: { badCrcBlocks: [2, 4], nakStorm: 1, waitBurst: 2, dropAcks: 1 },
          3: { fragmentBytes: 7 },
        },
      });
      const engine = await startEngine(store, {
        queue: false,
        logger: quiet,
        runner: { concurrency: 3, backoffBaseMs: 50 },
        chunkSize: 2,
      });
      try {
        // Meters 4 and 5 share one modem.
        const meters = await registerFleet(store, fleet, {
          memoryDays: 2,
          line: (i) => (i >= 4 ? 'modem-45' : `line-${i}`),
        });
        const report = await engine.runOnce('daily');
        assert.equal(report.meters, 6);
        assert.equal(report.ok, 5);
        assert.equal(report.failed, 1);

        const today = operatingDayOfIntervalEnd(Date.now());
        const yesterday = addDays(today, -1);
        for (const [i, m] of meters.entries()) {
          if (i === 1) continue;
          assert.deepEqual(
            await dayFill(store, m.id, yesterday),
            [1, 2, 3].map((channel) => ({ channel, filled: 288, slots: 288 })),
            `meter ${i} yesterday complete`,
          );
          const compared = await assertStoredMatchesTruth(store, fleet, i, m.id, yesterday, today);
          assert.ok(compared >= 3 * 288, `meter ${i}: ${compared} values compared`);
        }
        const lost = meters[1];
        assert.deepEqual(await dayFill(store, lost.id, yesterday), []);
        const sessions = await store.db
          .selectFrom('read_session')
          .select(['status', 'purpose'])
          .where('meter_id', '=', lost.id)
          .execute();
        assert.deepEqual(
          sessions.map((s) => `${s.purpose}:${s.status}`),
          ['daily:failed', 'daily:failed', 'daily:failed'],
        );
        const state = await store.db
          .selectFrom('meter_collect_state')
          .selectAll()
          .where('meter_id', '=', lost.id)
          .executeTakeFirstOrThrow();
        assert.equal(state.failures, 1);
        assert.match(state.last_error ?? '', /FRONTEIRA_E_TRANSPORT/);

        // The line comes back; the gap round re-reads exactly what is missing.
        unreachable.unreachable.length = 0;
        const gaps = await engine.runOnce('gaps');
        assert.ok((gaps.gaps?.found ?? 0) >= 1);
        assert.deepEqual(
          await dayFill(store, lost.id, yesterday),
          [1, 2, 3].map((channel) => ({ channel, filled: 288, slots: 288 })),
        );
        assert.ok((await assertStoredMatchesTruth(store, fleet, 1, lost.id, yesterday, today)) >= 3 * 288);
        const open = await store.db
          .selectFrom('gap')
          .select(['meter_id', 'state'])
          .where('meter_id', '=', lost.id)
          .execute();
        assert.ok(open.length >= 1 && open.every((g) => g.state === 'recovered'), JSON.stringify(open));

        // Nothing new to read right after: the intraday round skips every meter or reads only the newest slots.
        const status = await engine.status();
        assert.equal(status.sessions.running, 0);
        assert.deepEqual(status.failingMeters, []);
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });
  });
}
