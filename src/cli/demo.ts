/**
 * `fronteira demo`: a protocol-only demo — a simulated fleet with some faulty
 * meters, read in rounds by the real reader over loopback, with a line per meter and a summary per round. It shows
 * the protocol stack working end to end; nothing is stored (`fronteira start` is the full platform).
 */
import type { Command } from 'commander';
import { readMeter } from '../collect/session/read-meter.ts';
import type { Reading } from '../collect/session/reading.ts';
import { startFleet } from '../simulator/fleet.ts';
import { makeFleet } from '../simulator/fleet-config.ts';
import { parseIntOption } from './read.ts';

interface DemoFlags {
  meters: number;
  basePort: number;
  seed: string;
  rounds: number;
  everyMinutes: number;
  concurrency: number;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

function summary(r: Reading): string {
  if (!r.ok) return `FAILED at ${r.failure!.step}: [${r.failure!.code}] ${r.failure!.message}`;
  const n = r.groups.map((g) => g.massMemory?.timeline.count ?? 0);
  const drift = r.clock ? `${r.clock.driftSeconds >= 0 ? '+' : ''}${r.clock.driftSeconds} s` : '?';
  const retries = r.steps.reduce((s, x) => s + (x.stats ? x.stats.retries + x.stats.naksSent + x.stats.waits : 0), 0);
  return `ok, ${n.join('+')} intervals, drift ${drift}${retries ? `, ${retries} link retries` : ''}`;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Protocol-only demo: a simulated fleet read in rounds by the reader, nothing stored')
    .option('-n, --meters <n>', 'number of simulated meters', parseIntOption('--meters', 1, 5000), 40)
    .option(
      '-p, --base-port <port>',
      'port of meter 0 (0 = any free ports)',
      parseIntOption('--base-port', 0, 65_535),
      0,
    )
    .option('--seed <seed>', 'fleet seed', '1')
    .option('--rounds <n>', 'reading rounds (0 = until Ctrl+C)', parseIntOption('--rounds', 0, 1_000_000), 0)
    .option('--every-minutes <n>', 'minutes between rounds', parseIntOption('--every-minutes', 1, 1440), 5)
    .option('--concurrency <n>', 'meters read at once', parseIntOption('--concurrency', 1, 2000), 16)
    .action(async (flags: DemoFlags) => {
      const seed = /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
      const spec = makeFleet({ meters: flags.meters, seed, basePort: flags.basePort, faults: 'some' });
      const fleet = await startFleet(spec);
      const faulty = spec.meters.filter((m) => m.faults).length;
      process.stdout.write(
        `Fronteira demo: ${spec.meters.length} simulated meters on ${spec.points.length} points ` +
          `(${faulty} with injected faults), reading every ${flags.everyMinutes} min. Ctrl+C to stop.\n` +
          `Read one yourself: fronteira read ${fleet.servers[0].address}\n`,
      );
      let stopping = false;
      let wake: (() => void) | null = null;
      const stop = () => {
        stopping = true;
        wake?.();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      for (let round = 1; !stopping && (flags.rounds === 0 || round <= flags.rounds); round++) {
        const t0 = Date.now();
        let ok = 0;
        await pool(spec.meters, flags.concurrency, async (m) => {
          if (stopping) return;
          const r = await readMeter(fleet.registry.meters[m.index].address, {
            sequence: 'memoria',
            window: { amount: 1, unit: 'days' },
            link: { timers: { enqTimeoutMs: 3000, responseTimeoutMs: 3000 } },
          });
          if (r.ok) ok++;
          process.stdout.write(`[round ${round}] ${m.serial} ${m.pointCode} ${m.role.padEnd(10)} ${summary(r)}\n`);
        });
        process.stdout.write(
          `[round ${round}] ${ok}/${spec.meters.length} meters read completely in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
        );
        if (stopping || (flags.rounds !== 0 && round >= flags.rounds)) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, flags.everyMinutes * 60_000).unref();
        });
      }
      await fleet.close();
    });
}
