/**
 * The closed-loop load run with wrk (C, epoll; Debian package `wrk`) instead of autocannon. Both ask again on each
 * connection as soon as an answer is complete, and both time each request from its write to the end of its answer;
 * the difference is what the load tool itself costs. On this 2-vCPU machine the tool shares the CPUs with the API
 * and PostgreSQL, and autocannon (a JavaScript HTTP parser) spent ~1 ms of CPU per 50 KiB answer — more than the
 * API did — where wrk spends a few tens of microseconds.
 *
 * A Lua script picks a random point per request (math.random seeded per thread), sends the bearer token and
 * `Accept-Encoding: gzip`, and prints wrk's latency percentiles (microseconds, from its histogram) as JSON. The CPU
 * time of wrk is read from the cutime/cstime of the shell that waited for it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult, LoadSpec } from './api-load-child.ts';

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

const luaString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function script(spec: LoadSpec, codesFile: string, seed: number): string {
  const prefix = '/api/v1/points/';
  const suffix = `/intervals?layer=${spec.layer}&from=${spec.from}&to=${spec.to}&resolution=5min`;
  return `
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  codes = {}
  for line in io.lines(${luaString(codesFile)}) do codes[#codes + 1] = line end
  math.randomseed(${seed} + id * 7919)
  wrk.headers["Authorization"] = ${luaString(`Bearer ${spec.token}`)}
  wrk.headers["Accept-Encoding"] = "gzip"
end
function request()
  return wrk.format("GET", ${luaString(prefix)} .. codes[math.random(#codes)] .. ${luaString(suffix)})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-wrk-'));
  const codesFile = join(dir, 'codes.txt');
  const luaFile = join(dir, 'load.lua');
  writeFileSync(codesFile, `${spec.codes.join('\n')}\n`);
  let seed = 0;
  for (const ch of spec.seed) seed = (seed * 31 + ch.charCodeAt(0)) % 1_000_003;
  writeFileSync(luaFile, script(spec, codesFile, seed));
  const threads = Math.min(2, spec.connections);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(spec.connections),
    '-d',
    `${spec.durationS}s`,
    '--timeout',
    `${spec.timeoutS}s`,
    '-s',
    luaFile,
    spec.url,
  ];
  // The shell reports, after wrk has exited and been waited for, its children's CPU (fields 16/17 of its stat).
  const child = spawn('sh', ['-c', 'wrk "$@"; rc=$?; echo "SH-STAT $(cat /proc/$$/stat)"; exit $rc', 'sh', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.split('\n').find((l) => l.startsWith('WRK-JSON '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk exited ${code}:\n${out.slice(-2000)}`));
        return;
      }
      const w = JSON.parse(line.slice('WRK-JSON '.length)) as WrkJson;
      const stat = out.split('\n').find((l) => l.startsWith('SH-STAT ')) ?? '';
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuMs = (Number(fields[13]) + Number(fields[14])) * 10; // cutime + cstime, USER_HZ = 100
      const errors = w.connect + w.read + w.write;
      resolve({
        durationS: w.durationUs / 1e6,
        requests: w.requests,
        ok: w.requests - w.status,
        non2xx: w.status,
        errors,
        timeouts: w.timeout,
        bytes: w.bytes,
        latencyMs: { p50: w.p50 / 1000, p90: w.p90 / 1000, p99: w.p99 / 1000, max: w.max / 1000, mean: w.mean / 1000 },
        statusCodes: {},
        cpuMs: Number.isFinite(cpuMs) ? cpuMs : undefined,
      });
    });
  });
}
