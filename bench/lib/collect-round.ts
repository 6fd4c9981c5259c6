/**
 * One part of the collection benchmark, in a process of its own (bench/collect.ts starts one per part):
 *   - 'pglite' / 'postgres': the full daily round through the collection engine into a file-backed PGlite store /
 *     a throwaway PostgreSQL cluster, then checks of what was stored. The round is `engine.runOnce('daily')`: the
 *     engine's own chunking (250 meters per chunk, 4 chunks at once, the one Runner with its 128 sessions) and the
 *     same collectChunk a pg-boss collect job runs, without the queue's polling. `--via queue` runs it as
 *     `fronteira serve` does instead: the daily schedule's job, one collect job per chunk, 4 collect workers;
 *   - 'read': the baseline, the same planned reads through a Runner whose ingest stores nothing.
 *
 * Clock. The engine's daily read covers the previous day plus everything missing up to now, and a 0x51 window
 * always ends at the meter's own last interval, so only a round held just after midnight reads exactly one day.
 * The fleet children and this process therefore run on a shifted clock (system clock + shift, the same shift on both
 * sides, so meter and reader clocks agree) that reads `clock` (default 00:01:00) on `day` when the round starts. On an
 * empty store the planner then asks every meter for the window reaching the previous day's first interval, 24 hours,
 * which the meter answers with that day's 288 intervals.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { dayCompleteness } from '../../src/collect/completeness.ts';
import { type Engine, type RunReport, startEngine } from '../../src/collect/engine.ts';
import type { IngestInput, IngestResult } from '../../src/collect/ingest.ts';
import { collectRange, lastSlotEnd, type PlannedRead, planCollect } from '../../src/collect/planner.ts';
import { BOSS_SCHEMA, COLLECT_QUEUE, type ScheduleJobData, scheduleQueue } from '../../src/collect/queue.ts';
import { type ReadFn, Runner } from '../../src/collect/runner.ts';
import { type ReadMeterOptions, readMeter } from '../../src/collect/session/read-meter.ts';
import type { Reading } from '../../src/collect/session/reading.ts';
import { addDays, DEFAULT_ZONE, instantToWall, operatingDayStart, wallToInstant } from '../../src/domain/time.ts';
import { createLogger, type Logger } from '../../src/logging.ts';
import { importRegistryFile } from '../../src/registry/import-file.ts';
import { openStore, type Store } from '../../src/store/pool.ts';
import { startCluster } from '../../test/helpers/pg-cluster.ts';
import { type CollectFleet, startCollectFleet } from './collect-fleet.ts';
import { group0RegistryJson } from './collect-protocol.ts';
import type { RegistryRows } from './collect-registry-child.ts';
import { figure, formatDelay, type LoadFigures, MB, procStatusBytes, verdict, watchLoad } from './measure.ts';

export type CollectPart = 'read' | 'pglite' | 'postgres';

export interface CollectPartOptions {
  meters: number;
  /** Fleet child processes. */
  processes: number;
  basePort: number;
  seed: string;
  /** Operating day the round runs in ('YYYY-MM-DD'); the previous day is the one collected. */
  day: string;
  /** Meter (and reader) wall time at the start of the round, 'HH:mm:ss'. */
  clock: string;
  /** Runner sessions at once (default: the engine's, 128). */
  concurrency?: number;
  /** Meters compared value by value with the simulator's ground truth. */
  spotCheck: number;
  /** PGlite data directory (default a fresh directory under the system temp dir, removed afterwards). */
  dataDir?: string;
  keepData: boolean;
  /** How the round is started: engine.runOnce('daily') (default) or through the pg-boss queue. */
  via: 'runOnce' | 'queue';
  /**
   * PGlite: 'fresh' (default) creates the store and imports the registry in the collector process (a first start);
   * 'existing' has another process do both, so the collector opens an existing store (as `fronteira serve` does).
   */
  store: 'fresh' | 'existing';
}

