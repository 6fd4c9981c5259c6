/**
 * ABNT NBR 14522 benchmarks (issue 2): `npm run bench:abnt [-- --only decode|fleet|pacing] [--meters N]
 * [--sessions N] [--samples N] [--warmup N]`. One line per figure; record runs in bench/RESULTS.md. --warmup: paced
 * sessions run at once before the pacing part measures anything, not counted (default: as many as --sessions, one
 * whole round; 0 for none).
 *
 * Without --only, every part runs in a fresh child process of its own, so one part's heap, sockets and JIT state do
 * not colour the next, and the fleet part's peak RSS is that of a reader that did nothing else.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runDecode } from './lib/decode.ts';
import { runFleet } from './lib/fleet.ts';
import { runPacing } from './lib/pacing.ts';

const PARTS = ['decode', 'fleet', 'pacing'] as const;
type Part = (typeof PARTS)[number];

function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function runPart(
  part: Part,
  o: { meters: number; sessions: number; samples: number; warmup: number },
): Promise<boolean> {
  switch (part) {
    case 'decode':
      return runDecode({ meters: 20, samples: o.samples });
    case 'fleet':
      return runFleet({ meters: o.meters, aloneRuns: 5 });
    case 'pacing':
      return runPacing({ sessions: o.sessions, aloneRuns: 3, warmup: o.warmup });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      meters: { type: 'string', default: '1000' },
      sessions: { type: 'string', default: '2000' },
      samples: { type: 'string', default: '21' },
      warmup: { type: 'string' },
    },
  });
  const o = {
    meters: Number(values.meters),
    sessions: Number(values.sessions),
    samples: Number(values.samples),
    warmup: Number(values.warmup ?? values.sessions),
  };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) throw new Error(`--${k}: '${v}' is not a valid count`);
  }
  const parts = (values.only ?? PARTS.join(',')).split(',').map((p) => p.trim()) as Part[];
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--only: '${p}' is not one of ${PARTS.join(', ')}`);

  if (values.only === undefined) {
    const cpu = cpus()[0]?.model ?? '?';
    process.stdout.write(`# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpu}\n`);
    let ok = true;
    for (const part of parts) {
      const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--only', part];
      args.push('--meters', String(o.meters), '--sessions', String(o.sessions), '--samples', String(o.samples));
      args.push('--warmup', String(o.warmup));
      const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
      if (r.status !== 0) ok = false;
    }
    return ok ? 0 : 1;
  }

  const needFds = Math.max(parts.includes('fleet') ? o.meters : 0, parts.includes('pacing') ? o.sessions : 0) + 100;
  const limit = openFileLimit();
  if (limit < needFds) process.stderr.write(`warning: open-file limit ${limit} < ${needFds} needed; raise ulimit -n\n`);
  let ok = true;
  for (const part of parts) {
    // Machines are shared: say how busy this one was when the part started.
    const load = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    process.stdout.write(`${part.padEnd(7)} ${'load average 1/5/15 min'.padEnd(34)} ${load.padStart(14)}\n`);
    const t0 = performance.now();
    const pass = await runPart(part, o);
    process.stdout.write(
      `${part.padEnd(7)} ${'part took'.padEnd(34)} ${((performance.now() - t0) / 1000).toFixed(1).padStart(14)} s\n`,
    );
    ok &&= pass;
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench:abnt: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
