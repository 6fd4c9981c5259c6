import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockCrcOk, crc16, crc16Step, sealBlock } from './crc.ts';

test('CRC-16/ARC catalogue check value (spec §14.1)', () => {
  assert.equal(crc16(new TextEncoder().encode('123456789')), 0xbb3d);
});

test('empty input gives the init value 0', () => {
  assert.equal(crc16(new Uint8Array(0)), 0);
});

test('sealed block has a zero residue and a flipped bit breaks it', () => {
  const b = new Uint8Array(66);
  b[0] = 0x14;
  sealBlock(b);
  assert.deepEqual([b[64], b[65]], [0x05, 0x0f]); // [ESP32] vector, spec §14.2
  assert.ok(blockCrcOk(b));
  for (let i = 0; i < 66 * 8; i += 37) {
    const c = b.slice();
    c[i >> 3] ^= 1 << (i & 7);
    assert.equal(blockCrcOk(c), false, `bit ${i}`);
  }
});

test('start/end window matches a copy of the same bytes', () => {
  const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 31) & 0xff);
  assert.equal(crc16(data, 10, 60), crc16(data.slice(10, 60)));
});

test('crc16Step folded over the bytes gives crc16, and a whole sealed block folds to 0', () => {
  const data = Uint8Array.from({ length: 258 }, (_, i) => (i * 131 + 7) & 0xff);
  assert.equal(
    data.reduce((crc, b) => crc16Step(crc, b), 0),
    crc16(data),
  );
  sealBlock(data);
  assert.equal(
    data.reduce((crc, b) => crc16Step(crc, b), 0),
    0,
  );
});
