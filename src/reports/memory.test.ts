/**
 * Memory stays flat as a report grows: the same report for 10 and for 100 points (synthetic data, no store),
 * written to a sink that discards it, with the live heap sampled as each point is read — after a full collection,
 * so that what is measured is what the writer keeps, not garbage waiting for the collector (the peak of heapUsed
 * without it depended on when the GC ran and failed on a loaded machine). The figures are printed as test
 * diagnostics; the only assertion is a coarse one (the heap does not grow with the output). Figures for 1,000 points
 * are in the issue-6 report notes.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { writeComparePdf } from './compare.ts';
import { writeCompletenessXlsx } from './completeness.ts';
import { writeEnergyPdf, writeEnergyXlsx } from './energy.ts';
import { fakeComparisons, fakeCompletenessSource, fakeEnergy } from './testing.ts';

interface Figures {
  bytes: number;
  heapPeakMb: number;
}

// The collector, without starting the test process with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let sample = () => {};

async function* sampled<T>(src: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const x of src) {
    sample();
    yield x;
  }
}

async function measure(run: (out: Writable) => Promise<void>): Promise<Figures> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  await run(sink);
  sample();
  return { bytes, heapPeakMb: (peak - base) / 1e6 };
}

const meta = { from: '2026-11-02', to: '2026-11-04', generatedAt: 0, scope: 'memória' };

const cases: [string, (n: number, out: Writable) => Promise<void>][] = [
  ['energy pdf', (n, out) => writeEnergyPdf(sampled(fakeEnergy(n, meta.from, 3)), out, meta)],
  ['energy xlsx', (n, out) => writeEnergyXlsx(() => sampled(fakeEnergy(n, meta.from, 3)), out)],
  ['compare pdf', (n, out) => writeComparePdf(sampled(fakeComparisons(n, meta.from, 3)), out, meta)],
  [
    'completeness xlsx',
    (n, out) =>
      writeCompletenessXlsx(() => sampled(fakeCompletenessSource(n, meta.from, 31)), out, {
        ...meta,
        to: '2026-12-02',
      }),
  ],
];

for (const [name, run] of cases) {
  test(`${name}: heap does not grow with the report (10 vs 100 points)`, async (t) => {
    const small = await measure((out) => run(10, out));
    const large = await measure((out) => run(100, out));
    t.diagnostic(
      `${name}: 10 points ${(small.bytes / 1e3).toFixed(0)} kB, heap peak +${small.heapPeakMb.toFixed(1)} MB; ` +
        `100 points ${(large.bytes / 1e3).toFixed(0)} kB, heap peak +${large.heapPeakMb.toFixed(1)} MB`,
    );
    assert.ok(large.bytes > 5 * small.bytes, 'the larger report is larger');
    // Coarse: ten times the output, nowhere near ten times the live memory.
    assert.ok(large.heapPeakMb < Math.max(8, 4 * small.heapPeakMb), `heap +${large.heapPeakMb} MB`);
  });
}
