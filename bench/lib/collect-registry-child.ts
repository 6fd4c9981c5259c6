/**
 * Imports the collection benchmark fleet's registry (group 0 only) in a process of its own:
 *   - for the read-only baseline, into an in-memory store, and sends back the meters in service as
 *     `listActiveMeters` returns them (IPC with 'advanced' serialization, so dates stay dates): the reader gets real
 *     registry rows without an embedded database in its own memory (PGlite keeps its WebAssembly memory until it is
 *     garbage-collected after close);
 *   - with --data-dir, into a PGlite data directory it creates and migrates, as `fronteira db migrate` and
 *     `fronteira registry import` would before `fronteira serve` opens the store (bench:collect --store existing).
 *   node --import tsx bench/lib/collect-registry-child.ts --meters N --seed S --base-port P --day D [--data-dir DIR]
 */
import { parseArgs } from 'node:util';
import { importRegistryFile } from '../../src/registry/import-file.ts';
import { openStore } from '../../src/store/pool.ts';
import { type ActiveMeter, listActiveMeters } from '../../src/store/registry.ts';
import { benchFleetSpec, group0RegistryJson } from './collect-protocol.ts';

export interface RegistryRows {
  type: 'registry';
  importMs: number;
  jsonBytes: number;
  meters: ActiveMeter[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      meters: { type: 'string' },
      seed: { type: 'string' },
      'base-port': { type: 'string' },
      day: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const spec = benchFleetSpec({
    meters: Number(values.meters),
    seed: values.seed as string,
    basePort: Number(values['base-port']),
    day: values.day as string,
  });
  const json = group0RegistryJson(spec);
  const dataDir = values['data-dir'];
  const store = await openStore({ dataDir: dataDir ?? 'memory://' });
  try {
    const t0 = performance.now();
    await importRegistryFile({ db: store.db, actor: 'bench:collect' }, json, { source: 'bench-fleet.json' });
    const importMs = performance.now() - t0;
    // Into a data directory, the rows stay there for the collector; in memory, they are the point.
    const meters = dataDir ? [] : await listActiveMeters(store.db);
    const msg: RegistryRows = { type: 'registry', importMs, jsonBytes: json.length, meters };
    await new Promise<void>((resolve, reject) => {
      process.send?.(msg, undefined, {}, (e) => (e ? reject(e) : resolve()));
    });
  } finally {
    await store.close();
  }
  process.disconnect?.();
}

main().catch((e) => {
  process.stderr.write(`collect-registry-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
