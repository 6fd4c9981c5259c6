import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type MeterContext,
  type MeterEvents,
  RAW_CLOCK_SUSPECT,
  RAW_POWER_OFF,
  Reason,
  ruleReason,
  Severity,
} from '../types.ts';
import { validate } from '../validate.ts';
import { at, channel, input, only, range, setSlots } from './testkit.ts';

function meter(events: Partial<MeterEvents> | null): MeterContext {
  return {
    meterId: 1,
    role: 'principal',
    events: events && { outages: [], clockChanges: [], occurrences: [], ...events },
  };
}

test('V03 confirmed outage: fully covered slots get reason outage, partly covered ones rule:V03', () => {
  const r = validate(input([channel()], [meter({ outages: [{ from: at(62), to: at(118) }] })]), only(['V03']));
  const cv = r.channels[0];
  assert.deepEqual(setSlots(cv.rules), range(12, 23));
  assert.equal(cv.severity[12], Severity.suspect);
  assert.equal(cv.reason[12], ruleReason('V03'));
  assert.deepEqual(
    range(13, 22).map((k) => cv.reason[k]),
    new Array(10).fill(Reason.outage),
  );
  assert.equal(cv.reason[23], ruleReason('V03'));
  assert.deepEqual(
    r.findings.map((f) => f.message),
    [
      'V03 confirmed outage on meter 1: slots 13–22 (01:05–01:55)',
      'V03 outage (partial or without a known start/end) on meter 1: slot 12 (01:00–01:05), slot 23 (01:55–02:00)',
    ],
  );
  assert.equal(r.outcomes.find((o) => o.rule === 'V03')?.status, 'fail');
});

test('V03 an outage without a known end is never confirmed', () => {
  const r = validate(input([channel()], [meter({ outages: [{ from: at(60), to: null }] })]), only(['V03']));
  const cv = r.channels[0];
  assert.deepEqual(setSlots(cv.rules), range(12, 287));
  assert.ok(!cv.reason.includes(Reason.outage));
});

test('V03 clock change → reason clock; occurrence → rule:V03; all channels of the meter', () => {
  const m = meter({
    clockChanges: [{ from: at(100.5), to: at(100.5) }],
    occurrences: [{ from: at(200), to: at(200) }],
  });
  const r = validate(input([channel(), channel({ channel: 2, quantityCode: 10 })], [m]), only(['V03']));
  for (const cv of r.channels) {
    assert.deepEqual(setSlots(cv.rules), [20, 39]);
    assert.equal(cv.reason[20], Reason.clock);
    assert.equal(cv.reason[39], ruleReason('V03'));
  }
  assert.equal(r.findings.length, 2);
});

test("V03 reads the meter's own interval marks", () => {
  const md = channel({ flags: { 4: RAW_POWER_OFF, 9: RAW_CLOCK_SUSPECT } });
  const r = validate(input([md]), only(['V03']));
  assert.deepEqual(setSlots(r.channels[0].rules), [4, 9]);
  assert.equal(r.channels[0].reason[4], ruleReason('V03'));
  assert.equal(r.channels[0].reason[9], Reason.clock);
  assert.equal(r.outcomes.find((o) => o.rule === 'V03')?.status, 'fail');
});

test('V03 outcomes: no event log → not evaluated; an empty log → pass; events of another meter do not apply', () => {
  const none = validate(input([channel()]), only(['V03']));
  assert.deepEqual(
    none.outcomes.find((o) => o.rule === 'V03'),
    {
      rule: 'V03',
      status: 'not_evaluated',
      meterId: 1,
      reason: 'no event log',
    },
  );
  assert.equal(
    validate(input([channel()], [meter({})]), only(['V03'])).outcomes.find((o) => o.rule === 'V03')?.status,
    'pass',
  );
  const other: MeterContext = { ...meter({ outages: [{ from: at(0), to: at(60) }] }), meterId: 2 };
  const r = validate(input([channel()], [other]), only(['V03']));
  assert.deepEqual(setSlots(r.channels[0].rules), []);
});

test('V03 severity override and disabled', () => {
  const m = meter({ outages: [{ from: at(0), to: at(10) }] });
  const err = validate(input([channel()], [m]), only(['V03'], { rules: { V03: { severity: 'error' } } }));
  assert.equal(err.channels[0].severity[0], Severity.error);
  assert.equal(err.channels[0].reason[0], Reason.outage);
  const off = validate(input([channel()], [m]), only([]));
  assert.deepEqual(setSlots(off.channels[0].rules), []);
  assert.equal(off.channels[0].reason[0], Reason.none);
});
