import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstantSample } from '../types.ts';
import { validate } from '../validate.ts';
import { at, channel, input, only, setSlots } from './testkit.ts';

function run(instant: Partial<InstantSample> | null, patch = {}) {
  const s = instant && { at: at(600), voltageV: { a: 220, b: 220, c: 220 }, nominalV: 220, ...instant };
  return validate(input([channel()], [{ meterId: 1, role: 'principal', instant: s }]), only(['V12'], patch));
}
const v12 = (r: ReturnType<typeof validate>) => r.outcomes.find((o) => o.rule === 'V12');

test('V12 voltage edges: 80% and 110% of nominal pass, beyond fails', () => {
  assert.equal(v12(run({ voltageV: { a: 176, b: 242, c: 220 } }))?.status, 'pass');
  const low = run({ voltageV: { a: 175.9, b: 220, c: 220 } });
  assert.equal(v12(low)?.status, 'fail');
  assert.equal(low.findings[0].message, 'V12 instantaneous values on meter 1: phase A 175.9 V < 80% of 220 V');
  assert.deepEqual(setSlots(low.channels[0].rules), []);
  assert.equal(low.channels[0].ruleSeverity[12], 2);
  const lost = run({ voltageV: { a: 220, b: 0, c: 242.1 } });
  assert.match(lost.findings[0].message, /phase B 0 V < 80% of 220 V; phase C 242\.1 V > 110% of 220 V$/);
});

test('V12 current unbalance only when configured', () => {
  const currentA = { a: 10, b: 10, c: 7 };
  assert.equal(v12(run({ currentA }))?.status, 'pass');
  // mean 9, largest deviation 2 → 22.2%.
  const r = run({ currentA }, { rules: { V12: { maxCurrentUnbalancePct: 20 } } });
  assert.match(r.findings[0].message, /current unbalance 22\.22% > 20% \(A 10, B 10, C 7 A\)$/);
  assert.equal(v12(run({ currentA }, { rules: { V12: { maxCurrentUnbalancePct: 25 } } }))?.status, 'pass');
});

test('V12 not evaluated without a sample or a nominal voltage', () => {
  assert.equal(v12(run(null))?.reason, 'no instant snapshot');
  assert.equal(v12(run({ nominalV: null }))?.reason, 'nominal voltage unknown');
});
