import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { quiet, registerFleet, startTestFleet } from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import type { ActiveMeter, ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import { listActiveMeters } from '../store/registry.ts';
import type { IngestInput, IngestResult } from './ingest.ts';
import { ingestReadings } from './ingest.ts';
import { LineLeases } from './line-lease.ts';
import type { PlannedRead } from './planner.ts';
import { backoffMs, isRetryableFailure, type ReadFn, Runner } from './runner.ts';
import type { Reading } from './session/reading.ts';

function meterOn(id: number, lines: string[]): ActiveMeter {
  return {
    meter: {
      id,
      serial: String(10_000_000 + id),
      mm_interval_s: 300,
      memory_days: 35,
      channel_map: [],
    } as unknown as MeterRow,
    point: { id: 1, code: 'SPSIMUI000001', timezone: 'America/Sao_Paulo', tags: [] } as unknown as PointRow,
    channels: lines.map(
      (line, i) =>
        ({
          id: id * 10 + i,
          meter_id: id,
          address: `tcp://${line}/${id}`,
          concurrency_group: line,
          reader_serial: '000001',
          packing: 'msn-first',
          timers: {},
          directional: false,
        }) as unknown as ChannelRow,
    ),
  };
}

function planned(m: ActiveMeter, over: Partial<PlannedRead> = {}): PlannedRead {
  return {
    ...m,
    purpose: 'daily',
    sequence: 'memoria',
    window: { amount: 1, unit: 'hours' },
    reason: 'test',
    ...over,
  };
}

function reading(address: string, failure: Reading['failure'] = null): Reading {
  return {
    address,
    sequence: 'memoria',
    readerSerial: '000001',
    zone: 'America/Sao_Paulo',
    startedAt: Date.now(),
    endedAt: Date.now(),
    ok: failure === null,
    failure,
    meterSerial: null,
    identity: null,
    clock: null,
    groups: [],
    steps: [],
    frames: [],
    warnings: [],
  };
}

function fakeIngest(batches: number[]): (inputs: IngestInput[]) => Promise<IngestResult[]> {
  let next = 1;
  return async (inputs) => {
    batches.push(inputs.length);
    return inputs.map((i) => ({
      sessionId: next++,
      status: i.reading.ok ? 'ok' : 'failed',
      intervals: 0,
      filledSlots: 0,
      conflicts: 0,
      days: [],
      events: 0,
      warnings: [],
    }));
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runner', () => {
  test('never two sessions at once on one line or one meter; the global limit holds; every session ingested', async () => {
    const lines = ['modem-a', 'modem-b', 'modem-c'];
    const activeByLine = new Map<string, number>();
    const activeByMeter = new Map<number, number>();
    let active = 0;
    let maxActive = 0;
    let maxOnLine = 0;
    let maxOnMeter = 0;
    const seenLines = new Set<string>();
    const read: ReadFn = async (address) => {
      const line = address.slice('tcp://'.length, address.lastIndexOf('/'));
      const id = Number(address.slice(address.lastIndexOf('/') + 1));
      seenLines.add(line);
      active++;
      activeByLine.set(line, (activeByLine.get(line) ?? 0) + 1);
      activeByMeter.set(id, (activeByMeter.get(id) ?? 0) + 1);
      maxActive = Math.max(maxActive, active);
      maxOnLine = Math.max(maxOnLine, activeByLine.get(line)!);
      maxOnMeter = Math.max(maxOnMeter, activeByMeter.get(id)!);
      await tick(3);
      active--;
      activeByLine.set(line, activeByLine.get(line)! - 1);
      activeByMeter.set(id, activeByMeter.get(id)! - 1);
      return reading(address);
    };
    const batches: number[] = [];
    const runner = new Runner(
      { ingest: fakeIngest(batches), read },
      { concurrency: 2, ingestBatch: 5, ingestFlushMs: 5 },
    );
    // 12 meters on 3 lines, plus meter 100 reachable on two lines and read twice (two jobs asking at once).
    const meters = Array.from({ length: 12 }, (_, i) => meterOn(i + 1, [lines[i % 3]]));
    const both = meterOn(100, ['modem-a', 'modem-d']);
    const [outA, outB] = await Promise.all([
      runner.run([...meters.slice(0, 6), both].map((m) => planned(m))),
      runner.run(
        [...meters.slice(6), { ...both, channels: [both.channels[1], both.channels[0]] }].map((m) => planned(m)),
      ),
    ]);
    const outcomes = [...outA, ...outB];
    assert.equal(outcomes.length, 14);
    assert.ok(outcomes.every((o) => o.ok && o.attempts === 1 && o.sessionIds.length === 1));
    assert.equal(maxOnLine, 1);
    assert.equal(maxOnMeter, 1);
    assert.equal(maxActive, 2);
    assert.deepEqual([...seenLines].sort(), ['modem-a', 'modem-b', 'modem-c', 'modem-d']);
    assert.equal(
      batches.reduce((s, n) => s + n, 0),
      14,
    );
    assert.ok(batches.every((n) => n <= 5));
    assert.equal(new Set(outcomes.map((o) => o.sessionIds[0])).size, 14);
    await runner.close();
  });

  test('link failures are retried with backoff on the next channel; refusals are not', async () => {
    const calls: string[] = [];
    const failures = new Map<string, number>([['flaky', 2]]);
    const read: ReadFn = async (address) => {
      calls.push(address);
      const name = address.includes('flaky') ? 'flaky' : address.includes('refuses') ? 'refuses' : 'dead';
      if (name === 'refuses') {
        return reading(address, { step: '51 g0', code: 'FRONTEIRA_E_ABNT_OCCURRENCE', message: 'occurrence 0x46' });
      }
      const left = failures.get(name) ?? Number.POSITIVE_INFINITY;
      if (left > 0) {
        failures.set(name, left - 1);
        return reading(address, { step: 'connect', code: 'FRONTEIRA_E_TRANSPORT_CONNECT', message: 'refused' });
      }
      return reading(address);
    };
    const batches: number[] = [];
    const runner = new Runner(
      { ingest: fakeIngest(batches), read },
      { concurrency: 4, maxAttempts: 3, backoffBaseMs: 5, ingestFlushMs: 5 },
    );
    const flaky = meterOn(1, ['flaky-1', 'flaky-2']);
    const refuses = meterOn(2, ['refuses']);
    const dead = meterOn(3, ['dead']);
    const [a, b, c] = await runner.run([planned(flaky), planned(refuses), planned(dead)]);
    assert.equal(a.ok, true);
    assert.equal(a.attempts, 3);
    assert.equal(a.sessionIds.length, 3, 'every attempt is a recorded session');
    assert.deepEqual(
      calls.filter((x) => x.includes('flaky')),
      ['tcp://flaky-1/1', 'tcp://flaky-2/1', 'tcp://flaky-1/1'],
    );
    assert.equal(b.ok, false);
    assert.equal(b.attempts, 1);
    assert.equal(b.failure?.code, 'FRONTEIRA_E_ABNT_OCCURRENCE');
    assert.equal(c.ok, false);
    assert.equal(c.attempts, 3);
    assert.equal(
      batches.reduce((s, n) => s + n, 0),
      7,
    );
    await runner.close();
  });

  test('retry rules and backoff growth', () => {
    assert.equal(isRetryableFailure('FRONTEIRA_E_LINK_NO_ENQ'), true);
    assert.equal(isRetryableFailure('FRONTEIRA_E_TRANSPORT_CLOSED'), true);
    assert.equal(isRetryableFailure('FRONTEIRA_E_ABNT_MASS_MEMORY'), true);
    assert.equal(isRetryableFailure('FRONTEIRA_E_ABNT_NOT_IMPLEMENTED'), false);
    assert.equal(isRetryableFailure('FRONTEIRA_E_ABNT_OCCURRENCE'), false);
    assert.equal(isRetryableFailure('FRONTEIRA_E_TRANSPORT_URL'), false);
    const o = { backoffBaseMs: 1000, backoffMaxMs: 5000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffMs(n, o)),
      [1000, 2000, 4000, 5000, 5000],
    );
    assert.equal(backoffMs(2, o, 1), 2500);
  });

  test('a read of a meter without channels is skipped; close() ends reads waiting for a line', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const read: ReadFn = async (address) => {
      await gate;
      return reading(address);
    };
    const runner = new Runner({ ingest: fakeIngest([]), read }, { concurrency: 1, ingestFlushMs: 1 });
    const none = { ...meterOn(9, []), channels: [] };
    const running = runner.run([planned(meterOn(1, ['l'])), planned(meterOn(2, ['l'])), planned(none)]);
    await tick(20);
    assert.equal(runner.running, 1);
    assert.equal(runner.waiting, 1);
    const closing = runner.close(5000);
    release();
    await closing;
    const [first, second, third] = await running;
    assert.equal(first.ok, true);
    assert.equal(second.skipped, 'engine stopping');
    assert.equal(third.skipped, 'no enabled communication channel');
  });
});

