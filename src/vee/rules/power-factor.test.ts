import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, series, setSlots } from './testkit.ts';

const hourOf = (k: number) => Math.floor(k / 12);

function run(ind: (h: number) => number, cap: (h: number) => number, patch = {}, withCap = true) {
  const chans = [
    channel({ channel: 1, quantityCode: 1, values: 10 }),
    channel({ channel: 2, quantityCode: 10, values: series((k) => ind(hourOf(k))) }),
  ];
  if (withCap) chans.push(channel({ channel: 3, quantityCode: 11, values: series((k) => cap(hourOf(k))) }));
  return validate(input(chans), only(['V14'], patch));
}
const v14 = (r: ReturnType<typeof validate>) => r.outcomes.filter((o) => o.rule === 'V14');

test('V14 inductive hour outside the capacitive window and capacitive hour inside it', () => {
  // P = 120 per hour; Q = 60 → PF 0.894; Q = 24 → 0.981.
  const r = run(
    (h) => (h === 8 || h === 2 ? 5 : 2),
    (h) => (h === 3 || h === 20 ? 5 : 0),
  );
  assert.deepEqual(v14(r), [{ rule: 'V14', status: 'fail', meterId: 1, quantityCode: 1 }]);
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0].severity, 'info');
  assert.equal(
    r.findings[0].message,
    'V14 power factor on meter 1 (direct): 2 hour(s) below 0.92: capacitive 03:00 (0.894), inductive 08:00 (0.894)',
  );
  assert.deepEqual([r.findings[0].firstSlot, r.findings[0].lastSlot], [36, 107]);
  for (const cv of r.channels) {
    assert.deepEqual(setSlots(cv.rules), []);
    assert.equal(cv.ruleSeverity[14], Severity.info);
  }
});

test('V14 PF exactly at the minimum passes (3-4-5 hour)', () => {
  const hourly = (q: number) => [
    channel({ channel: 1, quantityCode: 1, slots: 24, intervalS: 3600, values: 4 }),
    channel({ channel: 2, quantityCode: 10, slots: 24, intervalS: 3600, values: q }),
  ];
  const p = { rules: { V14: { minPf: 0.8, capacitiveHours: 0 } } };
  assert.equal(v14(validate(input(hourly(3)), only(['V14'], p)))[0].status, 'pass');
  assert.equal(v14(validate(input(hourly(3.01)), only(['V14'], p)))[0].status, 'fail');
});

test('V14 window from params; hours with no energy or a missing slot are not judged', () => {
  // Move the capacitive window to 22:00–06:00: hour 20 stays inductive (its inductive Q is low).
  const r = run(
    () => 2,
    (h) => (h === 23 ? 5 : 0),
    { rules: { V14: { capacitiveStart: '22:00', capacitiveHours: 8 } } },
  );
  assert.match(r.findings[0].message, /capacitive 23:00 \(0\.894\)$/);
  const chans = [channel({ quantityCode: 1, values: 0 }), channel({ channel: 2, quantityCode: 10, values: 0 })];
  assert.equal(v14(validate(input(chans), only(['V14'])))[0].reason, 'no hour with active and reactive data');
});

test('V14 not evaluated without reactive channels or a principal meter', () => {
  assert.equal(v14(validate(input([channel()]), only(['V14'])))[0].reason, 'no reactive channels');
  const ret = validate(input([channel({ role: 'retaguarda' })]), only(['V14']));
  assert.equal(v14(ret)[0].reason, 'no principal meter');
});