/** What a part hands to bench/collect.ts for the verdicts and ratios. */
export interface CollectPartResult {
  part: CollectPart;
  meters: number;
  wallMs: number;
  sessions: number;
  ok: number;
  failed: number;
  valuesStored: number;
  peakRssBytes: number;
  processPeakRssBytes: number;
  complete: boolean;
  spotCheckOk: boolean;
  importMs: number | null;
}

export const TARGET_WALL_MS = 180_000;
export const TARGET_RSS_BYTES = 1.5 * 1024 * MB;
const INTERVAL_MS = 300_000;

function benchLogger(): Logger {
  // Engine logs go to stderr, so stdout holds only figure lines.
  return createLogger('bench-collect', {
    level: process.env.FRONTEIRA_LOG_LEVEL ?? 'warn',
    pretty: false,
    destination: pino.destination({ fd: 2, sync: false }),
  });
}

/** Resets the kernel's peak-RSS mark (VmHWM) to the current RSS; false where /proc does not allow it. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Samples process.memoryUsage() every `everyMs` and keeps the sample with the highest RSS, to say what the peak was
 * made of: V8 heap, external memory (PGlite's WebAssembly memory counts there) and array buffers.
 */
function sampleMemory(everyMs = 100): { stop(): { peak: MemorySample; samples: number } } {
  let peak: MemorySample = process.memoryUsage();
  let samples = 1;
  const take = () => {
    const m = process.memoryUsage();
    samples++;
    if (m.rss > peak.rss) peak = m;
  };
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, samples };
    },
  };
}

function memoryText(m: MemorySample): string {
  const f = (x: number) => (x / MB).toFixed(0);
  return `heap ${f(m.heapUsed)}/${f(m.heapTotal)} MB, external ${f(m.external)} MB (wasm memory included), array buffers ${f(m.arrayBuffers)} MB`;
}

/** What the sessions of a round read, gathered as the engine's session function returns each Reading. */
class ReadTally {
  sessions = 0;
  ok = 0;
  windows = new Map<string, number>();
  intervals = new Map<string, number>();
  firstLabels = new Map<string, number>();
  failures = new Map<string, number>();

  note(r: Reading, o: ReadMeterOptions): void {
    this.sessions++;
    if (r.ok) this.ok++;
    else {
      const k = `${r.failure?.step}: ${r.failure?.code}`;
      this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
    }
    const w = o.window ? `${o.window.amount} ${o.window.unit}` : 'none';
    this.windows.set(w, (this.windows.get(w) ?? 0) + 1);
    const shape = r.groups
      .map((g) => {
        const t = g.massMemory?.timeline;
        return t ? `g${g.group} ${t.count}x${t.values.length}` : `g${g.group} none`;
      })
      .join(' ');
    this.intervals.set(shape, (this.intervals.get(shape) ?? 0) + 1);
    const t = r.groups[0]?.massMemory?.timeline;
    if (t) {
      const wall = (w: number) => new Date(w).toISOString().slice(0, 16).replace('T', ' ');
      const first = wall(t.firstEnd);
      const last = wall(t.firstEnd + (t.count - 1) * t.step);
      const k = `${first} .. ${last}`;
      this.firstLabels.set(k, (this.firstLabels.get(k) ?? 0) + 1);
    }
  }
}

function tallyText(m: Map<string, number>, limit = 4): string {
  const all = [...m.entries()].sort((a, b) => b[1] - a[1]);
  const shown = all.slice(0, limit).map(([k, n]) => `${k}: ${n}`);
  if (all.length > limit) shown.push(`+${all.length - limit} more`);
  return shown.join('; ') || '-';
}

/** The shifted clock: reads `clock` on `day` (Brasília wall time) when started. */
function benchClock(day: string, clock: string): { shiftMs: number; now: () => number } {
  const at = wallToInstant(Date.parse(`${day}T${clock}Z`), DEFAULT_ZONE);
  const shiftMs = at - Date.now();
  return { shiftMs, now: () => Date.now() + shiftMs };
}

