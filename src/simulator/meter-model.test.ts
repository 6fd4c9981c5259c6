import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { decodeParameters, encodeParameters } from '../protocols/abnt14522/commands/parameters.ts';
import { FieldReader, FieldWriter, formatWall, wallTime } from '../protocols/abnt14522/fields.ts';
import { channelPeakKw, LOAD_SHAPES, type LoadPoint } from './load-shapes.ts';
import {
  constantForPeak,
  defaultSchedule,
  MAX_PULSES,
  OCCURRENCE_INVALID_PARAMETER,
  SimulatedMeter,
  type SimulatedMeterConfig,
  tariffPost,
} from './meter-model.ts';

const MIN = 60_000;
const MIN5 = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// Tuesday 10 March 2026, 14:07:13 Brasília.
const NOW = wallTime(2026, 3, 10, 14, 7, 13);

function meter(over: Partial<SimulatedMeterConfig> = {}): SimulatedMeter {
  return new SimulatedMeter({
    serial: '12345678',
    pointCode: 'SPSIMUI000001',
    role: 'principal',
    point: { shape: 'industrial', seed: 7, capacityKw: 5000 },
    createdAt: NOW,
    gainError: 0.001,
    ...over,
  });
}

const isSim = (e: unknown) => isFronteiraError(e, 'FRONTEIRA_E_SIMULATOR');

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

test('initial history: resets on the 1st of this and last month, words match the timeline', () => {
  const m = meter();
  const p = m.parameters(0, NOW, 'current');
  assert.equal(formatWall(p.meterTime), '2026-03-10 14:07:13');
  assert.equal(p.weekday, 3);
  assert.equal(formatWall(p.lastIntervalEnd!), '2026-03-10 14:05:00');
  assert.equal(formatWall(p.lastReset!), '2026-03-01 00:00:00');
  assert.equal(formatWall(p.penultimateReset!), '2026-02-01 00:00:00');
  // Previous: 28 days of 288 intervals; current: 9 days + 14 h 05 min.
  assert.equal(p.massMemoryWords.previous, 3 * 28 * 288);
  assert.equal(p.massMemoryWords.current, 3 * (9 * 288 + 14 * 12 + 1));
  assert.deepEqual(p.quantityCodes, [1, 10, 11]);
  assert.equal(p.channelGroups, 2);
  assert.equal(p.massMemoryIntervalSeconds, 300);
  assert.deepEqual(p.demandIntervalMinutes, { current: 15, previous: 15 });
  assert.deepEqual(m.parameters(1, NOW, 'current').quantityCodes, [14, 15, 16]);
});

test('mass-memory word counts match parameters for current, previous and windows', () => {
  const m = meter();
  const p = m.parameters(0, NOW, 'current');
  const cur = m.massMemoryOf(0, NOW, 'current');
  const prev = m.massMemoryOf(0, NOW, 'previous');
  assert.equal(cur.words.length, p.massMemoryWords.current);
  assert.equal(prev.words.length, p.massMemoryWords.previous);
  // Previous timeline (spec §8.4): interval k ends at penultimate + k·Δ; the last one at the last reset.
  assert.equal(prev.fromEnd, p.penultimateReset! + MIN5);
  assert.equal(prev.toEnd, p.lastReset);
  assert.equal(cur.fromEnd, p.lastReset! + MIN5);
  assert.equal(cur.toEnd, p.lastIntervalEnd);
  for (const window of [{ windowDays: 2 }, { windowHours: 5 }, { windowDays: 1, windowHours: 3 }, {}]) {
    const wp = m.parameters(0, NOW, window);
    const w = m.massMemoryOf(0, NOW, window);
    assert.equal(w.words.length, wp.massMemoryWords.current, JSON.stringify(window));
    assert.equal(w.toEnd, wp.lastIntervalEnd);
  }
  assert.equal(m.massMemoryOf(0, NOW, { windowDays: 2 }).intervals, 2 * 288);
  assert.equal(m.massMemoryOf(0, NOW, { windowHours: 5 }).intervals, 60);
  // A window never reaches past the memory depth.
  assert.equal(m.massMemoryOf(0, NOW, { windowDays: 99 }).intervals, 60 * 288);
  assert.equal(m.massMemoryOf(0, NOW, {}).intervals, 60 * 288);
});

