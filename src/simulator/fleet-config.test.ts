import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { wallTime } from '../protocols/abnt14522/fields.ts';
import { makeFleet, meterFromSpec, registryFile } from './fleet-config.ts';
import { LOAD_SHAPES } from './load-shapes.ts';

const NOW = wallTime(2026, 3, 10);
const DAY = 86_400_000;

test('the same options give the same fleet; another seed another fleet', () => {
  const a = makeFleet({ meters: 50, seed: 'demo', now: NOW, basePort: 20_000, faults: 'some' });
  const b = makeFleet({ meters: 50, seed: 'demo', now: NOW, basePort: 20_000, faults: 'some' });
  const c = makeFleet({ meters: 50, seed: 'other', now: NOW, basePort: 20_000, faults: 'some' });
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.meters.map((m) => m.serial),
    c.meters.map((m) => m.serial),
  );
  assert.notDeepEqual(
    a.points.map((p) => p.code),
    c.points.map((p) => p.code),
  );
});

test('exact meter count; unique 13-char point codes, 8-digit serials and ports', () => {
  const fleet = makeFleet({ meters: 2001, seed: 7, now: NOW, basePort: 30_000 });
  assert.equal(fleet.meters.length, 2001);
  const codes = fleet.points.map((p) => p.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) assert.match(code, /^[A-Z]{2}SIMU[ICLSH]\d{6}$/);
  assert.ok(codes.every((c) => c.length === 13));
  const serials = fleet.meters.map((m) => m.serial);
  assert.equal(new Set(serials).size, serials.length);
  assert.ok(serials.every((s) => /^[1-9]\d{7}$/.test(s)));
  fleet.meters.forEach((m, i) => {
    assert.equal(m.index, i);
    assert.equal(m.port, 30_000 + i);
    assert.equal(m.address, `tcp://127.0.0.1:${30_000 + i}`);
  });
  assert.ok(new Set(fleet.points.map((p) => p.code.slice(0, 2))).size > 5, 'several states');
});

test('every point has a principal; retaguardas share the point, its load and its outages', () => {
  const fleet = makeFleet({ meters: 300, seed: 3, now: NOW });
  let withBackup = 0;
  for (const p of fleet.points) {
    const meters = p.meterIndexes.map((i) => fleet.meters[i]);
    assert.equal(meters[0].role, 'principal');
    assert.ok(meters.length <= 2);
    for (const m of meters) {
      assert.equal(m.pointCode, p.code);
      assert.deepEqual(m.config.point, {
        shape: p.shape,
        seed: p.seed,
        capacityKw: p.capacityKw,
        latitudeDeg: p.latitudeDeg,
      });
      assert.deepEqual(m.config.outages, p.outages);
    }
    if (meters.length === 2) {
      withBackup++;
      assert.equal(meters[1].role, 'retaguarda');
      assert.notEqual(meters[0].config.gainError, meters[1].config.gainError);
    }
  }
  assert.ok(withBackup > 0.5 * fleet.points.length && withBackup < fleet.points.length);
  assert.equal(
    fleet.points.reduce((n, p) => n + p.meterIndexes.length, 0),
    300,
  );
});

test('mixed shapes and capacities; some outages in the last week; some clocks off', () => {
  const fleet = makeFleet({ meters: 1000, seed: 11, now: NOW });
  const shapes = new Set(fleet.points.map((p) => p.shape));
  assert.deepEqual([...shapes].sort(), [...LOAD_SHAPES].sort());
  for (const p of fleet.points) {
    assert.ok(p.capacityKw >= 100 && p.capacityKw <= 30_000, `${p.code}: ${p.capacityKw}`);
    for (const o of p.outages) assert.ok(o.start >= NOW - 7 * DAY && o.end < NOW && o.start < o.end);
    assert.ok(p.customer.name.length > 0 && p.customer.uf === p.code.slice(0, 2));
    if (p.shape === 'solar' || p.shape === 'hydro') assert.equal(p.customer.category, 'gerador');
  }
  const withOutages = fleet.points.filter((p) => p.outages.length > 0).length;
  assert.ok(withOutages > 0.05 * fleet.points.length && withOutages < 0.3 * fleet.points.length);
  const offClocks = fleet.meters.filter((m) => Math.abs(m.config.clock!.offsetMs) >= 3000);
  assert.ok(offClocks.length > 0.1 * 1000 && offClocks.length < 0.3 * 1000);
  assert.ok(offClocks.every((m) => Math.abs(m.config.clock!.offsetMs) <= 303_000));
});

