/**
 * Virtual-meter benchmark (issue 7): `npm run bench:virtual [-- --only formula|summary] [--backends postgres,pglite]
 * [--points N] [--virtuals N] [--days N] [--from YYYY-MM-DD] [--inputs N] [--runs N] [--summary-runs N]`.
 *
 * Targets:
 * (a) a formula over 100 input series for one month of 5-min data evaluated in ≤ 200 ms, and at ≥ 0.5× the speed of
 *     a hand-written loop adding the same Float64Arrays in the same run (bench/lib/virtual-formula.ts). Judged on the
 *     MEDIAN of the runs of the month-long evaluation (one call over 8,640 slots); the 30 day-block calls are shown too.
 * (b) the monthly summary by segment of 10,000 points in ≤ 10 s: src/summary summarize() over a month of current
 *     final rows for 10,000 points × 3 channels (bench/lib/virtual-fixture.ts, written server-side, not timed), on
 *     a throwaway PostgreSQL cluster (test/helpers/pg-cluster.ts) and on PGlite (a data directory on disk, the
 *     embedded default). Judged on the median of --summary-runs calls; the figures are checked against the
 *     fixture's own totals (energy, expected/actual/estimated/missing slots, points with data), and virtual points
 *     must stay out. For reference (not judged): the same month daily by segment and monthly by tag, and one day
 *     hourly by segment.
 *
 * Exit status 0 when every target passes, 1 when one fails (or a check fails), 2 on an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type Store } from '../src/store/pool.ts';
import { type Summary, summarize } from '../src/summary/summary.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { figure, MB, median, verdict } from './lib/measure.ts';
import { type SummaryFixture, writeSummaryFixture } from './lib/virtual-fixture.ts';
import { runFormulaBench } from './lib/virtual-formula.ts';

const TARGET_FORMULA_MS = 200;
const TARGET_RATIO = 0.5;
const TARGET_SUMMARY_MS = 10_000;

type Backend = 'postgres' | 'pglite';

function positive(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: '${v}' is not an integer >= ${min}`);
  return n;
}

const load3 = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function formulaPart(inputs: number, days: number, runs: number): boolean {
  const r = runFormulaBench({ inputs, days, runs, warmup: 5, seed: 'bench-virtual' });
  const ms = (x: number) => x.toFixed(2);
  figure(
    'formula',
    'inputs × slots',
    `${inputs} × ${r.slots}`,
    '',
    `${r.formulaLength} characters, ${r.steps} step(s)`,
  );
  figure('formula', 'month, one call: best / median', `${ms(r.month.best)} / ${ms(r.month.median)}`, 'ms');
  figure('formula', `${days} day calls: best / median`, `${ms(r.perDay.best)} / ${ms(r.perDay.median)}`, 'ms');
  figure('formula', 'hand loop: best / median', `${ms(r.hand.best)} / ${ms(r.hand.median)}`, 'ms');
  const ratio = r.hand.median / r.month.median;
  const ratioDay = r.hand.median / r.perDay.median;
  figure(
    'formula',
    'speed vs hand loop (month)',
    ratio.toFixed(2),
    '×',
    `best/best ${(r.hand.best / r.month.best).toFixed(2)}`,
  );
  figure('formula', 'speed vs hand loop (day calls)', ratioDay.toFixed(2), '×');
  figure('formula', 'max |formula − hand|', r.maxAbsDiff.toExponential(2), 'kWh', `${r.nanMismatch} NaN mismatches`);
  const same = r.nanMismatch === 0 && r.maxAbsDiff < 1e-6;
  verdict('formula', 'result equals the hand loop', same);
  const fast = r.month.median <= TARGET_FORMULA_MS;
  verdict('formula', `month of ${inputs} inputs ${ms(r.month.median)} ms ≤ ${TARGET_FORMULA_MS} ms`, fast);
  const relative = ratio >= TARGET_RATIO;
  verdict('formula', `${ratio.toFixed(2)}× the hand loop ≥ ${TARGET_RATIO}×`, relative);
  return same && fast && relative;
}

/** The monthly summary's figures against the fixture's own totals. */
function checkSummary(s: Summary, fx: SummaryFixture): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const r of s.rows) {
    const key = `${r.group}|${r.quantityCode}`;
    seen.add(key);
    const e = fx.expected.get(key);
    if (!e) {
      errors.push(`unexpected row ${r.group} ${r.channel} ${r.period}`);
      continue;
    }
    const got = [r.expectedSlots, r.actual, r.estimated, r.missing, r.points, r.pointsWithData];
    const want = [e.slots, e.actual, e.estimated, e.missing, e.points, e.pointsWithData];
    if (got.join() !== want.join()) errors.push(`${key}: counts ${got.join()} ≠ ${want.join()}`);
    if (Math.abs(r.energy - e.energy) > 1e-9 * Math.max(1, e.energy)) {
      errors.push(`${key}: energy ${r.energy} ≠ ${e.energy}`);
    }
  }
  for (const key of fx.expected.keys()) if (!seen.has(key)) errors.push(`missing row ${key}`);
  return errors;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function summaryPart(
  backend: Backend,
  o: { points: number; virtuals: number; days: number; from: string; runs: number },
): Promise<boolean> {
  const part = backend === 'postgres' ? 'pg' : 'pglite';
  let store: Store | null = null;
  let cleanup = () => {};
  try {
    if (backend === 'postgres') {
      const cluster = await startCluster();
      cleanup = () => cluster.stop();
      store = await openStore({ databaseUrl: cluster.url });
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'fronteira-bench-virtual-'));
      cleanup = () => rmSync(dir, { recursive: true, force: true });
      store = await openStore({ dataDir: dir });
    }
    const st = store;
    const fx = await writeSummaryFixture(st, { points: o.points, virtuals: o.virtuals, from: o.from, days: o.days });
    figure(
      part,
      'fixture registry',
      (fx.registryMs / 1000).toFixed(2),
      's',
      `${o.points} points, ${fx.virtualPoints} virtual`,
    );
    figure(
      part,
      'fixture final rows (INSERT … SELECT)',
      (fx.finalMs / 1000).toFixed(1),
      's',
      `${fx.finalRows.toLocaleString('en-US')} rows`,
    );
    figure(part, 'fixture vee_final size', Math.round(fx.finalBytes / MB), 'MB');
    const query = { by: { kind: 'segment' } as const, from: fx.from, to: fx.to };
    const times: number[] = [];
    let checked: string[] = [];
    for (let i = 0; i < o.runs; i++) {
      const r = await timed(() => summarize(st.db, { ...query, resolution: 'month' }));
      times.push(r.ms);
      if (i === 0) checked = checkSummary(r.value, fx);
    }
    figure(part, 'monthly by segment: runs', times.map((t) => (t / 1000).toFixed(2)).join(' / '), 's');
    const med = median(times);
    figure(
      part,
      'monthly by segment: median',
      (med / 1000).toFixed(2),
      's',
      `best ${(Math.min(...times) / 1000).toFixed(2)} s`,
    );
    for (const e of checked.slice(0, 10)) process.stdout.write(`${part.padEnd(7)} check failed: ${e}\n`);
    verdict(
      part,
      `figures equal the fixture's totals (${fx.expected.size} segment × channel rows, virtual left out)`,
      checked.length === 0,
    );
    const pass = med <= TARGET_SUMMARY_MS;
    verdict(
      part,
      `monthly summary by segment of ${o.points} points ${(med / 1000).toFixed(2)} s ≤ ${TARGET_SUMMARY_MS / 1000} s`,
      pass,
    );

    const daily = await timed(() => summarize(st.db, { ...query, resolution: 'day' }));
    figure(part, 'daily by segment (reference)', (daily.ms / 1000).toFixed(2), 's', `${daily.value.rows.length} rows`);
    const byTag = await timed(() =>
      summarize(st.db, { by: { kind: 'tag', tag: null }, from: fx.from, to: fx.to, resolution: 'month' }),
    );
    figure(part, 'monthly by tag (reference)', (byTag.ms / 1000).toFixed(2), 's', `${byTag.value.rows.length} rows`);
    const hourly = await timed(() => summarize(st.db, { ...query, to: fx.from, resolution: 'hour' }));
    figure(
      part,
      'one day hourly by segment (ref.)',
      (hourly.ms / 1000).toFixed(2),
      's',
      `${hourly.value.rows.length} rows`,
    );
    const hourlyEnergy = hourly.value.rows.filter((r) => r.channel === 'C').reduce((a, r) => a + r.energy, 0);
    const dayEnergy = daily.value.rows
      .filter((r) => r.channel === 'C' && r.period === fx.from)
      .reduce((a, r) => a + r.energy, 0);
    const hourlyOk = Math.abs(hourlyEnergy - dayEnergy) <= 1e-9 * Math.max(1, dayEnergy);
    verdict(part, 'hourly totals of the first day add up to its daily totals (channel C)', hourlyOk);
    return pass && checked.length === 0 && hourlyOk;
  } finally {
    await store?.close();
    cleanup();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      backends: { type: 'string', default: 'postgres,pglite' },
      points: { type: 'string', default: '10000' },
      virtuals: { type: 'string', default: '100' },
      days: { type: 'string', default: '30' },
      from: { type: 'string', default: '2026-10-01' },
      inputs: { type: 'string', default: '100' },
      runs: { type: 'string', default: '30' },
      'summary-runs': { type: 'string', default: '3' },
    },
  });
  const only = values.only;
  if (only !== undefined && only !== 'formula' && only !== 'summary')
    throw new Error(`--only: '${only}' is not formula or summary`);
  const backends = values.backends.split(',').map((b) => b.trim()) as Backend[];
  for (const b of backends)
    if (b !== 'postgres' && b !== 'pglite') throw new Error(`--backends: '${b}' is not postgres or pglite`);
  const days = positive('days', values.days);
  process.stdout.write(
    `# bench:virtual ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ` +
      `${Math.round(totalmem() / MB / 1024)} GB, load ${load3()}\n`,
  );
  let ok = true;
  if (only !== 'summary') {
    ok = formulaPart(positive('inputs', values.inputs), days, positive('runs', values.runs)) && ok;
    process.stdout.write(`# load after the formula part: ${load3()}\n`);
  }
  if (only !== 'formula') {
    for (const b of backends) {
      ok =
        (await summaryPart(b, {
          points: positive('points', values.points),
          virtuals: positive('virtuals', values.virtuals, 0),
          days,
          from: values.from,
          runs: positive('summary-runs', values['summary-runs']),
        })) && ok;
      process.stdout.write(`# load after ${b}: ${load3()}\n`);
    }
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench:virtual: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