test('parameters encode into a 0x21 block and decode back', () => {
  const m = meter();
  const p = m.parameters(1, NOW, 'current');
  const block = new Uint8Array(258);
  encodeParameters(new FieldWriter(block, 'test'), p);
  const r = new FieldReader(block, 'test');
  const back = decodeParameters(r);
  assert.deepEqual(r.warnings, []);
  assert.equal(back.meterTime, p.meterTime);
  assert.equal(back.lastIntervalEnd, p.lastIntervalEnd);
  assert.deepEqual(back.massMemoryWords, p.massMemoryWords);
  assert.deepEqual(back.constants, p.constants);
  assert.deepEqual(back.quantityCodes, [14, 15, 16]);
  assert.deepEqual(back.holidays, p.holidays);
  assert.deepEqual(back.segments, p.segments);
  assert.equal(back.channelGroups, 2);
  assert.equal(back.massMemoryIntervalSeconds, 300);
  const hol = p.holidays.filter((h) => h !== null).map((h) => formatWall(h!).slice(0, 10));
  assert.ok(hol.includes('2026-04-21') && hol.includes('2026-02-17') && !hol.includes('2026-02-16'));
});

test('groundTruth equals massMemory, and energy is pulses × constant', () => {
  const m = meter();
  const from = wallTime(2026, 3, 9, 0, 5);
  const to = wallTime(2026, 3, 10, 0, 0);
  for (const g of [0, 1]) {
    const words = m.massMemory(g, from, to);
    const gt = m.groundTruth(g, from, to);
    assert.equal(gt.ends.length, 288);
    assert.equal(gt.ends[0], from);
    assert.equal(gt.ends[287], to);
    const k = m.constants(g);
    for (let i = 0; i < 288; i++) {
      for (let ch = 0; ch < 3; ch++) {
        assert.equal(gt.pulses[ch][i], words[3 * i + ch]);
        assert.equal(gt.energy[ch][i], (words[3 * i + ch] * k[ch].numerator) / k[ch].denominator);
        assert.equal(m.pulses(g, ch, gt.ends[i]), words[3 * i + ch]);
      }
    }
  }
  assert.ok(sum(m.massMemory(0, from, to)) > 0);
});

test('unaligned labels, unknown groups and channels are typed errors', () => {
  const m = meter();
  assert.throws(() => m.massMemory(0, wallTime(2026, 3, 9, 0, 1), wallTime(2026, 3, 9, 1)), isSim);
  assert.throws(() => m.massMemory(2, wallTime(2026, 3, 9), wallTime(2026, 3, 9)), isSim);
  assert.throws(() => m.pulses(0, 3, wallTime(2026, 3, 9)), isSim);
  assert.throws(() => m.parameters(5, NOW, 'current'), isSim);
  assert.equal(m.massMemory(0, wallTime(2026, 3, 9, 1), wallTime(2026, 3, 9)).length, 0);
});

test('pulses stay within 12 bits for a whole year, every shape at its capacity', () => {
  for (const shape of LOAD_SHAPES) {
    for (const capacityKw of [100, 30_000]) {
      const point: LoadPoint = { shape, seed: 11, capacityKw };
      const m = meter({ point, gainError: 0.004 });
      const from = wallTime(2025, 1, 1, 0, 5);
      const to = wallTime(2026, 1, 1);
      for (const g of [0, 1]) {
        let max = 0;
        const words = m.massMemory(g, from, to);
        assert.equal(words.length, 3 * 365 * 288);
        for (let i = 0; i < words.length; i++) if (words[i] > max) max = words[i];
        assert.ok(max < MAX_PULSES, `${shape} ${capacityKw} kW group ${g}: ${max}`);
        if (g === 0 && shape !== 'solar' && shape !== 'hydro') assert.ok(max > 1000, `${shape}: resolution ${max}`);
        if (g === 1 && (shape === 'solar' || shape === 'hydro')) assert.ok(max > 1000, `${shape}: resolution ${max}`);
      }
    }
  }
});

test('constants: smallest 1-2-5 step that keeps the peak below 4000 pulses', () => {
  assert.deepEqual(constantForPeak(30_000, 300), { numerator: 1, denominator: 1 });
  assert.deepEqual(constantForPeak(100, 300), { numerator: 5, denominator: 1000 });
  assert.deepEqual(constantForPeak(5000, 300), { numerator: 2, denominator: 10 });
  for (const kw of [100, 333, 1000, 7777, 30_000]) {
    const k = constantForPeak(kw, 300);
    const pulses = ((kw / 12) * 1.1) / (k.numerator / k.denominator);
    assert.ok(pulses <= 4000 && pulses > 1500, `${kw} kW → ${pulses}`);
  }
  const p: LoadPoint = { shape: 'solar', seed: 1, capacityKw: 1000 };
  assert.equal(channelPeakKw(p, 10), 750);
});

