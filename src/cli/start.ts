/**
 * `fronteira start` (what `npm start` runs): the whole platform on the embedded store with a simulated fleet, so a
 * fresh clone shows collection working — meters registered from the simulator's registry (idempotent, so a restart
 * keeps the same points), read on schedule, with faults, outages and link downtime making gaps that the gap task
 * closes by itself. Once real meters are registered, `fronteira serve` is the same platform without the simulator.
 */
import type { Command } from 'commander';
import { importDocument } from '../registry/import.ts';
import { readSimulatorRegistry } from '../registry/simulator-import.ts';
import { startFleet } from '../simulator/fleet.ts';
import { makeFleet } from '../simulator/fleet-config.ts';
import { openPlatformStore, type PlatformFlags, platformLogger, startPlatform, waitForSignal } from './platform.ts';
import { parseIntOption } from './read.ts';
import { addPlatformOptions } from './serve.ts';

interface StartFlags extends PlatformFlags {
  meters: number;
  basePort: number;
  seed: string;
}

export function registerStart(program: Command): void {
  addPlatformOptions(
    program
      .command('start')
      .description('Run the platform with a simulated fleet (npm start): embedded store, collection, gap filling')
      .option('-n, --meters <n>', 'simulated meters', parseIntOption('--meters', 2, 20_000), 56)
      .option(
        '-p, --base-port <port>',
        'port of simulated meter 0 (meter i on port + i)',
        parseIntOption('--base-port', 1, 65_535),
        4100,
      )
      .option('--seed <seed>', 'fleet seed', '1'),
    { intraday: 5, gaps: 2 },
  ).action(async (flags: StartFlags) => {
    const logger = platformLogger();
    const seed = /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
    const spec = makeFleet({ meters: flags.meters, seed, basePort: flags.basePort, faults: 'some' });
    const fleet = await startFleet(spec);
    const withBackup = spec.points.filter((p) => p.meterIndexes.length > 1).length;
    logger.info(
      {
        meters: spec.meters.length,
        points: spec.points.length,
        withRetaguarda: withBackup,
        faulty: spec.meters.filter((m) => m.faults).length,
        ports: `${flags.basePort}-${flags.basePort + spec.meters.length - 1}`,
      },
      'simulated fleet listening on loopback',
    );
    const store = await openPlatformStore(flags);
    const report = await importDocument(
      { db: store.db, actor: 'fronteira-start', comment: 'simulated fleet' },
      readSimulatorRegistry(fleet.registry, 'simulated fleet'),
    );
    logger.info(report.counts, 'simulated meters registered (import is idempotent)');
    const platform = await startPlatform(store, flags, logger);
    const signal = await waitForSignal();
    logger.info({ signal }, 'stopping');
    await platform.stop();
    await fleet.close();
    logger.info('stopped');
  });
}
