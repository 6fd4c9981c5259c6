import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reason, ruleBit, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, range, series, setSlots } from './testkit.ts';

test('V02 passes a complete day', () => {
  const r = validate(input([channel()]), only(['V02']));
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.deepEqual(
    r.outcomes.filter((o) => o.rule === 'V02'),
    [{ rule: 'V02', status: 'pass', meterId: 1, quantityCode: 1 }],
  );
});

test('V02 one missing slot is enough: flagged error, reason missing, finding with the count', () => {
  const r = validate(input([channel({ values: series((k) => (k === 287 ? null : 1)) })]), only(['V02']));
  const cv = r.channels[0];
  assert.deepEqual(setSlots(cv.rules), [287]);
  assert.equal(cv.rules[287], ruleBit('V02'));
  assert.equal(cv.severity[287], Severity.error);
  assert.equal(cv.reason[287], Reason.missing);
  assert.equal(cv.reason[286], Reason.none);
  assert.equal(r.findings.length, 1);
  assert.equal(
    r.findings[0].message,
    'V02 completeness on meter 1 channel 1 (code 1): 287/288 slots (99.7%), missing slot 287 (23:55–24:00)',
  );
  assert.deepEqual([r.findings[0].firstSlot, r.findings[0].lastSlot, r.findings[0].slots], [287, 287, 1]);
});

test('V02 lists missing ranges; an empty channel-day is all missing', () => {
  const r = validate(input([channel({ values: series((k) => (k >= 12 && k < 24 ? null : 1)) })]), only(['V02']));
  assert.deepEqual(setSlots(r.channels[0].rules), range(12, 23));
  assert.match(r.findings[0].message, /missing slots 12–23 \(01:00–02:00\)$/);
  const empty = validate(input([channel({ absent: true })]), only(['V02']));
  assert.equal(empty.findings[0].slots, 288);
});

test('V02 disabled: no flags, but missing slots still carry reason missing', () => {
  const r = validate(input([channel({ values: series((k) => (k === 3 ? null : 1)) })]), only([]));
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].reason[3], Reason.missing);
  assert.equal(r.channels[0].severity[3], Severity.none);
});

test('V02 severity override', () => {
  const r = validate(
    input([channel({ values: series((k) => (k === 3 ? null : 1)) })]),
    only(['V02'], { rules: { V02: { severity: 'warning' } } }),
  );
  assert.equal(r.channels[0].severity[3], Severity.warning);
  assert.equal(r.channels[0].ruleSeverity[2], Severity.warning);
  assert.equal(r.findings[0].severity, 'warning');
});
