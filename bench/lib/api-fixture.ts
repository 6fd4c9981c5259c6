/**
 * The API benchmark's store contents (setup, not timed against the target): `points` metering points, each with one
 * principal meter reading quantities 1, 10 and 11 on channels 1–3, and `days` operating days of complete 5-min raw
 * day blocks for every channel (binary COPY, as ingest writes them). Optionally the final layer for the same days
 * (one current version per point, quantity and day, every slot A from the principal), written server-side from
 * three template days: the profile endpoint's default layer is final, and what it costs to serve depends on the
 * row sizes, not on the numbers in them. Registry rows go in with INSERT … SELECT generate_series, which is what
 * makes 10,000 points take a second instead of the registry import's minutes.
 */
import { randomBytes } from 'node:crypto';
import { createUser, issueToken } from '../../src/api/auth/accounts.ts';
import { FLAG_ACTUAL } from '../../src/collect/day-block.ts';
import { addDays } from '../../src/domain/time.ts';
import { withTransaction } from '../../src/store/bulk.ts';
import { type DayBlock, writeDayBlocks } from '../../src/store/day-blocks.ts';
import type { Store } from '../../src/store/pool.ts';

const SLOTS = 288;
const CHANNELS = [
  { channel: 1, quantityCode: 1 },
  { channel: 2, quantityCode: 10 },
  { channel: 3, quantityCode: 11 },
] as const;
/** Point codes BENCHAPI00001…: 13 characters as the SCDE code check wants. */
const CODE_PREFIX = 'BENCHAPI';

export interface ApiFixtureOptions {
  points: number;
  from: string;
  days: number;
  /** Also write the final layer. */
  final: boolean;
  /** Meters per COPY transaction. */
  batchMeters?: number;
}

export interface ApiFixture {
  codes: string[];
  from: string;
  to: string;
  /** A bearer token of a 'leitura' user for the load tool. */
  token: string;
  rawRows: number;
  finalRows: number;
  registryMs: number;
  rawMs: number;
  finalMs: number;
  /** pg_total_relation_size of interval_raw and vee_final. */
  rawBytes: number;
  finalBytes: number;
}

export function pointCode(i: number): string {
  return `${CODE_PREFIX}${String(i).padStart(5, '0')}`;
}

/** One channel-day: a daily curve scaled per meter and channel, as whole pulses of 0.01 kWh. */
function dayBlock(meterId: number, channel: number, day: string, d: number): DayBlock {
  const value = new Float64Array(SLOTS);
  const pulses = new Int32Array(SLOTS);
  const flags = new Uint8Array(SLOTS).fill(FLAG_ACTUAL);
  const base = 200 + ((meterId * 37 + channel * 11) % 900) / (channel === 1 ? 1 : 4);
  const phase = ((meterId % 24) / 24) * Math.PI;
  for (let k = 0; k < SLOTS; k++) {
    const shape = 1 + 0.6 * Math.sin((2 * Math.PI * k) / SLOTS - phase) + 0.1 * Math.sin(k * 0.37 + d + meterId);
    const p = Math.max(0, Math.round(base * shape));
    pulses[k] = p;
    value[k] = p / 100;
  }
  return {
    meterId,
    channel,
    day,
    intervalS: 300,
    slots: SLOTS,
    value,
    pulses,
    flags,
    filled: SLOTS,
    firstSession: null,
    lastSession: null,
  };
}

