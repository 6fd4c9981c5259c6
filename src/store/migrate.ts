/**
 * Schema migrations: numbered SQL files in ./migrations, each applied once, in order, in its own transaction, under
 * an advisory lock so several fronteira processes starting together on one server do not race.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { FronteiraError } from '../domain/errors.ts';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary constant: the advisory-lock key of Fronteira's migrator. */
const LOCK_KEY = 7_412_522;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(): Migration[] {
  return readdirSync(DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: readFileSync(DIR + f, 'utf8') }));
}

/** Applies pending migrations; returns the versions applied now. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migration (
         version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const m of listMigrations()) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        const done = await client.query('SELECT 1 FROM schema_migration WHERE version = $1', [m.version]);
        if (done.rowCount === 0) {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migration (version, name) VALUES ($1, $2)', [m.version, m.name]);
          applied.push(m.version);
        }
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw new FronteiraError(
          'FRONTEIRA_E_STORE_MIGRATION',
          `migration ${String(m.version).padStart(3, '0')}_${m.name} failed: ${(e as Error).message}`,
        );
      }
    }
  } finally {
    client.release();
  }
  return applied;
}
