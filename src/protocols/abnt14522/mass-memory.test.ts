import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FronteiraError } from '../../domain/errors.ts';
import { Random } from '../../domain/random.ts';
import { buildResponse, cmd26, cmd40, parseResponse } from './commands/index.ts';
import { decodeParameters, type Parameters } from './commands/parameters.ts';
import { sealBlock } from './crc.ts';
import { FieldReader, formatWall, hexBytes, parseHex, wallTime } from './fields.ts';
import {
  encodeMassMemoryBlocks,
  intervalEnd,
  MassMemoryAssembler,
  type MassMemoryPacking,
  MM_FLAG_CLOCK_SUSPECT,
  MM_FLAG_POWER_OFF,
  markOutages,
  massMemoryTimeline,
  packWords,
  pulsesToEnergy,
  unpackWords,
} from './mass-memory.ts';
import { REAL_0x20_RESPONSE } from './testdata/vectors.ts';

const METER = '32600760';
const realParams = decodeParameters(new FieldReader(parseHex(REAL_0x20_RESPONSE), 'real 0x20'));

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

function randomWords(rnd: Random, n: number): Uint16Array {
  const w = new Uint16Array(n);
  for (let i = 0; i < n; i++) w[i] = rnd.int(0, 4095);
  return w;
}

test('§8.7 synthetic example is byte-exact under the default (msn-first) packing', () => {
  const words = [0x064, 0x014, 0x000, 0xfff, 0x001, 0x002];
  const blocks = encodeMassMemoryBlocks(0x26, METER, words);
  assert.equal(blocks.length, 1);
  const b = blocks[0];
  assert.equal(b.length, 258);
  assert.equal(hexBytes(b.subarray(0, 5)), '26 32 60 07 60');
  assert.equal(hexBytes(b.subarray(5, 7)), '10 01');
  assert.equal(hexBytes(b.subarray(7, 16)), '06 40 14 00 0F FF 00 10 02');
  assert.ok(b.subarray(16, 256).every((x) => x === 0));
  const parsed = parseResponse(cmd26, b);
  assert.deepEqual([parsed.value.blockNumber, parsed.value.last], [1, true]);
  assert.deepEqual(Array.from(unpackWords([b], 6)), words);
  assert.deepEqual(Array.from(unpackWords([parsed.value.data], 6)), words);
});

test('the two packings put the nibbles where their formulas say', () => {
  assert.equal(hexBytes(packWords([0x123, 0x456], 'msn-first')[0].subarray(0, 3)), '12 34 56');
  assert.equal(hexBytes(packWords([0x123, 0x456], 'lsn-first')[0].subarray(0, 3)), '23 61 45');
  // A lone last word of an odd count.
  assert.equal(hexBytes(packWords([0xabc], 'msn-first')[0].subarray(0, 3)), 'AB C0 00');
  assert.equal(hexBytes(packWords([0xabc], 'lsn-first')[0].subarray(0, 3)), 'BC 0A 00');
  const area = parseHex('12 34 56');
  const full = new Uint8Array(249);
  full.set(area);
  assert.deepEqual(Array.from(unpackWords([full], 2, 'msn-first')), [0x123, 0x456]);
  assert.deepEqual(Array.from(unpackWords([full], 2, 'lsn-first')), [0x412, 0x563]);
});

test('both packings round-trip random words across many blocks, any count', () => {
  const rnd = new Random('mm round trip');
  const counts = [
    0,
    1,
    2,
    3,
    165,
    166,
    167,
    331,
    332,
    333,
    497,
    498,
    499,
    5985,
    rnd.int(1, 20_000),
    rnd.int(1, 20_000),
  ];
  for (const packing of ['msn-first', 'lsn-first'] as MassMemoryPacking[]) {
    for (const n of counts) {
      const words = randomWords(rnd, n);
      const areas = packWords(words, packing);
      assert.equal(areas.length, Math.max(1, Math.ceil(n / 166)), `${packing} ${n} areas`);
      assert.deepEqual(unpackWords(areas, n, packing), words, `${packing} ${n} areas`);
      const blocks = encodeMassMemoryBlocks(0x27, METER, words, packing);
      assert.deepEqual(unpackWords(blocks, n, packing), words, `${packing} ${n} blocks`);
      const asm = new MassMemoryAssembler(0x27, METER);
      for (const b of blocks) asm.add(b);
      assert.ok(asm.complete);
      assert.equal(asm.blockCount, blocks.length);
      assert.deepEqual(asm.words(n, packing), words, `${packing} ${n} assembled`);
      if (n > 0) {
        // The other packing gives different words: the switch matters.
        const other = packing === 'msn-first' ? 'lsn-first' : 'msn-first';
        assert.notDeepEqual(unpackWords(blocks, n, other), words);
      }
    }
  }
});

