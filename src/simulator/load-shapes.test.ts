import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { wallTime } from '../protocols/abnt14522/fields.ts';
import {
  channelPeakKw,
  ENERGY_FIELDS,
  isNonWorkingDay,
  LOAD_SHAPES,
  type LoadPoint,
  type LoadShape,
  loadShapeTraits,
  pointEnergy,
  pointEnergyInto,
} from './load-shapes.ts';

const MIN5 = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Mean active power (kW, direct or reverse) over the 5-min intervals of [from, to). */
function meanKw(point: LoadPoint, from: number, to: number, field: 'activeDirectKwh' | 'activeReverseKwh'): number {
  let sum = 0;
  let n = 0;
  for (let end = from + MIN5; end <= to; end += MIN5) {
    sum += pointEnergy(point, end, 300)[field] * 12;
    n++;
  }
  return sum / n;
}

test('deterministic: same point, same energy; another seed, other energy', () => {
  for (const shape of LOAD_SHAPES) {
    const a: LoadPoint = { shape, seed: 42, capacityKw: 2000 };
    const b: LoadPoint = { shape, seed: 42, capacityKw: 2000 };
    const c: LoadPoint = { shape, seed: 43, capacityKw: 2000 };
    const end = wallTime(2026, 3, 11, 12, 5);
    assert.deepEqual(pointEnergy(a, end, 300), pointEnergy(b, end, 300), shape);
    const day = (p: LoadPoint) => Array.from({ length: 288 }, (_, i) => pointEnergy(p, end + i * MIN5, 300));
    assert.notDeepEqual(day(a), day(c), shape);
  }
});

test('random access: an interval computed alone equals the same interval computed in a sweep', () => {
  const p: LoadPoint = { shape: 'solar', seed: 9, capacityKw: 5000 };
  const end = wallTime(2026, 1, 20, 11, 35);
  const alone = pointEnergy(p, end, 300);
  const sweep: ReturnType<typeof pointEnergy>[] = [];
  for (let t = end - 100 * MIN5; t <= end + 100 * MIN5; t += MIN5) sweep.push(pointEnergy(p, t, 300));
  assert.deepEqual(sweep[100], alone);
  assert.deepEqual(pointEnergy({ ...p }, end, 300), alone);
});

test('all energies finite, non-negative and within the capacity bound over a year', () => {
  const out = new Float64Array(6);
  for (const shape of LOAD_SHAPES) {
    for (const seed of [1, 2, 3]) {
      const p: LoadPoint = { shape, seed, capacityKw: 1000, latitudeDeg: -23 };
      const start = wallTime(2025, 1, 1);
      // Every 7th 5-min interval of the year: all hours and days of week appear.
      for (let end = start + MIN5; end < start + 365 * DAY; end += 7 * MIN5) {
        pointEnergyInto(p, end, 300, out);
        for (let i = 0; i < 6; i++) {
          const v = out[i];
          assert.ok(Number.isFinite(v) && v >= 0, `${shape} ${ENERGY_FIELDS[i]} = ${v}`);
          const bound = channelPeakKw(p, [1, 14, 10, 11, 15, 16][i]) / 12;
          assert.ok(v <= bound + 1e-9, `${shape} ${ENERGY_FIELDS[i]} ${v} > ${bound}`);
        }
      }
    }
  }
});

test('industrial: weekday shifts above nights (2 shifts) and well above Sundays', () => {
  let twoShift = 0;
  let threeShift = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const p: LoadPoint = { shape: 'industrial', seed, capacityKw: 1000 };
    const shifts = loadShapeTraits(p).shifts;
    // 2026-03-11 is a Wednesday, 2026-03-15 a Sunday.
    const wed = wallTime(2026, 3, 11);
    const sun = wallTime(2026, 3, 15);
    const day = meanKw(p, wed + 8 * HOUR, wed + 11 * HOUR, 'activeDirectKwh');
    const night = meanKw(p, wed + 1 * HOUR, wed + 4 * HOUR, 'activeDirectKwh');
    const sunday = meanKw(p, sun + 8 * HOUR, sun + 11 * HOUR, 'activeDirectKwh');
    assert.ok(sunday < 0.5 * day, `seed ${seed}: Sunday ${sunday} vs weekday ${day}`);
    if (shifts === 2) {
      twoShift++;
      assert.ok(night < 0.5 * day, `seed ${seed}: night ${night} vs day ${day}`);
    } else {
      threeShift++;
      assert.ok(night > 0.6 * day, `seed ${seed}: a third shift keeps the night busy`);
    }
  }
  assert.ok(twoShift > 0 && threeShift > 0, 'both shift patterns occur');
});