/** Writes the fixture into a migrated, empty store; returns what the benchmark needs to address it. */
export async function writeApiFixture(store: Store, o: ApiFixtureOptions): Promise<ApiFixture> {
  if (o.points > 99_999) throw new Error(`--points ${o.points}: at most 99,999 (5-digit codes)`);
  const to = addDays(o.from, o.days - 1);
  const channelMap = CHANNELS.map((c) => ({ group: 0, ...c, numerator: 1, denominator: 100 }));

  const t0 = performance.now();
  await store.pool.query(
    `INSERT INTO metering_point (code, name, kind, segment)
     SELECT $1 || lpad(i::text, 5, '0'), 'Bench point ' || i, 'consumidor_livre', 'livre'
       FROM generate_series(1, $2::int) AS i`,
    [CODE_PREFIX, o.points],
  );
  const meters = await store.pool.query<{ id: string }>(
    `INSERT INTO meter (point_id, serial, role, channel_map)
     SELECT p.id, lpad(p.id::text, 10, '0'), 'principal', $1::jsonb FROM metering_point p ORDER BY p.id
     RETURNING id`,
    [JSON.stringify(channelMap)],
  );
  const meterIds = meters.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const user = await createUser(
    { db: store.db, actor: 'bench-api' },
    { username: 'bench-load', role: 'leitura', password: randomBytes(18).toString('base64url') },
  );
  const { token } = await issueToken({ db: store.db, actor: 'bench-api' }, user.id, 'bench load tool');
  const registryMs = performance.now() - t0;

  const t1 = performance.now();
  const dayNames = Array.from({ length: o.days }, (_, d) => addDays(o.from, d));
  const batch = o.batchMeters ?? 200;
  let rawRows = 0;
  const writeBatch = async (ids: number[]) => {
    const blocks: DayBlock[] = [];
    for (const id of ids) {
      for (const c of CHANNELS) for (let d = 0; d < o.days; d++) blocks.push(dayBlock(id, c.channel, dayNames[d], d));
    }
    const n = await withTransaction(store, (tx) => writeDayBlocks(tx, blocks));
    rawRows += n;
  };
  // Two batches in flight: one is being encoded in JS while the server stores the other.
  const batches: number[][] = [];
  for (let i = 0; i < meterIds.length; i += batch) batches.push(meterIds.slice(i, i + batch));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await writeBatch(batches[next++]);
  };
  await Promise.all([worker(), worker()]);
  const rawMs = performance.now() - t1;

  const t2 = performance.now();
  let finalRows = 0;
  if (o.final) {
    // One template day per quantity (values from the first meter's curve), stored for every point and day; one
    // INSERT per day keeps each statement's WAL and memory bounded.
    const templates = CHANNELS.map((c) => ({
      q: c.quantityCode,
      value: Array.from(dayBlock(1, c.channel, o.from, 0).value),
    }));
    for (const day of dayNames) {
      const r = await store.pool.query(
        `INSERT INTO vee_final (point_id, quantity_code, day, version, interval_s, slots, unit, value, quality, method,
                                reason, source, notes, counts, energy)
         SELECT p.id, t.q, $1::date, 1, 300, $2::int, CASE WHEN t.q = 1 THEN 'kWh' ELSE 'kvarh' END, t.v,
                decode(repeat('01', $2::int), 'hex'), decode(repeat('00', $2::int), 'hex'),
                decode(repeat('00', $2::int), 'hex'), decode(repeat('01', $2::int), 'hex'),
                jsonb_build_object('principalMeterId', m.id, 'retaguardaMeterId', NULL),
                ARRAY[0, $2::int, 0, 0, 0], (SELECT sum(x) FROM unnest(t.v) AS x)
           FROM metering_point p
           JOIN meter m ON m.point_id = p.id
          CROSS JOIN unnest($3::smallint[], $4::text[]) AS tt(q, v_text)
          CROSS JOIN LATERAL (SELECT tt.q AS q, tt.v_text::double precision[] AS v) AS t`,
        [day, SLOTS, templates.map((t) => t.q), templates.map((t) => `{${t.value.join(',')}}`)],
      );
      finalRows += r.rowCount ?? 0;
    }
  }
  const finalMs = performance.now() - t2;
  // A server's autovacuum would have analysed (and set the visibility map of) a month of collection by now.
  await store.pool.query('VACUUM ANALYZE');
  const sizes = await store.pool.query<{ raw: string; final: string; raw_rows: string; final_rows: string }>(
    `SELECT pg_total_relation_size('interval_raw') AS raw, pg_total_relation_size('vee_final') AS final,
            (SELECT count(*) FROM interval_raw) AS raw_rows, (SELECT count(*) FROM vee_final) AS final_rows`,
  );
  if (Number(sizes.rows[0].raw_rows) !== rawRows || Number(sizes.rows[0].final_rows) !== finalRows) {
    throw new Error(
      `fixture: ${sizes.rows[0].raw_rows} interval_raw / ${sizes.rows[0].final_rows} vee_final rows stored, ` +
        `${rawRows} / ${finalRows} written`,
    );
  }
  return {
    codes: Array.from({ length: o.points }, (_, i) => pointCode(i + 1)),
    from: o.from,
    to,
    token,
    rawRows,
    finalRows,
    registryMs,
    rawMs,
    finalMs,
    rawBytes: Number(sizes.rows[0].raw),
    finalBytes: Number(sizes.rows[0].final),
  };
}
