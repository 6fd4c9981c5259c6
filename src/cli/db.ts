/** `fronteira db migrate`: apply pending schema migrations (they are also applied automatically at every start). */
import type { Command } from 'commander';
import { listMigrations, migrate } from '../store/migrate.ts';
import { openStore } from '../store/pool.ts';
import { addStoreOptions, type StoreFlags } from './store.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('Store maintenance');
  addStoreOptions(
    db.command('migrate').description('Apply pending schema migrations and list the schema version'),
  ).action(async (flags: StoreFlags) => {
    // Open without the automatic migration, so the command reports what it applied itself.
    const store = await openStore(
      flags.databaseUrl
        ? { databaseUrl: flags.databaseUrl, migrate: false }
        : { dataDir: flags.dataDir, migrate: false },
    );
    try {
      const applied = await migrate(store.pool);
      const all = listMigrations();
      process.stdout.write(
        `${store.kind} store at ${store.location}: ${applied.length === 0 ? 'already up to date' : `applied ${applied.map((v) => String(v).padStart(3, '0')).join(', ')}`}; ` +
          `schema version ${String(all[all.length - 1]?.version ?? 0).padStart(3, '0')}\n`,
      );
    } finally {
      await store.close();
    }
  });
}
