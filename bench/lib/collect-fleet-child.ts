/**
 * One slice of the collection benchmark's simulated fleet, in a process of its own (10,000 listening sockets do not
 * fit one process's open-file limit next to their connections, and the collector's RSS must be its own). Started by
 * bench/lib/collect-fleet.ts with an IPC channel:
 *   node --import tsx bench/lib/collect-fleet-child.ts --meters N --from A --to B --seed S --base-port P --day D
 * Every child builds the same whole-fleet spec (cheap, deterministic) and serves meters A..B-1 on basePort + index.
 *
 * Clock: the meters' TRUE time is the system clock plus a shift the parent sets ({ type: 'clock', shiftMs }) before
 * the first read, so the benchmark can hold its daily round at a chosen meter time (just after midnight) while
 * the collector, shifted by the same amount, sees clocks that agree.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { instantToWall } from '../../src/domain/time.ts';
import { startFleet } from '../../src/simulator/fleet.ts';
import { benchFleetSpec, type ChildFigures, type ChildMessage, type ParentMessage } from './collect-protocol.ts';
import { procStatusBytes } from './measure.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      meters: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      seed: { type: 'string', default: 'bench-collect' },
      'base-port': { type: 'string' },
      day: { type: 'string' },
    },
  });
  const send = process.send?.bind(process) as ((m: ChildMessage) => boolean) | undefined;
  if (!send) throw new Error('collect-fleet-child must be started with an IPC channel (child_process.fork)');
  const from = Number(values.from);
  const to = Number(values.to);
  const t0 = performance.now();
  const spec = benchFleetSpec({
    meters: Number(values.meters),
    seed: values.seed as string,
    basePort: Number(values['base-port']),
    day: values.day as string,
  });
  // Points are left out: registryFile() would look up their meters by whole-fleet index.
  const slice = { ...spec, points: [], meters: spec.meters.slice(from, to) };
  let shiftMs = 0;
  const fleet = await startFleet(slice, { withoutFaults: true, now: () => instantToWall(Date.now() + shiftMs) });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  let cpu0 = process.cpuUsage();
  send({ type: 'ready', startMs: performance.now() - t0, meters: fleet.servers.length });

  await new Promise<void>((resolve) => {
    process.on('message', (m: ParentMessage) => {
      if (m.type === 'clock') {
        shiftMs = m.shiftMs;
        // Figures cover the reads only.
        delay.enable();
        cpu0 = process.cpuUsage();
        send({ type: 'clock-set' });
      } else if (m.type === 'truth') {
        const meters = m.indexes.map((i) => {
          const sim = fleet.meters[i - from];
          const t = sim.groundTruth(0, m.fromEnd, m.toEnd);
          return { index: i, ends: t.ends, energy: t.energy.map((e) => Array.from(e)) };
        });
        send({ type: 'truth', id: m.id, meters });
      } else if (m.type === 'stop') {
        resolve();
      }
    });
    process.once('disconnect', resolve);
  });
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  const accepted = fleet.servers.reduce((s, x) => s + x.accepted, 0);
  await fleet.close();
  const figures: ChildFigures = {
    peakRssBytes: procStatusBytes('VmHWM'),
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    accepted,
  };
  if (process.connected)
    process.send?.({ type: 'stopped', figures } satisfies ChildMessage, () => process.disconnect());
}

main().catch((e) => {
  process.stderr.write(`collect-fleet-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
