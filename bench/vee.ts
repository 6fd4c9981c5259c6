/**
 * VEE benchmark (issue 4): `npm run bench:vee [-- --only pglite|postgres] [--points N] [--days N] [--from YYYY-MM-DD]
 * [--seed S] [--batch N]`.
 *
 * Target: one month of VEE for 1,000 points (principal + retaguarda, 3 channels), from store to final versions, in
 * ≤ 60 s on this machine with peak RSS ≤ 1 GB, on PGlite (a data directory on disk, the embedded default) and on
 * PostgreSQL (a throwaway cluster started here, test/helpers/pg-cluster.ts).
 *
 * Per backend, two child processes one after the other (bench/lib/vee-run.ts): `setup` creates the store and writes
 * the month (bench/lib/vee-fixture.ts: registry import, ~180,000 day blocks from the simulator's ground truth with
 * gaps, lost days, outages and spikes, not timed), then `run` opens that store and runs `runVeeRange` over the month
 * cold (every series new: this is what the target judges, with the run process's VmHWM), then once more on unchanged
 * input, which must write nothing (changed = 0, asserted). Exit status 0 when every target passes, 1 when one fails,
 * 2 on an error. Internal: `--role setup|run --target DIR|URL --result-file F [--setup-file F]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { MB, verdict } from './lib/measure.ts';
import {
  runPasses,
  runVeePart,
  setupVeePart,
  TARGET_RSS_BYTES,
  TARGET_WALL_MS,
  type VeeBackend,
  type VeePartOptions,
  type VeeRunResult,
  type VeeSetupResult,
} from './lib/vee-run.ts';

const BACKENDS: readonly VeeBackend[] = ['pglite', 'postgres'];

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: '${v}' is not a positive integer`);
  return n;
}

/** Runs this file again as a child for one role; the child's figures go straight to our stdout. */
function child(args: string[]): number | null {
  const nodeArgs = (process.env.BENCH_VEE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const r = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
  });
  return r.status;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      points: { type: 'string', default: '1000' },
      days: { type: 'string', default: '30' },
      from: { type: 'string', default: '2026-10-01' },
      seed: { type: 'string', default: 'bench-vee' },
      batch: { type: 'string' },
      role: { type: 'string' },
      target: { type: 'string' },
      'result-file': { type: 'string' },
      'setup-file': { type: 'string' },
    },
  });
  const points = positive('points', values.points);
  const days = positive('days', values.days);
  const from = values.from as string;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`--from: '${from}' is not YYYY-MM-DD`);
  const batchPoints = values.batch === undefined ? undefined : positive('batch', values.batch);
  const seed = values.seed as string;
  const backends = (values.only ?? BACKENDS.join(',')).split(',').map((b) => b.trim()) as VeeBackend[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--only: '${b}' is not pglite or postgres`);

  if (values.role !== undefined) {
    const [backend] = backends;
    if (backends.length !== 1 || values.target === undefined || values['result-file'] === undefined) {
      throw new Error('--role needs one --only backend, --target and --result-file');
    }
    const o: VeePartOptions = { backend, target: values.target, points, days, from, seed, batchPoints };
    if (values.role === 'setup') {
      writeFileSync(values['result-file'], JSON.stringify(await setupVeePart(o)));
      return 0;
    }
    if (values.role === 'run') {
      if (values['setup-file'] === undefined) throw new Error('--role run needs --setup-file');
      const setup = JSON.parse(readFileSync(values['setup-file'], 'utf8')) as VeeSetupResult;
      const r = await runVeePart(o, setup);
      writeFileSync(values['result-file'], JSON.stringify(r));
      return runPasses(r) ? 0 : 1;
    }
    throw new Error(`--role: '${values.role}' is not setup or run`);
  }

  process.stdout.write(
    `# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpus()[0]?.model ?? '?'}  ` +
      `points ${points}  days ${days} from ${from}  seed ${seed}\n`,
  );
  const results = new Map<VeeBackend, VeeRunResult>();
  let errors = false;
  const common = ['--points', String(points), '--days', String(days), '--from', from, '--seed', seed];
  if (batchPoints !== undefined) common.push('--batch', String(batchPoints));
  for (const backend of backends) {
    const dir = mkdtempSync(join(tmpdir(), `fronteira-bench-vee-${backend}-`));
    let cluster: { url: string; stop(): void } | null = null;
    try {
      let target: string;
      if (backend === 'postgres') {
        cluster = await startCluster();
        target = cluster.url;
      } else {
        target = join(dir, 'pglite');
      }
      const setupFile = join(dir, 'setup.json');
      const resultFile = join(dir, 'result.json');
      const base = ['--only', backend, '--target', target, ...common];
      const s = child([...base, '--role', 'setup', '--result-file', setupFile]);
      if (s !== 0) {
        errors = true;
        continue;
      }
      const r = child([...base, '--role', 'run', '--result-file', resultFile, '--setup-file', setupFile]);
      if (r === 2 || r === null) errors = true;
      try {
        results.set(backend, JSON.parse(readFileSync(resultFile, 'utf8')) as VeeRunResult);
      } catch {
        errors = true;
      }
    } finally {
      cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  let ok = !errors;
  for (const backend of backends) {
    const r = results.get(backend);
    if (!r) {
      ok = false;
      verdict('summary', `${backend}: no result (the child failed)`, false);
      continue;
    }
    const pass = runPasses(r);
    ok &&= pass;
    verdict(
      'summary',
      `${backend}: ${r.points} points × ${r.days} days cold in ${(r.wallMs / 1000).toFixed(1)} s ` +
        `(<= ${TARGET_WALL_MS / 1000} s), peak RSS ${(r.peakRssBytes / MB).toFixed(0)} MB ` +
        `(<= ${TARGET_RSS_BYTES / MB} MB), rerun ${(r.secondWallMs / 1000).toFixed(1)} s with ${r.secondChanged} changed` +
        (r.checks.every((x) => x.ok) ? '' : `; checks failed: ${r.checks.filter((x) => !x.ok).map((x) => x.name)}`),
      pass,
    );
  }
  return errors ? 2 : ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench:vee: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
