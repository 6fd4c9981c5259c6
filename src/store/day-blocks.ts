/**
 * SQL of interval_raw: raw interval data as day blocks, one row per (meter, channel, operating day) with slot
 * arrays (DESIGN.md). The merge rules live in collect/day-block.ts; this module reads rows into DayBlocks, locks
 * them for a merge, and writes merged blocks back through the bulk path (binary COPY: a block is ~600 numbers, which
 * as text would cost more to format and parse than everything else ingest does).
 */
import { sql } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import { CopyBinary, copyInto, type Tx } from './bulk.ts';
import type { Db } from './registry.ts';

/**
 * A day block in memory. A slot holds a value exactly where its flags carry bit 1 (actual); `value` is NaN and
 * `pulses` −1 elsewhere (NULL in the row). Flag bits: 1 actual, 2 power off, 4 clock suspect, 8 conflict seen.
 */
export interface DayBlock {
  meterId: number;
  /** Meter channel 3·group + 1 … 3·group + 3. */
  channel: number;
  /** Operating day 'YYYY-MM-DD'. */
  day: string;
  intervalS: number;
  slots: number;
  /** Energy per slot (kWh/kvarh); NaN where missing. */
  value: Float64Array;
  /** Pulses per slot as read; −1 where missing. */
  pulses: Int32Array;
  flags: Uint8Array;
  /** Slots with the actual bit. */
  filled: number;
  firstSession: number | null;
  lastSession: number | null;
}

export interface DayBlockKey {
  meterId: number;
  channel: number;
  day: string;
}

export const DAY_BLOCK_COLUMNS = [
  'meter_id',
  'channel',
  'day',
  'interval_s',
  'slots',
  'filled',
  'value',
  'pulses',
  'flags',
  'first_session',
  'last_session',
] as const;

/** Namespace of the per-meter advisory locks ingest takes (two-int form: never collides with one-bigint keys). */
export const INGEST_LOCK_CLASS = 14522;

interface RawRow {
  meter_id: number;
  channel: number;
  day: string;
  interval_s: number;
  slots: number;
  filled: number;
  value: (number | null)[];
  pulses: (number | null)[];
  flags: Uint8Array;
  first_session: number | null;
  last_session: number | null;
}

export function rowToDayBlock(r: RawRow): DayBlock {
  const n = r.slots;
  if (r.value.length !== n || r.pulses.length !== n || r.flags.length !== n) {
    throw new FronteiraError(
      'FRONTEIRA_E_CONFLICT',
      `interval_raw meter ${r.meter_id} channel ${r.channel} ${r.day}: arrays of ${r.value.length}/${r.pulses.length}/` +
        `${r.flags.length} elements for ${n} slots`,
      { meterId: r.meter_id, channel: r.channel, day: r.day },
    );
  }
  const value = new Float64Array(n);
  const pulses = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const v = r.value[k];
    value[k] = v === null ? Number.NaN : v;
    const p = r.pulses[k];
    pulses[k] = p === null ? -1 : p;
  }
  return {
    meterId: Number(r.meter_id),
    channel: r.channel,
    day: r.day,
    intervalS: r.interval_s,
    slots: n,
    value,
    pulses,
    flags: new Uint8Array(r.flags),
    filled: r.filled,
    firstSession: r.first_session === null ? null : Number(r.first_session),
    lastSession: r.last_session === null ? null : Number(r.last_session),
  };
}

/**
 * Serialises other ingests of these meters until the transaction ends (locks taken in id order, so two batches
 * never wait on each other crosswise). Held across the read-merge-write of their day blocks, this is what makes a
 * block that does not exist yet safe to insert.
 */
export async function lockMeters(tx: Tx, meterIds: readonly number[]): Promise<void> {
  const ids = [...new Set(meterIds)].sort((a, b) => a - b);
  if (ids.length === 0) return;
  await tx.client.query(
    `SELECT pg_advisory_xact_lock(${INGEST_LOCK_CLASS}, (s.id & 2147483647)::int)
       FROM (SELECT id FROM unnest($1::bigint[]) AS id ORDER BY id) s`,
    [ids],
  );
}

const SELECT_COLUMNS = `r.meter_id, r.channel, to_char(r.day, 'YYYY-MM-DD') AS day, r.interval_s, r.slots, r.filled,
  r.value, r.pulses, r.flags, r.first_session, r.last_session`;

/** The stored blocks among `keys`, locked FOR UPDATE until the transaction ends. */
export async function lockDayBlocks(tx: Tx, keys: readonly DayBlockKey[]): Promise<DayBlock[]> {
  if (keys.length === 0) return [];
  const r = await tx.client.query<RawRow>(
    `SELECT ${SELECT_COLUMNS}
       FROM interval_raw r
       JOIN unnest($1::bigint[], $2::smallint[], $3::date[]) AS k(m, c, d)
         ON r.meter_id = k.m AND r.channel = k.c AND r.day = k.d
      ORDER BY r.meter_id, r.channel, r.day
        FOR UPDATE OF r`,
    [keys.map((k) => k.meterId), keys.map((k) => k.channel), keys.map((k) => k.day)],
  );
  return r.rows.map(rowToDayBlock);
}

