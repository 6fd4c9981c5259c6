import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Quality } from '../../vee/types.ts';
import {
  combineQualities,
  QUALITY_BY_RANK,
  QUALITY_RANK,
  RANK_ACTUAL,
  settleSlots,
  WEAKNESS_ORDER,
  weakerQuality,
} from './quality.ts';

const { N, A, S, E, M } = Quality;

test('weakness order N < E < M < S < A', () => {
  assert.deepEqual(WEAKNESS_ORDER, ['N', 'E', 'M', 'S', 'A']);
  assert.equal(weakerQuality(A, S), S);
  assert.equal(weakerQuality(S, M), M);
  assert.equal(weakerQuality(M, E), E);
  assert.equal(weakerQuality(E, N), N);
  assert.equal(weakerQuality(A, A), A);
  assert.equal(weakerQuality(S, A), S);
  for (const [rank, name] of WEAKNESS_ORDER.entries()) {
    assert.equal(QUALITY_RANK[Quality[name]], rank);
    assert.equal(QUALITY_BY_RANK[rank], Quality[name]);
  }
  // A code outside the catalogue is trusted as little as a missing slot.
  assert.equal(QUALITY_RANK[9], QUALITY_RANK[N]);
  assert.equal(weakerQuality(A, 200), N);
});

function combine(qualities: Uint8Array[]): { rank: number[]; ref: number[] } {
  const n = qualities[0].length;
  const rank = new Uint8Array(n).fill(RANK_ACTUAL);
  const ref = new Int16Array(n).fill(-1);
  combineQualities(qualities, rank, ref);
  return { rank: [...rank], ref: [...ref] };
}

test('combineQualities keeps the weakest input per slot and the first input holding it', () => {
  const q0 = Uint8Array.from([A, S, A, E, A, M, A, A, N]);
  const q1 = Uint8Array.from([A, A, S, S, M, E, A, N, N]);
  const q2 = Uint8Array.from([A, S, M, A, M, A, E, A, A]);
  const { rank, ref } = combine([q0, q1, q2]);
  assert.deepEqual(
    rank.map((r) => WEAKNESS_ORDER[r]),
    ['A', 'S', 'M', 'E', 'M', 'E', 'E', 'N', 'N'],
  );
  assert.deepEqual(ref, [-1, 0, 2, 0, 1, 1, 2, 1, 0]);
});

test('combineQualities: word-skipping gives the same answer on unaligned views and odd lengths', () => {
  const n = 37;
  const backing = new Uint8Array(n + 3);
  for (let offset = 0; offset < 4; offset++) {
    const q = backing.subarray(offset, offset + n).fill(A);
    q[0] = S;
    q[5] = E;
    q[n - 1] = M;
    const other = new Uint8Array(n).fill(A);
    other[5] = M;
    other[n - 2] = N;
    const { rank, ref } = combine([other, q]);
    for (let k = 0; k < n; k++) {
      const expected = k === 0 ? S : k === 5 ? E : k === n - 1 ? M : k === n - 2 ? N : A;
      assert.equal(QUALITY_BY_RANK[rank[k]], expected, `offset ${offset} slot ${k}`);
      assert.equal(ref[k], expected === A ? -1 : k === n - 2 ? 0 : 1, `offset ${offset} slot ${k}`);
    }
  }
});

test('settleSlots: NaN, missing inputs and divisions by zero make the slot N', () => {
  const x = {
    value: Float64Array.from([1, Number.NaN, 3, 4, 5, 6, 7]),
    quality: Uint8Array.from([A, A, E, N, A, S, A]),
  };
  const y = {
    value: Float64Array.from([1, 2, Number.NaN, 4, 5, 6, 7]),
    quality: Uint8Array.from([S, A, A, A, A, A, N]),
  };
  const value = Float64Array.from([2, Number.NaN, Number.NaN, 8, 10, Number.POSITIVE_INFINITY, Number.NaN]);
  const rank = new Uint8Array(7).fill(RANK_ACTUAL);
  const ref = new Int16Array(7).fill(-1);
  combineQualities([x.quality, y.quality], rank, ref);
  const divZero = Uint8Array.from([0, 0, 0, 0, 1, 0, 0]);
  const quality = new Uint8Array(7);
  settleSlots(value, rank, ref, divZero, [x, y], quality);
  assert.deepEqual([...quality], [S, N, N, N, N, N, N]);
  // Slot 2: x is only estimated, y has no value: y is the one that made it missing. Slot 6: y is marked N.
  assert.deepEqual([...ref], [1, 0, 1, 0, -1, -1, 1]);
  assert.ok(value.slice(1).every((v) => Number.isNaN(v)));
  assert.equal(value[0], 2);
});
