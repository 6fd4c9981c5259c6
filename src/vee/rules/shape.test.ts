import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RAW_POWER_OFF, ruleBit, ruleReason, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { at, channel, input, only, point, range, series, setSlots } from './testkit.ts';

const zeros = (from: number, to: number) => series((k) => (k >= from && k <= to ? 0 : 5));

test('V05 zero run: 11 zeros pass, 12 are flagged (warning, rule:V05)', () => {
  assert.deepEqual(
    setSlots(validate(input([channel({ values: zeros(100, 110) })]), only(['V05'])).channels[0].rules),
    [],
  );
  const r = validate(input([channel({ values: zeros(100, 111) })]), only(['V05']));
  const cv = r.channels[0];
  assert.deepEqual(setSlots(cv.rules), range(100, 111));
  assert.equal(cv.rules[100], ruleBit('V05'));
  assert.equal(cv.severity[100], Severity.warning);
  assert.equal(cv.reason[100], ruleReason('V05'));
  assert.equal(
    r.findings[0].message,
    'V05 zero run on meter 1 channel 1 (code 1): slots 100–111 (08:20–09:20), 12 consecutive zero intervals while energized (limit 12)',
  );
});

test('V05 a missing slot breaks the run', () => {
  const v = zeros(100, 115);
  v[106] = null;
  assert.deepEqual(setSlots(validate(input([channel({ values: v })]), only(['V05'])).channels[0].rules), []);
});

test('V05 an outage excuses the slots it touches unless another active channel shows energy', () => {
  const outage = [
    {
      meterId: 1,
      role: 'principal' as const,
      events: { outages: [{ from: at(500), to: at(560) }], clockChanges: [], occurrences: [] },
    },
  ];
  const c1 = channel({ values: zeros(100, 111) });
  assert.deepEqual(setSlots(validate(input([c1], outage), only(['V05'])).channels[0].rules), []);
  // The retaguarda's outage counts too (the point's supply).
  const onRet = [{ ...outage[0], meterId: 2, role: 'retaguarda' as const }];
  assert.deepEqual(setSlots(validate(input([c1], onRet), only(['V05'])).channels[0].rules), []);
  // The meter's own power-off marks excuse as well.
  const marked = channel({
    values: zeros(100, 111),
    flags: Object.fromEntries(range(100, 111).map((k) => [k, RAW_POWER_OFF])),
  });
  assert.deepEqual(setSlots(validate(input([marked]), only(['V05'])).channels[0].rules), []);
  // The retaguarda measured energy during the "outage": the point was energized.
  const ret = channel({ meterId: 2, role: 'retaguarda', values: 5 });
  const r = validate(input([c1, ret], outage), only(['V05']));
  assert.deepEqual(setSlots(r.channels[0].rules), range(100, 111));
  // An outage over part of the run leaves the rest judged on its own length.
  const part = [{ ...outage[0], events: { ...outage[0].events, outages: [{ from: at(500), to: at(505) }] } }];
  const long = channel({ values: zeros(100, 130) });
  assert.deepEqual(setSlots(validate(input([long], part), only(['V05'])).channels[0].rules), range(101, 130));
});

test('V05 judges only main-direction channels; generation points only with V05.generation', () => {
  const g = channel({ channel: 4, quantityCode: 14, values: 0 });
  assert.deepEqual(setSlots(validate(input([g]), only(['V05'])).channels[0].rules), []);
  const gen = { point: point({ kind: 'geracao', segment: 'geracao' }) };
  const skipped = validate(input([g], [], gen), only(['V05']));
  assert.deepEqual(setSlots(skipped.channels[0].rules), []);
  assert.equal(skipped.outcomes.find((o) => o.rule === 'V05')?.reason, 'generation point (V05.generation off)');
  const judged = validate(input([g], [], gen), only(['V05'], { rules: { V05: { generation: true } } }));
  assert.deepEqual(setSlots(judged.channels[0].rules), range(0, 287));
});

