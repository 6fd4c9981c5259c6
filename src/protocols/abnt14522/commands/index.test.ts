import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FronteiraError, isFronteiraError } from '../../../domain/errors.ts';
import { Random } from '../../../domain/random.ts';
import { sealBlock } from '../crc.ts';
import { FieldReader, FieldWriter, parseHex, wallTime } from '../fields.ts';
import { encodeCommand } from '../frame.ts';
import { COMMAND_VECTORS, REAL_0x20_RESPONSE } from '../testdata/vectors.ts';
import {
  approximatePartialRaw,
  buildCommand,
  buildResponse,
  COMMANDS,
  cmd11,
  cmd14,
  cmd20,
  cmd21,
  cmd23,
  cmd25,
  cmd26,
  cmd27,
  cmd28,
  cmd29,
  cmd30,
  cmd31,
  cmd32,
  cmd33,
  cmd35,
  cmd37,
  cmd38,
  cmd39,
  cmd40,
  cmd51,
  cmd52,
  cmd80,
  decodeParameters,
  describeBlock,
  type InstantValues,
  type MeasurementParameters,
  type PartialRegisters,
  parseRequest,
  parseResponse,
  type RegisterPost,
  type Registers,
} from './index.ts';

const READER = '123456';
const METER = '32600760';

function expectError(fn: () => unknown, code: string, pattern?: RegExp): FronteiraError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FronteiraError, `expected a FronteiraError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected ${code}`);
}

// ---------------------------------------------------------------------------------------------------------------
// §14.2 command vectors

const VECTOR_BUILDS: Record<string, () => Uint8Array> = {
  '14 00 00 00 00': () => buildCommand(cmd14, '000000', {}),
  '14 00 11 01 00': () => buildCommand(cmd14, '001101', {}),
  '21 00 11 01 00': () => buildCommand(cmd21, '001101', { group: 0 }),
  '23 00 11 01 00': () => buildCommand(cmd23, '001101', {}),
  '25 00 11 01 01 00': () => buildCommand(cmd25, '001101', { period: 'current' }),
  '28 00 11 01 00': () => buildCommand(cmd28, '001101', {}),
  '29 12 34 56 08 03 24 06 00': () => buildCommand(cmd29, READER, { date: wallTime(2024, 3, 8) }),
  '30 12 34 56 02 50 53 00': () => buildCommand(cmd30, READER, { hour: 2, minute: 50, second: 53 }),
  '31 12 34 56 15 00': () => buildCommand(cmd31, READER, { minutes: 15 }),
  '33 12 34 56 00 00 01 00 10 00 00 00 01 00 10 00 00 00 01 00 10 00 00': () =>
    buildCommand(cmd33, READER, { constants: Array(3).fill({ numerator: 1, denominator: 1000 }) }),
  '38 12 34 56 00': () => buildCommand(cmd38, READER, {}),
  // Vendor extension: not in the catalogue, built with the frame encoder directly.
  '98 11 11 11 57 FE 00': () =>
    encodeCommand(0x98, '111111', (w) => {
      w.u8(4, 0x57);
      w.u8(5, 0xfe);
    }),
  '20 12 34 56 00': () => buildCommand(cmd20, READER, { group: 0 }),
  '21 12 34 56 00': () => buildCommand(cmd21, READER, { group: 0 }),
  '21 12 34 56 00 01 00': () => buildCommand(cmd21, READER, { group: 1 }),
  '26 12 34 56 00': () => buildCommand(cmd26, READER, {}),
  '27 12 34 56 00': () => buildCommand(cmd27, READER, {}),
  '51 12 34 56 00': () => buildCommand(cmd51, READER, { group: 0, amount: 0, unit: 'hours' }),
  '52 12 34 56 00': () => buildCommand(cmd52, READER, {}),
  '80 12 34 56 00': () => buildCommand(cmd80, READER, {}),
};

