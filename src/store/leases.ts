/**
 * Line leases: at most one session at a time per physical line (concurrency group) across every fronteira process
 * on one database. A lease has an expiry kept by the database clock, so a holder that crashed frees its lines when
 * its leases run out; a live holder renews them while its sessions run. Every call takes many keys at once: a
 * collector starting hundreds of sessions a second must not spend one round trip per line.
 */
import { sql } from 'kysely';
import type { Db } from './registry.ts';

export interface LeaseRow {
  key: string;
  holder: string;
  expiresAt: Date;
}

function ttlSeconds(ttlMs: number): number {
  return Math.max(0.001, ttlMs / 1000);
}

/** Takes the keys that are free, expired or already ours; returns the ones now held by `holder`. */
export async function tryAcquireLeases(db: Db, keys: string[], holder: string, ttlMs: number): Promise<string[]> {
  if (keys.length === 0) return [];
  const r = await sql<{ concurrency_group: string }>`
    INSERT INTO line_lease (concurrency_group, holder, expires_at)
    SELECT k, ${holder}, now() + make_interval(secs => ${ttlSeconds(ttlMs)})
    FROM unnest(${keys}::text[]) AS k
    ON CONFLICT (concurrency_group) DO UPDATE
      SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE line_lease.expires_at < now() OR line_lease.holder = EXCLUDED.holder
    RETURNING concurrency_group`.execute(db);
  return r.rows.map((x) => x.concurrency_group);
}

/** Extends the holder's leases on these keys; returns the keys still held (a missing one was lost after expiry). */
export async function renewLeases(db: Db, keys: string[], holder: string, ttlMs: number): Promise<string[]> {
  if (keys.length === 0) return [];
  const r = await sql<{ concurrency_group: string }>`
    UPDATE line_lease SET expires_at = now() + make_interval(secs => ${ttlSeconds(ttlMs)})
    WHERE holder = ${holder} AND concurrency_group = ANY(${keys}::text[])
    RETURNING concurrency_group`.execute(db);
  return r.rows.map((x) => x.concurrency_group);
}

export async function releaseLeases(db: Db, keys: string[], holder: string): Promise<number> {
  if (keys.length === 0) return 0;
  const r = await db
    .deleteFrom('line_lease')
    .where('holder', '=', holder)
    .where('concurrency_group', 'in', keys)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Runs `fn` while holding the lease on `key` (renewed every third of `ttlMs`, released after), or returns
 * `undefined` without running it when another holder has the key: one process at a time per database for a
 * periodic job (the daily export, the month-profile sweep).
 */
export async function withLease<T>(
  db: Db,
  key: string,
  holder: string,
  ttlMs: number,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  if ((await tryAcquireLeases(db, [key], holder, ttlMs)).length === 0) return undefined;
  const renew = setInterval(() => {
    renewLeases(db, [key], holder, ttlMs).catch(() => undefined);
  }, ttlMs / 3);
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await releaseLeases(db, [key], holder).catch(() => undefined);
  }
}

/** Drops every lease of a holder (clean shutdown). */
export async function releaseAllLeases(db: Db, holder: string): Promise<number> {
  const r = await db.deleteFrom('line_lease').where('holder', '=', holder).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Drops every lease (only safe where no other process can hold one: the embedded store at start). */
export async function clearLeases(db: Db): Promise<number> {
  const r = await db.deleteFrom('line_lease').executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Leases not yet expired, for status views. */
export async function listLeases(db: Db): Promise<LeaseRow[]> {
  const rows = await db
    .selectFrom('line_lease')
    .selectAll()
    .where('expires_at', '>=', sql<Date>`now()`)
    .orderBy('concurrency_group')
    .execute();
  return rows.map((r) => ({ key: r.concurrency_group, holder: r.holder, expiresAt: r.expires_at }));
}