test('principal and retaguarda of one point: < 1 % apart per day, but not identical', () => {
  const point: LoadPoint = { shape: 'commercial', seed: 21, capacityKw: 1500 };
  const principal = meter({ point, gainError: 0.0012 });
  const backup = meter({ point, gainError: -0.0009, serial: '87654321', role: 'retaguarda' });
  for (let d = 1; d <= 7; d++) {
    const from = wallTime(2026, 3, d, 0, 5);
    const to = wallTime(2026, 3, d + 1);
    const a = principal.groundTruth(0, from, to).energy[0];
    const b = backup.groundTruth(0, from, to).energy[0];
    const ea = sum(a);
    const eb = sum(b);
    assert.ok(Math.abs(ea - eb) / ea < 0.01, `day ${d}: ${ea} vs ${eb}`);
    assert.notDeepEqual(a, b);
  }
});

test('outages: zero pulses inside, proportional at the edges, listed in the outage log', () => {
  const start = wallTime(2026, 3, 9, 10, 2, 30);
  const end = wallTime(2026, 3, 9, 11, 0);
  const m = meter({ outages: [{ start, end }] });
  const ref = meter();
  const gt = m.groundTruth(0, wallTime(2026, 3, 9, 9, 55), wallTime(2026, 3, 9, 11, 5));
  const full = ref.groundTruth(0, wallTime(2026, 3, 9, 9, 55), wallTime(2026, 3, 9, 11, 5));
  // 09:55, 10:00 untouched; 10:05 half cut; 10:10…11:00 zero; 11:05 untouched.
  assert.equal(gt.ends.length, 15);
  assert.equal(gt.pulses[0][0], full.pulses[0][0]);
  assert.equal(gt.pulses[0][1], full.pulses[0][1]);
  assert.ok(Math.abs(gt.pulses[0][2] - full.pulses[0][2] / 2) <= 1, `${gt.pulses[0][2]} vs ${full.pulses[0][2]}`);
  for (let i = 3; i <= 13; i++) {
    for (let ch = 0; ch < 3; ch++) assert.equal(gt.pulses[ch][i], 0, formatWall(gt.ends[i]));
  }
  assert.ok(full.pulses[0][13] > 0);
  assert.equal(gt.pulses[0][14], full.pulses[0][14]);
  assert.deepEqual(m.outages(NOW, 'current'), [{ start, end }]);
  assert.deepEqual(m.outages(NOW, 'previous'), []);
  assert.equal(m.isPoweredOff(wallTime(2026, 3, 9, 10, 30)), true);
  assert.equal(m.isPoweredOff(NOW), false);
  // An outage still in progress is not logged yet.
  assert.deepEqual(m.outages(wallTime(2026, 3, 9, 10, 30), 'current'), []);
});

test('outage log keeps the 20 most recent of the period, in meter time, oldest first', () => {
  const outages = Array.from({ length: 25 }, (_, i) => ({
    start: wallTime(2026, 3, 2) + i * 4 * HOUR,
    end: wallTime(2026, 3, 2) + i * 4 * HOUR + 10 * MIN,
  }));
  const m = meter({ outages, clock: { offsetMs: 30_000, driftPpm: 0 } });
  const log = m.outages(NOW, 'current');
  assert.equal(log.length, 20);
  assert.equal(log[0].start, outages[5].start + 30_000);
  assert.equal(log[19].end, outages[24].end + 30_000);
});

