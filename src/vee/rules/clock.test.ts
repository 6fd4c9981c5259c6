import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reason, ruleBit, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, setSlots } from './testkit.ts';

function run(driftS: number[] | null, patch = {}) {
  const chans = [channel(), channel({ channel: 2, quantityCode: 10 }), channel({ meterId: 2, role: 'retaguarda' })];
  return validate(input(chans, [{ meterId: 1, role: 'principal', driftS }]), only(['V04'], patch));
}

test('V04 at the warning edge: 60 s passes, 61 s is a warning finding without slot marks', () => {
  assert.equal(run([10, -60]).outcomes.find((o) => o.meterId === 1)?.status, 'pass');
  const r = run([10, -61]);
  assert.equal(r.outcomes.find((o) => o.meterId === 1)?.status, 'fail');
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0].severity, 'warning');
  assert.equal(r.findings[0].message, 'V04 clock drift on meter 1: -61 s at read time, beyond ±60 s');
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].ruleSeverity[4], Severity.warning);
});

test('V04 at the error edge: 300 s is still a warning, 301 s flags every slot of the meter suspect with reason clock', () => {
  assert.equal(run([300]).findings[0].severity, 'warning');
  const r = run([301]);
  assert.equal(r.findings[0].severity, 'error');
  for (const cv of r.channels.slice(0, 2)) {
    assert.ok(cv.rules.every((m) => m === ruleBit('V04')));
    assert.ok(cv.severity.every((s) => s === Severity.suspect));
    assert.ok(cv.reason.every((x) => x === Reason.clock));
    assert.equal(cv.ruleSeverity[4], Severity.error);
  }
  // The retaguarda meter's clock was not judged.
  assert.deepEqual(setSlots(r.channels[2].rules), []);
  assert.equal(r.outcomes.find((o) => o.meterId === 2)?.reason, 'no clock reading');
});

test('V04 thresholds and slot severity come from params', () => {
  const r = run([120], { rules: { V04: { warnS: 30, errorS: 100, slotSeverity: 'error', severity: 'suspect' } } });
  assert.equal(r.findings[0].severity, 'suspect');
  assert.equal(r.channels[0].severity[0], Severity.error);
  const info = run([90], { rules: { V04: { severity: 'info' } } });
  assert.equal(info.findings[0].severity, 'info');
});

test('V04 without drift readings is not evaluated; non-finite readings are ignored', () => {
  assert.equal(run(null).outcomes.find((o) => o.meterId === 1)?.status, 'not_evaluated');
  assert.equal(run([Number.NaN]).outcomes.find((o) => o.meterId === 1)?.status, 'not_evaluated');
  assert.equal(run([Number.NaN, 5]).outcomes.find((o) => o.meterId === 1)?.status, 'pass');
});
