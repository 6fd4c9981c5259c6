import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../../../domain/errors.ts';
import { FieldReader, FieldWriter, formatWall, parseHex, wallTime } from '../fields.ts';
import { decodeResponse, encodeResponse } from '../frame.ts';
import { REAL_0x20_RESPONSE } from '../testdata/vectors.ts';
import { cmd21, cmd51, decodeParameters, encodeParameters, visibleChannels } from './parameters.ts';

const real = parseHex(REAL_0x20_RESPONSE);

test('real 0x20 response: frame and CRC (spec §14.3)', () => {
  assert.equal(real.length, 258);
  const f = decodeResponse(real);
  assert.equal(f.code, 0x20);
  assert.equal(f.meterSerial, '32600760');
});

test('real 0x20 response decoded field by field (spec §14.3)', () => {
  const r = new FieldReader(real, 'response 0x20');
  const p = decodeParameters(r);
  assert.deepEqual(r.warnings, []);
  assert.equal(formatWall(p.meterTime), '2021-10-07 22:15:00');
  assert.equal(p.weekday, 5);
  assert.equal(formatWall(p.lastIntervalEnd!), '2021-10-07 22:15:00');
  assert.equal(formatWall(p.lastReset!), '2021-10-07 22:15:00');
  assert.equal(formatWall(p.penultimateReset!), '2021-10-01 00:00:00');
  assert.deepEqual(p.segments.ponta, Array(4).fill({ hour: 18, minute: 0 }));
  assert.deepEqual(p.segments.foraPonta, Array(4).fill({ hour: 21, minute: 0 }));
  assert.deepEqual(p.massMemoryWords, { current: 0, previous: 5985 });
  assert.equal(p.resetCount, 1);
  assert.deepEqual(p.demandIntervalMinutes, { current: 15, previous: 15 });
  const hol = [...new Set(p.holidays.filter((h) => h !== null).map((h) => formatWall(h!).slice(0, 10)))];
  assert.deepEqual(hol, [
    '2021-10-12',
    '2021-11-02',
    '2021-11-15',
    '2021-12-25',
    '2022-01-01',
    '2022-03-01',
    '2022-04-15',
    '2022-04-21',
    '2022-05-01',
  ]);
  assert.deepEqual(p.constants, Array(3).fill({ numerator: 1, denominator: 1 }));
  assert.deepEqual(p.battery, { code: 1, name: 'problem' });
  assert.equal(p.softwareVersion, '7131');
  assert.equal(p.model, '1681');
  assert.deepEqual(p.autoReset, { enabled: true, day: 1, hour: 0 });
  assert.deepEqual(p.quantityCodes, [1, 10, 11]);
  assert.equal(p.pfComposition, 52);
  assert.equal(p.clockBase.name, 'cristal');
  assert.equal(p.massMemoryIntervalSeconds, 300);
  assert.equal(p.tariffType.name, 'azul');
  assert.equal(p.reactive.consumptionIntervalMinutes, 60);
  assert.equal(p.reactive.demandIntervalMinutes, 60);
  assert.equal(p.reactive.referencePfInductive, 0.92);
  assert.deepEqual(p.reactive.inductiveStart[0], { hour: 6, minute: 0 });
  assert.deepEqual(p.reactive.capacitiveStart[0], { hour: 0, minute: 0 });
  assert.equal(p.segmentCount, 3);
  assert.equal(p.measurementParametersAvailable, true);
  assert.equal(p.ssuMode.name, 'estendida');
  assert.equal(p.fiscalPageAvailable, true);
  assert.equal(p.channelGroups, 7);
  const ch = visibleChannels(p, 0);
  assert.deepEqual(
    ch.map((c) => [c.index, c.quantity.unit, c.quantity.kind]),
    [
      [1, 'kWh', 'active'],
      [2, 'kvarh', 'reactive-inductive'],
      [3, 'kvarh', 'reactive-capacitive'],
    ],
  );
  // The previous period holds exactly 3 words per 5-min interval from the penultimate to the last reset (§8.2).
  assert.equal((p.lastReset! - p.penultimateReset!) / 300_000, p.massMemoryWords.previous / 3);
});

test('re-encoding the decoded real block gives the same 258 bytes', () => {
  const p = decodeParameters(new FieldReader(real, 'x'));
  const again = encodeResponse(0x20, '32600760', (w) => encodeParameters(w, p));
  assert.deepEqual(Array.from(again), Array.from(real));
});

test('group request: BCD group at offset 5; 0x51 window round trip', () => {
  const b = new Uint8Array(66);
  cmd21.encodeRequest(new FieldWriter(b, 'x'), { group: 12 });
  assert.equal(b[5], 0x12);
  cmd51.encodeRequest(new FieldWriter(b, 'x'), { group: 1, amount: 35, unit: 'days' });
  assert.deepEqual(cmd51.decodeRequest(new FieldReader(b, 'x')), { group: 1, amount: 35, unit: 'days', offset4: 0 });
});

test('a corrupt clock in a parameters block is a typed error naming the field', () => {
  const bad = real.slice();
  bad[9] = 0x13; // month 13
  try {
    decodeParameters(new FieldReader(bad, 'response 0x20'));
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_ABNT_DATE'));
    assert.match((e as Error).message, /current date\/time.*offset 5/);
  }
});

test('wallTime arithmetic is exact across months', () => {
  assert.equal(wallTime(2021, 10, 1) + 1995 * 300_000, wallTime(2021, 10, 7, 22, 15));
});
