/**
 * The simulated fleet for the benchmarks, in its own process so the reader's memory and CPU are measured alone.
 * Started by bench/lib/fleet-process.ts with an IPC channel:
 *   node --import tsx bench/fleet-child.ts --meters N [--pacing BAUD] [--seed S]
 * It listens on free loopback ports, sends { type: 'ready', addresses, startMs } and serves until it receives
 * { type: 'stop' } (or the parent goes away), then answers { type: 'stopped', ... } with its own load figures.
 * { type: 'cpu' } asks for the CPU used so far (answered with a FleetCpu).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startFleet } from '../src/simulator/fleet.ts';
import { makeFleet } from '../src/simulator/fleet-config.ts';
import { procStatusBytes } from './lib/measure.ts';

export interface FleetReady {
  type: 'ready';
  addresses: string[];
  startMs: number;
}

/** Answer to { type: 'cpu' }: the child's CPU since it was ready, so the parent can take the share of one phase. */
export interface FleetCpu {
  type: 'cpu';
  cpuMs: number;
  systemCpuMs: number;
}

export interface FleetStopped {
  type: 'stopped';
  peakRssBytes: number;
  /** CPU (user + system) from ready to stop. */
  cpuMs: number;
  /** The system (kernel) part of cpuMs. */
  systemCpuMs: number;
  /** Event-loop delay from ready to stop: how long a ready event could wait. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      meters: { type: 'string', default: '1000' },
      pacing: { type: 'string' },
      seed: { type: 'string', default: 'bench' },
    },
  });
  const send = process.send?.bind(process);
  if (!send) throw new Error('fleet-child must be started with an IPC channel (child_process.fork)');
  const t0 = performance.now();
  const spec = makeFleet({ meters: Number(values.meters), seed: values.seed, faults: 'none' });
  const fleet = await startFleet(spec, {
    withoutFaults: true,
    pacingBaud: values.pacing ? Number(values.pacing) : undefined,
    // The day every bench session reads, kept like a meter's flash (see startFleet).
    materialiseDays: 1,
  });
  const ready: FleetReady = {
    type: 'ready',
    addresses: fleet.servers.map((s) => s.address),
    startMs: performance.now() - t0,
  };
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  send(ready);
  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'stop') resolve();
      else if (m?.type === 'cpu') {
        const c = process.cpuUsage(cpu0);
        const answer: FleetCpu = { type: 'cpu', cpuMs: (c.user + c.system) / 1000, systemCpuMs: c.system / 1000 };
        send(answer);
      }
    });
    process.once('disconnect', resolve);
  });
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  await fleet.close();
  const stopped: FleetStopped = {
    type: 'stopped',
    peakRssBytes: procStatusBytes('VmHWM'),
    cpuMs: (cpu.user + cpu.system) / 1000,
    systemCpuMs: cpu.system / 1000,
    loopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  };
  if (process.connected) send(stopped, () => process.disconnect());
}

main().catch((e) => {
  process.stderr.write(`fleet-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
