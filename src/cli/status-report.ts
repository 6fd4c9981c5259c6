/**
 * The collection status an analyst reads in the morning: completeness of the mass memory by day ("100% da memória de
 * massa"), the points still incomplete, the open gaps with their state, failing meters, tasks and queues. Shared by
 * `fronteira status` and the periodic summary of `fronteira start` / `serve`.
 */
import { dayCompleteness } from '../collect/completeness.ts';
import { type CollectionStatus, collectionStatus } from '../collect/engine.ts';
import { addDays, instantToWall, operatingDayStart } from '../domain/time.ts';
import type { Store } from '../store/pool.ts';

export interface DaySummary {
  day: string;
  meters: number;
  /** Channel-days with every slot (elapsed so far, for today) actual. */
  completeChannels: number;
  channels: number;
  filled: number;
  expected: number;
  incompletePoints: string[];
}

export interface StatusReport {
  days: DaySummary[];
  collection: CollectionStatus;
  meterNames: Map<number, { serial: string; pointCode: string }>;
}

const DAY_MS = 86_400_000;

export function todayDay(now = Date.now()): string {
  return new Date(instantToWall(now)).toISOString().slice(0, 10);
}

export async function statusReport(store: Store, opts: { days: number; now?: number }): Promise<StatusReport> {
  const now = opts.now ?? Date.now();
  const today = todayDay(now);
  const fromDay = addDays(today, -(opts.days - 1));
  const rows = await dayCompleteness(store.db, { fromDay, toDay: today });
  const byDay = new Map<string, DaySummary>();
  const meterNames = new Map<number, { serial: string; pointCode: string }>();
  const meterSets = new Map<string, Set<number>>();
  for (const r of rows) {
    meterNames.set(r.meterId, { serial: r.serial, pointCode: r.pointCode });
    let d = byDay.get(r.day);
    if (!d) {
      d = { day: r.day, meters: 0, completeChannels: 0, channels: 0, filled: 0, expected: 0, incompletePoints: [] };
      byDay.set(r.day, d);
      meterSets.set(r.day, new Set());
    }
    // Today counts only the intervals that have ended.
    const elapsed =
      r.day === today
        ? Math.max(0, Math.min(r.slots, Math.floor(((now - operatingDayStart(r.day)) / DAY_MS) * r.slots)))
        : r.slots;
    const filled = Math.min(r.filled, elapsed);
    meterSets.get(r.day)!.add(r.meterId);
    d.channels++;
    d.expected += elapsed;
    d.filled += filled;
    if (filled >= elapsed) d.completeChannels++;
    else if (!d.incompletePoints.includes(r.pointCode)) d.incompletePoints.push(r.pointCode);
  }
  for (const [day, set] of meterSets) byDay.get(day)!.meters = set.size;
  const days = [...byDay.values()].sort((a, b) => (a.day < b.day ? 1 : -1));
  return { days, collection: await collectionStatus(store), meterNames };
}

function pct(filled: number, expected: number): string {
  return expected === 0 ? '   —  ' : `${((100 * filled) / expected).toFixed(2).padStart(6)}%`;
}

function ts(d: Date | null | undefined): string {
  return d ? new Date(instantToWall(new Date(d).getTime())).toISOString().slice(0, 16).replace('T', ' ') : '—';
}

export function formatStatus(r: StatusReport, opts: { gapLimit?: number } = {}): string {
  const out: string[] = [];
  out.push('Mass-memory completeness by operating day (Brasília)');
  out.push(
    `  ${'day'.padEnd(12)}${'meters'.padStart(7)}${'channel-days'.padStart(15)}${'intervals'.padStart(22)}${'complete'.padStart(10)}`,
  );
  if (r.days.length === 0) out.push('  (no data yet: register meters and let the collection run)');
  for (const d of r.days) {
    const incomplete = d.incompletePoints.length
      ? `  incomplete: ${d.incompletePoints.slice(0, 6).join(', ')}${d.incompletePoints.length > 6 ? ` +${d.incompletePoints.length - 6}` : ''}`
      : '';
    out.push(
      `  ${d.day.padEnd(12)}${String(d.meters).padStart(7)}${`${d.completeChannels}/${d.channels}`.padStart(15)}` +
        `${`${d.filled}/${d.expected}`.padStart(22)}${pct(d.filled, d.expected).padStart(10)}${incomplete}`,
    );
  }
  const g = r.collection.gaps;
  out.push(
    '',
    `Gaps: ${g.pending.gaps} pending (${g.pending.intervals} intervals), ${g.retrying.gaps} retrying ` +
      `(${g.retrying.intervals}), ${g.recovered.gaps} recovered (${g.recovered.intervals}), ${g.lost.gaps} lost (${g.lost.intervals})`,
  );
  const open = r.collection.openGaps.slice(0, opts.gapLimit ?? 20);
  if (open.length > 0) {
    out.push(
      `  ${'state'.padEnd(9)}${'meter'.padEnd(10)}${'point'.padEnd(15)}${'missing (interval ends)'.padEnd(37)}${'n'.padStart(6)}${'tries'.padStart(6)}  next try / last error`,
    );
    for (const gap of open) {
      const m = r.meterNames.get(gap.meter_id);
      out.push(
        `  ${gap.state.padEnd(9)}${(m?.serial ?? String(gap.meter_id)).padEnd(10)}${(m?.pointCode ?? '').padEnd(15)}` +
          `${`${ts(gap.first_end)} → ${ts(gap.last_end)}`.padEnd(37)}${String(gap.intervals).padStart(6)}${String(gap.attempts).padStart(6)}  ` +
          `${ts(gap.next_attempt_at)}${gap.last_error ? `  ${gap.last_error.slice(0, 80)}` : ''}`,
      );
    }
    if (r.collection.openGaps.length > open.length) out.push(`  … ${r.collection.openGaps.length - open.length} more`);
  }
  if (r.collection.failingMeters.length > 0) {
    out.push('', 'Failing meters');
    for (const f of r.collection.failingMeters.slice(0, 20)) {
      out.push(
        `  ${f.serial.padEnd(10)} ${String(f.failures).padStart(3)} failures, last ok ${ts(f.lastOkAt)}: ${f.lastError ?? ''}`,
      );
    }
  }
  const tasks = r.collection.tasks.filter((t) => t.tasks > 0);
  if (tasks.length > 0) out.push('', `Tasks: ${tasks.map((t) => `${t.tasks} ${t.status}`).join(', ')}`);
  return `${out.join('\n')}\n`;
}
