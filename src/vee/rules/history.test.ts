import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, series, setSlots } from './testkit.ts';

// 288 slots of 1 kWh: a day total of 288.
const day = (x = 1) => channel({ values: x });
const hist = (...totals: number[]) => ({ history: [{ quantityCode: 1, totals }] });

test('V08 within [lo, hi] × mean passes at both edges', () => {
  // mean 576: lo 288 — exactly the total.
  const lo = validate(input([day()], [], hist(500, 652)), only(['V08']));
  assert.equal(lo.outcomes.find((o) => o.rule === 'V08')?.status, 'pass');
  // mean 192: hi 288.
  const hi = validate(input([day()], [], hist(192)), only(['V08']));
  assert.equal(hi.outcomes.find((o) => o.rule === 'V08')?.status, 'pass');
});

test('V08 outside the band is a day finding, no slot marks', () => {
  const r = validate(input([day()], [], hist(191)), only(['V08']));
  assert.equal(r.outcomes.find((o) => o.rule === 'V08')?.status, 'fail');
  assert.equal(
    r.findings[0].message,
    'V08 daily energy on meter 1 channel 1 (code 1): 288 kWh > 1.5 × mean 191 = 286.5 of 1 like-day(s)',
  );
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].ruleSeverity[8], Severity.warning);
  const low = validate(input([day(0.5)], [], hist(300, 300)), only(['V08']));
  assert.match(low.findings[0].message, /144 kWh < 0\.5 × mean 300 = 150 of 2 like-day\(s\)$/);
});

test('V08 not evaluated: no history, too few days, incomplete day', () => {
  const reason = (r: ReturnType<typeof validate>) => r.outcomes.find((o) => o.rule === 'V08')?.reason;
  assert.equal(reason(validate(input([day()]), only(['V08']))), 'no history');
  assert.equal(
    reason(validate(input([day()], [], hist(100, 200)), only(['V08'], { rules: { V08: { minDays: 3 } } }))),
    'history of 2 day(s) < minDays 3',
  );
  const gap = channel({ values: series((k) => (k === 0 ? null : 1)) });
  assert.equal(reason(validate(input([gap], [], hist(100)), only(['V08']))), 'incomplete day (1 slot(s) missing)');
});

test('V08 lo/hi from params; other quantity codes are not judged', () => {
  const r = validate(input([day()], [], hist(250)), only(['V08'], { rules: { V08: { hi: 1.1 } } }));
  assert.equal(r.outcomes.find((o) => o.rule === 'V08')?.status, 'fail');
  const q = validate(input([channel({ quantityCode: 10 })], [], hist(1)), only(['V08']));
  assert.equal(q.outcomes.filter((o) => o.rule === 'V08').length, 0);
});
