/**
 * API benchmark (issue 5): `npm run bench:api [-- --points N] [--days N] [--from YYYY-MM-DD] [--layers raw,final]
 * [--connections N] [--duration S] [--warmup S] [--baseline S] [--rates R,R] [--pool N] [--cpu-prof DIR]
 * [--no-final-fixture] [--no-profiles] [--tool wrk|autocannon] [--shared-buffers 2GB] [--profile-memory-mb N]`.
 *
 * Target: with 10,000 points and one month of 5-min data on PostgreSQL, a point-month profile (3 channels) answers
 * at p99 ≤ 50 ms under 50 concurrent clients, measured with a load tool in a second process over loopback.
 *
 * Setup (not timed against the target): a throwaway PostgreSQL cluster (test/helpers/pg-cluster.ts, shared_buffers
 * --shared-buffers), migrated, with bench/lib/api-fixture.ts (10,000 points with one 3-channel meter, 31 days of raw
 * day blocks = 930,000 interval_raw rows by binary COPY; the final layer for the same month unless
 * --no-final-fixture) and a 'leitura' API token; then, when from..to is a calendar month, the sweep the platform's
 * warmer runs (refreshProfiles: every point-month stored, unless --no-profiles), VACUUM ANALYZE and CHECKPOINT.
 * Then three processes: this one (orchestration), the API (bench/lib/api-server-child.ts: startApiServer on the
 * store, pool of --pool connections (default 10, the platform's), logger off; under --cpu-prof DIR it writes a V8
 * CPU profile there) and the load tool (bench/lib/api-load-child.ts: wrk when installed, else autocannon; a new
 * process per run). Per layer: a warm-up run, the measured run with --connections clients (closed loop: each asks
 * again as soon as it is answered; this is what the target is judged on), then for reference a one-client run and
 * open-loop runs of the same clients at --rates requests/s in total. Every request asks for a random point's month
 * at 5-min resolution, with Accept-Encoding: gzip as a browser sends it. CPU per request of the API, PostgreSQL (all
 * its processes, from /proc) and the load tool are printed. Exit status 0 when every measured layer passes, 1 when
 * one fails, 2 on an error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calendarMonthOf, refreshProfiles } from '../src/profiles/month-cache.ts';
import { openStore } from '../src/store/pool.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { type ApiFixture, writeApiFixture } from './lib/api-fixture.ts';
import type { LoadResult, LoadSpec } from './lib/api-load-child.ts';
import type { ServerCpuMark, ServerMessage } from './lib/api-server-child.ts';
import { figure, MB, verdict } from './lib/measure.ts';
import { wrkAvailable } from './lib/wrk-load.ts';

const TARGET_P99_MS = 50;
const SERVER_CHILD = fileURLToPath(new URL('./lib/api-server-child.ts', import.meta.url));
const LOAD_CHILD = fileURLToPath(new URL('./lib/api-load-child.ts', import.meta.url));

type Layer = 'raw' | 'final';

function positive(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: '${v}' is not an integer >= ${min}`);
  return n;
}

function load3(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** Busy and total jiffies of all CPUs (/proc/stat), to tell how much of the machine others used during a run. */
function machineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** CPU time (ms) of every PostgreSQL process of the machine (/proc), to tell the database's share of a run. */
function postgresCpuMs(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (comm !== 'postgres') continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return Number.NaN;
  }
  return ticks * 10; // USER_HZ = 100 on Linux
}

function tsxArgs(file: string, extra: string[] = []): string[] {
  return ['--import', 'tsx', ...extra, file];
}

interface ServerHandle {
  url: string;
  cpu(): Promise<ServerCpuMark>;
  stop(): Promise<void>;
}

