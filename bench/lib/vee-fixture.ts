/**
 * The VEE benchmark's store contents (setup, not timed): `points` metering points, each with a principal and a
 * retaguarda simulated meter (channel group 0: quantity codes 1, 10, 11), registered through the simulator's
 * registry file and `importRegistryFile`, and `days` operating days of raw day blocks for every meter channel, taken
 * from each meter's `groundTruth` and written with `writeDayBlocks` (binary COPY), as collection would have left them.
 *
 * What makes the month worth validating, all deterministic in the seed:
 * - principal meter-days: ~0.5% lost whole (no block for any channel: the read never happened), ~2% lose a run of
 *   1–30 slots on all three channels (a link or memory gap);
 * - retaguarda meter-days: ~0.3% lost whole, ~1% lose a run of 1–30 slots;
 * - a gap row for each of those holes, as collection leaves them after a month: 'lost' (3 attempts) except on the
 *   last two days, where they are still 'pending' and re-read (RR) is the answer (the loader takes every slot
 *   inside the meter's memory_days as re-readable unless its gap is lost or failed too often);
 * - ~5% of points have one or two power outages (2 min to 4 h, TRUE time): the simulator zeroes what the outage
 *   covers, both meters get the power-off flag on the slots it touches and an 'outage' meter_event (start and end
 *   known, deduplicated as ingest does);
 * - ~0.3% of channel-days hold one spike (a slot at 4–8× the day's maximum, pulses to match);
 * - one daily read_session per meter and collected day (serial as registered, the clock drift the fleet gave the
 *   meter: a few are beyond V04's limits);
 * - every point-day marked in vee_dirty, as ingest leaves them when no VEE ran during the month.
 * No register or instantaneous snapshots (the daily 'memoria' sequence does not read them), so V10 and V12 do not
 * apply.
 */
import { FLAG_ACTUAL, FLAG_POWER_OFF } from '../../src/collect/day-block.ts';
import { Random } from '../../src/domain/random.ts';
import { addDays, wallToInstant } from '../../src/domain/time.ts';
import { importRegistryFile } from '../../src/registry/import-file.ts';
import {
  type FleetSpec,
  type MeterSpec,
  makeFleet,
  meterFromSpec,
  registryFile,
} from '../../src/simulator/fleet-config.ts';
import type { OutagePeriod } from '../../src/simulator/meter-model.ts';
import { withTransaction } from '../../src/store/bulk.ts';
import { type DayBlock, writeDayBlocks } from '../../src/store/day-blocks.ts';
import { insertEvents, type NewEvent } from '../../src/store/events.ts';
import type { Store } from '../../src/store/pool.ts';
import { DEFAULT_PARAMS } from '../../src/vee/params.ts';
import { dayStartMs, expectedSlots } from '../../src/vee/slots.ts';

const ZONE = 'America/Sao_Paulo';
const STEP_MS = 300_000;
const SLOTS = 288;
const DAY_MS = 86_400_000;

export interface VeeFixtureOptions {
  points: number;
  /** First operating day. */
  from: string;
  days: number;
  seed: string;
  /** Points written per transaction. */
  batchPoints?: number;
}

export interface VeeFixtureStats {
  points: number;
  meters: number;
  /** interval_raw rows written. */
  blocks: number;
  /** Actual slots written, all channels. */
  filledSlots: number;
  principalLostDays: number;
  principalRuns: number;
  principalRunSlots: number;
  retaguardaLostDays: number;
  retaguardaRuns: number;
  retaguardaRunSlots: number;
  /** Gap rows: open on the last two days (re-read possible), lost before. */
  pendingGaps: number;
  lostGaps: number;
  pointsWithOutages: number;
  outages: number;
  outageEvents: number;
  powerOffSlots: number;
  spikes: number;
  sessions: number;
  /** vee_dirty rows (every point-day, as ingest leaves them). */
  dirty: number;
  /**
   * Point-days whose principal lost the whole day (gap lost) while the retaguarda was complete, without a spike or
   * an outage: every slot of every series should come from the retaguarda (quality S, method RT).
   */
  rtDays: { pointId: number; day: string }[];
  /** Point-days whose principal lost the whole day with the gap still open: every slot should wait for RR. */
  rrDays: { pointId: number; day: string }[];
  registryMs: number;
  dataMs: number;
  /** The instant VEE should treat as now (memory windows for re-reads). */
  nowMs: number;
}

