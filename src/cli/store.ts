/**
 * Store options shared by every CLI command that touches the database: `--database-url` (default $DATABASE_URL) for a
 * PostgreSQL server, otherwise the embedded store in `--data-dir`. The store is migrated when opened.
 */
import { type Command, Option } from 'commander';
import { openStore, type Store } from '../store/pool.ts';

export interface StoreFlags {
  databaseUrl?: string;
  dataDir: string;
}

export const DEFAULT_DATA_DIR = './data/pglite';

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--database-url <url>', 'PostgreSQL server (postgres://…); default: the embedded store').env(
        'DATABASE_URL',
      ),
    )
    .option('--data-dir <dir>', 'embedded store directory (when no database URL is given)', DEFAULT_DATA_DIR);
}

/** Opens the store (migrating it), runs `fn`, and closes the store whatever happens. */
export async function withStore<T>(flags: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(
    flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : { dataDir: flags.dataDir ?? DEFAULT_DATA_DIR },
  );
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
