/**
 * Quality of a virtual-meter slot from the qualities of its inputs (issue 7): the slot is actual (A) only when every
 * input of the formula is actual there; otherwise it takes the weakest input quality, and reasonRef names that
 * input (the first one in input order when several tie).
 *
 * Weakness, worst first: N (missing) < E (estimated) < M (manual) < S (substituted) < A (actual). S is still a
 * measurement (the retaguarda meter of the same point); M is a person's figure with no meter behind it, and E is
 * a model's, so a result that leans on either is less trustworthy than one built from meters only. A slot with any
 * input missing (quality N, or no value) is missing: value NaN, quality N.
 *
 * Every input counts, also one whose value does not reach the result (the loser of a min/max): the quality says
 * what the slot was computed from, not which branch won.
 */
import { Quality, type QualityCode } from '../../vee/types.ts';

export const WEAKNESS_ORDER = ['N', 'E', 'M', 'S', 'A'] as const;

/** Rank of each quality code, 0 = weakest. Codes outside the catalogue rank as N: nothing trusts them. */
export const QUALITY_RANK: Uint8Array = (() => {
  const r = new Uint8Array(256);
  WEAKNESS_ORDER.forEach((name, rank) => {
    r[Quality[name]] = rank;
  });
  return r;
})();

/** Quality code of each rank. */
export const QUALITY_BY_RANK: Uint8Array = Uint8Array.from(WEAKNESS_ORDER.map((name) => Quality[name]));

export const RANK_ACTUAL = QUALITY_RANK[Quality.A];
const RANK_MISSING = QUALITY_RANK[Quality.N];

/** Four actual slots read as one 32-bit word (the same on either byte order). */
const FOUR_ACTUAL = Quality.A * 0x01010101;

/** The weaker of two quality codes. */
export function weakerQuality(a: number, b: number): QualityCode {
  return QUALITY_BY_RANK[Math.min(QUALITY_RANK[a], QUALITY_RANK[b])] as QualityCode;
}

/**
 * Lowers rank[k] to the weakest quality among `qualities` and sets ref[k] to the first input holding it. Callers
 * start with rank filled with RANK_ACTUAL and ref with −1. Runs of actual slots are skipped four at a time.
 */
export function combineQualities(qualities: readonly Uint8Array[], rank: Uint8Array, ref: Int16Array): void {
  const n = rank.length;
  for (let i = 0; i < qualities.length; i++) {
    const q = qualities[i];
    let k = 0;
    if ((q.byteOffset & 3) === 0) {
      const words = n >>> 2;
      const w = new Uint32Array(q.buffer, q.byteOffset, words);
      for (let j = 0; j < words; j++) {
        if (w[j] === FOUR_ACTUAL) continue;
        const end = (j << 2) + 4;
        for (let b = j << 2; b < end; b++) {
          const r = QUALITY_RANK[q[b]];
          if (r < rank[b]) {
            rank[b] = r;
            ref[b] = i;
          }
        }
      }
      k = words << 2;
    }
    for (; k < n; k++) {
      const r = QUALITY_RANK[q[k]];
      if (r < rank[k]) {
        rank[k] = r;
        ref[k] = i;
      }
    }
  }
}

export interface SlotInput {
  value: Float64Array;
  quality: Uint8Array;
}

/**
 * Final pass over the computed values: the quality of each slot from its rank, and the missing slots made
 * explicit. A slot is missing (value NaN, quality N) when an input is missing there, when a division by zero
 * happened there (divZero[k] = 1), or when the arithmetic gave no finite number. ref then names the first input
 * marked N at the slot (as combineQualities left it); failing that, the first input with no value (NaN under
 * another quality: inconsistent data); failing that, −1 (a division by zero or an overflow of present values).
 */
export function settleSlots(
  value: Float64Array,
  rank: Uint8Array,
  ref: Int16Array,
  divZero: Uint8Array,
  inputs: readonly SlotInput[],
  quality: Uint8Array,
): void {
  const n = value.length;
  for (let k = 0; k < n; k++) {
    const v = value[k];
    const r = rank[k];
    // v - v is 0 exactly when v is finite.
    if (r !== RANK_MISSING && v - v === 0 && divZero[k] === 0) {
      quality[k] = QUALITY_BY_RANK[r];
      continue;
    }
    value[k] = Number.NaN;
    quality[k] = Quality.N;
    if (r === RANK_MISSING) continue;
    let who = -1;
    for (let i = 0; i < inputs.length; i++) {
      if (Number.isNaN(inputs[i].value[k])) {
        who = i;
        break;
      }
    }
    ref[k] = who;
  }
}