test('unpackWords: exactly count words, padding ignored, too few words and bad lengths are typed', () => {
  const blocks = encodeMassMemoryBlocks(0x26, METER, [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(unpackWords(blocks, 3)), [1, 2, 3]);
  expectError(() => unpackWords(blocks, 167), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /167 words.*166/);
  expectError(() => unpackWords([new Uint8Array(250)], 1), 'FRONTEIRA_E_ABNT_FRAME_LENGTH', /element 0.*250/);
  expectError(() => unpackWords(blocks, -1), 'FRONTEIRA_E_ABNT_PARAMETER', /count/);
  expectError(() => packWords([1, 4096, 3]), 'FRONTEIRA_E_ABNT_PARAMETER', /word 1.*4096/);
  expectError(() => packWords([1, -1]), 'FRONTEIRA_E_ABNT_PARAMETER', /word 1/);
  expectError(() => packWords([0.5]), 'FRONTEIRA_E_ABNT_PARAMETER', /word 0/);
  expectError(() => encodeMassMemoryBlocks(0x21, METER, []), 'FRONTEIRA_E_ABNT_PARAMETER', /0x21/);
});

test('0 words: one block, last flag, number 001, no valid words', () => {
  const blocks = encodeMassMemoryBlocks(0x52, METER, []);
  assert.equal(blocks.length, 1);
  assert.equal(hexBytes(blocks[0].subarray(5, 7)), '10 01');
  const asm = new MassMemoryAssembler(0x52);
  asm.add(blocks[0]);
  assert.equal(asm.words(0).length, 0);
  assert.equal(asm.meterSerial, METER);
});

test('real dump arithmetic: 5985 words → 37 blocks; previous period 01/10 00:05 … 07/10 22:15, 1995 intervals', () => {
  const rnd = new Random('real dump');
  const words = randomWords(rnd, realParams.massMemoryWords.previous);
  assert.equal(words.length, 5985);
  const blocks = encodeMassMemoryBlocks(0x27, METER, words);
  assert.equal(blocks.length, 37);
  assert.equal(blocks.filter((b) => b[5] & 0x10).length, 1);
  assert.equal(hexBytes(blocks[36].subarray(5, 7)), '10 37');
  assert.equal(hexBytes(blocks[9].subarray(5, 7)), '00 10');
  const asm = new MassMemoryAssembler(0x27, METER);
  for (const b of blocks) asm.add(b);
  const tl = massMemoryTimeline({ source: 'previous', params: realParams, words: asm.words(5985) });
  assert.deepEqual(tl.warnings, []);
  assert.equal(tl.count, 1995);
  assert.equal(tl.intervalSeconds, 300);
  assert.equal(tl.step, 300_000);
  assert.equal(formatWall(tl.firstEnd), '2021-10-01 00:05:00');
  assert.equal(intervalEnd(tl, tl.count - 1), realParams.lastReset);
  assert.equal(formatWall(intervalEnd(tl, 1994)), '2021-10-07 22:15:00');
  assert.equal(tl.values.length, 3);
  assert.equal(tl.values[0][0], words[0]);
  assert.equal(tl.values[1][0], words[1]);
  assert.equal(tl.values[2][1994], words[5984]);
  assert.equal(tl.values[1][1000], words[3001]);
});

function params(over: Partial<Parameters>): Parameters {
  return { ...realParams, ...over };
}

test('timeline: current period from the last reset, window back from the last interval end, cross-checks', () => {
  const reset = wallTime(2024, 3, 1);
  const p = params({
    lastReset: reset,
    lastIntervalEnd: wallTime(2024, 3, 1, 1, 0),
    massMemoryWords: { current: 36, previous: 0 },
  });
  const cur = massMemoryTimeline({ source: 'current', params: p, words: new Uint16Array(36) });
  assert.equal(cur.count, 12);
  assert.equal(formatWall(cur.firstEnd), '2024-03-01 00:05:00');
  assert.deepEqual(cur.warnings, []);

  const odd = massMemoryTimeline({ source: 'current', params: p, words: new Uint16Array(38) });
  assert.equal(odd.count, 12);
  assert.equal(odd.warnings.length, 2);
  assert.match(odd.warnings[0], /38 words.*not a multiple of 3.*2 word/);
  assert.match(odd.warnings[1], /announce 36/);

  const short = massMemoryTimeline({
    source: 'current',
    params: { ...p, massMemoryWords: { current: 33, previous: 0 } },
    words: new Uint16Array(33),
  });
  assert.equal(short.warnings.length, 1);
  assert.match(short.warnings[0], /ends at 2024-03-01 00:55:00 .*end of the last interval is 2024-03-01 01:00:00/);

  const win = massMemoryTimeline({
    source: 'window',
    params: p,
    words: Uint16Array.from({ length: 36 }, (_, i) => i),
  });
  assert.equal(formatWall(win.firstEnd), '2024-03-01 00:05:00');
  assert.equal(formatWall(intervalEnd(win, 11)), '2024-03-01 01:00:00');
  assert.deepEqual(Array.from(win.values[2].subarray(0, 3)), [2, 5, 8]);

  const two = massMemoryTimeline({ source: 'window', params: p, words: new Uint16Array(36), channels: 2 });
  assert.equal(two.count, 18);
  assert.equal(two.values.length, 2);

  expectError(
    () =>
      massMemoryTimeline({
        source: 'current',
        params: { ...p, massMemoryIntervalSeconds: 0 },
        words: new Uint16Array(3),
      }),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /interval of 0 s/,
  );
  expectError(
    () =>
      massMemoryTimeline({ source: 'previous', params: { ...p, penultimateReset: null }, words: new Uint16Array(3) }),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /penultimate reset/,
  );
  expectError(
    () => massMemoryTimeline({ source: 'window', params: p, words: new Uint16Array(3), channels: 0 }),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /channels/,
  );
});

test('assembler: skipped, duplicate, serial change, block after last, bad CRC, wrong code are typed and name the block', () => {
  const rnd = new Random('assembler');
  const blocks = encodeMassMemoryBlocks(0x26, METER, randomWords(rnd, 600)); // 4 blocks
  assert.equal(blocks.length, 4);
  const started = () => {
    const a = new MassMemoryAssembler(0x26);
    a.add(blocks[0]);
    return a;
  };

  let e = expectError(
    () => started().add(blocks[2]),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #2 \(expected number 002\): got block number 003 \(out of sequence\)/,
  );
  assert.equal(e.details.reason, 'sequence');
  e = expectError(
    () => started().add(blocks[0]),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /expected number 002\): got block number 001 \(duplicate of block 001\)/,
  );
  expectError(
    () => new MassMemoryAssembler(0x26).add(blocks[1]),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #1 \(expected number 001\): got block number 002/,
  );

  const other = encodeMassMemoryBlocks(0x26, '11111111', randomWords(rnd, 600));
  e = expectError(
    () => started().add(other[1]),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #2.*number 002: meter serial 11111111, expected 32600760/,
  );
  assert.equal(e.details.reason, 'serial');
  expectError(() => new MassMemoryAssembler(0x26, '11111111').add(blocks[0]), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /serial/);

  const full = new MassMemoryAssembler(0x26);
  for (const b of blocks) full.add(b);
  e = expectError(
    () => full.add(blocks[3]),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #5 arrived after the last block \(004\)/,
  );
  assert.equal(e.details.reason, 'after-last');

  const corrupt = blocks[1].slice();
  corrupt[100] ^= 0x01;
  e = expectError(
    () => started().add(corrupt),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #2 \(expected number 002\).*CRC/,
  );
  assert.equal(e.details.reason, 'crc');
  e = expectError(
    () => started().add(blocks[1].subarray(0, 200)),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #2.*258 bytes/,
  );
  assert.equal(e.details.reason, 'length');

  const wrongCode = encodeMassMemoryBlocks(0x27, METER, randomWords(rnd, 600));
  expectError(() => started().add(wrongCode[1]), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /code 0x27 instead of 0x26/);

  const notBcd = blocks[1].slice();
  notBcd[6] = 0x0a;
  sealBlock(notBcd);
  expectError(
    () => started().add(notBcd),
    'FRONTEIRA_E_ABNT_MASS_MEMORY',
    /block #2 \(expected number 002\): block number is not BCD/,
  );

  const occurrence = buildResponse(cmd40, METER, { occurrence: { code: 0x36, name: 'invalid-password' }, subCode: 0 });
  expectError(() => started().add(occurrence), 'FRONTEIRA_E_ABNT_OCCURRENCE', /invalid-password/);

  const partialA = started();
  expectError(() => partialA.words(166), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /incomplete/);
  expectError(() => new MassMemoryAssembler(0x20), 'FRONTEIRA_E_ABNT_PARAMETER', /0x20/);
});

