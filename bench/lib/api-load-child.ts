/**
 * The load tool, in a process of its own (started by bench/api.ts with an IPC channel): autocannon's programmatic
 * API, `connections` keep-alive connections for `durationS`, each request a random point's profile
 * (GET /api/v1/points/:code/intervals?layer=…&from=…&to=…&resolution=5min) with the bearer token and
 * `Accept-Encoding: gzip`, as a browser or curl --compressed sends it. Latencies are
 * taken from autocannon's per-response event (sub-millisecond, every response) rather than its histogram, which
 * rounds to whole milliseconds. Sends one LoadResult to the parent and exits.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { Random } from '../../src/domain/random.ts';
import { runWrk } from './wrk-load.ts';

export interface LoadSpec {
  url: string;
  token: string;
  codes: string[];
  layer: 'raw' | 'final';
  from: string;
  to: string;
  connections: number;
  durationS: number;
  seed: string;
  /** Per-request timeout, seconds. */
  timeoutS: number;
  /**
   * Requests per second over all connections, evenly spaced (open loop, paced here with node:http: autocannon's
   * own rate limit releases each connection's quota at the start of every second, in bursts); absent: autocannon,
   * each connection asking again as soon as it is answered.
   */
  overallRate?: number;
  /** The closed-loop tool: wrk when installed (bench/lib/wrk-load.ts), else autocannon. */
  tool?: 'wrk' | 'autocannon';
}

export interface LoadResult {
  durationS: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytes: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  /** CPU time of this load process over the whole run (user + system), ms. */
  cpuMs?: number;
}

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
}
interface AutocannonInstance {
  on(
    event: 'response',
    fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
  ): void;
  on(event: 'done', fn: (result: AutocannonResult) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  headers: Record<string, string>;
  requests: { setupRequest: (req: AutocannonRequest) => AutocannonRequest }[];
}) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Latencies and counts of one run. */
class Tally {
  private latencies = new Float64Array(1 << 16);
  n = 0;
  ok = 0;
  bytes = 0;

  add(ms: number, status: number, bytes: number): void {
    if (this.n === this.latencies.length) {
      const grown = new Float64Array(this.n * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.n++] = ms;
    this.bytes += bytes;
    if (status >= 200 && status < 300) this.ok++;
  }

  latencyMs(): LoadResult['latencyMs'] {
    const sorted = this.latencies.slice(0, this.n).sort();
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += sorted[i];
    return {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: this.n > 0 ? sorted[this.n - 1] : Number.NaN,
      mean: this.n > 0 ? sum / this.n : Number.NaN,
    };
  }
}

function pathOf(spec: LoadSpec, rnd: Random): string {
  const code = spec.codes[rnd.int(0, spec.codes.length - 1)];
  return `/api/v1/points/${code}/intervals?layer=${spec.layer}&from=${spec.from}&to=${spec.to}&resolution=5min`;
}

/**
 * Open loop at spec.overallRate: request i is due at start + i/rate whatever happened before, and its latency is
 * counted from that moment, so time spent waiting for a free connection counts too (no coordinated omission).
 */
function runPaced(spec: LoadSpec, rate: number): Promise<LoadResult> {
  const rnd = new Random(spec.seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const u = new URL(spec.url);
  const total = Math.max(1, Math.round(spec.durationS * rate));
  const step = 1000 / rate;
  const t = new Tally();
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let finished = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      if (++finished < total) return;
      agent.destroy();
      const non2xx = Object.entries(statusCodes).reduce((a, [c, k]) => a + (c.startsWith('2') ? 0 : k), 0);
      resolve({
        durationS: (performance.now() - start) / 1000,
        requests: t.n,
        ok: t.ok,
        non2xx,
        errors,
        timeouts,
        bytes: t.bytes,
        latencyMs: t.latencyMs(),
        statusCodes,
      });
    };
    const fire = (due: number) => {
      let settled = false;
      const req = http.get(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: pathOf(spec, rnd),
          headers: { authorization: `Bearer ${spec.token}`, 'accept-encoding': 'gzip' },
        },
        (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const status = res.statusCode ?? 0;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            t.add(performance.now() - due, status, bytes);
            finish();
          });
        },
      );
      req.setTimeout(spec.timeoutS * 1000, () => {
        if (!settled) timeouts++;
        req.destroy();
      });
      req.on('error', () => {
        if (settled) return;
        settled = true;
        errors++;
        finish();
      });
    };
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * step <= now) fire(start + i++ * step);
      if (i < total) setTimeout(tick, Math.max(0, start + i * step - performance.now()));
    };
    tick();
  });
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.overallRate) return runPaced(spec, spec.overallRate);
  if (spec.tool === 'wrk') return runWrk(spec);
  const rnd = new Random(spec.seed);
  const t = new Tally();
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationS,
      timeout: spec.timeoutS,
      headers: { authorization: `Bearer ${spec.token}`, 'accept-encoding': 'gzip' },
      requests: [
        {
          setupRequest: (req) => {
            req.method = 'GET';
            req.path = pathOf(spec, rnd);
            return req;
          },
        },
      ],
    });
    instance.on('response', (_client, status, resBytes, responseTime) => t.add(responseTime, status, resBytes));
    instance.on('error', reject);
    instance.on('done', (r) => {
      const statusCodes: Record<string, number> = {};
      for (const [code, c] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(c.count);
      resolve({
        durationS: r.duration,
        requests: t.n,
        ok: t.ok,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        bytes: t.bytes,
        latencyMs: t.latencyMs(),
        statusCodes,
      });
    });
  });
}

// Started by bench/api.ts: the spec comes over IPC, the result goes back the same way.
if (process.send) {
  process.once('message', (spec: LoadSpec) => {
    const c0 = process.cpuUsage();
    runLoad(spec).then(
      (r) => {
        const c = process.cpuUsage(c0);
        const own = (c.user + c.system) / 1000;
        process.send?.({ ...r, cpuMs: own + (r.cpuMs ?? 0) }, () => process.disconnect());
      },
      (e) => {
        process.stderr.write(`api-load-child: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(2);
      },
    );
  });
}