function checkBlock(b: DayBlock): void {
  if (
    b.value.length !== b.slots ||
    b.pulses.length !== b.slots ||
    b.flags.length !== b.slots ||
    !/^\d{4}-\d{2}-\d{2}$/.test(b.day) ||
    !Number.isInteger(b.channel) ||
    b.channel < 1 ||
    b.channel > 99
  ) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `day block meter ${b.meterId} channel ${b.channel} ${b.day}: inconsistent (slots ${b.slots}, arrays ` +
        `${b.value.length}/${b.pulses.length}/${b.flags.length})`,
      { meterId: b.meterId, channel: b.channel, day: b.day },
    );
  }
}

/** COPY binary input of blocks in DAY_BLOCK_COLUMNS order (what writeDayBlocks sends). */
export function dayBlocksCopyBinary(blocks: readonly DayBlock[]): CopyBinary {
  const out = new CopyBinary();
  for (const b of blocks) {
    checkBlock(b);
    out.row(DAY_BLOCK_COLUMNS.length);
    out.int8(b.meterId);
    out.int2(b.channel);
    out.date(b.day);
    out.int4(b.intervalS);
    out.int2(b.slots);
    out.int2(b.filled);
    out.float8Array(b.value);
    out.int4ArrayNonNegative(b.pulses);
    out.bytea(b.flags);
    out.int8OrNull(b.firstSession);
    out.int8OrNull(b.lastSession);
  }
  return out;
}

/**
 * Writes blocks: the rows of `replacing` (blocks that exist and changed) are deleted, then every block is copied in.
 * Call under lockMeters and after lockDayBlocks, in the same transaction. Returns the rows written.
 */
export async function writeDayBlocks(
  tx: Tx,
  blocks: readonly DayBlock[],
  replacing: readonly DayBlockKey[] = [],
): Promise<number> {
  if (replacing.length > 0) {
    await tx.client.query(
      `DELETE FROM interval_raw r
        USING unnest($1::bigint[], $2::smallint[], $3::date[]) AS k(m, c, d)
        WHERE r.meter_id = k.m AND r.channel = k.c AND r.day = k.d`,
      [replacing.map((k) => k.meterId), replacing.map((k) => k.channel), replacing.map((k) => k.day)],
    );
  }
  if (blocks.length === 0 && replacing.length === 0) return 0;
  const written =
    blocks.length === 0 ? 0 : await copyInto(tx, 'interval_raw', DAY_BLOCK_COLUMNS, dayBlocksCopyBinary(blocks));
  await bumpRawMonths(tx, [...blocks, ...replacing]);
  return written;
}

/**
 * Counts one more change of every meter-month written (raw_month_version, migration 010): the month profiles'
 * fingerprint reads these few rows instead of visiting every day block of the month. This function is the only
 * writer of interval_raw; a new one must call this too. Keys are sorted so that concurrent writers lock the rows
 * in the same order.
 */
async function bumpRawMonths(tx: Tx, keys: readonly { meterId: number; day: string }[]): Promise<void> {
  const months = new Map<string, [number, string]>();
  for (const k of keys) {
    const month = `${k.day.slice(0, 7)}-01`;
    months.set(`${String(k.meterId).padStart(20, '0')}|${month}`, [k.meterId, month]);
  }
  const sorted = [...months.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  await tx.client.query(
    `INSERT INTO raw_month_version (meter_id, month, version)
     SELECT m, mo, 1 FROM unnest($1::bigint[], $2::date[]) WITH ORDINALITY AS k(m, mo, i) ORDER BY i
     ON CONFLICT (meter_id, month) DO UPDATE SET version = raw_month_version.version + 1`,
    [sorted.map(([m]) => m), sorted.map(([, mo]) => mo)],
  );
}

/** Stored blocks of some meters over fromDay..toDay (ordered by meter, channel, day). */
export async function readDayBlocks(
  db: Db,
  q: { fromDay: string; toDay: string; meterIds?: number[]; channels?: number[] },
): Promise<DayBlock[]> {
  const rows = await sql<RawRow>`
    SELECT ${sql.raw(SELECT_COLUMNS)}
      FROM interval_raw r
     WHERE r.day BETWEEN ${q.fromDay}::date AND ${q.toDay}::date
       AND (${q.meterIds ?? null}::bigint[] IS NULL OR r.meter_id = ANY(${q.meterIds ?? null}::bigint[]))
       AND (${q.channels ?? null}::smallint[] IS NULL OR r.channel = ANY(${q.channels ?? null}::smallint[]))
     ORDER BY r.meter_id, r.channel, r.day`.execute(db);
  return rows.rows.map(rowToDayBlock);
}
