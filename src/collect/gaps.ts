/**
 * Automatic gap reading. A periodic scan compares each meter's missing intervals over its memory with its open gap
 * rows: new holes become pending gaps, holes that touch or overlap merge into one gap, a gap whose slots were all
 * filled is recovered, and a gap older than the meter's memory is lost. Due gaps get one targeted re-read per meter
 * (planner.planGapRead); each attempt is written to the gap's history, and a gap left open retries with backoff.
 *
 * The decision for one meter (`reconcileMeterGaps`) is pure; the rest reads and writes the store.
 */
import { sql } from 'kysely';
import { operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { Logger } from '../logging.ts';
import { meterStates } from '../store/collect-state.ts';
import {
  applyGapChanges,
  dueGaps,
  type GapChanges,
  type GapHistoryEntry,
  type GapRow,
  gapsByIds,
  OPEN_STATES,
  openGaps,
  recordGapAttempts,
} from '../store/gaps.ts';
import type { Store } from '../store/pool.ts';
import type { ActiveMeter, Db } from '../store/registry.ts';
import type { MissingRange } from './completeness.ts';
import {
  DEFAULT_PLANNER_OPTIONS,
  type GapTarget,
  lastSlotEnd,
  type MissingSpan,
  type PlanDecision,
  type PlannerOptions,
  planGapRead,
} from './planner.ts';
import type { ReadOutcome } from './runner.ts';

const DAY = 86_400_000;
/** Advisory-lock key of gap bookkeeping: scans and post-read updates never interleave. */
const GAP_LOCK_KEY = 7_412_523;

export type MissingRangesFn = (
  db: Db,
  q: { fromDay: string; toDay: string; until: Date; meterIds?: number[] },
) => Promise<MissingRange[]>;

export interface GapMeter {
  id: number;
  intervalMs: number;
  memoryDays: number;
}

export interface GapOptions {
  /** Intervals newer than this are not gaps yet: the next intraday read will bring them (default 30 min). */
  graceMs: number;
  /** Delay after the first failed re-read; doubles per attempt (default 5 min). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Meters per missing-ranges query and transaction (default 200). */
  scanChunk: number;
  /** Gaps taken per scheduling round (default 20 000). */
  maxDue: number;
}

export const DEFAULT_GAP_OPTIONS: Readonly<GapOptions> = Object.freeze({
  graceMs: 30 * 60_000,
  retryBaseMs: 5 * 60_000,
  retryMaxMs: 6 * 3_600_000,
  scanChunk: 200,
  maxDue: 20_000,
});

export function gapMeterOf(m: ActiveMeter): GapMeter {
  return { id: m.meter.id, intervalMs: m.meter.mm_interval_s * 1000, memoryDays: m.meter.memory_days };
}

/** Oldest interval end the meter still holds at `now`. */
export function memoryStart(meter: GapMeter, now: number): number {
  return lastSlotEnd(now - meter.memoryDays * DAY, meter.intervalMs) + meter.intervalMs;
}

interface Span {
  f: number;
  l: number;
  n: number;
}

/** Missing runs from `memStart` on, sorted, touching runs joined. */
function normalise(missing: MissingSpan[], memStart: number, step: number): Span[] {
  const out: Span[] = [];
  for (const m of [...missing].sort((a, b) => a.firstEnd.getTime() - b.firstEnd.getTime())) {
    const f0 = m.firstEnd.getTime();
    const l = m.lastEnd.getTime();
    const f = Math.max(f0, memStart);
    if (l < f) continue;
    const n = f === f0 ? m.intervals : Math.min(m.intervals, Math.round((l - f) / step) + 1);
    const last = out[out.length - 1];
    if (last && f <= last.l + step) {
      last.l = Math.max(last.l, l);
      last.n += n;
    } else out.push({ f, l, n });
  }
  return out;
}

/**
 * The changes that bring one meter's open gaps in line with its missing intervals (from its memory start on, up to
 * the grace limit). Gaps and missing runs that overlap or touch form one cluster; each cluster ends as one gap.
 */
export function reconcileMeterGaps(meter: GapMeter, open: GapRow[], missing: MissingSpan[], now: number): GapChanges {
  const step = meter.intervalMs;
  const memStart = memoryStart(meter, now);
  const at = new Date(now);
  const entry = (action: string, result: string | null = null): GapHistoryEntry => ({
    at: at.toISOString(),
    action,
    sessionId: null,
    result,
  });
  const changes: GapChanges = { inserts: [], updates: [], deletes: [] };
  const ranges = normalise(missing, memStart, step);

  interface Live {
    row: GapRow;
    f: number;
    l: number;
    split: boolean;
  }
  const live: Live[] = [];
  for (const g of [...open].sort((a, b) => a.first_end.getTime() - b.first_end.getTime())) {
    const f = g.first_end.getTime();
    const l = g.last_end.getTime();
    if (l < memStart) {
      changes.updates.push({
        id: g.id,
        firstEnd: g.first_end,
        lastEnd: g.last_end,
        intervals: g.intervals,
        state: 'lost',
        attempts: g.attempts,
        closedAt: at,
        history: [entry('lost', `older than the meter's memory (${meter.memoryDays} days)`)],
      });
      continue;
    }
    if (f < memStart) {
      // The part the meter no longer holds is lost; the gap goes on with the part it still holds.
      const oldLast = memStart - step;
      changes.inserts.push({
        meterId: meter.id,
        firstEnd: g.first_end,
        lastEnd: new Date(oldLast),
        intervals: Math.min(g.intervals, Math.round((oldLast - f) / step) + 1),
        state: 'lost',
        attempts: g.attempts,
        closedAt: at,
        history: [entry('lost', `split from gap #${g.id}: older than the meter's memory (${meter.memoryDays} days)`)],
      });
      live.push({ row: g, f: memStart, l, split: true });
    } else live.push({ row: g, f, l, split: false });
  }

  type Node = { kind: 'gap'; gap: Live; f: number; l: number } | { kind: 'range'; range: Span; f: number; l: number };
  const nodes: Node[] = [
    ...live.map((g): Node => ({ kind: 'gap', gap: g, f: g.f, l: g.l })),
    ...ranges.map((r): Node => ({ kind: 'range', range: r, f: r.f, l: r.l })),
  ].sort((a, b) => a.f - b.f || (a.kind === 'gap' ? -1 : 1));
  const clusters: Node[][] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const n of nodes) {
    if (clusters.length > 0 && n.f <= end + step) {
      clusters[clusters.length - 1].push(n);
      end = Math.max(end, n.l);
    } else {
      clusters.push([n]);
      end = n.l;
    }
  }

  for (const c of clusters) {
    const gaps = c.flatMap((n) => (n.kind === 'gap' ? [n.gap] : []));
    const rs = c.flatMap((n) => (n.kind === 'range' ? [n.range] : []));
    if (rs.length === 0) {
      for (const g of gaps) {
        changes.updates.push({
          id: g.row.id,
          firstEnd: new Date(g.f),
          lastEnd: new Date(g.l),
          intervals: g.row.intervals,
          state: 'recovered',
          attempts: g.row.attempts,
          closedAt: at,
          history: [entry('recovered', 'every interval is stored')],
        });
      }
      continue;
    }
    const f = Math.min(...rs.map((r) => r.f));
    const l = Math.max(...rs.map((r) => r.l));
    const n = rs.reduce((s, r) => s + r.n, 0);
    if (gaps.length === 0) {
      changes.inserts.push({
        meterId: meter.id,
        firstEnd: new Date(f),
        lastEnd: new Date(l),
        intervals: n,
        state: 'pending',
        history: [entry('found', `${n} interval(s)`)],
      });
      continue;
    }
    const [survivor, ...absorbed] = [...gaps].sort((a, b) => a.row.id - b.row.id);
    const history: GapHistoryEntry[] = [];
    for (const g of absorbed) {
      changes.deletes.push(g.row.id);
      history.push(...((g.row.history as GapHistoryEntry[]) ?? []), entry('merged', `gap #${g.row.id}`));
    }
    const old = survivor.row;
    const moved = f !== old.first_end.getTime() || l !== old.last_end.getTime();
    if (n !== old.intervals || (moved && !survivor.split)) {
      history.push(
        entry(n > old.intervals ? 'grown' : n < old.intervals ? 'shrunk' : 'moved', `${old.intervals} → ${n}`),
      );
    }
    if (history.length === 0 && !moved && n === old.intervals) continue;
    const retrying = gaps.some((g) => g.row.state === 'retrying');
    changes.updates.push({
      id: old.id,
      firstEnd: new Date(f),
      lastEnd: new Date(l),
      intervals: n,
      state: retrying ? 'retrying' : old.state,
      attempts: Math.max(...gaps.map((g) => g.row.attempts)),
      closedAt: null,
      history,
    });
  }
  return changes;
}

