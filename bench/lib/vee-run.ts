/**
 * The two child processes of one backend in the VEE benchmark (bench/vee.ts starts them one after the other):
 *   setup  opens (creates) the store, registers the fleet and writes the month (bench/lib/vee-fixture.ts);
 *   run    opens the store the setup left and runs `runVeeRange` over the month twice: cold (every series new) and
 *          again on unchanged input, which must change nothing.
 * The run gets a process of its own so that its peak RSS (VmHWM) is VEE's over an existing store, not what creating
 * a PGlite data directory and building a month of simulated data cost (bench/RESULTS.md, bench:collect: creating a
 * PGlite directory alone leaves ~850 MB resident).
 */
import { readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { addDays } from '../../src/domain/time.ts';
import { openStore, type Store } from '../../src/store/pool.ts';
import { runVeeRange, type VeeRunReport } from '../../src/vee/service.ts';
import { Method, Quality } from '../../src/vee/types.ts';
import { figure, MB, median, procStatusBytes, sampleRss, verdict, watchLoad } from './measure.ts';
import { type VeeFixtureStats, writeVeeFixture } from './vee-fixture.ts';

export type VeeBackend = 'pglite' | 'postgres';

export const TARGET_WALL_MS = 60_000;
export const TARGET_RSS_BYTES = 1024 * MB;
/** Full series a point has per day: the three quantity codes of channel group 0. */
const SERIES_PER_POINT_DAY = 3;

export interface VeePartOptions {
  backend: VeeBackend;
  /** PGlite data directory or PostgreSQL URL. */
  target: string;
  points: number;
  days: number;
  from: string;
  seed: string;
  /** Points per VEE transaction (default: the service's). */
  batchPoints?: number;
}

/** What the setup child hands to the run child (through the parent). */
export interface VeeSetupResult {
  backend: VeeBackend;
  stats: VeeFixtureStats;
}

export interface VeeRunResult {
  backend: VeeBackend;
  points: number;
  days: number;
  pointDays: number;
  series: number;
  wallMs: number;
  secondWallMs: number;
  secondChanged: number;
  peakRssBytes: number;
  runPeakRssBytes: number;
  checks: { name: string; ok: boolean; detail: string }[];
}

function storeOptions(o: VeePartOptions): { dataDir?: string; databaseUrl?: string } {
  return o.backend === 'pglite' ? { dataDir: o.target } : { databaseUrl: o.target };
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

async function storeBytes(store: Store, o: VeePartOptions): Promise<number> {
  if (o.backend === 'pglite') return dirBytes(o.target);
  const r = await store.pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
  return Number(r.rows[0].n);
}

function loadLine(part: string): void {
  figure(
    part,
    'load average at start',
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  );
}

export async function setupVeePart(o: VeePartOptions): Promise<VeeSetupResult> {
  const part = o.backend;
  loadLine(`${part}`);
  const t0 = performance.now();
  const store = await openStore(storeOptions(o));
  try {
    figure(part, 'setup: store open + migrate', (performance.now() - t0) / 1000, 's', store.location);
    const s = await writeVeeFixture(store, { points: o.points, from: o.from, days: o.days, seed: o.seed });
    const channelDays = s.meters * 3 * o.days;
    figure(part, 'setup: registry import', s.registryMs / 1000, 's', `${s.points} points, ${s.meters} meters`);
    figure(
      part,
      'setup: day blocks written',
      s.blocks,
      'rows',
      `${o.days} days from ${o.from}; ${channelDays} meter channel-days, ${(s.dataMs / 1000).toFixed(1)} s`,
    );
    figure(
      part,
      'setup: actual slots',
      s.filledSlots,
      '',
      `of ${channelDays * 288} (${pct(s.filledSlots, channelDays * 288)})`,
    );
    const meterDays = s.points * o.days;
    figure(
      part,
      'setup: principal days lost whole',
      s.principalLostDays,
      'meter-days',
      `${pct(s.principalLostDays, meterDays)}; ${s.rtDays.length} for RT (gap lost, retaguarda clean), ${s.rrDays.length} for RR`,
    );
    figure(
      part,
      'setup: principal missing runs',
      s.principalRuns,
      'meter-days',
      `${pct(s.principalRuns, meterDays)}, ${s.principalRunSlots} channel slots`,
    );
    figure(
      part,
      'setup: retaguarda days lost whole',
      s.retaguardaLostDays,
      'meter-days',
      pct(s.retaguardaLostDays, meterDays),
    );
    figure(
      part,
      'setup: retaguarda missing runs',
      s.retaguardaRuns,
      'meter-days',
      `${pct(s.retaguardaRuns, meterDays)}, ${s.retaguardaRunSlots} channel slots`,
    );
    figure(
      part,
      'setup: outages',
      s.outages,
      '',
      `${s.pointsWithOutages} points, ${s.outageEvents} meter events, ${s.powerOffSlots} power-off slots per channel`,
    );
    figure(
      part,
      'setup: gap rows',
      s.pendingGaps + s.lostGaps,
      '',
      `${s.lostGaps} lost, ${s.pendingGaps} pending (last 2 days)`,
    );
    figure(part, 'setup: spikes', s.spikes, 'channel-days');
    figure(part, 'setup: read sessions', s.sessions);
    figure(part, 'setup: vee_dirty marks', s.dirty, 'point-days');
    figure(part, 'setup: store size', (await storeBytes(store, o)) / MB, 'MB');
    figure(part, 'setup: process peak RSS (VmHWM)', procStatusBytes('VmHWM') / MB, 'MB', 'not judged');
    return { backend: o.backend, stats: s };
  } finally {
    await store.close();
  }
}

function pct(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(2)}%`;
}

function qualities(r: VeeRunReport): string {
  const q = r.qualities;
  return `N ${q.N}, A ${q.A}, S ${q.S}, E ${q.E}, M ${q.M}`;
}

interface TimedRun {
  report: VeeRunReport;
  wallMs: number;
  dayMs: number[];
  cpuMs: number;
  /** 5-ms timer ticks the event loop ran during the run, and the longest time between two of them. */
  ticks: number;
  longestStallMs: number;
  maxRss: number;
  rssSamples: number;
}

async function timedRun(store: Store, o: VeePartOptions, nowMs: number): Promise<TimedRun> {
  const to = addDays(o.from, o.days - 1);
  const dayMs: number[] = [];
  const rss = sampleRss(25);
  const load = watchLoad();
  // How long the process goes without running a timer: on PGlite every statement completes in a microtask, so a
  // transaction never hands the event loop back (an API or collector in the same process waits that long).
  let ticks = 0;
  let lastTick = performance.now();
  let longestStallMs = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    longestStallMs = Math.max(longestStallMs, t - lastTick);
    lastTick = t;
    ticks++;
  }, 5);
  let last = performance.now();
  const t0 = last;
  const report = await runVeeRange(store, {
    from: o.from,
    to,
    now: nowMs,
    batchPoints: o.batchPoints,
    onProgress: () => {
      const t = performance.now();
      dayMs.push(t - last);
      last = t;
    },
  });
  const wallMs = performance.now() - t0;
  // One turn of the loop, so the delay histogram and the ticker see the last stall before they stop.
  await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(ticker);
  const l = load.stop();
  const r = rss.stop();
  return {
    report,
    wallMs,
    dayMs,
    cpuMs: l.cpuMs,
    ticks,
    longestStallMs,
    maxRss: r.maxBytes,
    rssSamples: r.samples,
  };
}

function reportFigures(part: string, label: string, t: TimedRun): void {
  const r = t.report;
  figure(part, `${label}: point-days`, r.pointDays);
  figure(part, `${label}: point-days/s`, r.pointDays / (t.wallMs / 1000), '/s');
  figure(part, `${label}: series computed`, r.series);
  figure(part, `${label}: series written (changed)`, r.changed, '', `${r.unchanged} unchanged`);
  figure(part, `${label}: qualities (slots)`, qualities(r));
  figure(part, `${label}: like-day history loads`, r.historyLoads, 'point-days');
  figure(part, `${label}: stale locked`, r.staleLocked.length);
  figure(
    part,
    `${label}: day time min/median/max`,
    `${Math.min(...t.dayMs).toFixed(0)}/${median(t.dayMs).toFixed(0)}/${Math.max(...t.dayMs).toFixed(0)}`,
    'ms',
  );
  // A day should cost the same at the end of the month as at its start; growth means a query scans what earlier
  // days wrote.
  const n = Math.min(5, Math.floor(t.dayMs.length / 2));
  if (n > 0) {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    figure(
      part,
      `${label}: first / last ${n} days`,
      `${mean(t.dayMs.slice(0, n)).toFixed(0)} / ${mean(t.dayMs.slice(-n)).toFixed(0)}`,
      'ms per day',
    );
  }
  figure(part, `${label}: process CPU`, t.cpuMs / 1000, 's', `${((100 * t.cpuMs) / t.wallMs).toFixed(0)}% of one core`);
  figure(
    part,
    `${label}: longest event-loop stall`,
    t.longestStallMs / 1000,
    's',
    `${t.ticks} ticks of a 5-ms timer ran`,
  );
  figure(part, `${label}: max sampled RSS`, t.maxRss / MB, 'MB', `${t.rssSamples} samples`);
}

export async function runVeePart(o: VeePartOptions, setup: VeeSetupResult): Promise<VeeRunResult> {
  const part = o.backend;
  loadLine(part);
  const t0 = performance.now();
  const store = await openStore({ ...storeOptions(o), migrate: false });
  try {
    figure(part, 'store open', (performance.now() - t0) / 1000, 's', `existing store, ${store.location}`);
    figure(part, 'RSS after store open', procStatusBytes('VmRSS') / MB, 'MB');
    const hwmBefore = procStatusBytes('VmHWM');
    const first = await timedRun(store, o, setup.stats.nowMs);
    const hwmFirst = procStatusBytes('VmHWM');
    figure(
      part,
      'run 1 (cold): wall time',
      first.wallMs / 1000,
      's',
      `runVeeRange ${o.from}..${addDays(o.from, o.days - 1)}, ${o.points} points; target <= ${TARGET_WALL_MS / 1000}`,
    );
    reportFigures(part, 'run 1', first);
    figure(
      part,
      'run 1: peak RSS (VmHWM)',
      hwmFirst / MB,
      'MB',
      `whole process, store open included (${(hwmBefore / MB).toFixed(0)} MB before the run); target <= ${TARGET_RSS_BYTES / MB}`,
    );
    const second = await timedRun(store, o, setup.stats.nowMs);
    const hwm = procStatusBytes('VmHWM');
    figure(part, 'run 2 (unchanged input): wall', second.wallMs / 1000, 's');
    reportFigures(part, 'run 2', second);
    figure(part, 'peak RSS, both runs (VmHWM)', hwm / MB, 'MB', `target <= ${TARGET_RSS_BYTES / MB}`);

    // What the store holds now.
    const counts = await store.pool.query<{
      total: string;
      current: string;
      validated: string;
      validation: string;
      dirty: string;
    }>(
      `SELECT (SELECT count(*) FROM vee_final) AS total,
              (SELECT count(*) FROM vee_dirty) AS dirty,
              (SELECT count(*) FROM vee_final WHERE superseded_at IS NULL) AS current,
              (SELECT count(*) FROM vee_validated) AS validated,
              (SELECT count(*) FROM vee_validation) AS validation`,
    );
    const c = counts.rows[0];
    const expectedPointDays = o.points * o.days;
    const expectedSeries = expectedPointDays * SERIES_PER_POINT_DAY;
    figure(
      part,
      'vee_final rows (all / current)',
      `${Number(c.total)} / ${Number(c.current)}`,
      '',
      `expected ${expectedSeries} / ${expectedSeries}`,
    );
    figure(part, 'vee_validated / vee_validation', `${Number(c.validated)} / ${Number(c.validation)}`);
    figure(part, 'vee_dirty marks left', Number(c.dirty), '', `${setup.stats.dirty} before the runs`);
    // A principal day lost whole: from the retaguarda when its gap is lost (every slot S/RT), left for the re-read
    // when the gap is still open (every slot N/RR).
    const wholeDays = async (list: { pointId: number; day: string }[], quality: number, method: number) => {
      if (list.length === 0) return 0;
      const r = await store.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM vee_final f
           JOIN unnest($1::bigint[], $2::date[]) AS k(p, d) ON f.point_id = k.p AND f.day = k.d
          WHERE f.superseded_at IS NULL AND f.counts[$3::int + 1] = f.slots
            AND f.method = decode(repeat($4::text, f.slots), 'hex')`,
        [list.map((x) => x.pointId), list.map((x) => x.day), quality, method.toString(16).padStart(2, '0')],
      );
      return Number(r.rows[0].n);
    };
    const rt = setup.stats.rtDays;
    const rr = setup.stats.rrDays;
    const rtAll = await wholeDays(rt, Quality.S, Method.RT);
    const rrAll = await wholeDays(rr, Quality.N, Method.RR);
    figure(
      part,
      'principal day lost, gap lost',
      `${rtAll}/${rt.length * SERIES_PER_POINT_DAY}`,
      'series',
      'every slot S by RT (retaguarda complete and clean that day)',
    );
    figure(
      part,
      'principal day lost, gap open',
      `${rrAll}/${rr.length * SERIES_PER_POINT_DAY}`,
      'series',
      'every slot N by RR (re-read still possible)',
    );
    figure(part, 'store size after the runs', (await storeBytes(store, o)) / MB, 'MB');

    const checks = [
      {
        name: 'point-days',
        ok: first.report.pointDays === expectedPointDays && second.report.pointDays === expectedPointDays,
        detail: `${first.report.pointDays}/${second.report.pointDays} of ${expectedPointDays}`,
      },
      {
        name: 'cold run wrote every series',
        ok: first.report.changed === expectedSeries && Number(c.current) === expectedSeries,
        detail: `${first.report.changed} of ${expectedSeries}`,
      },
      {
        name: 'dirty marks cleared',
        ok: Number(c.dirty) === 0,
        detail: `${Number(c.dirty)} left`,
      },
      {
        name: 'lost principal days from the retaguarda',
        ok: rtAll === rt.length * SERIES_PER_POINT_DAY,
        detail: `${rtAll}/${rt.length * SERIES_PER_POINT_DAY} series all S/RT`,
      },
      {
        name: 'open gaps left for re-read',
        ok: rrAll === rr.length * SERIES_PER_POINT_DAY,
        detail: `${rrAll}/${rr.length * SERIES_PER_POINT_DAY} series all N/RR`,
      },
      {
        name: 'second run changed = 0',
        ok: second.report.changed === 0 && Number(c.total) === expectedSeries,
        detail: `changed ${second.report.changed}, vee_final rows ${Number(c.total)}`,
      },
    ];
    const pass = checks.every((x) => x.ok) && first.wallMs <= TARGET_WALL_MS && hwm <= TARGET_RSS_BYTES;
    verdict(
      part,
      `cold month ${(first.wallMs / 1000).toFixed(1)} s (<= ${TARGET_WALL_MS / 1000} s), peak RSS ` +
        `${(hwm / MB).toFixed(0)} MB (<= ${TARGET_RSS_BYTES / MB} MB), ` +
        checks.map((x) => `${x.name}: ${x.ok ? 'ok' : 'FAILED'} (${x.detail})`).join('; '),
      pass,
    );
    return {
      backend: o.backend,
      points: o.points,
      days: o.days,
      pointDays: first.report.pointDays,
      series: first.report.series,
      wallMs: first.wallMs,
      secondWallMs: second.wallMs,
      secondChanged: second.report.changed,
      peakRssBytes: hwm,
      runPeakRssBytes: hwmFirst,
      checks,
    };
  } finally {
    await store.close();
  }
}

export function runPasses(r: VeeRunResult): boolean {
  return r.checks.every((x) => x.ok) && r.wallMs <= TARGET_WALL_MS && r.peakRssBytes <= TARGET_RSS_BYTES;
}
