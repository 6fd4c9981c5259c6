import assert from 'node:assert/strict';
import test from 'node:test';
import { ProfileMemo } from './memo.ts';

const body = (n: number) => Buffer.alloc(n, 1);

test('the memo keeps the most recently used bodies within its byte budget', () => {
  const m = new ProfileMemo(100);
  m.set('a', { fingerprint: 'fa', gzip: body(40) });
  m.set('b', { fingerprint: 'fb', gzip: body(40) });
  assert.equal(m.get('a')?.fingerprint, 'fa'); // a is now newer than b
  m.set('c', { fingerprint: 'fc', gzip: body(40) });
  assert.equal(m.get('b'), undefined, 'the least recently used went out');
  assert.deepEqual([m.size, m.usedBytes], [2, 80]);
  m.set('a', { fingerprint: 'fa2', gzip: body(10) });
  assert.deepEqual([m.get('a')?.fingerprint, m.usedBytes], ['fa2', 50]);
  m.set('huge', { fingerprint: 'fh', gzip: body(101) });
  assert.equal(m.get('huge'), undefined, 'larger than the whole budget: not kept');
  assert.equal(m.usedBytes, 50);
  m.delete('a');
  m.delete('nope');
  assert.deepEqual([m.size, m.usedBytes], [1, 40]);
});