for (const backend of backends) {
  describe(`runner with the store and the simulator on ${backend.name}`, () => {
    test('a meter that refuses connections, then recovers, is read after backoff; lines leased in the store', async () => {
      const store = await backend.open();
      const start = Date.now();
      const fleet = await startTestFleet({
        meters: 2,
        faults: { 0: { unreachable: [{ from: start - 60_000, to: start + 1500 }] } },
      });
      const leases = new LineLeases(store.db, { holder: 'runner-test', ttlMs: 30_000 });
      try {
        await registerFleet(store, fleet, { line: () => 'shared-modem' });
        const meters = await listActiveMeters(store.db);
        const runner = new Runner(
          { ingest: (inputs) => ingestReadings(store, inputs), leases, logger: quiet },
          { concurrency: 4, maxAttempts: 5, backoffBaseMs: 1000, ingestFlushMs: 10 },
        );
        const outcomes = await runner.run(meters.map((m) => planned(m, { window: { amount: 2, unit: 'hours' } })));
        const flaky = outcomes.find((o) => o.read.meter.serial === fleet.registry.meters[0].serial)!;
        const fine = outcomes.find((o) => o.read.meter.serial === fleet.registry.meters[1].serial)!;
        assert.equal(flaky.ok, true, JSON.stringify(flaky.failure));
        assert.ok(flaky.attempts >= 2, `attempts ${flaky.attempts}`);
        assert.equal(fine.ok, true);
        const sessions = await store.db
          .selectFrom('read_session')
          .select(['meter_id', 'status', 'error_code'])
          .orderBy('id')
          .execute();
        const mine = sessions.filter((s) => s.meter_id === flaky.read.meter.id);
        assert.equal(mine.length, flaky.attempts);
        assert.equal(mine[mine.length - 1].status, 'ok');
        assert.ok(mine.slice(0, -1).every((s) => s.status === 'failed'));
        assert.ok((await store.db.selectFrom('interval_raw').select('meter_id').execute()).length > 0);
        await runner.close();
        // Leases are given back after each session.
        assert.deepEqual(await store.db.selectFrom('line_lease').selectAll().execute(), []);
      } finally {
        await leases.close();
        await fleet.close();
        await store.close();
      }
    });
  });
}
