/**
 * Store backends for tests: every store test runs on PGlite (in memory) and on a real PostgreSQL server. The server
 * comes from FRONTEIRA_TEST_DATABASE_URL (set by `npm test`, which starts one throwaway cluster for the whole run) or,
 * when a test file is run alone, from a cluster this process starts and stops itself. Each store gets a fresh database.
 */
import pg from 'pg';
import { openStore, type Store } from '../../src/store/pool.ts';
import { insertPoint } from '../../src/store/registry.ts';
import { type Cluster, startCluster } from './pg-cluster.ts';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<Store>;
}

let own: Promise<Cluster> | null = null;
let counter = 0;

async function serverUrl(): Promise<string> {
  const env = process.env.FRONTEIRA_TEST_DATABASE_URL;
  if (env) return env;
  if (!own) {
    own = startCluster();
    // Not a node:test `after` hook: called from inside a test, that would stop the cluster after that test only.
    own.then((c) => process.once('exit', () => c.stop()));
  }
  return (await own).url;
}

/** A fresh, migrated database on the test server; dropped when the store closes. */
export async function openServerStore(): Promise<Store> {
  const base = await serverUrl();
  const name = `fronteira_t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString() });
  const close = store.close;
  store.close = async () => {
    await close();
    const a = new pg.Client({ connectionString: base });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  };
  return store;
}

let template: Promise<Blob> | null = null;

/** A fresh in-memory PGlite store, cloned from a migrated template made once per process (initdb is the slow part). */
export async function openPgliteStore(): Promise<Store> {
  if (!template) {
    template = (async () => {
      const t = await openStore({ dataDir: 'memory://' });
      const dump = await t.pglite!.dumpDataDir('none');
      await t.close();
      return dump;
    })();
  }
  return openStore({ dataDir: 'memory://', loadDataDir: await template });
}

export const backends: Backend[] = [
  { name: 'pglite', open: openPgliteStore },
  { name: 'postgres', open: openServerStore },
];

/** The plain metering point most store tests hang their meters on. */
export function insertTestPoint(db: Store['db'], code = 'SPSIMUI000001') {
  return insertPoint(db, { code, name: 'P', kind: 'fronteira', segment: 'livre' });
}