test('demand reset rotates current into previous, counts and logs it', () => {
  const m = meter();
  const before = m.parameters(0, NOW, 'current');
  const currentBefore = m.massMemoryOf(0, NOW, 'current');
  const later = NOW + 2 * MIN;
  const p = m.parameters(0, later, 'reset', '123456');
  assert.equal(p.resetCount, before.resetCount + 1);
  assert.equal(p.penultimateReset, before.lastReset);
  assert.equal(formatWall(p.lastReset!), '2026-03-10 14:05:00');
  assert.equal(p.massMemoryWords.current, 0);
  assert.equal(p.massMemoryWords.previous, before.massMemoryWords.current);
  assert.deepEqual(m.massMemoryOf(0, later, 'previous').words, currentBefore.words);
  const log = m.alterations();
  assert.deepEqual(log[log.length - 1], { code: 0x20, readerSerial: '123456', time: m.meterTime(later) });
  // 0x22 reports the state at the last reset.
  const prev = m.parameters(0, later, 'previous');
  assert.equal(prev.lastIntervalEnd, prev.lastReset);
});

test('automatic monthly reset is applied lazily at a later now', () => {
  const m = meter();
  const april = wallTime(2026, 4, 2, 8);
  const p = m.parameters(0, april, 'current');
  assert.equal(formatWall(p.lastReset!), '2026-04-01 00:00:00');
  assert.equal(formatWall(p.penultimateReset!), '2026-03-01 00:00:00');
  assert.equal(p.massMemoryWords.previous, 3 * 31 * 288);
  assert.equal(p.resetCount, meter().parameters(0, NOW, 'current').resetCount + 1);
  // Two months later: two more resets.
  const june = wallTime(2026, 6, 15);
  const q = m.parameters(0, june, 'current');
  assert.equal(q.resetCount, p.resetCount + 2);
  assert.equal(formatWall(q.penultimateReset!), '2026-05-01 00:00:00');
});

test('no automatic reset: history still starts at the 1st of this and last month', () => {
  const m = meter({ autoReset: null });
  const p = m.parameters(0, wallTime(2026, 5, 20), 'current');
  assert.equal(formatWall(p.lastReset!), '2026-03-01 00:00:00');
  assert.equal(p.autoReset.enabled, false);
});

test('clock offset and drift move meter time and the labels', () => {
  const m = meter({ clock: { offsetMs: 95_000, driftPpm: 10 } });
  assert.equal(m.meterTime(NOW), NOW + 95_000);
  // 10 ppm over 10 days = 8.64 s.
  assert.equal(m.meterTime(NOW + 10 * DAY), NOW + 10 * DAY + 95_000 + 8640);
  const ref = meter();
  // The interval the fast meter labels L covers true time L−95 s−5 min … L−95 s: never aligned with true intervals,
  // but the energy of a day is nearly the same.
  const from = wallTime(2026, 3, 9, 0, 5);
  const to = wallTime(2026, 3, 10);
  const a = sum(m.groundTruth(0, from, to).energy[0]);
  const b = sum(ref.groundTruth(0, from, to).energy[0]);
  assert.ok(Math.abs(a - b) / b < 0.01);
  assert.notDeepEqual(m.massMemory(0, from, to), ref.massMemory(0, from, to));
  assert.equal(m.lastIntervalEnd(NOW), wallTime(2026, 3, 10, 14, 5));
  assert.equal(m.lastIntervalEnd(NOW + 3 * MIN), wallTime(2026, 3, 10, 14, 10));
});

test('setTime forward: skipped labels hold nothing, words stay continuous', () => {
  const m = meter();
  const t = wallTime(2026, 3, 10, 14, 7, 0);
  assert.deepEqual(m.setTime(t, { hour: 14, minute: 37, second: 0 }, '000777'), { ok: true });
  assert.equal(m.meterTime(t + 1000), wallTime(2026, 3, 10, 14, 37, 1));
  const after = t + 10 * MIN;
  const p = m.parameters(0, after, 'current');
  assert.equal(formatWall(p.lastIntervalEnd!), '2026-03-10 14:45:00');
  const words = m.massMemoryOf(0, after, 'current');
  assert.equal(words.words.length, p.massMemoryWords.current);
  const gt = m.groundTruth(0, wallTime(2026, 3, 10, 14, 5), wallTime(2026, 3, 10, 14, 45));
  const at = (hh: number, mm: number) => gt.pulses[0][gt.ends.indexOf(wallTime(2026, 3, 10, hh, mm))];
  assert.ok(at(14, 5) > 0);
  // 14:05–14:07 ran normally, then the clock jumped to 14:37: 14:10 holds two minutes, 14:15…14:35 nothing.
  assert.ok(at(14, 10) > 0 && at(14, 10) < at(14, 5));
  for (const mm of [15, 20, 25, 30, 35]) assert.equal(at(14, mm), 0);
  assert.ok(at(14, 40) > 0);
  const log = m.alterations();
  assert.equal(log[log.length - 1].code, 0x30);
  assert.equal(log[log.length - 1].readerSerial, '000777');
});