test('every §14.2 command vector is reproduced byte-exact by the catalogue encoders', () => {
  assert.equal(Object.keys(VECTOR_BUILDS).length, COMMAND_VECTORS.length);
  for (const [prefix, crc, origin] of COMMAND_VECTORS) {
    const build = VECTOR_BUILDS[prefix];
    assert.ok(build, `no builder for ${prefix} (${origin})`);
    const expected = new Uint8Array(66);
    expected.set(parseHex(prefix));
    expected.set(parseHex(crc), 64);
    assert.deepEqual(Array.from(build()), Array.from(expected), `${prefix} (${origin})`);
  }
});

test('0x29 decode returns the date and the weekday byte sent; a wrong weekday is refused on encode', () => {
  const b = buildCommand(cmd29, READER, { date: wallTime(2024, 3, 8, 13, 45) });
  const parsed = parseRequest(b);
  assert.equal(parsed.spec, cmd29);
  assert.deepEqual(parsed.request, { date: wallTime(2024, 3, 8), weekday: 6 });
  expectError(
    () => buildCommand(cmd29, READER, { date: wallTime(2024, 3, 8), weekday: 2 }),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /weekday/,
  );
});

test('write encoders refuse out-of-range values naming the field', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => buildCommand(cmd30, READER, { hour: 24, minute: 0, second: 0 }), /hour/],
    [() => buildCommand(cmd30, READER, { hour: 1, minute: 60, second: 0 }), /minute/],
    [() => buildCommand(cmd30, READER, { hour: 1, minute: 0, second: 1.5 }), /second/],
    [() => buildCommand(cmd31, READER, { minutes: 0 }), /minutes/],
    [() => buildCommand(cmd31, READER, { minutes: 100 }), /minutes/],
    [() => buildCommand(cmd32, READER, { holidays: Array(16).fill(null) }), /holidays/],
    [() => buildCommand(cmd32, READER, { holidays: [wallTime(1999, 12, 25)] }), /holiday 1.*1999/],
    [() => buildCommand(cmd32, READER, { holidays: [null, Number.NaN] }), /holiday 2/],
    [() => buildCommand(cmd33, READER, { constants: [{ numerator: 1, denominator: 1 }] }), /constants/],
    [
      () =>
        buildCommand(cmd33, READER, {
          constants: [
            { numerator: 1, denominator: 1 },
            { numerator: 1, denominator: 0 },
            { numerator: 1, denominator: 1 },
          ],
        }),
      /ch2 denominator/,
    ],
    [
      () =>
        buildCommand(cmd33, READER, {
          constants: Array(3).fill({ numerator: 1_000_000, denominator: 1 }),
        }),
      /ch1 numerator/,
    ],
    [() => buildCommand(cmd35, READER, { sets: [[null]], count: 1 }), /sets/],
    [
      () =>
        buildCommand(cmd35, READER, {
          sets: [0, 1, 2, 3].map((s) => [0, 1, 2, 3].map(() => (s === 2 ? { hour: 25, minute: 0 } : null))),
          count: 1,
        }),
      /set 3 start 1 hour/,
    ],
    [() => buildCommand(cmd35, READER, { sets: Array(4).fill(Array(4).fill(null)), count: 5 }), /count/],
    [() => buildCommand(cmd37, READER, { occurrence: 256 }), /occurrence/],
    [() => buildCommand(cmd25, READER, { period: 'next' as 'current' }), /period/],
    [() => buildCommand(cmd29, READER, { date: wallTime(2100, 1, 1) }), /date.*2100/],
    [
      () => buildCommand(cmd11, READER, { passwordToken: new Uint8Array(9), readToken: new Uint8Array(10), user: 1 }),
      /password token/,
    ],
    [() => buildCommand(cmd14, '1234567', {}), /reader serial/],
  ];
  for (const [fn, pattern] of cases) expectError(fn, 'FRONTEIRA_E_ABNT_PARAMETER', pattern);
});

