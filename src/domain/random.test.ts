import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash01, Random } from './random.ts';

test('same seed, same stream; different seed, different stream', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(
    sa,
    Array.from({ length: 8 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 8 }, () => c.nextUint32()),
  );
});

test('next() is in [0,1) and roughly uniform', () => {
  const r = new Random('u');
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
  }
  assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
});

test('int() covers its inclusive range', () => {
  const r = new Random(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(3, 7));
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
});

test('hash01 is deterministic, in range and sensitive to every key', () => {
  assert.equal(hash01(1, 2, 3), hash01(1, 2, 3));
  assert.notEqual(hash01(1, 2, 3), hash01(1, 2, 4));
  assert.notEqual(hash01(1_700_000_000_000), hash01(1_700_000_300_000));
  const v = hash01(5, 1_700_000_000_000);
  assert.ok(v >= 0 && v < 1);
});