test('setTime backward: repeated labels accumulate both passes; setDate keeps the time of day', () => {
  const m = meter();
  const ref = meter();
  const t = wallTime(2026, 3, 10, 14, 0, 0);
  m.setTime(t, { hour: 13, minute: 0, second: 0 }, '000001');
  const label = wallTime(2026, 3, 10, 13, 30);
  const twice = ref.pulses(0, 0, label) + ref.pulses(0, 0, wallTime(2026, 3, 10, 14, 30));
  assert.ok(Math.abs(m.pulses(0, 0, label) - twice) <= 1);
  const d = t + HOUR;
  assert.deepEqual(m.setDate(d, { day: 12, month: 3, year: 2026 }, '000001'), { ok: true });
  assert.equal(formatWall(m.meterTime(d)), '2026-03-12 14:00:00');
});

test('registers: advance over a period equals the MM energy of the period; posts add up', () => {
  const m = meter({ point: { shape: 'free-consumer', seed: 3, capacityKw: 2000 } });
  for (const g of [0, 1]) {
    const cur = m.registers(NOW, 'current', g);
    const prev = m.registers(NOW, 'previous', g);
    const range = m.periodRange(NOW, 'current');
    const gt = m.groundTruth(g, range.fromEnd, range.toEnd);
    for (let ch = 0; ch < 3; ch++) {
      const c = cur.channels[ch];
      const p = prev.channels[ch];
      assert.equal(c.pulses.total - p.pulses.total, sum(gt.pulses[ch]), `group ${g} ch ${ch}`);
      assert.ok(Math.abs(c.energy.total - p.energy.total - sum(gt.energy[ch])) < 1e-6 * Math.max(1, c.energy.total));
      assert.equal(c.pulses.ponta + c.pulses.foraPonta + c.pulses.reservado, c.pulses.total);
      assert.equal(c.pulses.reservado, 0);
      assert.equal(c.channel, 3 * g + ch + 1);
    }
  }
  // Direct active registers look like an installation in service for years.
  assert.ok(m.registers(NOW, 'previous', 0).channels[0].energy.total > 1_000_000);
});

test('registers: max demand per post from 15-min sums of the MM (ponta 18–21 on working days)', () => {
  const m = meter({ point: { shape: 'commercial', seed: 5, capacityKw: 800 } });
  const prev = m.registers(NOW, 'previous', 0);
  const range = m.periodRange(NOW, 'previous');
  const gt = m.groundTruth(0, range.fromEnd, range.toEnd);
  const k = m.constants(0)[0];
  let ponta = 0;
  let maxPonta = 0;
  let maxFora = 0;
  let window = 0;
  for (let i = 0; i < gt.ends.length; i++) {
    const start = gt.ends[i] - MIN5;
    const d = new Date(start);
    const hour = d.getUTCHours();
    const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
    // February 2026: Carnival Tuesday (17th) has no ponta; Monday (16th) does.
    const holiday = formatWall(start).startsWith('2026-02-17');
    const isPonta = weekday && !holiday && hour >= 18 && hour < 21;
    if (isPonta) ponta += gt.pulses[0][i];
    window += gt.pulses[0][i];
    if (i % 3 === 2) {
      const kw = ((window * k.numerator) / k.denominator) * 4;
      if (isPonta) maxPonta = Math.max(maxPonta, kw);
      else maxFora = Math.max(maxFora, kw);
      window = 0;
    }
  }
  assert.equal(m.resetState(NOW).penultimateReset, wallTime(2026, 2, 1));
  assert.ok(ponta > 0 && prev.channels[0].pulses.ponta >= ponta);
  assert.ok(Math.abs(prev.channels[0].maxDemand.ponta - maxPonta) < 1e-9);
  assert.ok(Math.abs(prev.channels[0].maxDemand.foraPonta - maxFora) < 1e-9);
  assert.ok(maxPonta > 0);
  assert.equal(prev.demandIntervalMinutes, 15);
});

