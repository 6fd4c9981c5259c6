import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RAW_CONFLICT, Reason, ruleBit, ruleReason, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, DAY, input, only, range, series, setSlots } from './testkit.ts';

test('V01 accepts a well-formed day and records a pass', () => {
  const r = validate(input([channel()]), only(['V01']));
  const cv = r.channels[0];
  assert.equal(cv.refused, null);
  assert.deepEqual(setSlots(cv.rules), []);
  assert.deepEqual(
    r.outcomes.filter((o) => o.rule === 'V01'),
    [{ rule: 'V01', status: 'pass', meterId: 1, quantityCode: 1 }],
  );
  assert.equal(r.outcomes.filter((o) => o.status === 'disabled').length, 13);
});

test('V01 refuses a slot count that does not fit the day: every slot error, reason rule:V01', () => {
  const r = validate(input([channel({ slots: 287 })]), only(['V01']));
  const cv = r.channels[0];
  assert.match(cv.refused ?? '', /287 slots, expected 288 for 2024-03-12 at 300 s/);
  assert.equal(cv.rules.length, 287);
  assert.ok(cv.rules.every((m) => m === ruleBit('V01')));
  assert.ok(cv.severity.every((s) => s === Severity.error));
  assert.ok(cv.reason.every((x) => x === ruleReason('V01')));
  assert.equal(cv.ruleSeverity[1], Severity.error);
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0].message, /^V01 structure: meter 1 channel 1 \(code 1\) 2024-03-12 refused: /);
  assert.equal(r.outcomes.find((o) => o.rule === 'V01')?.status, 'fail');
});

test('V01 refuses an interval other than the registered mass-memory interval', () => {
  const md = channel({ slots: 96, intervalS: 900 });
  const ok = validate(
    input([md], [{ meterId: 1, role: 'principal', registration: { serial: null, intervalS: 900, channels: null } }]),
    only(['V01']),
  );
  assert.equal(ok.channels[0].refused, null);
  const r = validate(
    input([md], [{ meterId: 1, role: 'principal', registration: { serial: null, intervalS: 300, channels: null } }]),
    only(['V01']),
  );
  assert.equal(r.channels[0].refused, 'interval 900 s, registered mass-memory interval 300 s');
});

test('V01 refuses unreadable arrays and another day even when disabled', () => {
  const md = channel();
  const short = { ...md, value: md.value.subarray(0, 100) };
  const otherDay = { ...channel({ channel: 2 }), day: '2024-03-11' };
  const p = only([]);
  const r = validate(input([short, otherDay]), p);
  assert.equal(r.channels[0].refused, 'value holds 100 slots, expected 288');
  assert.equal(r.channels[1].refused, `day 2024-03-11 is not the validated day ${DAY}`);
  assert.ok(r.channels[0].severity.every((s) => s === Severity.error));
  // Policy checks stay off: a wrong slot count is not refused with V01 disabled.
  assert.equal(validate(input([channel({ slots: 287 })]), p).channels[0].refused, null);
  assert.deepEqual(
    r.outcomes.filter((o) => o.rule === 'V01').map((o) => o.status),
    ['disabled', 'fail', 'fail'],
  );
});

test('V01 duplicates: a later identical copy is refused; different copies are both refused', () => {
  const a = channel({ values: 2 });
  const same = validate(input([a, channel({ values: 2 })]), only(['V01']));
  assert.equal(same.channels[0].refused, null);
  assert.equal(same.channels[1].refused, 'duplicate of input channel #0');
  const diff = validate(input([a, channel({ values: 3 })]), only(['V01']));
  assert.equal(diff.channels[0].refused, 'listed twice (#1) with different values');
  assert.equal(diff.channels[1].refused, 'duplicate of input channel #0');
});

test('V01 marks negative values as slot errors, not the whole day', () => {
  const md = channel({ values: series((k) => (k === 10 || k === 11 ? -2.5 : 1)) });
  const r = validate(input([md]), only(['V01']));
  const cv = r.channels[0];
  assert.equal(cv.refused, null);
  assert.deepEqual(setSlots(cv.rules), [10, 11]);
  assert.equal(cv.severity[10], Severity.error);
  assert.equal(cv.reason[10], ruleReason('V01'));
  assert.equal(r.findings[0].firstSlot, 10);
  assert.equal(r.findings[0].lastSlot, 11);
  assert.match(r.findings[0].message, /slots 10–11 \(00:50–01:00\), lowest -2\.5 kWh/);
});

test('V01 conflict slots: reason conflict at suspect (capped by the rule severity)', () => {
  const md = channel({ flags: { 5: RAW_CONFLICT } });
  const r = validate(input([md]), only(['V01']));
  const cv = r.channels[0];
  assert.deepEqual(setSlots(cv.rules), [5]);
  assert.equal(cv.severity[5], Severity.suspect);
  assert.equal(cv.reason[5], Reason.conflict);
  assert.match(r.findings[0].message, /conflict .* slot 5 \(00:25–00:30\) \(stored value kept\)/);
  const warn = validate(input([md]), only(['V01'], { rules: { V01: { severity: 'warning' } } }));
  assert.equal(warn.channels[0].severity[5], Severity.warning);
  assert.equal(warn.findings[0].severity, 'warning');
});

test('V01 severity override applies to refusals', () => {
  const r = validate(input([channel({ slots: 287 })]), only(['V01'], { rules: { V01: { severity: 'suspect' } } }));
  assert.ok(r.channels[0].refused);
  assert.ok(r.channels[0].severity.every((s) => s === Severity.suspect));
  assert.deepEqual(setSlots(r.channels[0].rules), range(0, 286));
});
