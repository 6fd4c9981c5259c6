import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RegisterAdvance, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, series, setSlots } from './testkit.ts';

function run(ra: RegisterAdvance[] | null, values: number | (number | null)[] = 1, patch = {}) {
  return validate(
    input([channel({ values })], [{ meterId: 1, role: 'principal', registerAdvance: ra }]),
    only(['V10'], patch),
  );
}
const status = (r: ReturnType<typeof validate>) => r.outcomes.find((o) => o.rule === 'V10');

test('V10 within the relative tolerance passes at the edge, beyond it is a day finding', () => {
  // Sum over all 288 slots is 288; 0.5% of 1000 = 5.
  const ra = (energy: number, outsideSum = 0): RegisterAdvance[] => [
    { quantityCode: 1, energy, firstSlot: 0, lastSlot: 287, outsideSum },
  ];
  assert.equal(status(run(ra(1000, 717)))?.status, 'pass');
  assert.equal(status(run(ra(1000, 707)))?.status, 'pass');
  const r = run(ra(1000, 706.9));
  assert.equal(status(r)?.status, 'fail');
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].ruleSeverity[10], Severity.warning);
  assert.equal(
    r.findings[0].message,
    'V10 sum check on meter 1 channel 1 (code 1): intervals over slots 0–287 (00:00–24:00) + 706.9 outside the day = 994.9 kWh, register advance 1000 (-0.51%, tolerance 0.5%)',
  );
});

test('V10 sums only the period slots', () => {
  const v = series((k) => (k >= 12 && k <= 23 ? 2 : 100));
  assert.equal(status(run([{ quantityCode: 1, energy: 24, firstSlot: 12, lastSlot: 23 }], v))?.status, 'pass');
  assert.equal(status(run([{ quantityCode: 1, energy: 24, firstSlot: 12, lastSlot: 24 }], v))?.status, 'fail');
  assert.equal(
    status(
      run([{ quantityCode: 1, energy: 30, firstSlot: 12, lastSlot: 23 }], v, { rules: { V10: { tolerance: 0.25 } } }),
    )?.status,
    'pass',
  );
});

test('V10 not evaluated: no snapshot, missing slots, period outside the day', () => {
  assert.equal(status(run(null))?.reason, 'no register snapshot');
  assert.equal(
    status(run([{ quantityCode: 10, energy: 1, firstSlot: 0, lastSlot: 1 }]))?.reason,
    'no register snapshot',
  );
  const gap = series((k) => (k === 5 ? null : 1));
  assert.equal(
    status(run([{ quantityCode: 1, energy: 287, firstSlot: 0, lastSlot: 287 }], gap))?.reason,
    '1 slot(s) missing in the register period',
  );
  assert.match(
    status(run([{ quantityCode: 1, energy: 1, firstSlot: 0, lastSlot: 288 }]))?.reason ?? '',
    /not inside the day/,
  );
});