test('industrial: holidays look like Sundays', () => {
  const p: LoadPoint = { shape: 'industrial', seed: 5, capacityKw: 1000 };
  // 2026-04-21 (Tiradentes) is a Tuesday; 2026-04-14 the Tuesday before.
  assert.equal(isNonWorkingDay(wallTime(2026, 4, 21)), true);
  assert.equal(isNonWorkingDay(wallTime(2026, 4, 14)), false);
  const holiday = meanKw(p, wallTime(2026, 4, 21, 8), wallTime(2026, 4, 21, 11), 'activeDirectKwh');
  const normal = meanKw(p, wallTime(2026, 4, 14, 8), wallTime(2026, 4, 14, 11), 'activeDirectKwh');
  assert.ok(holiday < 0.5 * normal);
});

test('commercial: business hours above the night, Sunday closed, summer above winter', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const p: LoadPoint = { shape: 'commercial', seed, capacityKw: 800 };
    const wed = wallTime(2026, 1, 14);
    const sun = wallTime(2026, 1, 18);
    const open = meanKw(p, wed + 14 * HOUR, wed + 16 * HOUR, 'activeDirectKwh');
    const night = meanKw(p, wed + 2 * HOUR, wed + 4 * HOUR, 'activeDirectKwh');
    const sunday = meanKw(p, sun + 14 * HOUR, sun + 16 * HOUR, 'activeDirectKwh');
    assert.ok(open > 2 * night, `seed ${seed}`);
    assert.ok(sunday < 0.5 * open, `seed ${seed}`);
    const july = wallTime(2026, 7, 15);
    assert.ok(meanKw(p, july + 14 * HOUR, july + 16 * HOUR, 'activeDirectKwh') < open, `seed ${seed}: A/C in summer`);
  }
});

test('free consumer: high base load, daytime above night', () => {
  const p: LoadPoint = { shape: 'free-consumer', seed: 3, capacityKw: 4000 };
  const wed = wallTime(2026, 3, 11);
  const night = meanKw(p, wed + 2 * HOUR, wed + 4 * HOUR, 'activeDirectKwh');
  const day = meanKw(p, wed + 13 * HOUR, wed + 15 * HOUR, 'activeDirectKwh');
  assert.ok(night > 0.4 * 4000);
  assert.ok(day > night);
});

test('solar: nothing generated at night, peak near noon, auxiliaries consume at night', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const p: LoadPoint = { shape: 'solar', seed, capacityKw: 10_000, latitudeDeg: -20 };
    const day = wallTime(2026, 1, 10);
    let best = 0;
    let bestHour = 0;
    for (let end = day + MIN5; end <= day + DAY; end += MIN5) {
      const e = pointEnergy(p, end, 300);
      const h = (end - day) / HOUR;
      if (h <= 4.5 || h >= 20) {
        assert.equal(e.activeReverseKwh, 0, `seed ${seed} at ${h} h`);
        assert.ok(e.activeDirectKwh > 0, 'auxiliaries at night');
      }
      if (e.activeReverseKwh > 0) assert.equal(e.activeDirectKwh, 0);
      // Hourly mean, so passing clouds do not decide the peak.
      if (h % 1 === 0) {
        const mean = meanKw(p, end - HOUR, end, 'activeReverseKwh');
        if (mean > best) {
          best = mean;
          bestHour = h - 0.5;
        }
      }
    }
    assert.ok(bestHour >= 10 && bestHour <= 14.5, `seed ${seed}: peak at ${bestHour} h`);
    assert.ok(best > 0.2 * 10_000, `seed ${seed}: peak ${best} kW`);
  }
});