test("faults: none by default; 'some' gives about a fifth of the meters one fault", () => {
  assert.ok(makeFleet({ meters: 500, seed: 1, now: NOW }).meters.every((m) => m.faults === null));
  const fleet = makeFleet({ meters: 500, seed: 1, now: NOW, faults: 'some' });
  const faulty = fleet.meters.filter((m) => m.faults !== null);
  assert.ok(faulty.length > 60 && faulty.length < 140, `${faulty.length}`);
  const kinds = new Set(faulty.flatMap((m) => Object.keys(m.faults!)));
  for (const k of ['badCrcBlocks', 'nakStorm', 'waitBurst', 'dropAcks', 'enqIntervalMs', 'fragmentBytes']) {
    assert.ok(kinds.has(k), k);
  }
  assert.ok(kinds.has('disconnectAfterBlocks') && kinds.has('unreachableDaily'));
});

test('registry file is JSON, with addresses, channel groups and constants', () => {
  const fleet = makeFleet({ meters: 20, seed: 5, now: NOW, basePort: 40_000, host: '10.0.0.5', faults: 'some' });
  const reg = registryFile(fleet);
  assert.deepEqual(JSON.parse(JSON.stringify(reg)), reg);
  assert.equal(reg.version, 1);
  assert.equal(reg.generatedAt, '2026-03-10 00:00:00');
  assert.equal(reg.meters.length, 20);
  const m0 = reg.meters[0];
  assert.equal(m0.address, 'tcp://10.0.0.5:40000');
  assert.deepEqual(
    m0.channelGroups.map((g) => g.quantityCodes),
    [
      [1, 10, 11],
      [14, 15, 16],
    ],
  );
  assert.equal(m0.massMemoryIntervalSeconds, 300);
  const meter = meterFromSpec(fleet.meters[0]);
  assert.deepEqual(m0.channelGroups[0].constants, meter.constants(0));
  assert.deepEqual(m0.channelGroups[1].constants, meter.constants(1));
  assert.equal(
    reg.points.reduce((n, p) => n + p.meters.length, 0),
    20,
  );
});

test('meters built from specs answer from their history', () => {
  const fleet = makeFleet({ meters: 10, seed: 9, now: NOW });
  for (const spec of fleet.meters) {
    const m = meterFromSpec(spec);
    assert.equal(m.serial, spec.serial);
    const later = NOW + 6 * 3_600_000;
    const p = m.parameters(0, later, 'current');
    assert.equal(m.massMemoryOf(0, later, 'current').words.length, p.massMemoryWords.current);
    assert.ok(p.massMemoryWords.previous > 0);
  }
});

test('a 10 000-meter fleet is plain data and port 0 means "assign when listening"', () => {
  const fleet = makeFleet({ meters: 10_000, seed: 'big', now: NOW });
  assert.equal(fleet.meters.length, 10_000);
  assert.ok(fleet.meters.every((m) => m.port === 0));
  assert.equal(new Set(fleet.meters.map((m) => m.serial)).size, 10_000);
});

test('bad options are typed errors', () => {
  const isSim = (e: unknown) => isFronteiraError(e, 'FRONTEIRA_E_SIMULATOR');
  assert.throws(() => makeFleet({ meters: 0, seed: 1, now: NOW }), isSim);
  assert.throws(() => makeFleet({ meters: 1.5, seed: 1, now: NOW }), isSim);
  assert.throws(() => makeFleet({ meters: 10, seed: 1, now: NOW, basePort: 65_530 }), isSim);
  assert.throws(() => makeFleet({ meters: 10, seed: 1, now: Number.NaN }), isSim);
});