function startServer(
  databaseUrl: string,
  pool: number,
  cpuProfDir: string | undefined,
  profileMemoryMb: string | undefined,
): Promise<ServerHandle> {
  const prof = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const memo = profileMemoryMb === undefined ? [] : ['--profile-memory-mb', profileMemoryMb];
  const child = spawn(
    process.execPath,
    [...tsxArgs(SERVER_CHILD, prof), '--database-url', databaseUrl, '--pool', String(pool), ...memo],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = (kind: ServerMessage['kind']) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const onMessage = (m: ServerMessage) => {
        if (m.kind !== kind) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      void exited.then((code) => reject(new Error(`API server child exited (${code}) before '${kind}'`)));
    });
  return next('ready').then((m) => ({
    url: (m as Extract<ServerMessage, { kind: 'ready' }>).url,
    cpu: async () => {
      const p = next('cpu');
      child.send({ cmd: 'cpu' });
      return ((await p) as Extract<ServerMessage, { kind: 'cpu' }>).mark;
    },
    stop: async () => {
      child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  }));
}

function runLoadChild(spec: LoadSpec): Promise<LoadResult> {
  const child: ChildProcess = spawn(process.execPath, tsxArgs(LOAD_CHILD), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let result: LoadResult | undefined;
    child.once('message', (r) => {
      result = r as LoadResult;
    });
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`load child exited (${code})`))));
    child.send(spec);
  });
}

interface ProfileCheck {
  jsonBytes: number;
  /** Bytes on the wire (gzip when the answer was a stored month). */
  wireBytes: number;
  /** x-fronteira-profile: 'stored', 'built', or '' for a range that is not a calendar month. */
  served: string;
}

