/**
 * A running fleet of simulated meters on loopback: one TCP server per meter (meter i on basePort + i, or any free
 * port), the registry document describing them with their real addresses, and the ground truth of what each holds.
 */
import type { WallTime } from '../protocols/abnt14522/fields.ts';
import type { MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import type { MeterLinkTimers } from '../protocols/abnt14522/meter-link.ts';
import { type FleetSpec, meterFromSpec, type RegistryFile, registryFile } from './fleet-config.ts';
import type { SimulatedMeter } from './meter-model.ts';
import { LinePacer, type PacedDelivery } from './pacing.ts';
import { type MeterServer, startMeterServer, systemWallClock } from './server.ts';

export interface FleetRunOptions {
  packing?: MassMemoryPacking;
  now?: () => WallTime;
  meterTimers?: Partial<MeterLinkTimers>;
  /** Pace every meter at this line speed (overrides per-meter pacing faults). */
  pacingBaud?: number;
  /**
   * How pacingBaud hands bytes on (pacing.ts). Default 'frames': the fleet's meters sit behind TCP, as if behind
   * serial-to-TCP modems, and thousands of links paced byte by byte would cost more than the links themselves.
   */
  pacingDelivery?: PacedDelivery;
  /** Ignore the spec's fault injection (a clean fleet). */
  withoutFaults?: boolean;
  /**
   * Work out every meter's mass memory for the last this many days before listening (default 0: none), so reads
   * within that span are answered from memory, as a real meter answers from flash, instead of costing the
   * simulator's CPU per request. About 0.2 ms per meter, group and day.
   */
  materialiseDays?: number;
}

export interface RunningFleet {
  spec: FleetSpec;
  meters: SimulatedMeter[];
  servers: MeterServer[];
  registry: RegistryFile;
  close(): Promise<void>;
}

export async function startFleet(spec: FleetSpec, opts: FleetRunOptions = {}): Promise<RunningFleet> {
  const now = opts.now ?? systemWallClock;
  const shared = opts.pacingBaud
    ? new LinePacer(opts.pacingBaud, undefined, opts.pacingDelivery ?? 'frames')
    : undefined;
  const pacers = new Map<number, LinePacer>();
  const meters = spec.meters.map(meterFromSpec);
  if (opts.materialiseDays) {
    const t = now();
    for (const m of meters) m.materialiseMassMemory(t, opts.materialiseDays);
  }
  const servers: MeterServer[] = [];
  try {
    // Listening in batches keeps thousands of meters from opening all their sockets in one tick.
    for (let i = 0; i < spec.meters.length; i += 200) {
      const batch = spec.meters.slice(i, i + 200).map((m, k) => {
        const faults = opts.withoutFaults ? null : m.faults;
        let pacer = shared;
        if (!pacer && faults?.pacingBaud) {
          pacer = pacers.get(faults.pacingBaud) ?? new LinePacer(faults.pacingBaud);
          pacers.set(faults.pacingBaud, pacer);
        }
        return startMeterServer(meters[i + k], {
          host: m.host,
          port: m.port,
          faults,
          packing: opts.packing,
          now,
          meterTimers: opts.meterTimers,
          pacer,
        });
      });
      servers.push(...(await Promise.all(batch)));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  const registry = registryFile(spec);
  registry.meters.forEach((m, i) => {
    m.address = servers[i].address;
  });
  return {
    spec,
    meters,
    servers,
    registry,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

export interface GroundTruthMeter {
  serial: string;
  pointCode: string;
  role: string;
  groups: { group: number; quantityCodes: number[]; ends: string[]; pulses: number[][]; energy: number[][] }[];
}

/**
 * What each meter holds for the mass-memory labels (fromEnd, toEnd] in meter time, for tests and for checking a
 * collection against the truth. Labels are 'YYYY-MM-DDTHH:mm:ss' meter wall time (interval ends).
 */
export function groundTruth(fleet: RunningFleet, fromEnd: WallTime, toEnd: WallTime): GroundTruthMeter[] {
  return fleet.meters.map((m, i) => {
    const spec = fleet.spec.meters[i];
    return {
      serial: spec.serial,
      pointCode: spec.pointCode,
      role: spec.role,
      groups: Array.from({ length: m.groupCount }, (_, g) => {
        const t = m.groundTruth(g, fromEnd, toEnd);
        return {
          group: g,
          quantityCodes: m.quantityCodes(g),
          ends: t.ends.map((e) => new Date(e).toISOString().slice(0, 19)),
          pulses: t.pulses.map((p) => Array.from(p)),
          energy: t.energy.map((e) => Array.from(e)),
        };
      }),
    };
  });
}