test('registers: ponta advance across a reset equals the ponta MM pulses', () => {
  const m = meter({ point: { shape: 'industrial', seed: 12, capacityKw: 3000 } });
  const prev = m.registers(NOW, 'previous', 0);
  const cur = m.registers(NOW, 'current', 0);
  const range = m.periodRange(NOW, 'current');
  const gt = m.groundTruth(0, range.fromEnd, range.toEnd);
  let ponta = 0;
  for (let i = 0; i < gt.ends.length; i++) {
    const start = new Date(gt.ends[i] - MIN5);
    const wd = start.getUTCDay();
    if (wd >= 1 && wd <= 5 && start.getUTCHours() >= 18 && start.getUTCHours() < 21) ponta += gt.pulses[0][i];
  }
  assert.equal(cur.channels[0].pulses.ponta - prev.channels[0].pulses.ponta, ponta);
});

test('tariffPost: ponta 18–21 on working days only; reservado when active', () => {
  const s = defaultSchedule();
  assert.equal(tariffPost(wallTime(2026, 3, 10, 18, 0), s, false), 'ponta');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 20, 55), s, false), 'ponta');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 21, 0), s, false), 'foraPonta');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 17, 55), s, false), 'foraPonta');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 2, 0), s, false), 'foraPonta');
  assert.equal(tariffPost(wallTime(2026, 3, 14, 19, 0), s, true), 'foraPonta');
  const irrigante = { ...s, reservado: [{ hour: 21, minute: 30 }, null, null, null], reservadoActive: true };
  irrigante.foraPonta = [{ hour: 21, minute: 0 }, { hour: 6, minute: 0 }, null, null];
  assert.equal(tariffPost(wallTime(2026, 3, 10, 23, 0), irrigante, false), 'reservado');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 3, 0), irrigante, false), 'reservado');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 7, 0), irrigante, false), 'foraPonta');
  assert.equal(tariffPost(wallTime(2026, 3, 10, 21, 10), irrigante, false), 'foraPonta');
});

test('writes: invalid parameters give occurrence 0x46 and change nothing; valid ones are logged', () => {
  const m = meter();
  const n = m.alterations().length;
  const bad = [
    m.setDate(NOW, { day: 30, month: 2, year: 2026 }, '1'),
    m.setTime(NOW, { hour: 24, minute: 0, second: 0 }, '1'),
    m.setDemandInterval(NOW, 7, '1'),
    m.setDemandInterval(NOW, 2, '1'),
    m.setHolidays(NOW, new Array(16).fill(null), '1'),
    m.setHolidays(NOW, [wallTime(2026, 3, 1, 12)], '1'),
    m.setConstants(
      NOW,
      0,
      [
        { numerator: 0, denominator: 1 },
        { numerator: 1, denominator: 1 },
        { numerator: 1, denominator: 1 },
      ],
      '1',
    ),
    m.setConstants(NOW, 4, m.constants(0), '1'),
    m.setSegments(NOW, { ponta: [{ hour: 25, minute: 0 }], foraPonta: [], reservado: [] }, 2, '1'),
    m.setSegments(NOW, { ponta: [null], foraPonta: [null], reservado: [] }, 2, '1'),
    m.clearOccurrence(NOW, 300, '1'),
  ];
  for (const r of bad) {
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.occurrence, OCCURRENCE_INVALID_PARAMETER);
  }
  assert.equal(m.alterations().length, n);
  assert.equal(m.meterTime(NOW), NOW);

  assert.deepEqual(m.setDemandInterval(NOW, 5, '42'), { ok: true });
  assert.deepEqual(m.parameters(0, NOW, 'current').demandIntervalMinutes, { current: 5, previous: 15 });
  assert.equal(m.alterations().at(-1)!.readerSerial, '000042');
  const k = [
    { numerator: 1, denominator: 1 },
    { numerator: 1, denominator: 1 },
    { numerator: 1, denominator: 1 },
  ];
  const pulsesBefore = m.massMemory(0, wallTime(2026, 3, 9, 12), wallTime(2026, 3, 9, 12));
  assert.deepEqual(m.setConstants(NOW, 0, k, '42'), { ok: true });
  assert.deepEqual(m.constants(0), k);
  // Pulses are the meter's metrology; the constant only changes how they are read.
  assert.deepEqual(m.massMemory(0, wallTime(2026, 3, 9, 12), wallTime(2026, 3, 9, 12)), pulsesBefore);
  assert.equal(m.groundTruth(0, wallTime(2026, 3, 9, 12), wallTime(2026, 3, 9, 12)).energy[0][0], pulsesBefore[0]);
});