test('request decoders refuse what a meter would refuse (for the simulator)', () => {
  const withPayload = (code: number, bytes: number[]) =>
    encodeCommand(code, READER, (w) => {
      bytes.forEach((b, i) => {
        w.u8(4 + i, b);
      });
    });
  expectError(() => parseRequest(withPayload(0x30, [0x24, 0x00, 0x00])), 'FRONTEIRA_E_ABNT_PARAMETER', /hour/);
  expectError(() => parseRequest(withPayload(0x30, [0x1a, 0x00, 0x00])), 'FRONTEIRA_E_ABNT_BCD', /hour.*offset 4/);
  expectError(() => parseRequest(withPayload(0x29, [0x30, 0x02, 0x24, 0x06])), 'FRONTEIRA_E_ABNT_PARAMETER', /date/);
  expectError(() => parseRequest(withPayload(0x31, [0x00])), 'FRONTEIRA_E_ABNT_PARAMETER', /minutes/);
  expectError(() => parseRequest(withPayload(0x25, [0x02])), 'FRONTEIRA_E_ABNT_PARAMETER', /period.*offset 4/);
  expectError(
    () => parseRequest(withPayload(0x33, [0, 0, 1, 0, 0, 0])),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /ch1 denominator/,
  );
});

test('parseRequest: unknown and response-only codes have no spec but keep the payload', () => {
  const vendor = encodeCommand(0x98, '111111', (w) => {
    w.u8(4, 0x57);
  });
  const p = parseRequest(vendor);
  assert.equal(p.spec, null);
  assert.equal(p.code, 0x98);
  assert.equal(p.readerSerial, '111111');
  assert.equal(p.request, null);
  assert.equal(p.payload[0], 0x57);
  assert.equal(parseRequest(encodeCommand(0x39, READER)).spec, null);
  assert.equal(parseRequest(buildCommand(cmd21, READER, { group: 3 })).spec, cmd21);
});

// ---------------------------------------------------------------------------------------------------------------
// Round trips with non-trivial values

const real = parseHex(REAL_0x20_RESPONSE);
const realParams = decodeParameters(new FieldReader(real, 'real 0x20'));
const rnd0 = new Random('command samples');

function post(k: number): RegisterPost {
  return { energyRaw: 9_999_999_999 - k, uferRaw: 1_234_567_890 + k, maxDemandRaw: 999_999 - k, dmcrRaw: 100_001 + k };
}

const registers: Registers = {
  channels: [1, 2, 3].map((channel) => ({
    channel,
    totalRaw: 9_999_999_999,
    ponta: post(channel),
    foraPonta: post(10 + channel),
    reservado: post(20 + channel),
    intermediario: channel === 1 ? post(30) : null,
    lastIntervalDemandRaw: 999_999,
    accumulatedDemands: rnd0.bytes(18),
  })),
  intermediarioAccumulated: rnd0.bytes(6),
  reserved: rnd0.bytes(7),
};

const instant: InstantValues = {
  time: wallTime(2021, 10, 7, 22, 15, 31),
  voltagePhaseV: { a: 127.5, b: 126.25, c: 128.125 },
  voltageLineV: { ab: 220.5, bc: 219.75, ca: 221 },
  currentA: { a: 10.5, b: 11.25, c: 9.875, neutral: 0.5 },
  activePowerKw: { a: 1.25, b: 1.5, c: 1.125, total: 3.875 },
  reactivePowerKvar: { a: -0.25, b: 0.5, c: 0.75, total: 1 },
  apparentPowerQuadraticKva: { a: 1.5, b: 1.75, c: 1.25, total: 4.5 },
  apparentPowerVectorKva: { a: 1.5, b: 1.75, c: 1.25, total: 4.25 },
  distortionPowerKva: { a: 0.125, b: 0.0625, c: 0, total: 0.1875 },
  cosPhi: { a: 0.96875, b: 0.9375, c: 0.875, total: 0.9375 },
  reactiveCharacteristic: 1,
  powerFactor: { a: 0.96875, b: 0.9375, c: 0.875, total: 0.9375 },
  phaseDisplacementDeg: { a: 14.5, b: -20.25, c: 28 },
  temperatureC: 36.5,
  frequencyHz: 59.984375,
  connectionType: 3,
  latitude: -30.03125,
  longitude: -51.21875,
  modelByte: 0x84,
  anglesDeg: [0, 120, 240, 14.5, 139.75, 268],
  thdPercent: [1.5, 1.25, 2, 4.5, 5.25, 3.75],
  reserved: rnd0.bytes(11),
};

