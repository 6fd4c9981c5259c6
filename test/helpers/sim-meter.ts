/**
 * One simulated meter on a loopback TCP port for end-to-end tests, plus the comparison of a Reading with the
 * meter's ground truth.
 */
import assert from 'node:assert/strict';
import type { GroupReading, Reading } from '../../src/collect/session/reading.ts';
import { instantToWall } from '../../src/domain/time.ts';
import type { WallTime } from '../../src/protocols/abnt14522/fields.ts';
import { intervalEnd } from '../../src/protocols/abnt14522/mass-memory.ts';
import type { MeterFaults } from '../../src/simulator/faults.ts';
import { makeFleet } from '../../src/simulator/fleet-config.ts';
import { SimulatedMeter, type SimulatedMeterConfig } from '../../src/simulator/meter-model.ts';
import { type MeterServer, type MeterServerOptions, startMeterServer } from '../../src/simulator/server.ts';

const DAY = 86_400_000;

export function todayMidnightWall(): WallTime {
  const w = instantToWall(Date.now());
  return w - (w % DAY);
}

/** A meter config from a small deterministic fleet (seeded), optionally adjusted. */
export function meterConfig(seed: number, adjust?: (c: SimulatedMeterConfig) => void): SimulatedMeterConfig {
  const fleet = makeFleet({ meters: 2, seed, now: todayMidnightWall() - 2 * DAY });
  const config = structuredClone(fleet.meters[0].config);
  adjust?.(config);
  return config;
}

export async function startTestMeter(
  opts: { seed?: number; faults?: MeterFaults | null; adjust?: (c: SimulatedMeterConfig) => void } & Omit<
    MeterServerOptions,
    'faults'
  > = {},
): Promise<{ meter: SimulatedMeter; server: MeterServer; address: string }> {
  const meter = new SimulatedMeter(meterConfig(opts.seed ?? 7, opts.adjust));
  const server = await startMeterServer(meter, { ...opts, faults: opts.faults ?? null });
  return { meter, server, address: server.address };
}

/** Every interval of the group's mass memory equals what the meter holds for that label, channel by channel. */
export function assertMatchesTruth(meter: SimulatedMeter, g: GroupReading): number {
  const mm = g.massMemory;
  assert.ok(mm, `group ${g.group} has no mass memory`);
  const t = mm.timeline;
  if (t.count === 0) return 0;
  const truth = meter.groundTruth(g.group, t.firstEnd, intervalEnd(t, t.count - 1));
  assert.equal(truth.ends.length, t.count);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < t.count; i++) {
      if (t.values[c][i] !== truth.pulses[c][i]) {
        assert.fail(
          `group ${g.group} ch${c + 1} interval ${i} ending ${new Date(truth.ends[i]).toISOString()}: ` +
            `read ${t.values[c][i]}, meter holds ${truth.pulses[c][i]}`,
        );
      }
    }
  }
  return t.count;
}

export function assertOk(r: Reading): void {
  assert.ok(
    r.ok,
    `reading failed: ${JSON.stringify(r.failure)}\nsteps: ${r.steps.map((s) => `${s.label}:${s.status}`).join(' ')}`,
  );
}