export interface GapScanReport {
  meters: number;
  found: number;
  recovered: number;
  lost: number;
  merged: number;
}

function count(changes: GapChanges, report: GapScanReport): void {
  report.found += changes.inserts.filter((g) => g.state === 'pending').length;
  report.lost +=
    changes.inserts.filter((g) => g.state === 'lost').length + changes.updates.filter((u) => u.state === 'lost').length;
  report.recovered += changes.updates.filter((u) => u.state === 'recovered').length;
  report.merged += changes.deletes.length;
}

export interface GapDeps {
  store: Store;
  missingRanges: MissingRangesFn;
  logger?: Logger;
}

/**
 * Brings the gap rows of these meters up to date, a chunk of meters per transaction. The missing ranges are read
 * inside the transaction under the gap lock, so a concurrent re-read's bookkeeping is either seen or waits.
 */
export async function scanGaps(
  deps: GapDeps,
  meters: ActiveMeter[],
  now: number,
  opts: GapOptions = DEFAULT_GAP_OPTIONS,
): Promise<GapScanReport> {
  const report: GapScanReport = { meters: meters.length, found: 0, recovered: 0, lost: 0, merged: 0 };
  const until = new Date(now - opts.graceMs);
  for (let i = 0; i < meters.length; i += opts.scanChunk) {
    const chunk = meters.slice(i, i + opts.scanChunk);
    const ids = chunk.map((m) => m.meter.id);
    let fromDay = '9999-12-31';
    let toDay = '0000-01-01';
    for (const m of chunk) {
      const zone = m.point.timezone;
      const from = operatingDayOfIntervalEnd(memoryStart(gapMeterOf(m), now), zone);
      const to = operatingDayOfIntervalEnd(now, zone);
      if (from < fromDay) fromDay = from;
      if (to > toDay) toDay = to;
    }
    const changes = await deps.store.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${GAP_LOCK_KEY})`.execute(trx);
      const missing = await deps.missingRanges(trx, { fromDay, toDay, until, meterIds: ids });
      const open = await openGaps(trx, ids);
      const all: GapChanges = { inserts: [], updates: [], deletes: [] };
      const missingBy = groupBy(missing, (r) => r.meterId);
      const openBy = groupBy(open, (g) => g.meter_id);
      for (const m of chunk) {
        const c = reconcileMeterGaps(gapMeterOf(m), openBy.get(m.meter.id) ?? [], missingBy.get(m.meter.id) ?? [], now);
        all.inserts.push(...c.inserts);
        all.updates.push(...c.updates);
        all.deletes.push(...c.deletes);
      }
      await applyGapChanges(trx, all);
      return all;
    });
    count(changes, report);
  }
  if (report.found + report.recovered + report.lost + report.merged > 0) {
    deps.logger?.info(report, 'gap scan');
  }
  return report;
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const l = out.get(k);
    if (l) l.push(it);
    else out.set(k, [it]);
  }
  return out;
}

function targets(rows: GapRow[]): Map<number, GapTarget[]> {
  const out = new Map<number, GapTarget[]>();
  for (const g of rows) {
    if (!OPEN_STATES.includes(g.state)) continue;
    const list = out.get(g.meter_id) ?? [];
    list.push({ id: g.id, firstEnd: g.first_end, lastEnd: g.last_end });
    out.set(g.meter_id, list);
  }
  return out;
}

/** One re-read per meter for the given open gaps (skips meters not in service). */
export async function planGapReads(
  db: Db,
  gaps: GapRow[],
  meters: Map<number, ActiveMeter>,
  now: number,
  opts: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
): Promise<PlanDecision[]> {
  const byMeter = targets(gaps);
  const states = await meterStates(db, [...byMeter.keys()]);
  const out: PlanDecision[] = [];
  for (const [meterId, list] of byMeter) {
    const m = meters.get(meterId);
    if (!m) {
      out.push({ kind: 'skip', meterId, reason: 'meter not in service' });
      continue;
    }
    out.push(planGapRead(m, list, now, states.get(meterId), opts));
  }
  return out;
}

/** Gaps due for a re-read now. */
export async function dueGapRows(db: Db, now: number, opts: GapOptions = DEFAULT_GAP_OPTIONS): Promise<GapRow[]> {
  return dueGaps(db, new Date(now), opts.maxDue);
}

/** Open gaps by id, for a job that re-plans at run time. */
export async function openGapRows(db: Db, ids: number[]): Promise<GapRow[]> {
  return (await gapsByIds(db, ids)).filter((g) => OPEN_STATES.includes(g.state));
}

/**
 * After re-reads: one history entry and a backoff per gap, then the gaps of those meters reconciled (so a gap the
 * read filled is recovered at once).
 */
export async function afterGapReads(
  deps: GapDeps,
  outcomes: ReadOutcome[],
  meters: ActiveMeter[],
  now: number,
  opts: GapOptions = DEFAULT_GAP_OPTIONS,
): Promise<GapScanReport> {
  const attempts = outcomes.flatMap((o) => {
    if (o.skipped || !o.read.gapIds) return [];
    const sessionId = o.sessionIds[o.sessionIds.length - 1] ?? null;
    const result = o.ok ? 'ok' : `${o.failure?.code ?? 'FAILED'}: ${o.failure?.message ?? ''}`;
    return o.read.gapIds.map((gapId) => ({ gapId, at: new Date(now), sessionId, ok: o.ok, result }));
  });
  await recordGapAttempts(deps.store.db, attempts, opts.retryBaseMs, opts.retryMaxMs);
  const touched = new Set(outcomes.filter((o) => o.read.gapIds).map((o) => o.read.meter.id));
  return scanGaps(
    deps,
    meters.filter((m) => touched.has(m.meter.id)),
    now,
    opts,
  );
}
