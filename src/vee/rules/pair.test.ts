import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ruleReason, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, range, series, setSlots } from './testkit.ts';

const P = (v: number | (number | null)[]) => channel({ meterId: 1, role: 'principal', values: v });
const R = (v: number | (number | null)[]) => channel({ meterId: 2, role: 'retaguarda', values: v });
/** 12.5 per slot (150 per hour) except `x` per slot in hours first…last. */
const hours = (first: number, last: number, x: number) =>
  series((k) => (k >= first * 12 && k < (last + 1) * 12 ? x : 12.5));
const v11 = (r: ReturnType<typeof validate>) => r.outcomes.filter((o) => o.rule === 'V11');

test('V11 hourly: exactly 1% passes; > 1% on 3 consecutive hours marks those hours on both meters', () => {
  // 12.625 × 12 = 151.5: exactly 1% of 150.
  assert.equal(v11(validate(input([P(12.5), R(hours(8, 10, 12.625))]), only(['V11'])))[0].status, 'pass');
  const r = validate(input([P(12.5), R(hours(8, 10, 12.6875))]), only(['V11']));
  assert.deepEqual(v11(r), [{ rule: 'V11', status: 'fail', quantityCode: 1 }]);
  for (const cv of r.channels) {
    assert.deepEqual(setSlots(cv.rules), range(96, 131));
    assert.equal(cv.severity[96], Severity.warning);
    assert.equal(cv.reason[96], ruleReason('V11'));
  }
  assert.equal(r.findings.length, 1);
  assert.equal(
    r.findings[0].message,
    'V11 principal × retaguarda hourly, code 1, meters 1 (principal) and 2 (retaguarda): 3 consecutive hours 08:00–11:00 differ by > 1% (worst 1.5% at 08:00: principal 150, retaguarda 152.25 kWh)',
  );
});

test('V11 two hours in a row are not enough; a missing slot breaks the run', () => {
  assert.equal(v11(validate(input([P(12.5), R(hours(8, 9, 13))]), only(['V11'])))[0].status, 'pass');
  const gap = hours(8, 10, 13);
  gap[9 * 12 + 3] = null;
  const r = validate(input([P(12.5), R(gap)]), only(['V11']));
  assert.deepEqual(setSlots(r.channels[0].rules), []);
});

test('V11 daily difference above dailyPct is a day finding on both channels', () => {
  // 12.5625 per slot: 0.5% over every hour and the day → below hourly 1%, above daily 0.5%? exactly 0.5 → pass.
  assert.equal(v11(validate(input([P(12.5), R(12.5625)]), only(['V11'])))[0].status, 'pass');
  const r = validate(input([P(12.5), R(12.575)]), only(['V11']));
  assert.equal(v11(r)[0].status, 'fail');
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].ruleSeverity[11], Severity.warning);
  assert.equal(r.channels[1].ruleSeverity[11], Severity.warning);
  assert.match(
    r.findings[0].message,
    /daily.*principal 3600 kWh, retaguarda 3621\.6 kWh differ by 0\.6% > 0\.5% over 24 complete hour\(s\)$/,
  );
});

test('V11 minHourEnergy leaves quiet hours unjudged; thresholds from params', () => {
  const quietP = series((k) => (k < 36 ? 0.01 : 12.5));
  const quietR = series((k) => (k < 36 ? 0.02 : 12.5));
  const loud = validate(input([P(quietP), R(quietR)]), only(['V11'], { rules: { V11: { dailyPct: 100 } } }));
  assert.deepEqual(setSlots(loud.channels[0].rules), range(0, 35));
  const quiet = validate(
    input([P(quietP), R(quietR)]),
    only(['V11'], { rules: { V11: { minHourEnergy: 1, dailyPct: 100 } } }),
  );
  assert.deepEqual(setSlots(quiet.channels[0].rules), []);
  const two = validate(
    input([P(12.5), R(hours(8, 9, 13))]),
    only(['V11'], { rules: { V11: { consecutiveHours: 2 } } }),
  );
  assert.deepEqual(setSlots(two.channels[1].rules), range(96, 119));
});

test('V11 not evaluated without a retaguarda or its channel', () => {
  assert.deepEqual(v11(validate(input([P(1)]), only(['V11']))), [
    { rule: 'V11', status: 'not_evaluated', quantityCode: 1, reason: 'no retaguarda' },
  ]);
  const r = validate(input([P(1), channel({ meterId: 2, role: 'retaguarda', quantityCode: 10 })]), only(['V11']));
  assert.equal(v11(r)[0].reason, 'no retaguarda channel of this quantity');
});
