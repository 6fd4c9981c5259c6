/**
 * The store connection: embedded PGlite (a data directory, no server) by default, a PostgreSQL server when a URL is
 * given. Both are reached through one `pg.Pool` (PGlite through its node-postgres adapter, one connection), so the
 * same SQL, Kysely code and pg-boss queue run on either.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { FronteiraError } from '../domain/errors.ts';
import { migrate } from './migrate.ts';
import type { Schema } from './schema.ts';

// int8 and numeric come back as strings by default; ids and counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
// A `date` is an operating day label, not an instant: keep 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type StoreKind = 'pglite' | 'postgres';

export interface Store {
  kind: StoreKind;
  pool: pg.Pool;
  db: Kysely<Schema>;
  /** The embedded engine (PGlite only), for dumps and file-based bulk loads. */
  pglite?: PGlite;
  /** Where the data lives, for logs (a URL without its password, or the PGlite directory). */
  location: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** postgres://… for a server; otherwise PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (default ./data/pglite); 'memory://' for a throwaway in-memory store. */
  dataDir?: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Server pool size (default 10). */
  maxConnections?: number;
  /** PGlite only: start from this data-directory dump (tests clone a migrated template this way). */
  loadDataDir?: Blob;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/**
 * PGlite is one process's database: a second process opening the same directory would corrupt it. A lock file with
 * the owner's pid guards it; a lock left by a dead process (kill -9) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'fronteira.lock');
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) {
        throw new FronteiraError(
          'FRONTEIRA_E_STORE_UNAVAILABLE',
          `the embedded store in ${dataDir} is in use by fronteira process ${pid}; stop it first, or run several ` +
            'processes on a PostgreSQL server (DATABASE_URL)',
          { pid, dataDir },
        );
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  let store: Store;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.maxConnections ?? 10 });
    pool.on('error', () => {}); // idle-client errors surface on the next query
    try {
      await pool.query('select 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw new FronteiraError(
        'FRONTEIRA_E_STORE_UNAVAILABLE',
        `cannot connect to PostgreSQL at ${redactUrl(opts.databaseUrl)}: ${(e as Error).message}`,
      );
    }
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    store = {
      kind: 'postgres',
      pool,
      db,
      location: redactUrl(opts.databaseUrl),
      close: async () => {
        await db.destroy(); // ends the pool
      },
    };
  } else {
    const dataDir = opts.dataDir ?? 'data/pglite';
    const inMemory = dataDir.startsWith('memory://');
    if (!inMemory) mkdirSync(dataDir, { recursive: true });
    const unlock = inMemory ? () => {} : lockDataDir(dataDir);
    let pglite: PGlite;
    try {
      pglite = await PGlite.create(dataDir, opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
    } catch (e) {
      unlock();
      throw new FronteiraError(
        'FRONTEIRA_E_STORE_UNAVAILABLE',
        `cannot open the embedded store in ${dataDir}: ${(e as Error).message} (is another fronteira process using it?)`,
      );
    }
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    store = {
      kind: 'pglite',
      pool,
      db,
      pglite,
      location: dataDir,
      close: async () => {
        await db.destroy();
        await pglite.close();
        unlock();
      },
    };
  }
  if (opts.migrate !== false) {
    try {
      await migrate(store.pool);
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }
  return store;
}