interface PointPlan {
  pointId: number;
  principal: MeterPlan;
  retaguarda: MeterPlan;
}

interface MeterPlan {
  id: number;
  spec: MeterSpec;
}

/** The fleet's points that have both meters, the first `points` of them; more meters are asked for until enough. */
function fleetWithBackups(points: number, seed: string, now: number): { spec: FleetSpec; chosen: number[] } {
  for (let meters = Math.ceil(points * 2.5) + 10; ; meters *= 2) {
    // Ports only make the addresses valid for the import: nothing listens on them.
    const spec = makeFleet({ meters, seed, now, faults: 'none', basePort: 20_000 });
    const chosen: number[] = [];
    for (let p = 0; p < spec.points.length && chosen.length < points; p++) {
      if (spec.points[p].meterIndexes.length === 2) chosen.push(p);
    }
    if (chosen.length === points) return { spec, chosen };
  }
}

/** Outages of one point over the month (TRUE wall time), ~5% of points, 1–2 each. */
function pointOutages(rnd: Random, firstWall: number, days: number): OutagePeriod[] {
  if (rnd.next() >= 0.05) return [];
  const out: OutagePeriod[] = [];
  const n = rnd.int(1, 2);
  for (let i = 0; i < n; i++) {
    const start = firstWall + Math.floor((rnd.next() * (days * DAY_MS - 5 * 3600_000)) / 60_000) * 60_000;
    const minutes = Math.round(2 + rnd.next() ** 2 * 238);
    out.push({ start, end: start + minutes * 60_000 });
  }
  return out.sort((a, b) => a.start - b.start);
}

function isoWall(wall: number): string {
  return `${new Date(wall).toISOString().slice(0, 19)}-03:00`;
}

interface MeterDayPlan {
  lost: boolean;
  /** Missing run [from, to] slot indexes, or null. */
  run: [number, number] | null;
}

function plansOf(rnd: Random, days: number, lostP: number, runP: number): MeterDayPlan[] {
  const out: MeterDayPlan[] = [];
  for (let d = 0; d < days; d++) {
    const u = rnd.next();
    const len = rnd.int(1, 30);
    const start = rnd.int(0, SLOTS - len);
    if (u < lostP) out.push({ lost: true, run: null });
    else if (u < lostP + runP) out.push({ lost: false, run: [start, start + len - 1] });
    else out.push({ lost: false, run: null });
  }
  return out;
}

/**
 * Registers the fleet and writes the month. The store must be migrated and empty.
 */
