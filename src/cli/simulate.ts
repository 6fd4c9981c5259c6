/**
 * `fronteira simulate`: a fleet of simulated ABNT NBR 14522 meters on loopback (meter i on base-port + i), with the
 * registry file a reader or an import can use and, on request, the ground truth of what each meter holds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { instantToWall } from '../domain/time.ts';
import type { MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import { groundTruth, startFleet } from '../simulator/fleet.ts';
import { makeFleet } from '../simulator/fleet-config.ts';
import { serveMeterOnSerial } from '../simulator/server.ts';
import { parseIntOption } from './read.ts';

interface SimulateFlags {
  meters: number;
  basePort: number;
  seed: string;
  host: string;
  faults: string;
  registry: string;
  groundTruth?: string;
  truthDays: number;
  pacing?: number;
  serial?: string;
  packing: string;
}

const DAY = 86_400_000;

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run a fleet of simulated meters on loopback (meter i listens on base-port + i)')
    .option('-n, --meters <n>', 'number of meters', parseIntOption('--meters', 1, 20_000), 40)
    .option('-p, --base-port <port>', 'port of meter 0', parseIntOption('--base-port', 1, 65_535), 4100)
    .option('--seed <seed>', 'seed: the same seed gives the same fleet and data', '1')
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('--faults <mode>', "fault injection: 'none' or 'some' (about 20% of meters)", 'none')
    .option('--registry <file>', 'where to write the registry file (JSON)', 'data/simulator/registry.json')
    .option('--ground-truth <file>', 'also write what each meter holds (mass memory), as JSON')
    .option(
      '--truth-days <n>',
      'days of mass memory in the ground-truth file',
      parseIntOption('--truth-days', 1, 60),
      2,
    )
    .option(
      '--pacing <baud>',
      'pace every meter at this line speed, e.g. 9600',
      parseIntOption('--pacing', 300, 1_000_000),
    )
    .option('--serial <path>', 'also serve meter 0 on this serial device (e.g. one end of a pty pair)')
    .option('--packing <order>', 'mass-memory word packing: msn-first or lsn-first', 'msn-first')
    .action(async (flags: SimulateFlags) => {
      if (flags.faults !== 'none' && flags.faults !== 'some') {
        throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', `--faults: '${flags.faults}' is not 'none' or 'some'`);
      }
      if (flags.packing !== 'msn-first' && flags.packing !== 'lsn-first') {
        throw new FronteiraError(
          'FRONTEIRA_E_CLI_ARGUMENT',
          `--packing: '${flags.packing}' is not msn-first or lsn-first`,
        );
      }
      if (flags.basePort + flags.meters - 1 > 65_535) {
        throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', '--base-port + --meters goes past port 65535');
      }
      const seed = /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
      const spec = makeFleet({
        meters: flags.meters,
        seed,
        basePort: flags.basePort,
        host: flags.host,
        faults: flags.faults as 'none' | 'some',
      });
      let fleet: Awaited<ReturnType<typeof startFleet>>;
      try {
        fleet = await startFleet(spec, { pacingBaud: flags.pacing, packing: flags.packing as MassMemoryPacking });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new FronteiraError(
          'FRONTEIRA_E_SIMULATOR',
          `cannot listen on ${flags.host}:${flags.basePort}…${flags.basePort + flags.meters - 1}: ${err.code ?? err.message}`,
        );
      }
      await mkdir(dirname(flags.registry), { recursive: true });
      await writeFile(flags.registry, `${JSON.stringify(fleet.registry, null, 2)}\n`);
      if (flags.groundTruth) {
        const wall = instantToWall(Date.now());
        const to = wall - (wall % 300_000);
        const truth = groundTruth(fleet, to - flags.truthDays * DAY + 300_000, to);
        await mkdir(dirname(flags.groundTruth), { recursive: true });
        await writeFile(flags.groundTruth, JSON.stringify({ generatedAt: new Date().toISOString(), meters: truth }));
      }
      let serial: { stop(): void } | null = null;
      if (flags.serial) serial = await serveMeterOnSerial(fleet.meters[0], flags.serial, { faults: null });
      const faulty = spec.meters.filter((m) => m.faults).length;
      process.stdout.write(
        `Simulating ${spec.meters.length} meters (${spec.points.length} points, ${faulty} with faults) on ` +
          `${flags.host}:${flags.basePort}…${flags.basePort + spec.meters.length - 1}` +
          `${flags.pacing ? ` at ${flags.pacing} baud` : ''}; seed ${flags.seed}\n` +
          `Registry: ${flags.registry}${flags.groundTruth ? `; ground truth: ${flags.groundTruth}` : ''}` +
          `${flags.serial ? `; meter ${spec.meters[0].serial} also on ${flags.serial}` : ''}\n` +
          `Try: fronteira read ${fleet.servers[0].address}\n` +
          'Press Ctrl+C to stop.\n',
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      serial?.stop();
      await fleet.close();
      process.stdout.write('Simulator stopped.\n');
    });
}
