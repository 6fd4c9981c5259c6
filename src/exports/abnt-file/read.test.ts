import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { Random } from '../../domain/random.ts';
import { DEFAULT_ZONE, wallToInstant } from '../../domain/time.ts';
import {
  cmd14,
  cmd21,
  cmd23,
  cmd25,
  cmd26,
  cmd28,
  cmd51,
  cmd52,
  cmd80,
} from '../../protocols/abnt14522/commands/index.ts';
import { crc16, sealBlock } from '../../protocols/abnt14522/crc.ts';
import { wallTime } from '../../protocols/abnt14522/fields.ts';
import { REAL_0x20_RESPONSE } from '../../protocols/abnt14522/testdata/vectors.ts';
import { abntFileName, detectLayout, nameLetters, nameNumber, parseAbntFileName } from './format.ts';
import { FILE_SEQUENCE, readAbntFile, splitAbntFile } from './read.ts';
import { sessionBlocks, testMeter, todayWall } from './testkit.ts';
import { writeAbntFile } from './write.ts';

const HOUR = 3_600_000;

function hexBlock(text: string): Uint8Array {
  return Uint8Array.from(
    text
      .trim()
      .split(/\s+/)
      .map((h) => Number.parseInt(h, 16)),
  );
}

/** Runs fn, which must throw the file error; returns it. */
function fileErr(fn: () => unknown): FronteiraError {
  try {
    fn();
  } catch (e) {
    assert.ok(isFronteiraError(e), `expected a FronteiraError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

const REAL = hexBlock(REAL_0x20_RESPONSE);

describe('file name (spec §12)', () => {
  test('golden: the §14.3 reading (meter 32600760, 07/10/2021 22:15:00) is 00760$LN.MFA', () => {
    const t = wallTime(2021, 10, 7, 22, 15, 0);
    // 0 + 60·15 + 3600·22 + 86400·7 + 2678400·10 = 27 468 900; mod 20^5 = 1 868 900 = (11,13,12,5,0) in base 20.
    assert.equal(nameNumber(t), 27_468_900);
    assert.equal(nameLetters(t), 'LNMFA');
    assert.equal(abntFileName('32600760', t), '00760$LN.MFA');
  });

  test('zero-based date switch and padding', () => {
    const t = wallTime(2024, 1, 1, 0, 0, 0);
    assert.equal(nameNumber(t), 86_400 + 2_678_400);
    assert.equal(nameNumber(t, { zeroBasedDate: true }), 0);
    assert.equal(nameLetters(t, { zeroBasedDate: true }), 'AAAAA');
    assert.equal(abntFileName('123', t, { zeroBasedDate: true }), '00123$AA.AAA');
  });

  test('parse: only names that follow the rule', () => {
    assert.deepEqual(parseAbntFileName('/tmp/x/00760$ln.mfa'), { serialSuffix: '00760', letters: 'LNMFA' });
    assert.equal(parseAbntFileName('00760$LN.MFZ'), null);
    assert.equal(parseAbntFileName('leitura.bin'), null);
  });
});

describe('golden vector: the real 0x20 response of spec §14.3', () => {
  test('fk7 (256 bytes, no CRC) and fk7-crc (258, CRC 48 5C) read the same', () => {
    assert.equal(REAL.length, 258);
    assert.equal(crc16(REAL), 0);
    for (const bytes of [REAL.slice(0, 256), REAL]) {
      const { file, reading } = readAbntFile(bytes, { name: '00760$LN.MFA' });
      assert.equal(file.layout, bytes.length === 256 ? 'fk7' : 'fk7-crc');
      assert.equal(file.meterSerial, '32600760');
      assert.equal(file.readingTime, wallTime(2021, 10, 7, 22, 15, 0));
      assert.equal(file.expectedName, '00760$LN.MFA');
      assert.deepEqual(file.codes, { '20': 1 });
      assert.equal(reading.sequence, FILE_SEQUENCE);
      assert.equal(reading.startedAt, wallToInstant(wallTime(2021, 10, 7, 22, 15, 0), DEFAULT_ZONE));
      assert.equal(reading.groups.length, 1);
      assert.equal(reading.groups[0].parameters.massMemoryWords.previous, 5985);
      assert.deepEqual(reading.groups[0].parameters.quantityCodes, [1, 10, 11]);
      // The stored frame is the block as the meter sent it, CRC included (recomputed for fk7).
      assert.deepEqual(reading.frames[0].bytes, REAL);
      assert.equal(reading.clock, null);
      assert.equal(
        reading.warnings.filter((w) => w.includes('file name')).length,
        0,
        'the name matches the rule: no warning',
      );
    }
  });

  test('a renamed file still reads, with a warning', () => {
    const { reading } = readAbntFile(REAL.slice(0, 256), { name: '00760$AA.AAA' });
    assert.ok(reading.warnings.some((w) => w.includes('does not encode the reading time')));
  });
});

describe('a simulated verificação as a file', () => {
  const now = todayWall() + 10 * HOUR;
  const meter = testMeter(7);
  const steps: Parameters<typeof sessionBlocks>[2] = [
    [cmd21, { group: 0 }],
    [cmd80, {}],
    [cmd14, {}],
    [cmd23, {}],
    [cmd25, { period: 'current' }],
    [cmd28, {}],
    [cmd26, {}],
    [cmd21, { group: 1 }],
    [cmd23, {}],
    [cmd26, {}],
  ];
  const blocks = sessionBlocks(meter, now, steps);
  const file = writeAbntFile(blocks);

  test('reads back every interval the meter holds, in both groups', () => {
    assert.equal(file.length, blocks.length * 256);
    const { file: f, reading } = readAbntFile(file, {
      name: 'x.fk7',
      groups: [
        { group: 0, quantityCodes: meter.quantityCodes(0) },
        { group: 1, quantityCodes: meter.quantityCodes(1) },
      ],
    });
    assert.equal(f.blocks, blocks.length);
    assert.equal(f.meterSerial, meter.serial);
    assert.deepEqual(
      reading.groups.map((g) => g.group),
      [0, 1],
    );
    for (const g of reading.groups) {
      const t = g.massMemory!.timeline;
      assert.ok(t.count > 288, `group ${g.group}: ${t.count} intervals`);
      const truth = meter.groundTruth(g.group, t.firstEnd, t.firstEnd + (t.count - 1) * t.step);
      for (let c = 0; c < 3; c++) assert.deepEqual([...t.values[c]], [...truth.pulses[c]]);
      assert.ok(g.registers);
      assert.equal(g.flags?.length, t.count);
    }
    assert.ok(reading.measurement && reading.instant && reading.alterations && reading.outages);
    assert.equal(reading.frames.length, blocks.length);
    assert.ok(reading.frames.every((fr) => fr.direction === 'rx' && fr.at === reading.startedAt));
    assert.deepEqual(
      reading.frames.map((fr) => fr.bytes),
      blocks,
    );
    assert.equal(reading.steps.length, 10);
    assert.equal(reading.steps[6].label, '26 g0');
    assert.ok(reading.steps[6].blocks > 1);
  });

  test('without registered groups, parameters blocks take groups 0, 1 in order', () => {
    const { reading } = readAbntFile(file, { name: 'x.fk7' });
    assert.deepEqual(
      reading.groups.map((g) => [g.group, g.channels[0].index]),
      [
        [0, 1],
        [1, 4],
      ],
    );
  });

  test('the same blocks with their CRCs (fk7-crc) read the same', () => {
    const crcFile = writeAbntFile(blocks, 'fk7-crc');
    assert.equal(detectLayout(crcFile, 'auto'), 'fk7-crc');
    const a = readAbntFile(file, { name: 'a' }).reading;
    const b = readAbntFile(crcFile, { name: 'a' }).reading;
    assert.deepEqual(
      b.groups.map((g) => [...g.massMemory!.timeline.values[0]]),
      a.groups.map((g) => [...g.massMemory!.timeline.values[0]]),
    );
  });

  test('a 0x51/0x52 window reads too', () => {
    const w = sessionBlocks(meter, now, [
      [cmd51, { group: 0, amount: 1, unit: 'days' }],
      [cmd52, {}],
    ]);
    const { reading } = readAbntFile(writeAbntFile(w), { name: 'w' });
    assert.equal(reading.groups[0].massMemory?.timeline.count, 288);
    assert.equal(reading.groups[0].massMemory?.source, 'window');
  });

  // ------------------------------------------------------------------------------------------------------------
  // Bad files: the first problem, named by block and offset

  const mmStart = 6; // index of the first 0x26 block
  const err = (bytes: Uint8Array, layout?: 'fk7' | 'fk7-crc') =>
    fileErr(() => readAbntFile(bytes, { name: 'bad.fk7', layout }));

  test('truncated last block', () => {
    const e = err(file.slice(0, file.length - 100));
    assert.equal(e.code, 'FRONTEIRA_E_FILE_FORMAT');
    assert.equal(e.details.reason, 'truncated');
    assert.equal(e.details.block, blocks.length);
    assert.equal(e.details.offset, (blocks.length - 1) * 256);
    assert.match(e.message, /bad\.fk7.*block \d+ \(offset \d+\).*only 156 byte/);
  });

  test('wrong length for the layout asked', () => {
    const e = err(writeAbntFile(blocks.slice(0, 3), 'fk7-crc'), 'fk7');
    assert.equal(e.details.reason, 'truncated');
    assert.equal(e.details.block, 4);
    assert.equal(e.details.remainder, 6);
  });

  test('flipped CRC byte (fk7-crc)', () => {
    const bad = writeAbntFile(blocks, 'fk7-crc');
    bad[3 * 258 + 257] ^= 0x40;
    const e = err(bad, 'fk7-crc');
    assert.equal(e.details.reason, 'crc');
    assert.equal(e.details.block, 4);
    assert.equal(e.details.offset, 3 * 258);
    assert.match(e.message, /block 4 \(offset 774\): 0x23: CRC at offset 1030/);
  });

  test('a data byte changed under a good CRC layout is a CRC error too', () => {
    const bad = writeAbntFile(blocks, 'fk7-crc');
    bad[(mmStart + 2) * 258 + 100] ^= 0x01;
    const e = err(bad);
    assert.equal(e.details.reason, 'crc');
    assert.equal(e.details.block, mmStart + 3);
  });

  test('unknown block type', () => {
    const bad = file.slice();
    bad[2 * 256] = 0x99;
    const e = err(bad);
    assert.equal(e.details.reason, 'code');
    assert.equal(e.details.block, 3);
    assert.equal(e.details.offset, 512);
  });

  test('another meter serial in one block', () => {
    const bad = file.slice();
    const o = 4 * 256 + 4;
    bad[o] = bad[o] === 0x11 ? 0x12 : 0x11;
    const e = err(bad);
    assert.equal(e.details.reason, 'serial');
    assert.equal(e.details.block, 5);
    assert.equal(e.details.expected, meter.serial);
  });

  test('mass-memory blocks out of sequence', () => {
    const swapped = [...blocks];
    [swapped[mmStart + 1], swapped[mmStart + 2]] = [swapped[mmStart + 2], swapped[mmStart + 1]];
    const e = err(writeAbntFile(swapped));
    assert.equal(e.details.reason, 'sequence');
    assert.equal(e.details.block, mmStart + 2);
    assert.match(e.message, /got block number 003 \(out of sequence\)/);
  });

  test('mass-memory transfer without its last block', () => {
    const g0 = blocks.findIndex((b, i) => i > mmStart && b[0] === 0x21);
    const cut = [...blocks.slice(0, g0 - 1), ...blocks.slice(g0)];
    const e = err(writeAbntFile(cut));
    assert.equal(e.details.reason, 'mass-memory');
    assert.equal(e.details.block, g0 - 1);
    assert.match(e.message, /begun at block 7 ends here without its last block/);
  });

  test('mass memory before any parameters block, and 0x52 after 0x21', () => {
    let e = err(writeAbntFile(blocks.slice(mmStart)));
    assert.equal(e.details.reason, 'sequence');
    assert.equal(e.details.block, 1);
    const w = sessionBlocks(meter, now, [
      [cmd51, { group: 0, amount: 1, unit: 'hours' }],
      [cmd52, {}],
    ]);
    e = err(writeAbntFile([blocks[0], ...w.slice(1)]));
    assert.equal(e.details.reason, 'sequence');
    assert.match(e.message, /needs 0x51 before it/);
  });

  test('an invalid date in a parameters block names the field and the file offset', () => {
    const i = blocks.findIndex((b, k) => k > 0 && b[0] === 0x21);
    const b = blocks[i].slice();
    b[5] = 0x25; // meter clock hour 25
    sealBlock(b);
    const e = err(writeAbntFile([...blocks.slice(0, i), b, ...blocks.slice(i + 1)]));
    assert.equal(e.details.reason, 'field');
    assert.equal(e.details.block, i + 1);
    assert.equal(e.details.fileOffset, i * 256 + 5);
    assert.equal(e.details.cause, 'FRONTEIRA_E_ABNT_DATE');
    assert.match(
      e.message,
      new RegExp(`block ${i + 1} \\(offset ${i * 256}\\): 0x21: .*offset 5.*\\[file offset ${i * 256 + 5}\\]`),
    );
  });

  test('no parameters block; empty file', () => {
    let e = err(writeAbntFile([blocks[1], blocks[2]]));
    assert.equal(e.details.reason, 'no-parameters');
    e = err(new Uint8Array(0));
    assert.equal(e.details.reason, 'empty');
  });

  test('fuzz: mutated and random bytes never throw an untyped error', () => {
    const rnd = new Random('abnt-file-fuzz');
    const base = writeAbntFile(blocks.slice(0, 12));
    const baseCrc = writeAbntFile(blocks.slice(0, 12), 'fk7-crc');
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const src = i % 2 === 0 ? base : baseCrc;
      let bytes: Uint8Array;
      const kind = i % 5;
      if (kind === 0) bytes = rnd.bytes(rnd.int(0, 3 * 258));
      else if (kind === 1) bytes = src.slice(0, rnd.int(0, src.length));
      else {
        bytes = src.slice();
        const n = rnd.int(1, 8);
        for (let k = 0; k < n; k++) bytes[rnd.int(0, bytes.length - 1)] = rnd.int(0, 255);
        if (kind === 4) {
          // Keep the CRCs right so the mutation reaches the decoders.
          for (let p = 0; p + 258 <= bytes.length; p += 258) sealBlock(bytes.subarray(p, p + 258));
        }
      }
      try {
        readAbntFile(bytes, { name: `fuzz-${i}` });
        accepted++;
      } catch (e) {
        assert.ok(e instanceof FronteiraError, `case ${i} (kind ${kind}): untyped ${String(e)}`);
        assert.ok(['FRONTEIRA_E_FILE_FORMAT'].includes(e.code), `case ${i}: ${e.code} ${e.message}`);
      }
    }
    assert.ok(accepted < 400);
  });

  test('splitAbntFile rejects a non-layout', () => {
    const e = fileErr(() => splitAbntFile(file, 'f', 'fk8' as 'fk7'));
    assert.equal(e.details.reason, 'layout');
  });
});
