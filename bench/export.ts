/**
 * Export benchmark (issue 6): `npm run bench:export [-- --only postgres|pglite] [--points N] [--day YYYY-MM-DD]
 * [--batch N] [--concurrency N] [--keep]`.
 *
 * Target: the daily 5-minute XML (layout ccee-5min, one file per point and operating day) for 10,000 points,
 * generated AND validated against its XSD, in ≤ 60 s with peak RSS ≤ 500 MB.
 *
 * Per backend, two child processes: `setup` writes the fixture (bench/lib/api-fixture.ts: 10,000 points with a
 * principal meter and one day of final rows for quantities 1, 10 and 11, every slot actual; not timed), then `run`
 * opens that store and runs generateExports for every point over the day into a fresh delivery folder. The run
 * process's VmHWM is the peak RSS judged (the PGlite engine lives in that process, so its memory counts; a
 * PostgreSQL server's does not). Checks after the run: one produced record and one file per point, none failed, and a
 * sample of files re-hashed against their recorded sha256. Exit 0 when every target passes, 1 when one fails, 2 on
 * an error. Internal: `--role setup|run --target DIR|URL --result-file F`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateExports } from '../src/exports/service.ts';
import { listExportFiles } from '../src/store/exports.ts';
import { openStore, type Store } from '../src/store/pool.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { writeApiFixture } from './lib/api-fixture.ts';
import { figure, MB, procStatusBytes, verdict, watchLoad } from './lib/measure.ts';

const TARGET_WALL_MS = 60_000;
const TARGET_RSS_BYTES = 500 * MB;
type Backend = 'postgres' | 'pglite';
const BACKENDS: readonly Backend[] = ['postgres', 'pglite'];

interface RunResult {
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  rssBeforeBytes: number;
  produced: number;
  failed: number;
  skipped: number;
  bytes: number;
  recorded: number;
  filesOnDisk: number;
  rehashed: number;
  rehashMismatches: number;
  firstFailure: string | null;
}

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: '${v}' is not a positive integer`);
  return n;
}

function child(args: string[]): number | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
  });
  return r.status;
}

function openTarget(backend: Backend, target: string): Promise<Store> {
  return backend === 'postgres'
    ? openStore({ databaseUrl: target, maxConnections: 4 })
    : openStore({ dataDir: target });
}

async function setup(backend: Backend, target: string, points: number, day: string): Promise<void> {
  const store = await openTarget(backend, target);
  try {
    const t0 = performance.now();
    const fx = await writeApiFixture(store, { points, from: day, days: 1, final: true });
    figure(backend, 'fixture (not timed)', (performance.now() - t0) / 1000, 's', `${fx.finalRows} final rows`);
  } finally {
    await store.close();
  }
}

function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
}

async function runPart(
  backend: Backend,
  target: string,
  day: string,
  batchSize: number,
  concurrency: number,
  validators: number,
): Promise<RunResult> {
  const store = await openTarget(backend, target);
  const out = mkdtempSync(join(tmpdir(), 'fronteira-bench-export-'));
  try {
    const rssBeforeBytes = procStatusBytes('VmRSS');
    const load = watchLoad();
    const t0 = performance.now();
    const r = await generateExports(store, {
      layout: 'ccee-5min',
      from: day,
      to: day,
      all: true,
      deliveryDir: out,
      actor: 'bench',
      scope: 'schedule',
      batchSize,
      concurrency,
      validators,
    });
    const wallMs = performance.now() - t0;
    const { cpuMs } = load.stop();
    const peakRssBytes = procStatusBytes('VmHWM');
    const recorded = (await listExportFiles(store.db, { status: 'produced', limit: 1, offset: 0 })).total;
    let rehashMismatches = 0;
    const sample = r.produced.filter((_, i) => i % 500 === 0);
    for (const p of sample) {
      if (createHash('sha256').update(readFileSync(p.path)).digest('hex') !== p.sha256) rehashMismatches++;
    }
    return {
      wallMs,
      cpuMs,
      peakRssBytes,
      rssBeforeBytes,
      produced: r.produced.length,
      failed: r.failed.length,
      skipped: r.skipped.length,
      bytes: r.bytes,
      recorded,
      filesOnDisk: countFiles(out),
      rehashed: sample.length,
      rehashMismatches,
      firstFailure: r.failed[0]?.message ?? null,
    };
  } finally {
    await store.close();
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      points: { type: 'string', default: '10000' },
      day: { type: 'string', default: '2026-11-26' },
      batch: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '2' },
      validators: { type: 'string', default: '1' },
      role: { type: 'string' },
      target: { type: 'string' },
      'result-file': { type: 'string' },
    },
  });
  const points = positive('points', values.points);
  const batch = positive('batch', values.batch);
  const concurrency = positive('concurrency', values.concurrency);
  const validators = positive('validators', values.validators);
  const day = values.day as string;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`--day: '${day}' is not YYYY-MM-DD`);
  const backends = (values.only ?? 'postgres').split(',').map((b) => b.trim()) as Backend[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--only: '${b}' is not postgres or pglite`);

  if (values.role !== undefined) {
    const [backend] = backends;
    if (backends.length !== 1 || values.target === undefined) throw new Error('--role needs one --only and --target');
    if (values.role === 'setup') {
      await setup(backend, values.target, points, day);
      return 0;
    }
    if (values.role === 'run' && values['result-file']) {
      const r = await runPart(backend, values.target, day, batch, concurrency, validators);
      writeFileSync(values['result-file'], JSON.stringify(r));
      return 0;
    }
    throw new Error(`--role ${values.role}: unknown, or --result-file missing`);
  }

  const [l1, l5, l15] = loadavg();
  process.stdout.write(
    `export benchmark: ${points} points, ccee-5min, day ${day}, batch ${batch}, concurrency ${concurrency}, validators ${validators}; ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); load average ${l1.toFixed(2)} / ${l5.toFixed(2)} / ${l15.toFixed(2)}\n`,
  );
  let pass = true;
  for (const backend of backends) {
    const work = mkdtempSync(join(tmpdir(), `fronteira-bench-export-${backend}-`));
    const cluster = backend === 'postgres' ? await startCluster() : null;
    try {
      const target = cluster ? cluster.url : join(work, 'pglite');
      const common = ['--only', backend, '--target', target, '--points', String(points), '--day', day];
      if (child([...common, '--role', 'setup']) !== 0) throw new Error(`${backend}: fixture setup failed`);
      const resultFile = join(work, 'result.json');
      const runArgs = [...common, '--role', 'run', '--result-file', resultFile, '--batch', String(batch)];
      if (child([...runArgs, '--concurrency', String(concurrency), '--validators', String(validators)]) !== 0)
        throw new Error(`${backend}: run failed`);
      const r = JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult;
      figure(
        backend,
        'generate + validate + write + record',
        r.wallMs / 1000,
        's',
        `process CPU ${(r.cpuMs / 1000).toFixed(1)} s`,
      );
      figure(
        backend,
        'peak RSS (VmHWM of the run)',
        r.peakRssBytes / MB,
        'MB',
        `${(r.rssBeforeBytes / MB).toFixed(0)} MB after opening the store`,
      );
      figure(backend, 'files produced / failed / skipped', `${r.produced} / ${r.failed} / ${r.skipped}`);
      figure(
        backend,
        'bytes written',
        r.bytes / MB,
        'MB',
        `${(r.bytes / Math.max(1, r.produced) / 1024).toFixed(0)} kB per file`,
      );
      figure(backend, 'throughput', r.produced / (r.wallMs / 1000), 'files/s');
      figure(backend, 'records / files on disk', `${r.recorded} / ${r.filesOnDisk}`);
      figure(backend, 'sha256 re-hashed (sample)', `${r.rehashed - r.rehashMismatches}/${r.rehashed} match`);
      if (r.firstFailure) figure(backend, 'first failure', r.firstFailure);
      const complete = r.produced === points && r.failed === 0 && r.recorded === points && r.filesOnDisk === points;
      const okWall = r.wallMs <= TARGET_WALL_MS;
      const okRss = r.peakRssBytes <= TARGET_RSS_BYTES;
      verdict(backend, `${points} daily 5-minute files generated and XSD-validated in ≤ 60 s`, okWall && complete);
      verdict(backend, 'peak RSS ≤ 500 MB', okRss);
      verdict(backend, 'every point has one recorded, hashed file', complete && r.rehashMismatches === 0);
      pass &&= okWall && okRss && complete && r.rehashMismatches === 0;
    } finally {
      cluster?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }
  return pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench:export: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  },
);
