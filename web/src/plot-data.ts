/**
 * The chart's data work, kept free of the DOM (and tested under Node): quality codes and colours, runs of
 * non-actual slots, and the per-pixel window of a long series that uPlot is given instead of every slot.
 */
/** Quality codes as the UI stores them (index = code). */
export const QUALITY_CODES = ['N', 'A', 'S', 'E', 'M'] as const;
export const QUALITY_COLORS: Record<string, string> = {
  N: 'rgba(220, 38, 38, 0.22)',
  S: 'rgba(234, 179, 8, 0.28)',
  E: 'rgba(147, 51, 234, 0.22)',
  M: 'rgba(37, 99, 235, 0.22)',
};
const ACTUAL = 1;

export interface Run {
  from: number;
  to: number;
  q: number;
}

/** Contiguous slots of the same non-actual quality, so drawing them costs per run rather than per slot. */
export function runsOf(quality: Uint8Array): Run[] {
  const runs: Run[] = [];
  let k = 0;
  const n = quality.length;
  while (k < n) {
    const q = quality[k];
    if (q === ACTUAL) {
      k++;
      continue;
    }
    const from = k;
    while (k < n && quality[k] === q) k++;
    runs.push({ from, to: k - 1, q });
  }
  return runs;
}

/** Index of the first x[i] >= v, or with `above` the first x[i] > v (x ascending). */
function bound(x: Float64Array, v: number, above = false): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < v || (above && x[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What uPlot gets for the x window min..max: the slots themselves when they fit the pixels (NaN → null, a gap),
 * else per pixel column the first and last x with each series' min and max in their order — the line looks the
 * same and costs a few thousand points whatever the span, which is what keeps a year of 5-min data fast.
 */
export function plotWindow(x: Float64Array, ys: Float64Array[], min: number, max: number, columns: number) {
  const i0 = Math.max(0, bound(x, min) - 1);
  const i1 = Math.min(x.length, bound(x, max, true) + 1);
  const n = i1 - i0;
  if (n <= columns * 2) {
    const out: (Float64Array | (number | null)[])[] = [x.subarray(i0, i1)];
    for (const y of ys) {
      const col: (number | null)[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const v = y[i0 + k];
        col[k] = Number.isNaN(v) ? null : v;
      }
      out.push(col);
    }
    return out;
  }
  const outX = new Float64Array(columns * 2);
  const outYs = ys.map(() => new Array<number | null>(columns * 2));
  const per = n / columns;
  for (let b = 0; b < columns; b++) {
    const a = i0 + Math.floor(b * per);
    const e = i0 + Math.floor((b + 1) * per);
    outX[2 * b] = x[a];
    outX[2 * b + 1] = x[e - 1];
    for (let j = 0; j < ys.length; j++) {
      const y = ys[j];
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      let loAt = -1;
      let hiAt = -1;
      for (let k = a; k < e; k++) {
        const v = y[k];
        if (v < lo) {
          lo = v;
          loAt = k;
        }
        if (v > hi) {
          hi = v;
          hiAt = k;
        }
      }
      const col = outYs[j];
      if (loAt < 0) {
        col[2 * b] = null;
        col[2 * b + 1] = null;
      } else if (loAt <= hiAt) {
        col[2 * b] = lo;
        col[2 * b + 1] = hi;
      } else {
        col[2 * b] = hi;
        col[2 * b + 1] = lo;
      }
    }
  }
  return [outX, ...outYs];
}