const measurement: MeasurementParameters = {
  presentationMode: rnd0.bytes(7),
  universalSegmentCondition: 1,
  universalSegmentStarts: Array.from({ length: 64 }, (_, i) =>
    i % 5 === 0 ? null : { hour: i % 24, minute: (7 * i) % 60 },
  ),
  constants: [
    { numerator: 1, denominator: 1000 },
    { numerator: 999_999, denominator: 999_999 },
    { numerator: 0, denominator: 1 },
    { numerator: 123_456, denominator: 654_321 },
  ],
  activeOperatingMode: 2,
  reactiveOperatingMode: 1,
  reactiveConstant: { numerator: 5, denominator: 1000 },
  displayTime: 0x10,
  unknown174: 0xaa,
  intermediarioStarts: [{ hour: 17, minute: 0 }, { hour: 17, minute: 30 }, null, null],
  universalSegmentsPerWeekday: rnd0.bytes(8),
  universalSegmentsInDst: 1,
  billingQuantity: 2,
  instantValuesAvailable: true,
  connectionType: 4,
  userOutputRedefinition: 0,
  kp: { numerator: 1, denominator: 3600 },
  consumerCode: 'RSPK 0012-X',
  reserved: rnd0.bytes(40),
};

function partial(channel: number, period: 'previous' | 'current'): PartialRegisters {
  const fields = { totalRaw: 9_999_999_999, pontaRaw: 1, foraPontaRaw: 123, reservadoRaw: 0, intermediarioRaw: 42 };
  const raw = approximatePartialRaw(fields);
  raw[200] = 0x77; // bytes outside the approximate fields survive too
  return { channel, period, raw, approximate: true, fields };
}

const extra = new Uint8Array(251);
extra[0] = 0x29;
extra[250] = 0x01;

