/**
 * Test helpers: the response blocks a simulated meter sends for a command sequence, without a link (the simulator's
 * responder called directly), and a file of them.
 */
import { instantToWall } from '../../domain/time.ts';
import { type AnyCommandSpec, buildCommand } from '../../protocols/abnt14522/commands/index.ts';
import type { WallTime } from '../../protocols/abnt14522/fields.ts';
import { decodeCommand } from '../../protocols/abnt14522/frame.ts';
import { makeFleet } from '../../simulator/fleet-config.ts';
import { SimulatedMeter, type SimulatedMeterConfig } from '../../simulator/meter-model.ts';
import { createResponder } from '../../simulator/responder.ts';

export type Step = [AnyCommandSpec, Record<string, unknown>];

const DAY = 86_400_000;

/** Today's midnight, Brasília wall time. */
export function todayWall(): WallTime {
  const w = instantToWall(Date.now());
  return w - (w % DAY);
}

/** A meter of a small seeded fleet created two days ago, with a right clock (so wall times are predictable). */
export function testMeter(seed = 7, adjust?: (c: SimulatedMeterConfig) => void): SimulatedMeter {
  const fleet = makeFleet({ meters: 2, seed, now: todayWall() - 2 * DAY });
  const config = structuredClone(fleet.meters[0].config);
  config.clock = { offsetMs: 0, driftPpm: 0 };
  adjust?.(config);
  return new SimulatedMeter(config);
}

/** Every response block the meter sends for `steps`, in order (sealed 258-byte blocks). */
export function sessionBlocks(meter: SimulatedMeter, now: WallTime, steps: readonly Step[]): Uint8Array[] {
  const respond = createResponder(meter, { now: () => now });
  const out: Uint8Array[] = [];
  for (const [spec, req] of steps) out.push(...respond(decodeCommand(buildCommand(spec, '000001', req))));
  return out;
}
