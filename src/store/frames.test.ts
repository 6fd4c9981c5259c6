import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { Random } from '../domain/random.ts';
import { decodeFrames, encodeFrames, frameCount, type RawFrame } from './frames.ts';

function randomFrames(r: Random, n: number): RawFrame[] {
  let at = 1_700_000_000_000 + r.int(0, 1e6);
  return Array.from({ length: n }, () => {
    // Mostly forward, sometimes backwards (a clock step), sometimes a long silence.
    at += r.next() < 0.05 ? -r.int(1, 5000) : r.next() < 0.05 ? r.int(60_000, 600_000) : r.int(0, 2000);
    const len = r.pick([1, 66, 258, 258, 258, 0, r.int(0, 600)]);
    return { at, direction: r.next() < 0.5 ? 'tx' : 'rx', step: r.int(0, 40), bytes: r.bytes(len) };
  });
}

describe('session frames blob', () => {
  test('round-trips frames exactly (times, directions, steps, bytes)', () => {
    const rnd = new Random('frames');
    for (let trial = 0; trial < 50; trial++) {
      const frames = randomFrames(rnd.fork(trial), rnd.int(0, 60));
      const blob = encodeFrames(frames);
      assert.equal(frameCount(blob), frames.length);
      assert.deepEqual(decodeFrames(blob), frames);
    }
  });

  test('layout: 16-byte header, 9 bytes per frame before its bytes', () => {
    const frames: RawFrame[] = [
      { at: 1000, direction: 'tx', step: 0, bytes: Uint8Array.of(0x21, 1, 2) },
      { at: 1250, direction: 'rx', step: 3, bytes: Uint8Array.of(0xaa) },
    ];
    const blob = encodeFrames(frames);
    assert.equal(blob.length, 16 + 9 + 3 + 9 + 1);
    assert.deepEqual([...blob.subarray(0, 8)], [0x46, 0x52, 0x46, 0x31, 2, 0, 0, 0]);
    const view = new DataView(blob.buffer);
    assert.equal(view.getFloat64(8, true), 1000);
    assert.equal(view.getInt32(16, true), 0);
    assert.equal(view.getInt32(28, true), 250);
    assert.equal(blob[32], 1);
    assert.equal(view.getUint16(33, true), 3);
    assert.equal(view.getUint16(35, true), 1);
    assert.equal(blob[37], 0xaa);
    assert.deepEqual(decodeFrames(encodeFrames([])), []);
  });

  test('a damaged blob is FRONTEIRA_E_FILE_FORMAT naming what is wrong', () => {
    const blob = encodeFrames(randomFrames(new Random(1), 5));
    const bad = (b: Uint8Array, re: RegExp) =>
      assert.throws(
        () => decodeFrames(b),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_FILE_FORMAT') && re.test(e.message),
      );
    bad(blob.subarray(0, 10), /shorter than the 16-byte header/);
    bad(Uint8Array.from([0x58, ...blob.subarray(1)]), /bad magic at offset 0/);
    bad(blob.subarray(0, blob.length - 1), /past the end/);
    bad(Uint8Array.from([...blob, 0]), /1 byte\(s\) after the last of 5 frames/);
    const dir = blob.slice();
    dir[16 + 4] = 7;
    bad(dir, /frame 0: direction byte 0x7/);
    const count = blob.slice();
    count[4] = 9;
    bad(count, /frame 5 of 9: header at offset \d+ runs past the end/);
  });

  test('frames that cannot be packed are refused', () => {
    const f: RawFrame = { at: 0, direction: 'tx', step: 0, bytes: new Uint8Array(1) };
    const refused = (frames: RawFrame[]) =>
      assert.throws(
        () => encodeFrames(frames),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_FILE_FORMAT'),
      );
    refused([{ ...f, bytes: new Uint8Array(70_000) }]);
    refused([{ ...f, step: -1 }]);
    refused([{ ...f, at: Number.NaN }]);
    refused([f, { ...f, at: 3e9 }]);
  });
});