test('assembler: a reused input buffer does not change stored blocks', () => {
  const blocks = encodeMassMemoryBlocks(0x26, METER, [7, 8, 9]);
  const buf = blocks[0].slice();
  const asm = new MassMemoryAssembler(0x26);
  asm.add(buf);
  buf.fill(0);
  assert.deepEqual(Array.from(asm.words(3)), [7, 8, 9]);
  assert.deepEqual(asm.blocks[0], blocks[0]);
});

test('block numbers wrap after 999 (000, 001, …) and the assembler follows them [S]', () => {
  const rnd = new Random('wrap');
  const n = 1001 * 166 + 5;
  const words = randomWords(rnd, n);
  const blocks = encodeMassMemoryBlocks(0x27, METER, words);
  assert.equal(blocks.length, 1002);
  assert.equal(hexBytes(blocks[998].subarray(5, 7)), '09 99');
  assert.equal(hexBytes(blocks[999].subarray(5, 7)), '00 00');
  assert.equal(hexBytes(blocks[1000].subarray(5, 7)), '00 01');
  assert.equal(hexBytes(blocks[1001].subarray(5, 7)), '10 02');
  const asm = new MassMemoryAssembler(0x27, METER);
  for (const b of blocks) asm.add(b);
  assert.deepEqual(asm.words(n), words);
});