/** code → [request, response] with values that exercise the encodings. */
const SAMPLES = new Map<number, [unknown, unknown]>([
  [
    0x11,
    [
      { passwordToken: rnd0.bytes(10), readToken: rnd0.bytes(10), user: 7 },
      { passwordValid: true, readPasswordValid: false, user: 7 },
    ],
  ],
  [0x13, [{}, { seed: rnd0.bytes(10) }]],
  [0x14, [{}, instant]],
  [0x20, [{ group: 0, offset4: 0 }, realParams]],
  [0x21, [{ group: 32, offset4: 1 }, realParams]],
  [0x22, [{ group: 6, offset4: 0 }, realParams]],
  [0x23, [{}, registers]],
  [0x24, [{}, registers]],
  [
    0x25,
    [
      { period: 'previous' },
      {
        records: [
          { slot: 0, start: wallTime(2021, 10, 1, 3, 4, 5), end: wallTime(2021, 10, 1, 3, 14, 59) },
          { slot: 7, start: null, end: wallTime(2021, 10, 2, 0, 0, 1) },
          { slot: 19, start: wallTime(2099, 12, 31, 23, 59, 59), end: null },
        ],
        tail: Uint8Array.from([0, 3, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0xff]),
      },
    ],
  ],
  [0x26, [{}, { blockNumber: 999, last: true, data: rnd0.bytes(249) }]],
  [0x27, [{}, { blockNumber: 1, last: false, data: rnd0.bytes(249) }]],
  [
    0x28,
    [
      {},
      {
        entries: [
          {
            slot: 0,
            extended: false,
            code: 0x29,
            codeName: 'Alteração de data',
            readerSerial: '123456',
            time: wallTime(2024, 3, 8),
          },
          {
            slot: 15,
            extended: false,
            code: 0x30,
            codeName: 'Alteração de hora',
            readerSerial: '000000',
            time: wallTime(2024, 3, 8, 2, 50, 53),
          },
          {
            slot: 16,
            extended: true,
            code: 0xe2,
            codeName: null,
            readerSerial: '999990',
            time: wallTime(2024, 3, 9, 23, 59, 59),
          },
          {
            slot: 24,
            extended: true,
            code: 0x99,
            codeName: 'Carga rápida de programa',
            readerSerial: '001101',
            time: null,
          },
        ],
      },
    ],
  ],
  [0x29, [{ date: wallTime(2024, 2, 29), weekday: 5 }, { extra: null }]],
  [0x30, [{ hour: 23, minute: 59, second: 58 }, { extra }]],
  [0x31, [{ minutes: 99 }, { extra: null }]],
  [
    0x32,
    [
      {
        holidays: Array.from({ length: 15 }, (_, i) =>
          i === 3 ? null : wallTime(2021 + (i % 3), 1 + (i % 12), 1 + 2 * i),
        ),
      },
      { extra: null },
    ],
  ],
  [
    0x33,
    [
      {
        constants: [
          { numerator: 1, denominator: 1000 },
          { numerator: 999_999, denominator: 999_999 },
          { numerator: 0, denominator: 1 },
        ],
      },
      { extra: null },
    ],
  ],
  [
    0x35,
    [
      {
        sets: [
          [{ hour: 18, minute: 0 }, { hour: 21, minute: 0 }, null, null],
          [{ hour: 0, minute: 0 }, { hour: 21, minute: 1 }, { hour: 23, minute: 59 }, null],
          [null, null, null, null],
          [{ hour: 17, minute: 30 }, null, null, null],
        ],
        count: 4,
      },
      { extra: null },
    ],
  ],
  [0x37, [{ occurrence: 0x43 }, { extra: null }]],
  [0x38, [{}, { extra: null }]],
  [0x39, [{}, { command: 0x87 }]],
  [0x40, [{}, { occurrence: { code: 0x43, name: 'session-required-or-init-error' }, subCode: 2 }]],
  [0x41, [{}, partial(1, 'previous')]],
  [0x42, [{}, partial(2, 'previous')]],
  [0x43, [{}, partial(3, 'previous')]],
  [0x44, [{}, partial(1, 'current')]],
  [0x45, [{}, partial(2, 'current')]],
  [0x46, [{}, partial(3, 'current')]],
  [0x51, [{ group: 1, offset4: 0, amount: 35, unit: 'days' }, realParams]],
  [0x52, [{}, { blockNumber: 0, last: true, data: new Uint8Array(249) }]],
  [0x80, [{}, measurement]],
]);

test('every catalogue command round-trips its request and its response', () => {
  assert.deepEqual([...COMMANDS.keys()].sort(), [...SAMPLES.keys()].sort());
  for (const [code, spec] of COMMANDS) {
    const [req, res] = SAMPLES.get(code)!;
    const cmd = buildCommand(spec, READER, req);
    assert.equal(cmd.length, 66);
    const b = new Uint8Array(66);
    spec.encodeRequest(new FieldWriter(b, 'x'), req);
    assert.deepEqual(spec.decodeRequest(new FieldReader(b, 'x')), req, `request 0x${code.toString(16)}`);
    const block = buildResponse(spec, METER, res);
    assert.equal(block.length, 258);
    const r = new FieldReader(block, 'x');
    assert.deepEqual(spec.decodeResponse(r), res, `response 0x${code.toString(16)}`);
    assert.deepEqual(r.warnings, [], `warnings 0x${code.toString(16)}`);
    const pr = parseRequest(cmd);
    if (code === 0x39 || code === 0x40) assert.equal(pr.spec, null);
    else {
      assert.deepEqual(pr.request, req);
      const parsed = parseResponse(spec, block);
      assert.equal(parsed.meterSerial, METER);
      assert.deepEqual(parsed.value, res);
    }
    const d = describeBlock(block);
    assert.equal(d.name, spec.name);
    assert.ok('value' in d, `describeBlock decodes 0x${code.toString(16)}`);
  }
});

