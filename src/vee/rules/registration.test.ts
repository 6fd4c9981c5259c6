import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MeterIdentity, ruleBit, ruleReason, Severity } from '../types.ts';
import { validate } from '../validate.ts';
import { channel, input, only, setSlots } from './testkit.ts';

const REG: MeterIdentity = {
  serial: '32600760',
  intervalS: 300,
  channels: [
    { channel: 1, quantityCode: 1, numerator: 1, denominator: 1 },
    { channel: 2, quantityCode: 10, numerator: 1, denominator: 2 },
  ],
  tpRatio: 120,
  tcRatio: 40,
};

function run(observed: Partial<MeterIdentity> | null) {
  const chans = [channel({ channel: 1, quantityCode: 1 }), channel({ channel: 2, quantityCode: 10 })];
  const obs = observed && { ...REG, ...observed };
  return validate(input(chans, [{ meterId: 1, role: 'principal', registration: REG, observed: obs }]), only(['V13']));
}
const v13 = (r: ReturnType<typeof validate>) => r.outcomes.find((o) => o.rule === 'V13');

test('V13 matching identity passes; equal constants written differently match', () => {
  assert.equal(v13(run({}))?.status, 'pass');
  const same = run({ channels: [REG.channels![0], { channel: 2, quantityCode: 10, numerator: 2, denominator: 4 }] });
  assert.equal(v13(same)?.status, 'pass');
});

test('V13 a different constant marks that channel error; the other channel only gets the day severity', () => {
  const r = run({ channels: [REG.channels![0], { channel: 2, quantityCode: 10, numerator: 1, denominator: 1 }] });
  assert.equal(v13(r)?.status, 'fail');
  assert.deepEqual(setSlots(r.channels[0].rules), []);
  assert.equal(r.channels[0].ruleSeverity[13], Severity.error);
  assert.ok(r.channels[1].rules.every((m) => m === ruleBit('V13')));
  assert.equal(r.channels[1].severity[0], Severity.error);
  assert.equal(r.channels[1].reason[0], ruleReason('V13'));
  assert.equal(
    r.findings[0].message,
    'V13 registration on meter 1: channel 2 constant 1/1, registered 1/2; 1 channel(s) flagged',
  );
});

test('V13 interval or TP/TC mismatch marks every channel; a serial mismatch is a finding only', () => {
  for (const obs of [{ intervalS: 900 }, { tcRatio: 80 }]) {
    const r = run(obs);
    for (const cv of r.channels) assert.equal(cv.severity[100], Severity.error);
  }
  const s = run({ serial: '11111111' });
  assert.equal(v13(s)?.status, 'fail');
  for (const cv of s.channels) assert.deepEqual(setSlots(cv.rules), []);
  assert.equal(s.findings[0].message, 'V13 registration on meter 1: serial 11111111, registered 32600760');
});

test('V13 quantity code mismatch and channels only one side lists', () => {
  const r = run({
    channels: [
      { channel: 1, quantityCode: 14, numerator: 1, denominator: 1 },
      { channel: 3, quantityCode: 11, numerator: 1, denominator: 1 },
    ],
  });
  assert.ok(r.channels[0].rules.every((m) => m === ruleBit('V13')));
  assert.deepEqual(setSlots(r.channels[1].rules), []);
  assert.equal(
    r.findings[0].message,
    'V13 registration on meter 1: channel 1 quantity code 14, registered 1; channel 2 (code 10) not reported by the meter; ' +
      'channel 3 (code 11) reported but not registered; 1 channel(s) flagged',
  );
});

test('V13 not evaluated without registration or observation', () => {
  assert.equal(v13(run(null))?.reason, "not observed in the day's reads");
  const r = validate(input([channel()], [{ meterId: 1, role: 'principal' }]), only(['V13']));
  assert.equal(v13(r)?.reason, 'no registration');
  const blank = run({ serial: null, intervalS: null, channels: null, tpRatio: null, tcRatio: null });
  assert.equal(v13(blank)?.reason, 'nothing reported to compare');
});