test('assembler options: words unpacked on arrival in the chosen packing, the other one on demand, any size hint', () => {
  const rnd = new Random('assembler-options');
  for (const packing of ['msn-first', 'lsn-first'] as MassMemoryPacking[]) {
    const other: MassMemoryPacking = packing === 'msn-first' ? 'lsn-first' : 'msn-first';
    for (const n of [0, 1, 165, 166, 167, 20 * 166 + 3]) {
      const words = randomWords(rnd, n);
      const blocks = encodeMassMemoryBlocks(0x27, METER, words, packing);
      // A hint that is right, too small (the buffers grow) or too large (they are not all used).
      for (const expectedWords of [undefined, n, 1, 10 * n + 500]) {
        const asm = new MassMemoryAssembler(0x27, METER, { packing, expectedWords });
        assert.equal(asm.packing, packing);
        for (const b of blocks) asm.add(b.slice());
        const first = asm.words(n);
        assert.deepEqual(first, words, `${packing} ${n} hint ${expectedWords}`);
        // The first call hands its words over: what the caller does with them does not reach later calls.
        first.fill(0xfff);
        assert.deepEqual(asm.words(n), words);
        assert.deepEqual(asm.partialWords(n), words);
        assert.deepEqual(asm.words(n, other), unpackWords(blocks, n, other));
        assert.deepEqual(asm.blocks, blocks);
      }
    }
  }
  expectError(
    () => new MassMemoryAssembler(0x26, undefined, { expectedWords: -1 }),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /-1/,
  );
  expectError(
    () => new MassMemoryAssembler(0x26, undefined, { packing: 'middle' as MassMemoryPacking }),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /middle/,
  );
});