test('responses match the documented offsets on hand-checked bytes', () => {
  const reg = buildResponse(cmd23, METER, registers);
  assert.deepEqual(Array.from(reg.subarray(5, 10)), [0x99, 0x99, 0x99, 0x99, 0x99]); // ch1 total
  assert.deepEqual(Array.from(reg.subarray(40, 43)), [0x99, 0x99, 0x99]); // ch1 last-interval demand
  assert.deepEqual(Array.from(reg.subarray(43, 46)), [0x99, 0x99, 0x98]); // ch1 max demand ponta = 999999 − 1
  assert.deepEqual(Array.from(reg.subarray(237, 240)), [0x99, 0x99, 0x69]); // ch1 intermediário max demand
  const out = buildResponse(cmd25, METER, SAMPLES.get(0x25)![1] as never);
  assert.deepEqual(
    Array.from(out.subarray(5, 17)),
    [0x03, 0x04, 0x05, 0x01, 0x10, 0x21, 0x03, 0x14, 0x59, 0x01, 0x10, 0x21],
  );
  const alt = buildResponse(cmd28, METER, SAMPLES.get(0x28)![1] as never);
  assert.deepEqual(Array.from(alt.subarray(165, 175)), [0xe2, 0x99, 0x99, 0x90, 0x23, 0x59, 0x59, 0x09, 0x03, 0x24]);
  const inst = buildResponse(cmd14, METER, instant);
  assert.equal(new DataView(inst.buffer).getFloat32(183, true), 59.984375);
  assert.deepEqual(Array.from(inst.subarray(5, 11)), [0x22, 0x15, 0x31, 0x07, 0x10, 0x21]);
  const m = buildResponse(cmd80, METER, measurement);
  assert.equal(new TextDecoder().decode(m.subarray(202, 216)), 'RSPK 0012-X   ');
});

test('lenient decoders: corrupt records become warnings, empty ones are skipped, slots are kept', () => {
  const block = buildResponse(cmd25, METER, SAMPLES.get(0x25)![1] as never);
  block[5 + 6 + 4] = 0x13; // slot 0 end: month 13
  block[5 + 12 * 3] = 0x01; // slot 3: a lone non-zero byte, nothing valid
  sealBlock(block);
  const p = parseResponse(cmd25, block);
  assert.deepEqual(
    p.value.records.map((r) => r.slot),
    [0, 7, 19],
  );
  assert.equal(p.value.records[0].end, null);
  assert.equal(p.value.records[0].start, wallTime(2021, 10, 1, 3, 4, 5));
  assert.equal(p.warnings.length, 3);
  assert.match(p.warnings.join('\n'), /outage 0 end.*offset 11/);
  assert.match(p.warnings.join('\n'), /outage record 3 .*skipped/);

  const alt = buildResponse(cmd28, METER, SAMPLES.get(0x28)![1] as never);
  alt[5 + 4 + 3] = 0x32; // entry 0: day 32
  alt[5 + 1] = 0xab; // entry 0: reader serial not BCD
  sealBlock(alt);
  const a = parseResponse(cmd28, alt);
  assert.equal(a.value.entries[0].time, null);
  assert.equal(a.value.entries[0].readerSerial, '??3456');
  assert.equal(a.warnings.length, 2);

  const m = buildResponse(cmd80, METER, { ...measurement, consumerCode: '' });
  m.set([0, 0, 0x41, 0x42, 0, 0x43, 0x20, 0x20], 202);
  sealBlock(m);
  assert.equal(parseResponse(cmd80, m).value.consumerCode, 'AB C');

  const regs = buildResponse(cmd23, METER, registers);
  regs.fill(0xff, 153, 227); // channel 3 absent
  sealBlock(regs);
  const rp = parseResponse(cmd23, regs);
  assert.equal(rp.value.channels[2].totalRaw, null);
  assert.equal(rp.value.channels[1].totalRaw, 9_999_999_999);
  assert.ok(rp.warnings.length > 0);
});

// ---------------------------------------------------------------------------------------------------------------
// Exception responses

