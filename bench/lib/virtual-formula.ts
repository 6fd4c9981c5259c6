/**
 * Part (a) of bench:virtual: a formula over `inputs` point series (P1.C + P2.C + … + P100.C) evaluated by the real
 * evaluator (src/virtual/formula: parse → check against a static environment → compile) over a month of 5-min slots,
 * against a hand-written loop adding the same Float64Arrays, in the same process and interleaved run by run so both
 * see the same machine. The evaluator is timed two ways: one call over month-long arrays (8,640 slots) and 30 calls
 * over day blocks (288-slot subarrays of the same buffers). Its time includes the quality propagation (every input's
 * quality array read; 1% of the slots are estimated and a few missing, so the fast path for all-actual runs does not
 * cover everything); the hand loop adds values only.
 */
import { Random } from '../../src/domain/random.ts';
import { Quality } from '../../src/vee/types.ts';
import { type InputSeries, prepareFormula, staticEnv } from '../../src/virtual/formula/index.ts';
import { median } from './measure.ts';

export interface FormulaBenchOptions {
  inputs: number;
  days: number;
  runs: number;
  warmup: number;
  seed: string;
}

export interface Timing {
  best: number;
  median: number;
  all: number[];
}

export interface FormulaBenchResult {
  slots: number;
  formulaLength: number;
  steps: number;
  month: Timing;
  perDay: Timing;
  hand: Timing;
  /** Largest |formula − hand| over the slots (NaN where both are NaN counts as equal). */
  maxAbsDiff: number;
  nanMismatch: number;
}

function timing(all: number[]): Timing {
  return { best: Math.min(...all), median: median(all), all };
}

export function runFormulaBench(o: FormulaBenchOptions): FormulaBenchResult {
  const codes = Array.from({ length: o.inputs }, (_, i) => `BENCHVM${String(i + 1).padStart(6, '0')}`);
  const env = staticEnv({ points: Object.fromEntries(codes.map((c) => [c, { C: true }])) });
  const text = codes.map((c) => `${c}.C`).join(' + ');
  const { checked, evaluator } = prepareFormula(text, env);
  const slots = o.days * 288;
  const rng = new Random(o.seed);
  const series: InputSeries[] = checked.inputs.map(() => {
    const value = new Float64Array(slots);
    const quality = new Uint8Array(slots).fill(Quality.A);
    for (let k = 0; k < slots; k++) {
      value[k] = Math.round(100 * (1 + rng.next() * 5)) / 100;
      const r = rng.next();
      if (r < 0.01) quality[k] = Quality.E;
      else if (r < 0.0012 + 0.01) {
        quality[k] = Quality.N;
        value[k] = Number.NaN;
      }
    }
    return { value, quality };
  });
  const arrays = series.map((s) => s.value);
  const dayInputs = Array.from({ length: o.days }, (_, d) =>
    series.map((s) => ({
      value: s.value.subarray(d * 288, (d + 1) * 288),
      quality: s.quality.subarray(d * 288, (d + 1) * 288),
    })),
  );

  // The loop a programmer would write without the formula language.
  const hand = (): Float64Array => {
    const out = new Float64Array(slots);
    for (const a of arrays) for (let k = 0; k < slots; k++) out[k] += a[k];
    return out;
  };
  const month = () => evaluator.evaluate(series).value;
  const perDay = () => {
    let last: Float64Array | null = null;
    for (const inputs of dayInputs) last = evaluator.evaluate(inputs).value;
    return last;
  };

  const t = { month: [] as number[], perDay: [] as number[], hand: [] as number[] };
  let sink = 0;
  for (let i = 0; i < o.warmup + o.runs; i++) {
    const order: (keyof typeof t)[] = i % 2 === 0 ? ['hand', 'month', 'perDay'] : ['perDay', 'month', 'hand'];
    for (const which of order) {
      const fn = which === 'hand' ? hand : which === 'month' ? month : perDay;
      const t0 = performance.now();
      const out = fn();
      const ms = performance.now() - t0;
      sink += out ? out[0] : 0;
      if (i >= o.warmup) t[which].push(ms);
    }
  }
  if (sink === 42.4242) process.stdout.write('');

  const a = month();
  const b = hand();
  let maxAbsDiff = 0;
  let nanMismatch = 0;
  for (let k = 0; k < slots; k++) {
    if (Number.isNaN(a[k]) || Number.isNaN(b[k])) {
      if (Number.isNaN(a[k]) !== Number.isNaN(b[k])) nanMismatch++;
      continue;
    }
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k] - b[k]));
  }
  return {
    slots,
    formulaLength: text.length,
    steps: evaluator.steps,
    month: timing(t.month),
    perDay: timing(t.perDay),
    hand: timing(t.hand),
    maxAbsDiff,
    nanMismatch,
  };
}