test('setHolidays and setSegments change the ponta classification', () => {
  const m = meter();
  const p0 = m.registers(NOW, 'previous', 0).channels[0].pulses.ponta;
  // No holidays at all: Carnival Tuesday 17/02 gets its ponta back.
  assert.deepEqual(m.setHolidays(NOW, [], '1'), { ok: true });
  assert.ok(m.registers(NOW, 'previous', 0).channels[0].maxDemand.ponta > 0);
  const p = m.parameters(0, NOW, 'current');
  assert.ok(p.holidays.every((h) => h === null));
  const seg = { ponta: [{ hour: 17, minute: 30 }], foraPonta: [{ hour: 20, minute: 30 }], reservado: [] };
  assert.deepEqual(m.setSegments(NOW, seg, 2, '1'), { ok: true });
  assert.deepEqual(m.parameters(0, NOW, 'current').segments.ponta, [{ hour: 17, minute: 30 }, null, null, null]);
  assert.equal(m.parameters(0, NOW, 'current').segmentCount, 2);
  assert.ok(p0 > 0);
});

test('occurrences: battery shows in parameters; clearing it is logged', () => {
  const m = meter({ occurrences: [0x30] });
  assert.equal(m.parameters(0, NOW, 'current').battery.name, 'problem');
  assert.deepEqual(m.clearOccurrence(NOW, 0x30, '000009'), { ok: true });
  assert.deepEqual(m.occurrences(), []);
  assert.equal(m.parameters(0, NOW, 'current').battery.name, 'ok');
  assert.equal(m.alterations().at(-1)!.code, 0x37);
});

test('initialise clears memory, resets, logs and registers', () => {
  const m = meter({ outages: [{ start: wallTime(2026, 3, 9, 10), end: wallTime(2026, 3, 9, 11) }] });
  assert.deepEqual(m.initialise(NOW, '000321'), { ok: true });
  const p = m.parameters(0, NOW, 'current');
  assert.equal(p.resetCount, 0);
  assert.equal(p.massMemoryWords.current, 0);
  assert.equal(p.massMemoryWords.previous, 0);
  assert.equal(p.lastReset, wallTime(2026, 3, 10, 14, 5));
  assert.deepEqual(
    m.alterations().map((e) => e.code),
    [0x38],
  );
  assert.deepEqual(m.outages(NOW, 'current'), []);
  assert.equal(sum(m.massMemory(0, wallTime(2026, 3, 9, 0, 5), wallTime(2026, 3, 10))), 0);
  assert.equal(m.massMemoryOf(0, NOW, { windowDays: 5 }).intervals, 0);
  const later = NOW + HOUR;
  assert.equal(m.massMemoryOf(0, later, { windowDays: 5 }).intervals, 12);
  const r = m.registers(later, 'current', 0);
  const range = m.periodRange(later, 'current');
  assert.equal(r.channels[0].pulses.total, sum(m.groundTruth(0, range.fromEnd, range.toEnd).pulses[0]));
});

test('alteration log: reads and writes, newest last, capped at 25', () => {
  const m = meter();
  assert.equal(m.alterations().length, 7);
  for (let i = 0; i < 30; i++) m.logAccess(0x21, '123456', NOW + i * 1000);
  const log = m.alterations();
  assert.equal(log.length, 25);
  assert.equal(log[24].time, NOW + 29_000);
  assert.equal(log[0].time, NOW + 5000);
  m.logAccess(0x23, '12?456', NOW);
  assert.equal(m.alterations().at(-1)!.readerSerial, '120456');
  assert.throws(() => m.logAccess(256, '000000', NOW), isSim);
});

test('instant values follow the interval power, with plausible V, I, PF and f', () => {
  const m = meter({ point: { shape: 'free-consumer', seed: 1, capacityKw: 2000 } });
  const iv = m.instantValues(NOW);
  assert.equal(iv.meterTime, NOW);
  assert.ok(iv.activePower[3] > 1000 && iv.activePower[3] < 2000);
  assert.ok(Math.abs(iv.activePower[0] + iv.activePower[1] + iv.activePower[2] - iv.activePower[3]) < 1e-6);
  assert.ok(iv.powerFactor.every((pf) => pf > 0.8 && pf <= 1));
  assert.ok(Math.abs(iv.frequencyHz - 60) < 0.05);
  assert.ok(iv.phaseVoltage.every((v) => Math.abs(v - 13_800 / Math.sqrt(3)) < 200));
  assert.ok(iv.current[0] > 0 && iv.current[3] < iv.current[0]);
  assert.deepEqual(m.instantValues(NOW), iv);
  const solar = meter({ point: { shape: 'solar', seed: 1, capacityKw: 5000 } });
  assert.ok(solar.instantValues(wallTime(2026, 1, 10, 12, 2)).activePower[3] < 0, 'a plant exports');
  const off = meter({ outages: [{ start: NOW - MIN, end: NOW + MIN }] });
  assert.equal(off.instantValues(NOW).activePower[3], 0);
});