async function importFleet(store: Store, fleet: CollectFleet, part: string): Promise<number> {
  const json = group0RegistryJson(fleet.spec);
  const t0 = performance.now();
  const rep = await importRegistryFile({ db: store.db, actor: 'bench:collect' }, json, {
    source: 'bench-fleet.json',
  });
  const ms = performance.now() - t0;
  const c = rep.counts;
  const created = `${c.points.created} points, ${c.meters.created} meters, ${c.channels.created} channels`;
  figure(part, 'registry import', ms / 1000, 's', `${(json.length / MB).toFixed(1)} MB JSON; created ${created}`);
  return ms;
}

function printReads(part: string, tally: ReadTally): void {
  figure(part, 'sessions ok', `${tally.ok}/${tally.sessions}`, '', tallyText(tally.failures));
  figure(part, 'windows asked (0x51)', tallyText(tally.windows));
  figure(part, 'intervals x channels read', tallyText(tally.intervals));
  figure(part, 'labels read (meter time)', tallyText(tally.firstLabels, 3));
}

export async function runCollectPart(part: CollectPart, o: CollectPartOptions): Promise<CollectPartResult> {
  // Machines are shared: say how busy this one was when the part started.
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  figure(part, 'load average at start', load);
  return part === 'read' ? runReadOnly(o) : runRound(part, o);
}