test('V06 flat line: 23 identical values pass, 24 are flagged; zeros are not a flat line', () => {
  const flat = (n: number, x: number) => series((k) => (k >= 50 && k < 50 + n ? x : k % 7));
  assert.deepEqual(
    setSlots(validate(input([channel({ values: flat(23, 3.3) })]), only(['V06'])).channels[0].rules),
    [],
  );
  const r = validate(input([channel({ values: flat(24, 3.3) })]), only(['V06']));
  assert.deepEqual(setSlots(r.channels[0].rules), range(50, 73));
  assert.equal(r.channels[0].reason[50], ruleReason('V06'));
  assert.match(
    r.findings[0].message,
    /V06 flat line .*: slots 50–73 \(04:10–06:10\), 24 identical values of 3\.3 kWh \(limit 24\)/,
  );
  const z = series((k) => (k < 100 ? 0 : 1 + (k % 3)));
  assert.deepEqual(setSlots(validate(input([channel({ values: z })]), only(['V06'])).channels[0].rules), []);
});

test('V07 spike at the edge: exactly k × third-highest passes, above it is flagged', () => {
  const withPeak = (x: number) => series((k) => (k === 50 ? x : 10));
  assert.deepEqual(setSlots(validate(input([channel({ values: withPeak(30) })]), only(['V07'])).channels[0].rules), []);
  const r = validate(input([channel({ values: withPeak(30.01) })]), only(['V07']));
  assert.deepEqual(setSlots(r.channels[0].rules), [50]);
  assert.equal(r.channels[0].severity[50], Severity.error);
  assert.equal(r.channels[0].reason[50], ruleReason('V07'));
});

test('V07 message names meter, channel, slot, value and the figure it beat', () => {
  const v = series((k) => (k === 143 ? 812.4 : k === 100 || k === 101 ? 95.1 : 50));
  const r = validate(input([channel({ values: v })]), only(['V07']));
  assert.equal(
    r.findings[0].message,
    'V07 spike on meter 1 channel 1 (code 1): slot 143 (11:55–12:00) = 812.4 kWh > 3 × third-highest 95.1',
  );
  assert.deepEqual([r.findings[0].firstSlot, r.findings[0].lastSlot], [143, 143]);
});

test('V07 capacity: above capacity × interval × factor is a spike even when the shape is flat', () => {
  const v = series((k) => (k === 60 ? 10.5 : 10));
  const p = { point: point({ loadCapacityKw: 120 }) };
  const r = validate(input([channel({ values: v })], [], p), only(['V07']));
  assert.deepEqual(setSlots(r.channels[0].rules), [60]);
  assert.match(r.findings[0].message, /= 10\.5 kWh > capacity 120 kW × 5 min = 10$/);
  const loose = validate(
    input([channel({ values: v })], [], p),
    only(['V07'], { rules: { V07: { capacityFactor: 1.1 } } }),
  );
  assert.deepEqual(setSlots(loose.channels[0].rules), []);
});

test('V07 not evaluated with fewer than rank values and no capacity; k and rank from params', () => {
  const two = series((k) => (k < 2 ? 5 : null));
  const r = validate(input([channel({ values: two })]), only(['V07']));
  assert.equal(r.outcomes.find((o) => o.rule === 'V07')?.reason, 'fewer than 3 values and no load capacity');
  const v = series((k) => (k === 10 ? 25 : 10));
  assert.deepEqual(
    setSlots(validate(input([channel({ values: v })]), only(['V07'], { rules: { V07: { k: 2 } } })).channels[0].rules),
    [10],
  );
  const two2 = series((k) => (k === 10 || k === 11 ? 100 : 10));
  assert.deepEqual(setSlots(validate(input([channel({ values: two2 })]), only(['V07'])).channels[0].rules), [10, 11]);
  assert.deepEqual(
    setSlots(
      validate(input([channel({ values: two2 })]), only(['V07'], { rules: { V07: { rank: 2 } } })).channels[0].rules,
    ),
    [],
  );
});

test('V05/V06/V07 skip channels outside their quantity codes and refused channels', () => {
  const q = channel({ channel: 2, quantityCode: 10, values: 0 });
  const r = validate(input([q, channel({ slots: 287 })]), only(['V01', 'V05', 'V06', 'V07']));
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.deepEqual(
    r.outcomes.filter((o) => ['V05', 'V06', 'V07'].includes(o.rule)).map((o) => `${o.rule} ${o.status} ${o.reason}`),
    ['V05 not_evaluated refused by V01', 'V06 not_evaluated refused by V01', 'V07 not_evaluated refused by V01'],
  );
});
