/**
 * Clock check on every read: each session's first parameters response carries the meter's clock, compared with
 * ours when the answer arrived (Reading.clock). Above the threshold (default 30 s, the drift at which ingest also
 * records a clock_drift event) a clock_sync task is asked for, which runs the 'relogio' sequence (0x29/0x30) and is
 * audited with the drift before and after like any parametrization. One sync at a time per meter, and none again
 * within a cooldown after the last, so a meter that refuses the write is not hammered every quarter of an hour.
 */
import { metersWithRecentTask, type TaskRow } from '../store/tasks.ts';
import { DEFAULT_DRIFT_THRESHOLD_S } from './ingest.ts';
import type { ReadOutcome } from './runner.ts';
import { createTask, type TaskDeps } from './tasks.ts';

export interface ClockSyncOptions {
  enabled: boolean;
  /** |drift| strictly above this, in seconds, asks for a sync (default 30). */
  thresholdS: number;
  /** No new sync for a meter within this time after its last one ended (default 1 h). */
  cooldownMs: number;
}

export const DEFAULT_CLOCK_SYNC_OPTIONS: Readonly<ClockSyncOptions> = Object.freeze({
  enabled: true,
  thresholdS: DEFAULT_DRIFT_THRESHOLD_S,
  cooldownMs: 3_600_000,
});

export interface DriftFinding {
  meterId: number;
  serial: string;
  driftS: number;
}

/** Meters whose last session measured a drift above the threshold (a clock-sync session itself is not judged). */
export function driftFindings(outcomes: ReadOutcome[], thresholdS: number): DriftFinding[] {
  const out = new Map<number, DriftFinding>();
  for (const o of outcomes) {
    if (o.read.purpose === 'clock_sync' || !o.summary?.clock) continue;
    const driftS = o.summary.clock.driftSeconds;
    if (Math.abs(driftS) > thresholdS)
      out.set(o.read.meter.id, { meterId: o.read.meter.id, serial: o.read.meter.serial, driftS });
    else out.delete(o.read.meter.id);
  }
  return [...out.values()];
}

/** Asks for a clock sync for each finding not already asked for or synced within the cooldown. */
export async function requestClockSyncs(
  deps: TaskDeps,
  findings: DriftFinding[],
  opts: ClockSyncOptions = DEFAULT_CLOCK_SYNC_OPTIONS,
): Promise<TaskRow[]> {
  if (!opts.enabled || findings.length === 0) return [];
  const now = (deps.now ?? Date.now)();
  const busy = await metersWithRecentTask(
    deps.store.db,
    'clock_sync',
    findings.map((f) => f.meterId),
    new Date(now - opts.cooldownMs),
  );
  const created: TaskRow[] = [];
  for (const f of findings) {
    if (busy.has(f.meterId)) continue;
    created.push(
      await createTask(deps, {
        kind: 'clock_sync',
        meterId: f.meterId,
        params: { driftS: f.driftS, reason: `drift ${f.driftS} s above ${opts.thresholdS} s` },
        requestedBy: 'engine',
        comment: `automatic: meter clock ${f.driftS > 0 ? 'ahead' : 'behind'} by ${Math.abs(f.driftS)} s`,
      }),
    );
  }
  if (created.length > 0) {
    deps.logger?.info({ meters: created.map((t) => t.meter_id), thresholdS: opts.thresholdS }, 'clock syncs requested');
  }
  return created;
}