test('configuration errors are typed', () => {
  const bad: Partial<SimulatedMeterConfig>[] = [
    { serial: '1234' },
    { pointCode: '' },
    { role: 'backup' as 'principal' },
    { gainError: 0.2 },
    { groups: [[1, 10]] },
    { constants: [[{ numerator: 1, denominator: 1 }]] },
    { massMemoryIntervalSeconds: 420 },
    { demandIntervalMinutes: 7 },
    { clock: { offsetMs: Number.NaN, driftPpm: 0 } },
    { outages: [{ start: 10, end: 5 }] },
    { memoryDays: 0 },
    { autoReset: { day: 32, hour: 0 } },
    { model: 'abcd' },
    { readerSerial: '12' },
    { installedAt: NOW + DAY },
    { point: { shape: 'solar', seed: 1, capacityKw: -1 } },
  ];
  for (const over of bad) assert.throws(() => meter(over), isSim, JSON.stringify(over));
});

test('materialised mass memory: same words as computed, slides as intervals close, dropped on clock writes', () => {
  const outages = [{ start: wallTime(2026, 3, 10, 3), end: wallTime(2026, 3, 10, 3, 40) }];
  const kept = meter({ outages, clock: { offsetMs: 4000, driftPpm: 20 } });
  const plain = meter({ outages, clock: { offsetMs: 4000, driftPpm: 20 } });
  kept.materialiseMassMemory(NOW, 1);
  const same = (from: number, to: number, g = 0) =>
    assert.deepEqual(kept.massMemory(g, from, to), plain.massMemory(g, from, to), `${formatWall(from)}…${g}`);
  const last = kept.lastIntervalEnd(NOW);
  for (const g of [0, 1]) {
    same(last - 287 * MIN5, last, g); // the whole kept day
    same(last - 10 * MIN5, last - 2 * MIN5, g); // inside it
    same(last - 300 * MIN5, last, g); // reaches before it
    same(last - 2 * DAY, last - DAY, g); // wholly before it
  }
  // A copy: the caller may change it without touching the kept words.
  kept.massMemory(0, last, last).fill(9);
  same(last, last);
  // Later reads take the labels that closed since, and the oldest fall out.
  const later = NOW + 3 * HOUR;
  const last2 = kept.lastIntervalEnd(later);
  same(last2 - 287 * MIN5, last2);
  same(last - 287 * MIN5, last); // now partly outside the kept span
  same(kept.lastIntervalEnd(later + 2 * DAY) - 10 * MIN5, kept.lastIntervalEnd(later + 2 * DAY));
  // A backward clock write labels the same times twice: the kept words must not survive it.
  const t = later + 2 * DAY + MIN;
  kept.materialiseMassMemory(t, 1);
  assert.deepEqual(kept.setTime(t, { hour: 1, minute: 0, second: 0 }, '000001'), { ok: true });
  assert.deepEqual(plain.setTime(t, { hour: 1, minute: 0, second: 0 }, '000001'), { ok: true });
  const t2 = t + 6 * HOUR;
  same(kept.lastIntervalEnd(t2) - 287 * MIN5, kept.lastIntervalEnd(t2));
  same(kept.lastIntervalEnd(t2) - 60 * MIN5, kept.lastIntervalEnd(t2)); // labels passed twice
  // Initialisation empties the memory.
  kept.materialiseMassMemory(t2, 1);
  kept.initialise(t2, '000001');
  plain.initialise(t2, '000001');
  same(kept.lastIntervalEnd(t2) - 100 * MIN5, kept.lastIntervalEnd(t2));
  assert.equal(sum(kept.massMemory(0, kept.lastIntervalEnd(t2) - 100 * MIN5, kept.lastIntervalEnd(t2))), 0);
});