test('0x39 through parseResponse is FRONTEIRA_E_ABNT_NOT_IMPLEMENTED naming the refused command', () => {
  const block = buildResponse(cmd39, METER, { command: 0x87 });
  const e = expectError(() => parseResponse(cmd80, block), 'FRONTEIRA_E_ABNT_NOT_IMPLEMENTED', /0x87/);
  assert.equal(e.details.command, 0x87);
  assert.match(e.message, /Código de instalação/);
  assert.match(e.message, /32600760/);
});

test('0x40 through parseResponse is FRONTEIRA_E_ABNT_OCCURRENCE with the occurrence name', () => {
  const block = buildResponse(cmd40, METER, {
    occurrence: { code: 0x45, name: 'reset-in-protection-period' },
    subCode: 3,
  });
  const e = expectError(() => parseResponse(cmd20, block), 'FRONTEIRA_E_ABNT_OCCURRENCE', /reset-in-protection-period/);
  assert.deepEqual(
    { o: e.details.occurrence, n: e.details.occurrenceName, s: e.details.subCode },
    { o: 0x45, n: 'reset-in-protection-period', s: 3 },
  );
  assert.match(e.message, /sub-code 0x03/);
  assert.match(e.message, /0x20/);
});

test('unknown occurrence codes are kept raw, never rejected', () => {
  const block = buildResponse(cmd40, METER, { occurrence: { code: 0x77, name: null }, subCode: 0xee });
  const d = describeBlock(block);
  assert.ok('value' in d);
  assert.deepEqual(d.value, { occurrence: { code: 0x77, name: null }, subCode: 0xee });
  const e = expectError(() => parseResponse(cmd21, block), 'FRONTEIRA_E_ABNT_OCCURRENCE', /unknown occurrence 0x77/);
  assert.equal(e.details.occurrenceName, null);
  assert.equal(e.details.occurrence, 0x77);
});

test('a response with another code is FRONTEIRA_E_ABNT_UNEXPECTED_CODE', () => {
  const block = buildResponse(cmd38, METER, { extra: null });
  const e = expectError(() => parseResponse(cmd21, block), 'FRONTEIRA_E_ABNT_UNEXPECTED_CODE', /0x21.*0x38/);
  assert.deepEqual([e.details.expected, e.details.actual], [0x21, 0x38]);
});

test('describeBlock: vendor codes come back raw, undecodable known codes raw with the error', () => {
  const vendor = parseHex(`E2 ${'32 60 07 60'} 2B`);
  const v = new Uint8Array(258);
  v.set(vendor);
  sealBlock(v);
  const d = describeBlock(v);
  assert.equal(d.code, 0xe2);
  assert.equal(d.name, null);
  assert.equal(d.meterSerial, METER);
  assert.ok('raw' in d && d.raw.startsWith('E2 32 60 07 60 2B'));
  const bad = real.slice();
  bad[9] = 0x13;
  sealBlock(bad);
  const d2 = describeBlock(bad);
  assert.ok('raw' in d2 && d2.error?.code === 'FRONTEIRA_E_ABNT_DATE');
  assert.equal(d2.name, cmd20.name);
  const ok = describeBlock(real);
  assert.ok('value' in ok);
  assert.equal(ok.meterSerial, METER);
});

test('truncated and over-long frames are FRONTEIRA_E_ABNT_FRAME_LENGTH; a flipped bit is FRONTEIRA_E_ABNT_CRC', () => {
  for (const n of [0, 1, 65, 67, 257, 259, 516]) {
    const b = new Uint8Array(n);
    if (n > 0) b[0] = 0x21;
    expectError(() => describeBlock(b), 'FRONTEIRA_E_ABNT_FRAME_LENGTH');
    expectError(() => parseResponse(cmd21, b), 'FRONTEIRA_E_ABNT_FRAME_LENGTH');
    expectError(() => parseRequest(b), 'FRONTEIRA_E_ABNT_FRAME_LENGTH');
  }
  const longer = new Uint8Array(259);
  longer.set(real);
  expectError(() => describeBlock(longer), 'FRONTEIRA_E_ABNT_FRAME_LENGTH', /258/);
  const flipped = real.slice();
  flipped[100] ^= 0x04;
  expectError(() => parseResponse(cmd20, flipped), 'FRONTEIRA_E_ABNT_CRC');
});

