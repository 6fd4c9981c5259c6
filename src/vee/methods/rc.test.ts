import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyFinalDay, Quality } from '../types.ts';
import { worstCase } from './rc.ts';

function day(quantityCode: number, intervalS = 900) {
  const f = emptyFinalDay({ pointId: 1, pointCode: 'P', quantityCode, day: '2026-11-23', slots: 4, intervalS });
  f.value.set([1, 2, 3, Number.NaN]);
  f.quality.set([Quality.A, Quality.E, Quality.S, Quality.N]);
  return f;
}

test('consumption: capacity × interval per E/N slot against our estimate there', () => {
  // 40 kW × 15 min = 10 kWh per slot
  assert.deepEqual(worstCase(day(1), 40), { slots: 2, energy: 20, estimatedEnergy: 2, difference: 18 });
  assert.deepEqual(worstCase(day(10), 40)?.energy, 20);
  assert.equal(worstCase(day(1), null), null);
});

test('generation: zero, capacity not needed; non-energy quantities have no worst case', () => {
  assert.deepEqual(worstCase(day(14), null), { slots: 2, energy: 0, estimatedEnergy: 2, difference: -2 });
  assert.deepEqual(worstCase(day(16), 40)?.energy, 0);
  assert.equal(worstCase(day(4), 40), null);
});