async function openPartStore(part: 'pglite' | 'postgres', o: CollectPartOptions) {
  if (part === 'postgres') {
    const cluster = await startCluster();
    const t0 = performance.now();
    const store = await openStore({ databaseUrl: cluster.url });
    return {
      store,
      importMs: null as number | null,
      openMs: performance.now() - t0,
      where: `throwaway PostgreSQL cluster (${cluster.url.replace(/^.*@/, '')})`,
      size: async () => {
        const r = await store.pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
        return Number(r.rows[0].n);
      },
      close: async () => {
        await store.close();
        cluster.stop();
      },
    };
  }
  const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'fronteira-bench-collect-'));
  let importMs: number | null = null;
  if (o.store === 'existing') {
    // Created, migrated and registered by another process, as before `fronteira serve` opens it.
    const t0 = performance.now();
    const r = await registryRows(o, dir);
    importMs = r.importMs;
    figure(part, 'store created + registry imported', (performance.now() - t0) / 1000, 's', 'in a separate process');
  }
  const t0 = performance.now();
  const store = await openStore({ dataDir: dir });
  return {
    store,
    importMs,
    openMs: performance.now() - t0,
    where: `PGlite data directory ${dir}${o.store === 'existing' ? ', opened existing' : ', created here'}`,
    size: async () => {
      await store.pool.query('CHECKPOINT');
      return dirBytes(dir);
    },
    close: async () => {
      await store.close();
      if (!o.keepData && !o.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runRound(part: 'pglite' | 'postgres', o: CollectPartOptions): Promise<CollectPartResult> {
  const result: CollectPartResult = {
    part,
    meters: o.meters,
    wallMs: Number.NaN,
    sessions: 0,
    ok: 0,
    failed: 0,
    valuesStored: 0,
    peakRssBytes: Number.NaN,
    processPeakRssBytes: Number.NaN,
    complete: false,
    spotCheckOk: false,
    importMs: null,
  };
  const fleet = await startCollectFleet({ ...o });
  figure(part, 'fleet', o.meters, 'meters', `${fleet.startMs.length} child processes ready in ${fleetStart(fleet)}`);
  const opened = await openPartStore(part, o);
  const { store } = opened;
  figure(part, 'store open + migrate', opened.openMs / 1000, 's', opened.where);
  figure(part, 'collector RSS after store open', procStatusBytes('VmRSS') / MB, 'MB');
  try {
    if (opened.importMs === null) result.importMs = await importFleet(store, fleet, part);
    else {
      result.importMs = opened.importMs;
      figure(part, 'registry import', opened.importMs / 1000, 's', 'in the process that created the store');
    }
    const tally = new ReadTally();
    let clock = { shiftMs: 0, now: () => Date.now() };
    const read: ReadFn = async (address, opts) => {
      const r = await readMeter(address, { ...opts, now: clock.now });
      tally.note(r, opts);
      return r;
    };
    const viaQueue = o.via === 'queue';
    const engine = await startEngine(store, {
      queue: viaQueue,
      // Through the queue: one schedule that never fires by itself (the cron clock is off); the round is started by
      // sending its schedule job, as the cron clock would at the scheduled minute.
      scheduleClock: false,
      schedules: [{ name: BENCH_SCHEDULE, cron: '0 0 1 1 *', purpose: 'daily' }],
      logger: benchLogger(),
      read,
      now: () => clock.now(),
      runner: o.concurrency ? { concurrency: o.concurrency } : undefined,
    });
    let report: RunReport;
    const rssBefore = procStatusBytes('VmRSS');
    const hwmBeforeRound = procStatusBytes('VmHWM');
    const reset = resetPeakRss();
    const cpuSampler = watchLoad();
    const rss = sampleMemory(100);
    const memoryBefore = process.memoryUsage();
    let cpu: LoadFigures;
    let sampled: { peak: MemorySample; samples: number };
    let hwm: number;
    try {
      clock = benchClock(o.day, o.clock);
      await fleet.setClock(clock.shiftMs);
      const start = performance.now();
      report = viaQueue ? await roundThroughQueue(part, store, engine) : await engine.runOnce('daily');
      result.wallMs = performance.now() - start;
      cpu = cpuSampler.stop();
      sampled = rss.stop();
      hwm = procStatusBytes('VmHWM');
    } finally {
      await engine.stop();
    }
    result.peakRssBytes = reset ? hwm : Math.max(hwm, sampled.peak.rss);
    result.processPeakRssBytes = Math.max(hwm, hwmBeforeRound);
    result.sessions = report.sessions;
    result.ok = report.ok;
    // Every session that did not end ok (a read retried after a link failure counts each failed attempt).
    result.failed = report.sessions - report.ok;
    const meterTime = new Date(wallToInstant(Date.parse(`${o.day}T${o.clock}Z`)));
    figure(
      part,
      'round',
      viaQueue ? 'pg-boss: schedule job -> collect jobs' : "runOnce('daily')",
      '',
      `meter/reader clock ${o.day} ${o.clock} Brasília at the start (${meterTime.toISOString()})`,
    );
    figure(part, 'engine report', `reads ${report.reads}, skipped ${report.skipped}, sessions ${report.sessions}`);
    figure(
      part,
      'reads ok / failed, failed sessions',
      `${report.ok} / ${report.failed}, ${result.failed}`,
      '',
      `clock syncs asked ${report.clockSyncs}`,
    );
    printReads(part, tally);
    figure(part, 'wall time, daily round', result.wallMs / 1000, 's', `target <= ${TARGET_WALL_MS / 1000}`);
    figure(part, 'throughput', (o.meters / result.wallMs) * 1000, 'meters/s');
    figure(part, 'interval values stored', report.filledSlots, '', `engine report: ${report.intervals} read`);
    figure(part, 'values/s', (report.filledSlots / result.wallMs) * 1000, 'values/s');
    figure(
      part,
      'collector CPU',
      cpu.cpuMs / 1000,
      's',
      `${((cpu.cpuMs / result.wallMs) * 100).toFixed(0)}% of one core`,
    );
    figure(part, 'collector loop delay p50/p99/max', formatDelay(cpu.loopDelayMs), 'ms');
    figure(part, 'collector RSS before the round', rssBefore / MB, 'MB', 'store open, registry imported');
    figure(
      part,
      'collector peak RSS, round (VmHWM)',
      result.peakRssBytes / MB,
      'MB',
      reset ? `VmHWM reset before the round; target <= ${TARGET_RSS_BYTES / MB}` : 'clear_refs refused: max of samples',
    );
    figure(
      part,
      'collector peak RSS, whole process',
      result.processPeakRssBytes / MB,
      'MB',
      opened.importMs === null ? 'store creation and registry import included' : 'store opening included',
    );
    figure(part, 'collector before the round', memoryText(memoryBefore));
    figure(part, 'collector max sampled RSS', sampled.peak.rss / MB, 'MB', `${sampled.samples} samples`);
    figure(part, 'collector at that sample', memoryText(sampled.peak));

    const checked = await checkStored(part, store, fleet, o, report.filledSlots);
    result.valuesStored = checked.values;
    result.complete = checked.complete;
    result.spotCheckOk = checked.spotOk;
    figure(part, 'store size after the round', (await opened.size()) / MB, 'MB');
    const pass =
      result.failed === 0 &&
      result.ok === o.meters &&
      result.complete &&
      result.spotCheckOk &&
      result.wallMs <= TARGET_WALL_MS &&
      result.peakRssBytes <= TARGET_RSS_BYTES;
    verdict(
      part,
      `${result.ok}/${o.meters} meters in ${(result.wallMs / 1000).toFixed(1)} s (<= ${TARGET_WALL_MS / 1000} s), ` +
        `peak RSS ${(result.peakRssBytes / MB).toFixed(0)} MB (<= ${TARGET_RSS_BYTES / MB} MB), ` +
        `${result.failed} failed, previous day ${result.complete ? '100%' : 'NOT'} complete, spot check ` +
        `${result.spotCheckOk ? 'ok' : 'FAILED'}`,
      pass,
    );
  } finally {
    await opened.close();
    await stopFleet(part, fleet);
  }
  return result;
}

const BENCH_SCHEDULE = 'bench-daily';

/**
 * The daily round as `fronteira serve` runs it: the schedule's job is sent (what the cron clock does at 00:20), its
 * worker queues one collect job per chunk, the collect workers run them. Over when the schedule job and every collect
 * job it queued have completed; the report adds up the collect jobs' outputs (their RunReports).
 */
async function roundThroughQueue(part: string, store: Store, engine: Engine): Promise<RunReport> {
  const boss = engine.boss;
  if (!boss) throw new Error('the engine started without its queue');
  const data: ScheduleJobData = { purpose: 'daily', schedule: BENCH_SCHEDULE };
  const id = await boss.send(scheduleQueue(BENCH_SCHEDULE), data);
  if (!id) throw new Error('pg-boss did not take the schedule job');
  const t0 = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const r = await store.pool.query<{ name: string; state: string; n: number }>(
      `SELECT name, state::text AS state, count(*)::int AS n FROM ${BOSS_SCHEMA}.job
        WHERE name IN ($1, $2) GROUP BY 1, 2`,
      [scheduleQueue(BENCH_SCHEDULE), COLLECT_QUEUE],
    );
    const count = (name: string, states: string[]) =>
      r.rows.filter((x) => x.name === name && states.includes(x.state)).reduce((s, x) => s + x.n, 0);
    if (count(scheduleQueue(BENCH_SCHEDULE), ['failed', 'cancelled']) > 0 || count(COLLECT_QUEUE, ['failed']) > 0) {
      throw new Error(`a job failed: ${JSON.stringify(r.rows)}`);
    }
    const scheduled = count(scheduleQueue(BENCH_SCHEDULE), ['completed']) === 1;
    const open = count(COLLECT_QUEUE, ['created', 'retry', 'active']);
    if (scheduled && open === 0 && count(COLLECT_QUEUE, ['completed']) > 0) break;
    if (Date.now() - t0 > 30 * 60_000) throw new Error('the queued round did not finish in 30 minutes');
  }
  const outputs = await store.pool.query<{ output: Partial<RunReport> }>(
    `SELECT output FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND state = 'completed'`,
    [COLLECT_QUEUE],
  );
  const report: RunReport = {
    purpose: 'daily',
    meters: 0,
    reads: 0,
    skipped: 0,
    sessions: 0,
    ok: 0,
    failed: 0,
    intervals: 0,
    filledSlots: 0,
    conflicts: 0,
    clockSyncs: 0,
    ms: Date.now() - t0,
  };
  for (const { output } of outputs.rows) {
    for (const k of ['meters', 'reads', 'skipped', 'sessions', 'ok', 'failed', 'intervals', 'filledSlots'] as const) {
      report[k] += output[k] ?? 0;
    }
    report.conflicts += output.conflicts ?? 0;
    report.clockSyncs += output.clockSyncs ?? 0;
  }
  figure(part, 'collect jobs completed', outputs.rows.length, 'jobs', 'pg-boss');
  return report;
}

const REGISTRY_CHILD = fileURLToPath(new URL('./collect-registry-child.ts', import.meta.url));

function registryRows(o: CollectPartOptions, dataDir?: string): Promise<RegistryRows> {
  const args = ['--meters', String(o.meters), '--seed', o.seed, '--base-port', String(o.basePort), '--day', o.day];
  if (dataDir) args.push('--data-dir', dataDir);
  const child = fork(REGISTRY_CHILD, args, {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let rows: RegistryRows | null = null;
    child.on('message', (m: RegistryRows) => {
      if (m.type === 'registry') rows = m;
    });
    child.once('exit', (code) => {
      if (rows) resolve(rows);
      else reject(new Error(`registry child exited (code ${code}) without the registry`));
    });
  });
}

function fleetStart(fleet: CollectFleet): string {
  return `${(Math.max(...fleet.startMs) / 1000).toFixed(1)} s`;
}

async function stopFleet(part: string, fleet: CollectFleet): Promise<void> {
  const figures = await fleet.stop();
  figures.forEach((f, i) => {
    if (!f) return;
    figure(
      part,
      `fleet child ${i + 1} CPU / peak RSS`,
      `${(f.cpuMs / 1000).toFixed(1)} s / ${(f.peakRssBytes / MB).toFixed(0)} MB`,
      '',
      `${f.accepted} calls; loop delay p50/p99/max ${formatDelay(f.loopDelayMs)} ms`,
    );
  });
}

/**
 * After the round: what the store holds per day, completeness of the previous day for every meter and channel,
 * sessions by status, events, and a value-by-value comparison of some meters with the simulator's ground truth.
 */
async function checkStored(
  part: string,
  store: Store,
  fleet: CollectFleet,
  o: CollectPartOptions,
  filledByEngine: number,
): Promise<{ values: number; complete: boolean; spotOk: boolean }> {
  const prev = addDays(o.day, -1);
  const q = async <T>(text: string, params: unknown[] = []) => (await store.pool.query(text, params)).rows as T[];
  const days = await q<{ day: string; rows: number; filled: number; slots: number; min: number }>(
    `SELECT day::text AS day, count(*)::int AS rows, sum(filled)::int AS filled, sum(slots)::int AS slots,
            min(filled)::int AS min FROM interval_raw GROUP BY day ORDER BY day`,
  );
  let values = 0;
  for (const d of days) {
    values += d.filled;
    figure(part, `stored ${d.day}`, `${d.rows} day blocks`, '', `${d.filled}/${d.slots} slots filled, min ${d.min}`);
  }
  figure(part, 'interval values in the store', values, '', `engine counted ${filledByEngine} filled`);
  const sessions = await q<{ purpose: string; status: string; n: number; intervals: number; frames: number }>(
    `SELECT s.purpose, s.status, count(*)::int AS n, sum(s.intervals)::int AS intervals,
            sum(f.frame_count)::int AS frames
       FROM read_session s LEFT JOIN read_session_frames f ON f.session_id = s.id
      GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  for (const s of sessions) {
    figure(part, `sessions ${s.purpose} ${s.status}`, s.n, '', `${s.intervals} intervals, ${s.frames} raw frames kept`);
  }
  const events = await q<{ kind: string; n: number }>(
    'SELECT kind, count(*)::int AS n FROM meter_event GROUP BY kind ORDER BY kind',
  );
  figure(part, 'meter events', events.map((e) => `${e.kind} ${e.n}`).join(', ') || 'none');
  const tasks = await q<{ n: number }>('SELECT count(*)::int AS n FROM task');
  figure(part, 'tasks asked (clock sync...)', tasks[0].n);

  // Completeness of the previous day through the same function as `fronteira status`.
  const rows = await dayCompleteness(store.db, { fromDay: prev, toDay: prev });
  const meterIds = new Set(rows.map((r) => r.meterId));
  const full = rows.filter((r) => r.slots === 288 && r.filled === 288).length;
  const complete = rows.length === 3 * o.meters && meterIds.size === o.meters && full === rows.length;
  figure(
    part,
    `completeness ${prev}`,
    `${full}/${rows.length}`,
    'meter-channels at 288/288',
    `${meterIds.size} meters, expected ${3 * o.meters} meter-channels`,
  );

  // Spot check: meters spread over the fleet, plus some whose point had an outage that day.
  const spec = fleet.spec;
  const dayStartWall = Date.parse(`${prev}T00:00:00Z`);
  const dayEndWall = dayStartWall + 86_400_000;
  const pick = new Set<number>();
  const spread = Math.max(1, o.spotCheck - Math.ceil(o.spotCheck / 5));
  const step = Math.max(1, Math.floor(o.meters / spread));
  for (let i = 0; i < o.meters && pick.size < spread; i += step) pick.add(i);
  let withOutage = 0;
  for (const p of spec.points) {
    if (pick.size >= o.spotCheck) break;
    if (!p.outages.some((x) => x.end > dayStartWall && x.start < dayEndWall)) continue;
    for (const i of p.meterIndexes) {
      if (pick.has(i) || pick.size >= o.spotCheck) continue;
      pick.add(i);
      withOutage++;
    }
  }
  const indexes = [...pick].sort((a, b) => a - b);
  const truth = await fleet.truth(indexes, dayStartWall + INTERVAL_MS, dayEndWall);
  const serials = indexes.map((i) => spec.meters[i].serial);
  const stored = await q<{ serial: string; channel: number; value: (number | null)[] }>(
    `SELECT m.serial, r.channel, r.value FROM interval_raw r JOIN meter m ON m.id = r.meter_id
      WHERE r.day = $1::date AND m.serial = ANY($2::text[])`,
    [prev, serials],
  );
  const byKey = new Map(stored.map((s) => [`${s.serial}/${s.channel}`, s.value]));
  const start = operatingDayStart(prev);
  let compared = 0;
  const problems: string[] = [];
  for (const t of truth) {
    const serial = spec.meters[t.index].serial;
    const at = new Map(t.ends.map((e, k) => [e, k]));
    for (let c = 0; c < 3; c++) {
      const values = byKey.get(`${serial}/${c + 1}`);
      if (!values) {
        problems.push(`${serial} ch${c + 1}: no day block`);
        continue;
      }
      values.forEach((v, k) => {
        const label = instantToWall(start + (k + 1) * INTERVAL_MS);
        const j = at.get(label);
        const want = j === undefined ? undefined : t.energy[c][j];
        if (want === undefined || v === null || Math.abs(v - want) > 1e-9 * Math.max(1, Math.abs(want))) {
          if (problems.length < 5) problems.push(`${serial} ch${c + 1} slot ${k}: stored ${v}, meter holds ${want}`);
          else problems.push('');
        } else compared++;
      });
    }
  }
  const spotOk = problems.length === 0 && compared === indexes.length * 3 * 288;
  figure(
    part,
    'spot check vs ground truth',
    `${compared}/${indexes.length * 3 * 288}`,
    'values equal',
    problems.length
      ? `${problems.length} differ: ${problems.filter(Boolean).join('; ')}`
      : `${indexes.length} meters, ${withOutage} of them at points with an outage that day`,
  );
  return { values, complete, spotOk };
}

/**
 * Baseline: the same planned reads (the engine's planner on an empty store: the same 0x51 windows) through a Runner
 * with the engine's concurrency whose ingest stores nothing. The registry rows come from a real import into an
 * in-memory store in a child process (collect-registry-child.ts), so this process holds no database at all.
 */
async function runReadOnly(o: CollectPartOptions): Promise<CollectPartResult> {
  const part = 'read';
  const result: CollectPartResult = {
    part,
    meters: o.meters,
    wallMs: Number.NaN,
    sessions: 0,
    ok: 0,
    failed: 0,
    valuesStored: 0,
    peakRssBytes: Number.NaN,
    processPeakRssBytes: Number.NaN,
    complete: false,
    spotCheckOk: false,
    importMs: null,
  };
  const fleet = await startCollectFleet({ ...o });
  figure(part, 'fleet', o.meters, 'meters', `${fleet.startMs.length} child processes ready in ${fleetStart(fleet)}`);
  try {
    const registry = await registryRows(o);
    result.importMs = registry.importMs;
    figure(
      part,
      'registry import',
      registry.importMs / 1000,
      's',
      `${(registry.jsonBytes / MB).toFixed(1)} MB JSON, into an in-memory store in a separate process`,
    );
    const meters = registry.meters;
    const tally = new ReadTally();
    let clock = { shiftMs: 0, now: () => Date.now() };
    const read: ReadFn = async (address, opts) => {
      const r = await readMeter(address, { ...opts, now: clock.now });
      tally.note(r, opts);
      return r;
    };
    let values = 0;
    const ingest = async (inputs: IngestInput[]): Promise<IngestResult[]> =>
      inputs.map((i, k) => {
        const t = i.reading.groups[0]?.massMemory?.timeline;
        const n = t ? t.count * t.values.length : 0;
        values += n;
        return {
          sessionId: k,
          status: i.reading.ok ? 'ok' : 'failed',
          intervals: n,
          filledSlots: 0,
          conflicts: 0,
          days: [],
          events: 0,
        };
      });
    const runner = new Runner({ ingest, read }, o.concurrency ? { concurrency: o.concurrency } : {});
    const rssBefore = procStatusBytes('VmRSS');
    const reset = resetPeakRss();
    const cpuSampler = watchLoad();
    clock = benchClock(o.day, o.clock);
    await fleet.setClock(clock.shiftMs);
    const start = performance.now();
    // Planned as the engine plans a daily read for a meter with nothing stored.
    const now = clock.now();
    const range = collectRange('daily', now, DEFAULT_ZONE);
    const end = lastSlotEnd(now, INTERVAL_MS);
    const reads: PlannedRead[] = [];
    for (const m of meters) {
      const missing = [
        {
          firstEnd: new Date(range.rangeStart + INTERVAL_MS),
          lastEnd: new Date(end),
          intervals: (end - range.rangeStart) / INTERVAL_MS,
        },
      ];
      const d = planCollect(m, 'daily', { now, missing, rangeStart: range.rangeStart, lastGood: null, state: null });
      if (d.kind === 'read') reads.push(d.read);
    }
    const outcomes = await runner.run(reads);
    result.wallMs = performance.now() - start;
    await runner.close(0);
    const cpu = cpuSampler.stop();
    const hwm = procStatusBytes('VmHWM');
    result.peakRssBytes = hwm;
    result.processPeakRssBytes = hwm;
    result.sessions = tally.sessions;
    result.ok = outcomes.filter((x) => x.ok).length;
    result.failed = outcomes.length - result.ok;
    result.valuesStored = 0;
    figure(part, 'reads', 'Runner.run, ingest stores nothing', '', `${reads.length} planned reads`);
    printReads(part, tally);
    figure(part, 'wall time, read only', result.wallMs / 1000, 's');
    figure(part, 'throughput', (o.meters / result.wallMs) * 1000, 'meters/s');
    figure(part, 'interval values read', values);
    figure(part, 'reader CPU', cpu.cpuMs / 1000, 's', `${((cpu.cpuMs / result.wallMs) * 100).toFixed(0)}% of one core`);
    figure(part, 'reader loop delay p50/p99/max', formatDelay(cpu.loopDelayMs), 'ms');
    figure(part, 'reader RSS before the reads', rssBefore / MB, 'MB');
    figure(part, 'reader peak RSS (VmHWM)', hwm / MB, 'MB', reset ? 'reset before the reads' : 'whole process');
  } finally {
    await stopFleet(part, fleet);
  }
  return result;
}