/** One request checked by hand before any load: the shape a month profile must have. */
async function checkProfile(url: string, fx: ApiFixture, layer: Layer, days: number): Promise<ProfileCheck> {
  const code = fx.codes[Math.floor(fx.codes.length / 2)];
  // fetch asks for gzip and unpacks it, as a browser does.
  const res = await fetch(
    `${url}/api/v1/points/${code}/intervals?layer=${layer}&from=${fx.from}&to=${fx.to}&resolution=5min`,
    { headers: { authorization: `Bearer ${fx.token}` } },
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${layer} profile of ${code}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { series: { days: { values: (number | null)[]; quality: string[] }[] }[] };
  const bad = (why: string) => new Error(`${layer} profile of ${code}: ${why}`);
  if (body.series.length !== 3) throw bad(`${body.series.length} series, expected 3`);
  for (const s of body.series) {
    if (s.days.length !== days) throw bad(`a series of ${s.days.length} days, expected ${days}`);
    for (const d of s.days) {
      if (d.values.length !== 288 || d.values.some((v) => v === null) || d.quality.some((q) => q !== 'A')) {
        throw bad('a day without 288 actual values');
      }
    }
  }
  const jsonBytes = Buffer.byteLength(text);
  return {
    jsonBytes,
    wireBytes: Number(res.headers.get('content-length') ?? jsonBytes),
    served: res.headers.get('x-fronteira-profile') ?? '',
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      points: { type: 'string', default: '10000' },
      days: { type: 'string', default: '31' },
      from: { type: 'string', default: '2026-10-01' },
      layers: { type: 'string', default: 'raw,final' },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      baseline: { type: 'string', default: '10' },
      pool: { type: 'string', default: '10' },
      rates: { type: 'string', default: '10,25' },
      seed: { type: 'string', default: 'bench-api' },
      'cpu-prof': { type: 'string' },
      'no-final-fixture': { type: 'boolean', default: false },
      'no-profiles': { type: 'boolean', default: false },
      tool: { type: 'string' },
      'shared-buffers': { type: 'string', default: '2GB' },
      'profile-memory-mb': { type: 'string' },
    },
  });
  const points = positive('points', values.points);
  const days = positive('days', values.days);
  const connections = positive('connections', values.connections);
  const duration = positive('duration', values.duration);
  const warmup = positive('warmup', values.warmup, 0);
  const baseline = positive('baseline', values.baseline, 0);
  const pool = positive('pool', values.pool);
  const rates = (values.rates as string)
    .split(',')
    .filter((r) => r.trim() !== '')
    .map((r) => positive('rates', r.trim()));
  const from = values.from as string;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`--from: '${from}' is not YYYY-MM-DD`);
  const finalFixture = !values['no-final-fixture'];
  const tool = (values.tool ?? (wrkAvailable() ? 'wrk' : 'autocannon')) as 'wrk' | 'autocannon';
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error(`--tool: '${tool}' is not wrk or autocannon`);
  if (tool === 'wrk' && !wrkAvailable()) throw new Error('--tool wrk: wrk is not installed (apt-get install wrk)');
  const layers = (values.layers as string).split(',').map((l) => l.trim()) as Layer[];
  for (const l of layers) {
    if (l !== 'raw' && l !== 'final') throw new Error(`--layers: '${l}' is not raw or final`);
    if (l === 'final' && !finalFixture) throw new Error('--layers final needs the final fixture');
  }

  process.stdout.write(
    `# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpus()[0]?.model ?? '?'}  ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GB  load average ${load3()}\n` +
      `# npm run bench:api -- ${process.argv.slice(2).join(' ')}\n` +
      `# PostgreSQL shared_buffers ${values['shared-buffers']}; API month-profile memory ${values['profile-memory-mb'] ?? 'default (256)'} MB\n` +
      `# load tool (closed loop): ${tool}${tool === 'autocannon' ? ' (wrk not installed: apt-get install wrk)' : ''}\n`,
  );

  const sharedBuffers = values['shared-buffers'] as string;
  if (!/^\d+(kB|MB|GB)$/.test(sharedBuffers)) throw new Error(`--shared-buffers: '${sharedBuffers}' is not like 2GB`);
  // A server set up for its machine (PostgreSQL's guide: ~25% of RAM on a dedicated server), not initdb's 128 MB.
  const cluster = await startCluster({ shared_buffers: sharedBuffers });
  let server: ServerHandle | undefined;
  try {
    const store = await openStore({ databaseUrl: cluster.url, maxConnections: 4 });
    let fx: ApiFixture;
    try {
      fx = await writeApiFixture(store, { points, from, days, final: finalFixture });
    } finally {
      await store.close();
    }
    figure('fixture', 'registry (points, meters, token)', fx.registryMs / 1000, 's', `${points} points`);
    figure(
      'fixture',
      'raw day blocks (binary COPY)',
      fx.rawMs / 1000,
      's',
      `${fx.rawRows.toLocaleString('en-US')} rows`,
    );
    figure('fixture', 'interval_raw size', fx.rawBytes / MB, 'MB');
    if (finalFixture) {
      figure(
        'fixture',
        'final layer (INSERT … SELECT)',
        fx.finalMs / 1000,
        's',
        `${fx.finalRows.toLocaleString('en-US')} rows`,
      );
      figure('fixture', 'vee_final size', fx.finalBytes / MB, 'MB');
    }

    const month = calendarMonthOf(fx.from, fx.to);
    if (month === null) {
      process.stdout.write(
        `# ${fx.from}..${fx.to} is not a calendar month: every profile is built from the data per request\n`,
      );
    } else if (!values['no-profiles']) {
      // What the platform's warmer does as days land (src/profiles/warmer.ts), done here in one sweep.
      const ps = await openStore({ databaseUrl: cluster.url, maxConnections: 4 });
      try {
        const t0 = performance.now();
        const reports = await refreshProfiles(ps.db, { months: [month], layers, concurrency: 3 });
        const ms = performance.now() - t0;
        const built = reports.reduce((a, r) => a + r.built, 0);
        const bytes = reports.reduce((a, r) => a + r.bytes, 0);
        const jsonBytes = reports.reduce((a, r) => a + r.jsonBytes, 0);
        figure(
          'profiles',
          'month profiles stored (refreshProfiles)',
          ms / 1000,
          's',
          `${built} point-months, ${layers.join('+')}`,
        );
        figure('profiles', 'per point-month', built > 0 ? ms / built : 0, 'ms');
        // Settle what the sweep wrote (statistics, dirty buffers) before anything is measured.
        await ps.pool.query('VACUUM ANALYZE profile_month');
        await ps.pool.query('CHECKPOINT');
        figure('profiles', 'stored (gzip) / JSON', `${(bytes / MB).toFixed(0)} / ${(jsonBytes / MB).toFixed(0)}`, 'MB');
      } finally {
        await ps.close();
      }
    }

    server = await startServer(cluster.url, pool, values['cpu-prof'], values['profile-memory-mb']);
    let ok = true;
    for (const layer of layers) {
      const check = await checkProfile(server.url, fx, layer, days);
      const spec = (c: number, s: number, tag: string): LoadSpec => ({
        url: server!.url,
        token: fx.token,
        codes: fx.codes,
        layer,
        from: fx.from,
        to: fx.to,
        connections: c,
        durationS: s,
        seed: `${values.seed}:${layer}:${tag}`,
        timeoutS: 30,
        tool,
      });
      const part = layer;
      figure(
        part,
        'response size (one profile)',
        check.jsonBytes / 1024,
        'KiB',
        `JSON, 3 series × ${days} days × 288 slots; ${(check.wireBytes / 1024).toFixed(1)} KiB on the wire`,
      );
      figure(part, 'answered from', check.served || 'the data (not a calendar month)');
      if (warmup > 0) await runLoadChild(spec(connections, warmup, 'warmup'));

      const loadBefore = load3();
      const m0 = machineCpu();
      const c0 = await server.cpu();
      const pg0 = postgresCpuMs();
      const r = await runLoadChild(spec(connections, duration, 'measure'));
      const pg1 = postgresCpuMs();
      const c1 = await server.cpu();
      const m1 = machineCpu();
      const rps = r.requests / r.durationS;
      figure(part, `requests/s (${connections} clients)`, rps, 'req/s', `${r.requests} in ${r.durationS.toFixed(1)} s`);
      figure(part, 'latency p50', r.latencyMs.p50, 'ms');
      figure(part, 'latency p90', r.latencyMs.p90, 'ms');
      figure(part, 'latency p99', r.latencyMs.p99, 'ms');
      figure(part, 'latency max', r.latencyMs.max, 'ms');
      figure(part, 'errors / timeouts / non-2xx', `${r.errors} / ${r.timeouts} / ${r.non2xx}`);
      figure(part, 'response bytes (mean)', r.requests > 0 ? r.bytes / r.requests / 1024 : 0, 'KiB');
      figure(part, 'throughput', r.bytes / r.durationS / MB, 'MB/s');
      const serverCpu = c1.cpuMs - c0.cpuMs;
      const active = c1.elu.active - c0.elu.active;
      const idle = c1.elu.idle - c0.elu.idle;
      figure(part, 'API server CPU per request', r.requests > 0 ? serverCpu / r.requests : 0, 'ms');
      figure(part, 'API server CPU', serverCpu / (r.durationS * 1000), 'cores');
      figure(part, 'API event-loop utilisation', active / (active + idle), '');
      figure(part, 'PostgreSQL CPU per request', r.requests > 0 ? (pg1 - pg0) / r.requests : 0, 'ms');
      figure(part, 'load tool CPU per request', r.requests > 0 && r.cpuMs ? r.cpuMs / r.requests : 0, 'ms');
      figure(
        part,
        'machine CPU busy (all processes)',
        (m1.busy - m0.busy) / (m1.total - m0.total),
        '',
        `${cpus().length} vCPUs`,
      );
      figure(part, 'load average before / after', `${loadBefore} / ${load3()}`);
      const pass = r.latencyMs.p99 <= TARGET_P99_MS && r.errors === 0 && r.non2xx === 0 && r.requests > 0;
      ok &&= pass;

      if (baseline > 0) {
        const b = await runLoadChild(spec(1, baseline, 'baseline'));
        figure(part, 'one client: requests/s', b.requests / b.durationS, 'req/s');
        figure(
          part,
          'one client: latency p50 / p99',
          `${b.latencyMs.p50.toFixed(1)} / ${b.latencyMs.p99.toFixed(1)}`,
          'ms',
        );
      }
      for (const rate of rates) {
        // Open loop: the same clients, but together asking `rate` profiles a second (people at a screen rather than
        // a loop that asks again the moment it is answered).
        const o = await runLoadChild({ ...spec(connections, duration, `rate${rate}`), overallRate: rate });
        figure(
          part,
          `at ${rate} req/s: p50 / p99 / max`,
          `${o.latencyMs.p50.toFixed(1)} / ${o.latencyMs.p99.toFixed(1)} / ${o.latencyMs.max.toFixed(1)}`,
          'ms',
          `${connections} clients, ${(o.requests / o.durationS).toFixed(1)} req/s done, ${o.errors + o.non2xx} failed`,
        );
      }
      verdict(
        part,
        `${layer} month profile p99 ${r.latencyMs.p99.toFixed(1)} ms (<= ${TARGET_P99_MS} ms) with ${connections} ` +
          `clients, ${rps.toFixed(0)} req/s, ${r.errors + r.non2xx} failed`,
        pass,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await server?.stop().catch(() => {});
    cluster.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench:api: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
