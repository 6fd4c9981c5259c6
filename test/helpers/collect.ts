/**
 * Collection-engine test fixtures: a small simulated fleet registered straight into a store (no registry service,
 * so these tests do not depend on its validation), and the comparison of stored day blocks with the simulator's
 * ground truth.
 */
import assert from 'node:assert/strict';
import { addDays, instantToWall, operatingDayStart } from '../../src/domain/time.ts';
import { silentLogger } from '../../src/logging.ts';
import type { MeterFaults } from '../../src/simulator/faults.ts';
import { type RunningFleet, startFleet } from '../../src/simulator/fleet.ts';
import { type FleetSpec, makeFleet } from '../../src/simulator/fleet-config.ts';
import type { Store } from '../../src/store/pool.ts';
import { insertChannel, insertMeter, insertPoint, type MeterRow } from '../../src/store/registry.ts';
import type { ChannelMapEntry } from '../../src/store/schema.ts';

export const quiet = silentLogger();

export interface TestFleetOptions {
  meters: number;
  seed?: number;
  /** Per meter index: faults to inject (replacing the spec's). */
  faults?: Record<number, MeterFaults | null>;
  /** Per meter index: clock offset in seconds (default 0 for every meter: clocks right). */
  clockOffsetS?: Record<number, number>;
}

/** A fleet of simulated meters with right clocks (unless asked) and only the faults given. */
export async function startTestFleet(opts: TestFleetOptions): Promise<RunningFleet> {
  const spec: FleetSpec = makeFleet({ meters: opts.meters, seed: opts.seed ?? 11, faults: 'none' });
  for (const m of spec.meters) {
    m.config.clock = { offsetMs: (opts.clockOffsetS?.[m.index] ?? 0) * 1000, driftPpm: 0 };
    m.config.outages = [];
    m.faults = opts.faults?.[m.index] ?? null;
  }
  return startFleet(spec);
}

export interface RegisterOptions {
  /** Channel groups registered per meter (default [0]: channels 1–3). */
  groups?: number[];
  memoryDays?: number;
  /** Meters on one line share this concurrency group (default: one line per meter). */
  line?: (index: number) => string;
}

/** Registers the fleet's points, meters and channels; returns the meter rows in fleet order. */
export async function registerFleet(
  store: Store,
  fleet: RunningFleet,
  opts: RegisterOptions = {},
): Promise<MeterRow[]> {
  const groups = opts.groups ?? [0];
  const points = new Map<string, number>();
  for (const p of fleet.registry.points) {
    const row = await insertPoint(store.db, {
      code: p.code,
      name: p.customer.name,
      kind: 'consumidor_livre',
      segment: 'livre',
      tags: [p.shape],
    });
    points.set(p.code, row.id);
  }
  const out: MeterRow[] = [];
  for (const [i, m] of fleet.registry.meters.entries()) {
    const channelMap: ChannelMapEntry[] = m.channelGroups
      .filter((g) => groups.includes(g.group))
      .flatMap((g) =>
        g.quantityCodes.map((q, k) => ({
          group: g.group,
          channel: 3 * g.group + k + 1,
          quantityCode: q,
          numerator: g.constants[k].numerator,
          denominator: g.constants[k].denominator,
        })),
      );
    const meter = await insertMeter(store.db, points.get(m.pointCode)!, {
      serial: m.serial,
      role: m.role,
      mmIntervalS: m.massMemoryIntervalSeconds,
      memoryDays: opts.memoryDays ?? 35,
      channelMap,
    });
    await insertChannel(store.db, meter.id, {
      kind: 'tcp',
      address: m.address,
      concurrencyGroup: opts.line ? opts.line(i) : m.address,
    });
    out.push(meter);
  }
  return out;
}

export interface StoredSlot {
  /** End instant. */
  end: number;
  value: number | null;
}

/** Stored slots of one meter channel over days fromDay..toDay. */
export async function storedSlots(
  store: Store,
  meterId: number,
  channel: number,
  fromDay: string,
  toDay: string,
): Promise<StoredSlot[]> {
  const rows = await store.db
    .selectFrom('interval_raw')
    .select(['day', 'interval_s', 'value'])
    .where('meter_id', '=', meterId)
    .where('channel', '=', channel)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .orderBy('day')
    .execute();
  const out: StoredSlot[] = [];
  for (const r of rows) {
    const start = operatingDayStart(String(r.day));
    r.value.forEach((v, k) => {
      out.push({ end: start + (k + 1) * r.interval_s * 1000, value: v });
    });
  }
  return out;
}

/**
 * Every stored value of the meter's group-0 channels in fromDay..toDay equals the simulator's energy for that label;
 * returns how many values were compared.
 */
export async function assertStoredMatchesTruth(
  store: Store,
  fleet: RunningFleet,
  index: number,
  meterId: number,
  fromDay: string,
  toDay: string,
): Promise<number> {
  const sim = fleet.meters[index];
  let compared = 0;
  for (let c = 0; c < 3; c++) {
    const slots = (await storedSlots(store, meterId, c + 1, fromDay, toDay)).filter((s) => s.value !== null);
    if (slots.length === 0) continue;
    const first = instantToWall(slots[0].end);
    const last = instantToWall(slots[slots.length - 1].end);
    const truth = sim.groundTruth(0, first, last);
    const byLabel = new Map(truth.ends.map((e, i) => [e, truth.energy[c][i]]));
    for (const s of slots) {
      const want = byLabel.get(instantToWall(s.end));
      assert.ok(want !== undefined, `meter ${index} ch${c + 1}: no truth for ${new Date(s.end).toISOString()}`);
      assert.ok(
        Math.abs((s.value as number) - want) < 1e-9,
        `meter ${index} ch${c + 1} at ${new Date(s.end).toISOString()}: stored ${s.value}, meter holds ${want}`,
      );
      compared++;
    }
  }
  return compared;
}

/** Filled slots over slots for the meter's channels on one day. */
export async function dayFill(
  store: Store,
  meterId: number,
  day: string,
): Promise<{ channel: number; filled: number; slots: number }[]> {
  const rows = await store.db
    .selectFrom('interval_raw')
    .select(['channel', 'filled', 'slots'])
    .where('meter_id', '=', meterId)
    .where('day', '=', day)
    .orderBy('channel')
    .execute();
  return rows.map((r) => ({ channel: r.channel, filled: r.filled, slots: r.slots }));
}

export function yesterday(today: string): string {
  return addDays(today, -1);
}

/** Polls `check` until it returns true (or fails after `ms`). */
export async function eventually(check: () => Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}
