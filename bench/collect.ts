/**
 * Collection benchmark (issue 3): `npm run bench:collect [-- --meters N] [--only read|pglite|postgres]
 * [--processes N] [--base-port P] [--concurrency N] [--spot-check N] [--day YYYY-MM-DD] [--clock HH:mm:ss]
 * [--via runOnce|queue] [--store fresh|existing] [--data-dir DIR] [--keep-data]`.
 *
 * Target: a full daily collection of 10,000 simulated meters (one day, 3 channels, pacing off) into the embedded
 * store finishes in ≤ 3 minutes with the collector's peak RSS ≤ 1.5 GB; the same reported on PostgreSQL.
 *
 * Parts, each in a fresh process of its own (so each collector's peak RSS is its own), each with its own simulated
 * fleet split over `--processes` child processes (meter i on 127.0.0.1:basePort + i):
 *   read      baseline: the same planned reads through a Runner whose ingest stores nothing
 *   pglite    the registry imported (timed apart), then the daily round into a file-backed PGlite store: by default
 *             `engine.runOnce('daily')`; with --via queue the way `fronteira serve` runs it, through pg-boss
 *   postgres  the same into a throwaway PostgreSQL cluster (test/helpers/pg-cluster.ts)
 * Each round is followed by checks: completeness of the previous day (288 slots × 3 channels for every meter),
 * sessions and events stored, and a value-by-value comparison of some meters with the simulator's ground truth.
 * See bench/lib/collect-round.ts for the clock the round runs on. Exit status 0 when every target passes, 1 when
 * one fails, 2 on an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { instantToWall } from '../src/domain/time.ts';
import {
  type CollectPart,
  type CollectPartOptions,
  type CollectPartResult,
  runCollectPart,
  TARGET_RSS_BYTES,
  TARGET_WALL_MS,
} from './lib/collect-round.ts';
import { figure, MB, verdict } from './lib/measure.ts';

const PARTS: readonly CollectPart[] = ['read', 'pglite', 'postgres'];

function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function positive(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: '${v}' is not an integer >= ${min}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      meters: { type: 'string', default: '10000' },
      processes: { type: 'string', default: '2' },
      'base-port': { type: 'string', default: '20000' },
      seed: { type: 'string', default: 'bench-collect' },
      day: { type: 'string' },
      clock: { type: 'string', default: '00:01:00' },
      concurrency: { type: 'string' },
      'spot-check': { type: 'string', default: '40' },
      'data-dir': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      'result-file': { type: 'string' },
      via: { type: 'string', default: 'runOnce' },
      store: { type: 'string', default: 'fresh' },
    },
  });
  const o: CollectPartOptions = {
    meters: positive('meters', values.meters),
    processes: positive('processes', values.processes),
    basePort: positive('base-port', values['base-port'], 1024),
    seed: values.seed as string,
    // Today in Brasília by default: the round collects yesterday.
    day: values.day ?? new Date(instantToWall(Date.now())).toISOString().slice(0, 10),
    clock: values.clock as string,
    concurrency: values.concurrency === undefined ? undefined : positive('concurrency', values.concurrency),
    spotCheck: positive('spot-check', values['spot-check']),
    dataDir: values['data-dir'],
    keepData: values['keep-data'] as boolean,
    via: values.via as CollectPartOptions['via'],
    store: values.store as CollectPartOptions['store'],
  };
  if (o.store !== 'fresh' && o.store !== 'existing') throw new Error(`--store: '${o.store}' is not fresh or existing`);
  if (o.via !== 'runOnce' && o.via !== 'queue') throw new Error(`--via: '${o.via}' is not runOnce or queue`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.day)) throw new Error(`--day: '${o.day}' is not YYYY-MM-DD`);
  if (!/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(o.clock)) throw new Error(`--clock: '${o.clock}' is not HH:mm:ss`);
  if (o.basePort + o.meters - 1 >= 32_768) {
    process.stderr.write(`warning: ports up to ${o.basePort + o.meters - 1} reach the ephemeral range (32768+)\n`);
  }
  const parts = (values.only ?? PARTS.join(',')).split(',').map((p) => p.trim()) as CollectPart[];
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--only: '${p}' is not one of ${PARTS.join(', ')}`);

  // Internal: bench/collect.ts starting itself for one part (--result-file says where the figures go).
  if (values['result-file'] !== undefined) {
    const perProcess = Math.ceil(o.meters / o.processes);
    const limit = openFileLimit();
    if (limit < 2 * perProcess + 100) {
      process.stderr.write(`warning: open-file limit ${limit} is tight for ${perProcess} meters per fleet process\n`);
    }
    const results: CollectPartResult[] = [];
    for (const part of parts) results.push(await runCollectPart(part, o));
    writeFileSync(values['result-file'], JSON.stringify(results));
    return results.every((r) => r.part === 'read' || passes(r)) ? 0 : 1;
  }

  const cpu = cpus()[0]?.model ?? '?';
  process.stdout.write(
    `# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpu}  ` +
      `ulimit -n ${openFileLimit()}  meters ${o.meters}  fleet processes ${o.processes}  round via ${o.via}  ` +
      `PGlite store ${o.store}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-bench-collect-results-'));
  const results = new Map<CollectPart, CollectPartResult>();
  let errors = false;
  try {
    for (const part of parts) {
      const file = join(dir, `${part}.json`);
      const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--only', part];
      args.push('--result-file', file, '--via', o.via, '--store', o.store);
      args.push('--meters', String(o.meters), '--processes', String(o.processes), '--base-port', String(o.basePort));
      args.push('--seed', o.seed, '--day', o.day, '--clock', o.clock, '--spot-check', String(o.spotCheck));
      if (o.concurrency) args.push('--concurrency', String(o.concurrency));
      if (o.dataDir && part === 'pglite') args.push('--data-dir', o.dataDir);
      if (o.keepData) args.push('--keep-data');
      const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
      if (r.status === 2 || r.status === null) errors = true;
      try {
        const [res] = JSON.parse(readFileSync(file, 'utf8')) as CollectPartResult[];
        results.set(part, res);
      } catch {
        errors = true;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const read = results.get('read');
  let ok = !errors;
  for (const part of ['pglite', 'postgres'] as const) {
    const r = results.get(part);
    if (!r) continue;
    if (read && read.ok === read.meters) {
      figure('summary', `${part} round / read only`, r.wallMs / read.wallMs, 'x', 'wall time, same meters and windows');
    }
    const pass = passes(r);
    ok &&= pass;
    verdict(
      'summary',
      `${part}: ${(r.wallMs / 1000).toFixed(1)} s (<= ${TARGET_WALL_MS / 1000} s), peak RSS ` +
        `${(r.peakRssBytes / MB).toFixed(0)} MB (<= ${TARGET_RSS_BYTES / MB} MB), ${r.failed} failed, ` +
        `${r.valuesStored.toLocaleString('en-US')} values stored`,
      pass,
    );
  }
  return errors ? 2 : ok ? 0 : 1;
}

function passes(r: CollectPartResult): boolean {
  return (
    r.failed === 0 &&
    r.ok === r.meters &&
    r.complete &&
    r.spotCheckOk &&
    r.wallMs <= TARGET_WALL_MS &&
    r.peakRssBytes <= TARGET_RSS_BYTES
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench:collect: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