export async function writeVeeFixture(store: Store, o: VeeFixtureOptions): Promise<VeeFixtureStats> {
  const t0 = performance.now();
  const firstWall = Date.parse(`${o.from}T00:00:00Z`);
  const lastDay = addDays(o.from, o.days - 1);
  for (let d = 0; d < o.days; d++) {
    const day = addDays(o.from, d);
    if (expectedSlots(day, 300, ZONE) !== SLOTS) throw new Error(`${day} does not have ${SLOTS} slots in ${ZONE}`);
  }
  // The fleet's clock: the meters were created the day after the month, so every label of the month is in memory.
  const fleetNow = firstWall + (o.days + 1) * DAY_MS;
  const { spec, chosen } = fleetWithBackups(o.points, o.seed, fleetNow);
  const file = registryFile(spec);
  const keepPoints = new Set(chosen.map((p) => spec.points[p].code));
  file.points = file.points.filter((p) => keepPoints.has(p.code));
  file.meters = file.meters.filter((m) => keepPoints.has(m.pointCode));
  for (const m of file.meters) m.channelGroups = m.channelGroups.filter((g) => g.group === 0);
  const report = await importRegistryFile({ db: store.db, actor: 'bench-vee' }, JSON.stringify(file), {
    source: 'bench-vee.json',
  });
  if (report.counts.meters.created !== 2 * chosen.length) {
    throw new Error(`registry import created ${report.counts.meters.created} meters, expected ${2 * chosen.length}`);
  }
  const rows = await store.pool.query<{ id: string; serial: string; point_id: string }>(
    'SELECT id, serial, point_id FROM meter',
  );
  const meterBySerial = new Map(rows.rows.map((r) => [r.serial, { id: Number(r.id), pointId: Number(r.point_id) }]));
  const plans: PointPlan[] = [];
  for (const p of chosen) {
    const [a, b] = spec.points[p].meterIndexes.map((i) => spec.meters[i]);
    const principal = a.role === 'principal' ? a : b;
    const retaguarda = a.role === 'principal' ? b : a;
    const mp = meterBySerial.get(principal.serial);
    const mr = meterBySerial.get(retaguarda.serial);
    if (!mp || !mr || mp.pointId !== mr.pointId) throw new Error(`point ${spec.points[p].code}: meters not registered`);
    plans.push({
      pointId: mp.pointId,
      principal: { id: mp.id, spec: principal },
      retaguarda: { id: mr.id, spec: retaguarda },
    });
  }
  const registryMs = performance.now() - t0;

  const stats: VeeFixtureStats = {
    points: plans.length,
    meters: 2 * plans.length,
    blocks: 0,
    filledSlots: 0,
    principalLostDays: 0,
    principalRuns: 0,
    principalRunSlots: 0,
    retaguardaLostDays: 0,
    retaguardaRuns: 0,
    retaguardaRunSlots: 0,
    pendingGaps: 0,
    lostGaps: 0,
    pointsWithOutages: 0,
    outages: 0,
    outageEvents: 0,
    powerOffSlots: 0,
    spikes: 0,
    sessions: 0,
    dirty: 0,
    rtDays: [],
    rrDays: [],
    registryMs,
    dataMs: 0,
    nowMs: dayStartMs(addDays(lastDay, 1), ZONE) + 12 * 3600_000,
  };
  const dayNames = Array.from({ length: o.days }, (_, d) => addDays(o.from, d));
  const dayStarts = dayNames.map((d) => dayStartMs(d, ZONE));
  const batch = o.batchPoints ?? 50;
  const t1 = performance.now();
  for (let i = 0; i < plans.length; i += batch) {
    const blocks: DayBlock[] = [];
    const events: NewEvent[] = [];
    const sessions: { meterId: number; startedAt: number; serial: string; driftS: number }[] = [];
    const gaps: { meterId: number; firstEnd: number; lastEnd: number; intervals: number; open: boolean }[] = [];
    for (const plan of plans.slice(i, i + batch)) {
      const pointRnd = new Random(`${o.seed}:point:${plan.principal.spec.pointCode}`);
      const outages = pointOutages(pointRnd, firstWall, o.days);
      if (outages.length > 0) {
        stats.pointsWithOutages++;
        stats.outages += outages.length;
      }
      const principalDays = plansOf(new Random(`${o.seed}:days:${plan.principal.spec.serial}`), o.days, 0.005, 0.02);
      const backupDays = plansOf(new Random(`${o.seed}:days:${plan.retaguarda.spec.serial}`), o.days, 0.003, 0.01);
      /** Day indexes where the retaguarda holds a spike or a power-off flag. */
      const backupDisturbed = new Set<number>();
      // A retaguarda whose clock is off by more than V04's error limit is suspect every day: no RT from it.
      const backupClockOff =
        Math.abs(Math.round((plan.retaguarda.spec.config.clock?.offsetMs ?? 0) / 1000)) >
        DEFAULT_PARAMS.rules.V04.errorS;
      for (const [m, dayPlans] of [
        [plan.principal, principalDays],
        [plan.retaguarda, backupDays],
      ] as const) {
        const principal = m === plan.principal;
        // The point's outages replace the fleet's own (which sit in the week before the fleet's clock).
        const sim = meterFromSpec({ ...m.spec, config: { ...m.spec.config, outages: outages.map((x) => ({ ...x })) } });
        const truth = sim.groundTruth(0, firstWall + STEP_MS, firstWall + o.days * DAY_MS);
        const constants = sim.constants(0);
        const spikes = new Random(`${o.seed}:spikes:${m.spec.serial}`);
        for (const x of outages) {
          events.push({
            meterId: m.id,
            kind: 'outage',
            at: wallToInstant(x.start, ZONE),
            endedAt: wallToInstant(x.end, ZONE),
            detail: { start: isoWall(x.start), end: isoWall(x.end), period: 'current', slot: null },
            sessionId: null,
            dedupe: `start:${isoWall(x.start)}`,
          });
        }
        for (let d = 0; d < o.days; d++) {
          const p = dayPlans[d];
          const day = dayNames[d];
          // Collection kept a gap row for every hole: the last two days' are still open (re-read may fill them);
          // older ones the collector gave up on (lost), so VEE must substitute or estimate them.
          const open = d >= o.days - 2;
          if (p.lost || p.run) {
            const [a, b] = p.run ?? [0, SLOTS - 1];
            gaps.push({
              meterId: m.id,
              firstEnd: dayStarts[d] + (a + 1) * STEP_MS,
              lastEnd: dayStarts[d] + (b + 1) * STEP_MS,
              intervals: b - a + 1,
              open,
            });
          }
          if (p.lost) {
            if (principal) stats.principalLostDays++;
            else stats.retaguardaLostDays++;
            continue;
          }
          // The daily read of this day's data (the session starts just after midnight of the next day).
          sessions.push({
            meterId: m.id,
            startedAt: dayStarts[d] + DAY_MS + 600_000 + (m.id % 97) * 1000,
            serial: m.spec.serial,
            driftS: Math.round((m.spec.config.clock?.offsetMs ?? 0) / 1000),
          });
          if (p.run) {
            const n = p.run[1] - p.run[0] + 1;
            if (principal) {
              stats.principalRuns++;
              stats.principalRunSlots += 3 * n;
            } else {
              stats.retaguardaRuns++;
              stats.retaguardaRunSlots += 3 * n;
            }
          }
          const wallStart = firstWall + d * DAY_MS;
          for (let c = 0; c < 3; c++) {
            const value = new Float64Array(SLOTS);
            const pulses = new Int32Array(SLOTS);
            const flags = new Uint8Array(SLOTS);
            const e = truth.energy[c];
            const pu = truth.pulses[c];
            let filled = 0;
            let max = 0;
            for (let k = 0; k < SLOTS; k++) {
              const j = d * SLOTS + k;
              if (p.run && k >= p.run[0] && k <= p.run[1]) {
                value[k] = Number.NaN;
                pulses[k] = -1;
                continue;
              }
              value[k] = e[j];
              pulses[k] = pu[j];
              flags[k] = FLAG_ACTUAL;
              if (e[j] > max) max = e[j];
              filled++;
            }
            for (const x of outages) {
              // Slot k covers wall [start + k·Δ, start + (k+1)·Δ).
              const k0 = Math.max(0, Math.floor((x.start - wallStart) / STEP_MS));
              const k1 = Math.min(SLOTS - 1, Math.ceil((x.end - wallStart) / STEP_MS) - 1);
              for (let k = k0; k <= k1; k++) {
                if (flags[k] & FLAG_ACTUAL) {
                  flags[k] |= FLAG_POWER_OFF;
                  if (!principal) backupDisturbed.add(d);
                  if (c === 0) stats.powerOffSlots++;
                }
              }
            }
            if (spikes.next() < 0.003 && max > 0) {
              const k = spikes.int(0, SLOTS - 1);
              if (flags[k] & FLAG_ACTUAL && !(flags[k] & FLAG_POWER_OFF)) {
                const w = constants[c].numerator / constants[c].denominator;
                pulses[k] = Math.round((max * (4 + 4 * spikes.next())) / w);
                value[k] = (pulses[k] * constants[c].numerator) / constants[c].denominator;
                stats.spikes++;
                if (!principal) backupDisturbed.add(d);
              }
            }
            stats.filledSlots += filled;
            blocks.push({
              meterId: m.id,
              channel: c + 1,
              day,
              intervalS: 300,
              slots: SLOTS,
              value,
              pulses,
              flags,
              filled,
              firstSession: null,
              lastSession: null,
            });
          }
        }
      }
      for (let d = 0; d < o.days; d++) {
        const b = backupDays[d];
        if (!principalDays[d].lost) continue;
        const pd = { pointId: plan.pointId, day: dayNames[d] };
        if (d >= o.days - 2) stats.rrDays.push(pd);
        else if (!b.lost && !b.run && !backupDisturbed.has(d) && !backupClockOff) stats.rtDays.push(pd);
      }
    }
    const batchPoints = plans.slice(i, i + batch).map((p) => p.pointId);
    await withTransaction(store, async (tx) => {
      stats.blocks += await writeDayBlocks(tx, blocks);
      // Ingest marks every point-day it touched for VEE; a month nobody ran VEE over leaves them all marked.
      const dirty = await tx.client.query(
        `INSERT INTO vee_dirty (point_id, day, reason)
         SELECT p, d, 'ingest' FROM unnest($1::bigint[]) AS p CROSS JOIN unnest($2::date[]) AS d`,
        [batchPoints, dayNames],
      );
      stats.dirty += dirty.rowCount ?? 0;
      stats.outageEvents += (await insertEvents(tx, events)).length;
      if (sessions.length > 0) {
        const r = await tx.client.query(
          `INSERT INTO read_session (meter_id, purpose, sequence, status, started_at, ended_at, meter_serial, drift_s,
                                     intervals)
           SELECT m, 'daily', 'memoria', 'ok', s, s + interval '3 seconds', serial, drift, 864
             FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::int[]) AS x(m, s, serial, drift)`,
          [
            sessions.map((s) => s.meterId),
            sessions.map((s) => new Date(s.startedAt).toISOString()),
            sessions.map((s) => s.serial),
            sessions.map((s) => s.driftS),
          ],
        );
        stats.sessions += r.rowCount ?? 0;
      }
      if (gaps.length > 0) {
        const r = await tx.client.query<{ state: string; n: string }>(
          `WITH g AS (
             INSERT INTO gap (meter_id, first_end, last_end, intervals, state, attempts, closed_at)
             SELECT m, a, b, n, CASE WHEN open THEN 'pending' ELSE 'lost' END, CASE WHEN open THEN 0 ELSE 3 END,
                    CASE WHEN open THEN NULL ELSE b + interval '3 days' END
               FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::boolean[])
                    AS x(m, a, b, n, open)
             RETURNING state)
           SELECT state, count(*) AS n FROM g GROUP BY state`,
          [
            gaps.map((g) => g.meterId),
            gaps.map((g) => new Date(g.firstEnd).toISOString()),
            gaps.map((g) => new Date(g.lastEnd).toISOString()),
            gaps.map((g) => g.intervals),
            gaps.map((g) => g.open),
          ],
        );
        for (const x of r.rows) {
          if (x.state === 'pending') stats.pendingGaps += Number(x.n);
          else stats.lostGaps += Number(x.n);
        }
      }
    });
  }
  // A server's autovacuum would have analysed a month of collection; PGlite has no autovacuum, so it stays as is.
  if (store.kind === 'postgres') await store.pool.query('ANALYZE');
  stats.dataMs = performance.now() - t1;
  return stats;
}
