import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ruleReason, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, point, series, setSlots } from './testkit.ts';

const C = (x: number | (number | null)[]) => channel({ channel: 1, quantityCode: 1, values: x });
const G = (x: number | (number | null)[]) => channel({ channel: 4, quantityCode: 14, values: x });

test('V09 on a load: G energy up to 1% of C passes, above it flags the G slots with energy', () => {
  // C = 288 kWh; 1% = 2.88.
  const g = (x: number) => series((k) => (k < 2 ? x : 0));
  assert.equal(
    validate(input([C(1), G(g(1.44))]), only(['V09'])).outcomes.find((o) => o.rule === 'V09')?.status,
    'pass',
  );
  const r = validate(input([C(1), G(g(1.45))]), only(['V09']));
  assert.deepEqual(setSlots(r.channels[1].rules), [0, 1]);
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[1].severity[0], Severity.warning);
  assert.equal(r.channels[1].reason[0], ruleReason('V09'));
  assert.equal(
    r.findings[0].message,
    'V09 reverse flow on meter 1: code 14 day total 2.9 kWh > 1% of code 1 total 288 (2.88); energy at slots 0–1 (00:00–00:10)',
  );
});

test('V09 on a generation point the unexpected direction is C', () => {
  const gen = { point: point({ kind: 'geracao', segment: 'geracao' }) };
  const r = validate(input([C(series((k) => (k === 5 ? 50 : 0))), G(10)], [], gen), only(['V09']));
  assert.deepEqual(setSlots(r.channels[0].rules), [5]);
  assert.deepEqual(setSlots(r.channels[1].rules), []);
});

test('V09 share from params; not evaluated without the other direction', () => {
  const g = series((k) => (k === 0 ? 5 : 0));
  assert.equal(
    validate(input([C(1), G(g)]), only(['V09'], { rules: { V09: { share: 0.02 } } })).outcomes.find(
      (o) => o.rule === 'V09',
    )?.status,
    'pass',
  );
  const r = validate(input([C(1)]), only(['V09']));
  assert.equal(r.outcomes.find((o) => o.rule === 'V09')?.reason, 'no reverse active channel');
});