test('solar: longer days in summer than in winter (southern hemisphere)', () => {
  const p: LoadPoint = { shape: 'solar', seed: 4, capacityKw: 1000, latitudeDeg: -25 };
  const daylight = (d: number) => {
    let n = 0;
    for (let end = d + MIN5; end <= d + DAY; end += MIN5) if (pointEnergy(p, end, 300).activeReverseKwh > 0) n++;
    return n;
  };
  assert.ok(daylight(wallTime(2025, 12, 21)) > daylight(wallTime(2025, 6, 21)) + 12);
});

test('hydro: steady reverse flow, wetter season generates more, reactive in the reverse channels', () => {
  const p: LoadPoint = { shape: 'hydro', seed: 8, capacityKw: 20_000 };
  const march = meanKw(p, wallTime(2026, 3, 1), wallTime(2026, 3, 8), 'activeReverseKwh');
  const september = meanKw(p, wallTime(2026, 9, 1), wallTime(2026, 9, 8), 'activeReverseKwh');
  assert.ok(march > 1.2 * september, `${march} vs ${september}`);
  const e = pointEnergy(p, wallTime(2026, 3, 4, 14), 300);
  assert.ok(e.activeReverseKwh > 0 && e.reactiveIndReverseKvarh > 0);
  assert.equal(e.reactiveIndDirectKvarh + e.reactiveCapDirectKvarh, 0);
});

test('hydro: unit stops happen on some days (deterministically)', () => {
  const p: LoadPoint = { shape: 'hydro', seed: 1, capacityKw: 10_000 };
  const units = loadShapeTraits(p).units ?? 2;
  let reducedIntervals = 0;
  const start = wallTime(2026, 1, 1);
  for (let d = 0; d < 365; d++) {
    const day = start + d * DAY;
    const mean = meanKw(p, day, day + DAY, 'activeReverseKwh');
    for (let end = day + MIN5; end <= day + DAY; end += MIN5) {
      if (pointEnergy(p, end, 300).activeReverseKwh * 12 < mean * (1 - 0.6 / units)) reducedIntervals++;
    }
  }
  assert.ok(reducedIntervals > 0, 'at least one stop in a year');
  assert.ok(reducedIntervals < 0.1 * 365 * 288, 'stops are occasional');
});

test('reactive: consumers are inductive by day; loads with a capacitor bank turn capacitive at light load', () => {
  let capacitiveNights = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const p: LoadPoint = { shape: 'commercial', seed, capacityKw: 1000 };
    const day = pointEnergy(p, wallTime(2026, 3, 11, 15), 300);
    assert.ok(day.reactiveIndDirectKvarh > 0, `seed ${seed}`);
    assert.equal(day.activeReverseKwh, 0);
    const night = pointEnergy(p, wallTime(2026, 3, 11, 3), 300);
    if (night.reactiveCapDirectKvarh > 0) {
      capacitiveNights++;
      assert.ok(loadShapeTraits(p).capacitorBankKvar > 0);
    }
  }
  assert.ok(capacitiveNights > 0);
});

test('interval length scales the energy', () => {
  const p: LoadPoint = { shape: 'free-consumer', seed: 2, capacityKw: 1000 };
  const end = wallTime(2026, 3, 11, 3);
  const e5 = pointEnergy(p, end, 300).activeDirectKwh;
  const e15 = pointEnergy(p, end, 900).activeDirectKwh;
  assert.ok(e15 > 2 * e5 && e15 < 4 * e5);
});

test('bad points and intervals are typed errors', () => {
  const bad =
    (point: unknown, secs = 300) =>
    () =>
      pointEnergy(point as LoadPoint, 0, secs);
  const isSim = (e: unknown) => isFronteiraError(e, 'FRONTEIRA_E_SIMULATOR');
  assert.throws(bad({ shape: 'wind' as LoadShape, seed: 1, capacityKw: 10 }), isSim);
  assert.throws(bad({ shape: 'solar', seed: Number.NaN, capacityKw: 10 }), isSim);
  assert.throws(bad({ shape: 'solar', seed: 1, capacityKw: 0 }), isSim);
  assert.throws(bad({ shape: 'solar', seed: 1, capacityKw: 10 }, 0), isSim);
});