// ---------------------------------------------------------------------------------------------------------------
// Fuzz

function mutate(rnd: Random, src: Uint8Array, dataEnd: number): Uint8Array {
  const b = src.slice();
  const mode = rnd.int(0, 4);
  if (mode === 0) {
    // Random data behind a real code.
    b.set(rnd.bytes(dataEnd - 1), 1);
  } else if (mode === 1) {
    const flips = rnd.int(1, 12);
    for (let i = 0; i < flips; i++) b[rnd.int(1, dataEnd - 1)] ^= 1 << rnd.int(0, 7);
  } else if (mode === 2) {
    const n = rnd.int(1, 20);
    for (let i = 0; i < n; i++) b[rnd.int(1, dataEnd - 1)] = rnd.pick([0x00, 0xff, 0x99, 0x9a, 0xa0, 0x13, 0x32, 0x60]);
  } else if (mode === 3) {
    const start = rnd.int(1, dataEnd - 1);
    b.fill(rnd.pick([0x00, 0xff, 0x99]), start, Math.min(dataEnd, start + rnd.int(1, 60)));
  } else {
    b[0] = rnd.int(0, 255); // any code, known or not
    b[rnd.int(1, dataEnd - 1)] ^= 1 << rnd.int(0, 7);
  }
  // Mostly reseal so the decoders, not only the CRC check, meet the damage.
  if (rnd.next() < 0.9) sealBlock(b);
  else b[rnd.int(0, b.length - 1)] ^= 1 << rnd.int(0, 7);
  return b;
}

function onlyTyped(fn: () => unknown, what: () => string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!isFronteiraError(e)) assert.fail(`${what()}: untyped ${(e as Error)?.stack ?? String(e)}`);
    return 'error';
  }
}

test('fuzz: 20 000 random and mutated response blocks only ever return or throw a FronteiraError', () => {
  const rnd = new Random('abnt response fuzz');
  const specs = [...COMMANDS.values()];
  const bases = specs.map((s) => buildResponse(s, METER, SAMPLES.get(s.code)![1]));
  bases.push(real);
  const tally = { ok: 0, error: 0 };
  for (let i = 0; i < 20_000; i++) {
    const base = rnd.pick(bases);
    const block = mutate(rnd, base, 256);
    const hexOf = () => `iteration ${i}: ${Buffer.from(block).toString('hex')}`;
    tally[onlyTyped(() => describeBlock(block), hexOf)]++;
    const spec = rnd.next() < 0.8 ? (COMMANDS.get(base[0]) ?? rnd.pick(specs)) : rnd.pick(specs);
    tally[onlyTyped(() => parseResponse(spec, block), hexOf)]++;
  }
  // Both paths were exercised: most mutations still decode, some are refused.
  assert.ok(tally.ok > 10_000, `ok ${tally.ok}`);
  assert.ok(tally.error > 2_000, `error ${tally.error}`);
});

test('fuzz: 5 000 mutated commands through parseRequest only ever return or throw a FronteiraError', () => {
  const rnd = new Random('abnt request fuzz');
  const bases = [...COMMANDS.values()].map((s) => buildCommand(s, READER, SAMPLES.get(s.code)![0]));
  const tally = { ok: 0, error: 0 };
  for (let i = 0; i < 5_000; i++) {
    const block = mutate(rnd, rnd.pick(bases), 64);
    tally[
      onlyTyped(
        () => parseRequest(block),
        () => `iteration ${i}: ${Buffer.from(block).toString('hex')}`,
      )
    ]++;
  }
  assert.ok(tally.ok > 1_000, `ok ${tally.ok}`);
  assert.ok(tally.error > 500, `error ${tally.error}`);
});
