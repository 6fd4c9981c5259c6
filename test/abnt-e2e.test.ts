/**
 * End to end over real loopback sockets (and a real pty pair): the reader reads the simulator with each reading
 * sequence, with and without injected faults, and what it collected must equal the meter's ground truth exactly.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readMeter } from '../src/collect/session/read-meter.ts';
import { MM_FLAG_POWER_OFF } from '../src/protocols/abnt14522/mass-memory.ts';
import type { MeterFaults } from '../src/simulator/faults.ts';
import { SimulatedMeter } from '../src/simulator/meter-model.ts';
import { serveMeterOnSerial } from '../src/simulator/server.ts';
import { openPtyPair } from './helpers/pty-pair.ts';
import { assertMatchesTruth, assertOk, meterConfig, startTestMeter, todayMidnightWall } from './helpers/sim-meter.ts';

const DAY = 86_400_000;
const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function meter(opts: Parameters<typeof startTestMeter>[0] = {}) {
  const m = await startTestMeter(opts);
  servers.push(m.server);
  return m;
}

describe('reading the simulator over TCP matches its ground truth', () => {
  test('one day of mass memory (0x51/0x52), both channel groups', async () => {
    const { meter: sim, address } = await meter();
    const r = await readMeter(address, { sequence: 'memoria', window: { amount: 1, unit: 'days' } });
    assertOk(r);
    assert.equal(r.groups.length, 2);
    for (const g of r.groups) {
      assert.equal(g.massMemory?.timeline.count, 288);
      assertMatchesTruth(sim, g);
    }
    assert.equal(r.meterSerial, sim.serial);
    assert.ok(Math.abs(r.clock!.driftSeconds) < 600);
  });

  test('35 days of mass memory', async () => {
    const { meter: sim, address } = await meter({ seed: 11 });
    const r = await readMeter(address, { sequence: 'memoria', window: { amount: 35, unit: 'days' }, groups: [0] });
    assertOk(r);
    assert.equal(r.groups[0].massMemory?.timeline.count, 35 * 288);
    assert.equal(r.steps.find((s) => s.label.startsWith('52'))?.blocks, Math.ceil((35 * 288 * 3) / 166));
    assertMatchesTruth(sim, r.groups[0]);
  });

  test('verificação reads the current period since the last reset, with outages marked', async () => {
    const base = todayMidnightWall();
    const outage = { start: base - DAY + 10 * 3_600_000, end: base - DAY + 11 * 3_600_000 + 150_000 };
    const { meter: sim, address } = await meter({
      seed: 5,
      adjust: (c) => {
        c.outages = [outage];
        c.clock = { offsetMs: 0, driftPpm: 0 };
      },
    });
    const r = await readMeter(address, { sequence: 'verificacao' });
    assertOk(r);
    const g0 = r.groups[0];
    const range = sim.periodRange(sim.meterTime(todayMidnightWall() + 1), 'current');
    assert.equal(g0.massMemory?.timeline.firstEnd, range.fromEnd);
    assertMatchesTruth(sim, g0);
    assertMatchesTruth(sim, r.groups[1]);
    assert.equal(r.outages?.value.records.length, 1);
    // Intervals inside the outage hold zero pulses and are flagged; those around it are not.
    const t = g0.massMemory!.timeline;
    const idx = (end: number) => Math.round((end - t.firstEnd) / t.step);
    const inside = idx(outage.start + 30 * 60_000);
    assert.equal(t.values[0][inside], 0);
    assert.ok(g0.flags![inside] & MM_FLAG_POWER_OFF);
    assert.equal(g0.flags![idx(outage.start - 3_600_000)] & MM_FLAG_POWER_OFF, 0);
    assert.ok(r.instant && r.instant.frequencyHz > 55 && r.instant.frequencyHz < 65);
    assert.ok(r.alterations && r.alterations.entries.length > 0);
  });

  test('fatura performs a demand reset and reads the closed period (0x20 → 0x27)', async () => {
    const { meter: sim, address } = await meter({ seed: 3 });
    const before = sim.resetState(todayMidnightWall() + DAY / 2);
    const r = await readMeter(address, { sequence: 'fatura', groups: [0] });
    assertOk(r);
    const after = sim.resetState(todayMidnightWall() + DAY / 2);
    assert.equal(after.resetCount, before.resetCount + 1);
    const g0 = r.groups[0];
    assert.equal(g0.parameters.massMemoryWords.current, 0);
    assert.equal(g0.massMemory?.source, 'previous');
    assert.equal(g0.massMemory?.timeline.firstEnd, before.lastReset + 300_000);
    assertMatchesTruth(sim, g0);
    assert.ok(r.alterations!.entries.some((e) => e.code === 0x20));
  });

  test('relógio sets the clock of a meter that is two minutes fast', async () => {
    const { meter: sim, address } = await meter({
      seed: 9,
      adjust: (c) => (c.clock = { offsetMs: 120_000, driftPpm: 0 }),
    });
    const r = await readMeter(address, { sequence: 'relogio' });
    assertOk(r);
    assert.ok(r.clockSet!.before.driftSeconds >= 118, `before ${r.clockSet!.before.driftSeconds}`);
    assert.ok(Math.abs(r.clockSet!.after!.driftSeconds) <= 1, `after ${r.clockSet!.after!.driftSeconds}`);
    const codes = sim.alterations().map((e) => e.code);
    assert.ok(codes.includes(0x29) && codes.includes(0x30));
  });

  test('directional mode (ALO + complemented bytes) reads the same data', async () => {
    const { meter: sim, address } = await meter({ seed: 13, directional: true });
    const r = await readMeter(address, {
      sequence: 'memoria',
      window: { amount: 3, unit: 'hours' },
      groups: [0],
      link: { directional: true },
    });
    assertOk(r);
    assert.equal(r.groups[0].massMemory?.timeline.count, 36);
    assertMatchesTruth(sim, r.groups[0]);
  });
});

describe('faults within the protocol limits are recovered and the data is still exact', () => {
  const cases: [string, MeterFaults, (r: Awaited<ReturnType<typeof readMeter>>) => void][] = [
    ['bad CRC on block 3', { badCrcBlocks: [3] }, (r) => assert.ok(stat(r, 'naksSent') >= 1)],
    ['NAK storm of 3 per command', { nakStorm: 3 }, (r) => assert.ok(stat(r, 'naksReceived') >= 3)],
    ['WAIT bursts of 4', { waitBurst: 4 }, (r) => assert.ok(stat(r, 'waits') >= 4)],
    // Blocks count per connection: 0x51 and 0x80 answers are blocks 1 and 2, the 0x52 transfer starts at 3.
    ['four lost ACKs (two inside the composite transfer)', { dropAcks: 4 }, (r) => assert.ok(stat(r, 'reAcks') >= 2)],
    ['slow ENQ (1.5 s)', { enqIntervalMs: 1500 }, () => {}],
    ['byte-by-byte fragmentation', { fragmentBytes: 1 }, () => {}],
    [
      'everything at once',
      { badCrcBlocks: [2, 5], nakStorm: 1, waitBurst: 2, dropAcks: 1, fragmentBytes: 7 },
      () => {},
    ],
  ];
  for (const [name, faults, check] of cases) {
    test(name, async () => {
      const { meter: sim, address } = await meter({ seed: 21, faults });
      const r = await readMeter(address, { sequence: 'memoria', window: { amount: 1, unit: 'days' }, groups: [0] });
      assertOk(r);
      assert.equal(assertMatchesTruth(sim, r.groups[0]), 288);
      check(r);
    });
  }

  test('9600-baud pacing', async () => {
    const { meter: sim, address } = await meter({ seed: 22, faults: { pacingBaud: 9600 } });
    const t0 = Date.now();
    const r = await readMeter(address, { sequence: 'memoria', window: { amount: 2, unit: 'hours' }, groups: [0] });
    assertOk(r);
    assert.equal(assertMatchesTruth(sim, r.groups[0]), 24);
    // 0x51 + 0x52 (1 block) + ACKs at 9600 baud take well over the ~600 bytes' 0.6 s; proves the pacing is on.
    assert.ok(Date.now() - t0 >= 500);
  });
});

describe('faults beyond the limits fail at the right step, with the data already read kept', () => {
  test('a block that is always corrupt: 7 bad CRCs end the transfer; earlier blocks are kept', async () => {
    // Block 5 of the connection = block 3 of 0x52 (after the 0x51 and 0x80 answers).
    const { meter: sim, address } = await meter({ seed: 31, faults: { persistentBadCrcBlocks: [5] } });
    const r = await readMeter(address, { sequence: 'memoria', window: { amount: 1, unit: 'days' }, groups: [0] });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.step, '52 g0');
    assert.equal(r.failure?.code, 'FRONTEIRA_E_LINK_CRC_LIMIT');
    const mm = r.groups[0].massMemory!;
    assert.equal(mm.partial, true);
    assert.equal(mm.timeline.count, Math.floor((2 * 166) / 3));
    assertMatchesTruth(sim, r.groups[0]);
  });

  test('the meter hangs up mid-transfer: TRANSPORT_CLOSED, partial intervals exact', async () => {
    const { meter: sim, address } = await meter({ seed: 32, faults: { disconnectAfterBlocks: 5 } });
    const r = await readMeter(address, { sequence: 'memoria', window: { amount: 1, unit: 'days' }, groups: [0] });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.code, 'FRONTEIRA_E_TRANSPORT_CLOSED');
    assert.match(r.failure!.message, /closed/);
    // 0x51 and 0x80 took one block each, 0x52 three before the line dropped.
    assert.equal(r.groups[0].massMemory?.timeline.count, Math.floor((3 * 166) / 3));
    assertMatchesTruth(sim, r.groups[0]);
  });

  test('a NAK storm longer than 7 fails with the NAK limit', async () => {
    const { address } = await meter({ seed: 33, faults: { nakStorm: 9 } });
    const r = await readMeter(address, { sequence: 'instantaneas' });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.code, 'FRONTEIRA_E_LINK_NAK_LIMIT');
    assert.equal(r.failure?.step, '21 g0');
  });

  test('a meter that never sends ENQ: NO_ENQ before any step', async () => {
    const { address } = await meter({ seed: 34, faults: { noEnq: true } });
    const r = await readMeter(address, { sequence: 'instantaneas', link: { timers: { enqTimeoutMs: 300 } } });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.code, 'FRONTEIRA_E_LINK_NO_ENQ');
    assert.equal(r.steps.length, 0);
  });

  test('an unreachable window: the connection is dropped and the reading says so', async () => {
    const { address } = await meter({ seed: 35, faults: { unreachableDaily: [{ from: '00:00', to: '23:59' }] } });
    const r = await readMeter(address, { sequence: 'instantaneas' });
    assert.equal(r.ok, false);
    assert.match(r.failure!.code, /FRONTEIRA_E_TRANSPORT_(CLOSED|IO)/);
  });

  test('nothing listening: a connect failure', async () => {
    const r = await readMeter('tcp://127.0.0.1:1', { sequence: 'instantaneas' });
    assert.equal(r.ok, false);
    assert.equal(r.failure?.step, 'connect');
    assert.equal(r.failure?.code, 'FRONTEIRA_E_TRANSPORT_CONNECT');
  });
});

test('over a serial line (pty pair): the same exact data', async () => {
  const pair = await openPtyPair();
  const sim = new SimulatedMeter(meterConfig(41));
  const served = await serveMeterOnSerial(sim, pair.a, { faults: null });
  try {
    const r = await readMeter(`serial://${pair.b}?baud=9600`, {
      sequence: 'memoria',
      window: { amount: 4, unit: 'hours' },
      groups: [0, 1],
    });
    assertOk(r);
    for (const g of r.groups) assert.equal(assertMatchesTruth(sim, g), 48);
  } finally {
    served.stop();
    pair.close();
  }
});

function stat(r: Awaited<ReturnType<typeof readMeter>>, key: 'naksSent' | 'naksReceived' | 'waits' | 'reAcks'): number {
  return r.steps.reduce((s, x) => s + (x.stats?.[key] ?? 0), 0);
}
