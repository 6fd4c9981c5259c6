/**
 * What the collection benchmark's parent and its fleet children share: the fleet spec (built the same way on both
 * sides, so the registry the parent imports describes exactly the meters the children serve) and the IPC messages.
 */
import type { WallTime } from '../../src/protocols/abnt14522/fields.ts';
import { type FleetSpec, makeFleet, registryFile } from '../../src/simulator/fleet-config.ts';

export interface BenchFleetOptions {
  meters: number;
  seed: string;
  /** Meter i listens on 127.0.0.1:basePort + i. */
  basePort: number;
  /** The operating day the benchmark's clock starts in ('YYYY-MM-DD'): the fleet is created at its midnight. */
  day: string;
}

/**
 * The benchmark fleet: makeFleet's mix of load shapes, principal/retaguarda pairs and outages in the week before
 * `day`, no faults, and every meter clock right (no offset, no drift), so the daily round reads exactly one day
 * and asks for no clock sync.
 */
export function benchFleetSpec(o: BenchFleetOptions): FleetSpec {
  const now: WallTime = Date.parse(`${o.day}T00:00:00Z`);
  const spec = makeFleet({ meters: o.meters, seed: o.seed, basePort: o.basePort, now, faults: 'none' });
  for (const m of spec.meters) m.config.clock = { offsetMs: 0, driftPpm: 0 };
  return spec;
}

/** The simulator's registry document for the fleet, with each meter's channel group 0 only (3 channels), as JSON. */
export function group0RegistryJson(spec: FleetSpec): string {
  const file = registryFile(spec);
  for (const m of file.meters) m.channelGroups = m.channelGroups.filter((g) => g.group === 0);
  return JSON.stringify(file);
}

export interface ChildFigures {
  peakRssBytes: number;
  /** CPU (user + system) from the clock message (the first read) to stop. */
  cpuMs: number;
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Connections accepted. */
  accepted: number;
}

export interface TruthMeter {
  index: number;
  /** Interval ends, meter wall time. */
  ends: number[];
  /** Per channel of group 0: energy (pulses × num/den). */
  energy: number[][];
}

export type ParentMessage =
  | { type: 'clock'; shiftMs: number }
  | { type: 'truth'; id: number; indexes: number[]; fromEnd: WallTime; toEnd: WallTime }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; startMs: number; meters: number }
  | { type: 'clock-set' }
  | { type: 'truth'; id: number; meters: TruthMeter[] }
  | { type: 'stopped'; figures: ChildFigures };