test('a rejected block leaves no trace in the words or blocks kept (it was unpacked into a free slot)', () => {
  const rnd = new Random('rejected-slot');
  const words = randomWords(rnd, 3 * 166);
  const blocks = encodeMassMemoryBlocks(0x26, METER, words);
  const asm = new MassMemoryAssembler(0x26, METER, { expectedWords: words.length });
  asm.add(blocks[0]);
  const bad = blocks[1].slice();
  bad[100] ^= 0xff;
  expectError(() => asm.add(bad), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /block #2/);
  expectError(() => asm.add(blocks[2]), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /out of sequence/);
  assert.equal(asm.blockCount, 1);
  asm.add(blocks[1]);
  asm.add(blocks[2]);
  assert.deepEqual(asm.words(words.length), words);
  assert.deepEqual(asm.blocks, blocks);
});

// ---------------------------------------------------------------------------------------------------------------
// markOutages

const T0 = wallTime(2024, 3, 1);
const MIN = 60_000;
/** 12 five-minute intervals ending 00:05 … 01:00. */
const timeline = { firstEnd: T0 + 5 * MIN, step: 5 * MIN, count: 12 };
const at = (h: number, m: number, s = 0) => wallTime(2024, 3, 1, h, m, s);

function flagged(flags: Uint8Array, bit: number): number[] {
  return Array.from(flags.keys()).filter((i) => flags[i] & bit);
}

test('markOutages: partial overlaps flag every touched interval, and only those', () => {
  // 00:07:30 – 00:16:00 touches 00:05–00:10, 00:10–00:15, 00:15–00:20.
  const f = markOutages(timeline, [{ start: at(0, 7, 30), end: at(0, 16) }]);
  assert.deepEqual(flagged(f, MM_FLAG_POWER_OFF), [1, 2, 3]);
  // Ending exactly on a boundary does not touch the next interval.
  assert.deepEqual(flagged(markOutages(timeline, [{ start: at(0, 5), end: at(0, 10) }]), MM_FLAG_POWER_OFF), [1]);
  // A blink within one second still marks its interval.
  assert.deepEqual(
    flagged(markOutages(timeline, [{ start: at(0, 42, 1), end: at(0, 42, 1) }]), MM_FLAG_POWER_OFF),
    [8],
  );
  // Outside the timeline: nothing.
  assert.deepEqual(flagged(markOutages(timeline, [{ start: at(2, 0), end: at(3, 0) }]), MM_FLAG_POWER_OFF), []);
  assert.deepEqual(flagged(markOutages(timeline, [{ start: T0 - 10 * MIN, end: T0 }]), MM_FLAG_POWER_OFF), []);
  // Starting before the timeline and ending inside it.
  assert.deepEqual(
    flagged(markOutages(timeline, [{ start: T0 - 10 * MIN, end: at(0, 6) }]), MM_FLAG_POWER_OFF),
    [0, 1],
  );
});

test('markOutages: an open-ended outage runs to the end of the timeline; no-start runs from its beginning', () => {
  assert.deepEqual(flagged(markOutages(timeline, [{ start: at(0, 50), end: null }]), MM_FLAG_POWER_OFF), [10, 11]);
  assert.deepEqual(flagged(markOutages(timeline, [{ start: null, end: at(0, 9) }]), MM_FLAG_POWER_OFF), [0, 1]);
  assert.deepEqual(flagged(markOutages(timeline, [{ start: null, end: null }]), MM_FLAG_POWER_OFF), []);
});

test('markOutages: a date/time alteration marks its interval and the neighbours as suspect', () => {
  const f = markOutages(
    timeline,
    [],
    [
      { code: 0x30, time: at(0, 22, 10) }, // inside 00:20–00:25 → 3, 4, 5
      { code: 0x29, time: at(0, 58) }, // last interval → 10, 11
      { code: 0x21, time: at(0, 32) }, // a read: not a clock change
      { code: 0x30, time: null },
    ],
  );
  assert.deepEqual(flagged(f, MM_FLAG_CLOCK_SUSPECT), [3, 4, 5, 10, 11]);
  assert.deepEqual(flagged(f, MM_FLAG_POWER_OFF), []);
  const both = markOutages(timeline, [{ start: at(0, 21), end: at(0, 23) }], [{ code: 0x30, time: at(0, 22) }]);
  assert.equal(both[4], MM_FLAG_POWER_OFF | MM_FLAG_CLOCK_SUSPECT);
  assert.equal(markOutages({ ...timeline, count: 0 }, [{ start: at(0, 1), end: null }]).length, 0);
});

test('pulsesToEnergy: pulses × num ÷ den × factor; bad constants are typed', () => {
  assert.deepEqual(Array.from(pulsesToEnergy([0, 3, 4095], { numerator: 1, denominator: 10 })), [0, 0.3, 409.5]);
  assert.deepEqual(Array.from(pulsesToEnergy(Uint16Array.of(100), { numerator: 1, denominator: 1000 }, 120)), [12]);
  expectError(() => pulsesToEnergy([1], { numerator: 1, denominator: 0 }), 'FRONTEIRA_E_ABNT_PARAMETER', /denominator/);
  expectError(
    () => pulsesToEnergy([1], { numerator: 1, denominator: 1 }, Number.NaN),
    'FRONTEIRA_E_ABNT_PARAMETER',
    /factor/,
  );
});

test('fuzz: mutated transfers through the assembler only ever succeed or throw a FronteiraError', () => {
  const rnd = new Random('assembler fuzz');
  const blocks = encodeMassMemoryBlocks(0x26, METER, randomWords(rnd, 166 * 6 + 7));
  let errors = 0;
  for (let i = 0; i < 2_000; i++) {
    const asm = new MassMemoryAssembler(0x26);
    try {
      for (let k = 0; k < blocks.length; k++) {
        const b = blocks[k].slice();
        if (rnd.next() < 0.15) {
          const at = rnd.pick([0, 1, 4, 5, 6, rnd.int(0, 257)]);
          b[at] ^= 1 << rnd.int(0, 7);
          if (rnd.next() < 0.7) sealBlock(b);
        }
        asm.add(rnd.next() < 0.02 ? b.subarray(0, rnd.int(0, 257)) : b);
      }
      asm.words(rnd.int(0, 166 * 7 + 2));
    } catch (e) {
      if (!(e instanceof FronteiraError)) assert.fail(`iteration ${i}: untyped ${(e as Error)?.stack ?? String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 500 && errors < 2_000, `errors ${errors}`);
});

test('a cut-short transfer keeps what arrived: partial words and a partial timeline', () => {
  const rnd = new Random('partial');
  const words = randomWords(rnd, 36 * 20); // 720 words → 5 blocks
  const blocks = encodeMassMemoryBlocks(0x52, METER, words);
  const asm = new MassMemoryAssembler(0x52);
  for (const b of blocks.slice(0, 2)) asm.add(b);
  assert.equal(asm.complete, false);
  assert.equal(asm.partialWordCapacity(), 332);
  expectError(() => asm.words(720), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /incomplete/);
  expectError(() => asm.partialWords(333), 'FRONTEIRA_E_ABNT_MASS_MEMORY', /333 words expected.*332/);
  const kept = asm.partialWords(330);
  assert.deepEqual(kept, words.subarray(0, 330));
  const p = params({
    lastIntervalEnd: wallTime(2024, 3, 2),
    lastReset: wallTime(2024, 3, 1),
    massMemoryWords: { current: 720, previous: 0 },
  });
  // The window's 240 intervals end at 2024-03-02 00:00, so the first ends 239 steps earlier, cut or not.
  const win = massMemoryTimeline({ source: 'window', params: p, words: kept, partial: true });
  assert.equal(win.count, 110);
  assert.equal(formatWall(win.firstEnd), '2024-03-01 04:05:00');
  assert.deepEqual(win.warnings, []);
  const cur = massMemoryTimeline({ source: 'current', params: p, words: kept, partial: true });
  assert.equal(formatWall(cur.firstEnd), '2024-03-01 00:05:00');
  assert.deepEqual(cur.warnings, []);
  const full = massMemoryTimeline({ source: 'current', params: p, words: kept });
  assert.equal(full.warnings.length, 2); // count and last end disagree when the cut is not declared
});
