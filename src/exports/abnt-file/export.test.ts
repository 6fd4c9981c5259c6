import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../../domain/errors.ts';
import { DEFAULT_ZONE, instantToWall } from '../../domain/time.ts';
import { buildResponse, cmd21, cmd23, cmd39, cmd40, occurrence } from '../../protocols/abnt14522/commands/index.ts';
import { sealBlock } from '../../protocols/abnt14522/crc.ts';
import type { RawFrame } from '../../store/frames.ts';
import { abntFileFromFrames } from './export.ts';
import { abntFileName } from './format.ts';
import { readAbntFile } from './read.ts';
import { sessionBlocks, testMeter, todayWall } from './testkit.ts';
import { writeAbntFile } from './write.ts';

const sim = testMeter(5);
const now = todayWall() + 3 * 3_600_000;
const [params, regs] = sessionBlocks(sim, now, [
  [cmd21, { group: 0 }],
  [cmd23, {}],
]);
const notImpl = buildResponse(cmd39, sim.serial, { command: 0x80 });
const occ = buildResponse(cmd40, sim.serial, { occurrence: occurrence(0x33), subCode: 1 });

function frames(list: [RawFrame['direction'], Uint8Array][]): RawFrame[] {
  return list.map(([direction, bytes], i) => ({ at: 1000 + i, direction, step: i, bytes }));
}

test('only sound response blocks go in the file; what was left out is said', () => {
  const broken = regs.slice();
  broken[100] ^= 1;
  const odd = regs.slice();
  odd[0] = 0x99;
  sealBlock(odd);
  const out = abntFileFromFrames({
    frames: frames([
      ['tx', new Uint8Array(66).fill(0x21)],
      ['rx', params],
      ['rx', notImpl],
      ['rx', broken],
      ['rx', new Uint8Array([0x05])],
      ['rx', regs],
      ['rx', odd],
    ]),
    startedAt: 0,
  });
  assert.equal(out.blocks, 2);
  assert.deepEqual(out.bytes, writeAbntFile([params, regs]));
  assert.equal(out.name, abntFileName(sim.serial, now));
  assert.equal(out.meterSerial, sim.serial);
  assert.equal(out.warnings.length, 3);
  assert.match(out.warnings.join('\n'), /1 exception answer.*\n.*bad CRC.*\n.*does not hold/);
});

test('exception answers on request: a 0x40 becomes the failed step a live session records', () => {
  const out = abntFileFromFrames(
    {
      frames: frames([
        ['rx', params],
        ['rx', occ],
        ['rx', notImpl],
      ]),
      startedAt: 0,
    },
    { withExceptions: true, layout: 'fk7-crc' },
  );
  assert.equal(out.blocks, 3);
  const { reading } = readAbntFile(out.bytes, { name: out.name });
  const failed = reading.steps.filter((s) => s.status === 'failed');
  assert.deepEqual(
    failed.map((s) => s.error?.code),
    ['FRONTEIRA_E_ABNT_OCCURRENCE', 'FRONTEIRA_E_ABNT_NOT_IMPLEMENTED'],
  );
  assert.equal(failed[1].code, 0x80);
  // ingest finds the 0x40 block of the step by its index.
  const f = reading.frames.find((x) => x.step === failed[0].index);
  assert.equal(f?.bytes[0], 0x40);
});

test('no parameters block: named by the session start, with a warning', () => {
  const startedAt = Date.UTC(2026, 0, 2, 12, 0, 0);
  const out = abntFileFromFrames({ frames: frames([['rx', regs]]), startedAt });
  assert.equal(out.readingTime, instantToWall(startedAt, DEFAULT_ZONE));
  assert.match(out.warnings.at(-1) ?? '', /session start/);
});

test('nothing to write is FRONTEIRA_E_VALIDATION; a bad layout too', () => {
  assert.throws(
    () => abntFileFromFrames({ frames: frames([['tx', new Uint8Array(66)]]), startedAt: 0, label: 'session 7' }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && /session 7 received no response block/.test(e.message),
  );
  assert.throws(
    () => abntFileFromFrames({ frames: frames([['rx', params]]), startedAt: 0 }, { layout: 'zip' as 'fk7' }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
  );
});

test('write refuses blocks that are not as received', () => {
  assert.throws(
    () => writeAbntFile([params, regs.subarray(0, 200)]),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_ABNT_FRAME_LENGTH') && e.details.index === 1,
  );
  const bad = params.slice();
  bad[257] ^= 1;
  assert.throws(
    () => writeAbntFile([bad]),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_ABNT_CRC'),
  );
});
