/**
 * The summary benchmark's store contents (setup, not timed against the target): `points` metering points spread over
 * the four market segments (point i in SEGMENTS[i % 4], tag `zona<i % 10>`), each with one principal meter reading
 * quantities 1 (C), 14 (G) and 10 (QC), and a month of current final rows for every point and quantity, written
 * server-side with INSERT … SELECT from template days, as bench/lib/api-fixture.ts does for the API benchmark (its
 * point codes too). Unlike that fixture there is no raw layer (a summary never reads it) and the data is not all
 * perfect: a point-day in 37 is "degraded" (12 slots estimated, 6 missing) and one in 211 has no final row at all
 * (expected by the registry, so all its slots count as missing). When the store knows the kind 'virtual', `virtuals`
 * virtual points with a month of channel C are added to the segments too: the summary must leave them out.
 *
 * expectedTotals() computes what the monthly summary by segment must answer from the same rules, so the benchmark
 * checks the figures it times.
 */
import { addDays } from '../../src/domain/time.ts';
import type { Store } from '../../src/store/pool.ts';
import { Quality } from '../../src/vee/types.ts';
import { pointCode } from './api-fixture.ts';

export const SEGMENTS = ['cativo', 'livre', 'geracao', 'faturamento'] as const;
export const QUANTITIES = [1, 14, 10] as const;
const SLOTS = 288;
const DEGRADED_EVERY = 37;
const ABSENT_EVERY = 211;
const ESTIMATED = { first: 100, last: 111 };
const MISSING = { first: 200, last: 205 };

export interface SummaryFixtureOptions {
  points: number;
  virtuals: number;
  from: string;
  days: number;
}

export interface SummaryFixture {
  from: string;
  to: string;
  finalRows: number;
  virtualPoints: number;
  registryMs: number;
  finalMs: number;
  finalBytes: number;
  /** Expected monthly totals per `${segment}|${quantityCode}` (one month in the range). */
  expected: Map<string, ExpectedTotals>;
}

export interface ExpectedTotals {
  energy: number;
  slots: number;
  actual: number;
  estimated: number;
  missing: number;
  points: number;
  pointsWithData: number;
}

interface Template {
  q: number;
  degraded: boolean;
  value: number[];
  quality: number[];
  energy: number;
  counts: number[];
}

/** A daily curve per quantity, in whole 0.01 steps; the degraded day estimates and loses a few slots. */
function template(q: number, degraded: boolean): Template {
  const base = q === 1 ? 420 : q === 14 ? 180 : 90;
  const value: number[] = [];
  const quality: number[] = [];
  for (let k = 0; k < SLOTS; k++) {
    const shape = 1 + 0.6 * Math.sin((2 * Math.PI * k) / SLOTS - q) + 0.1 * Math.sin(k * 0.37 + q);
    let v = Math.max(0, Math.round(base * shape)) / 100;
    let qual: number = Quality.A;
    if (degraded && k >= ESTIMATED.first && k <= ESTIMATED.last) qual = Quality.E;
    if (degraded && k >= MISSING.first && k <= MISSING.last) {
      qual = Quality.N;
      v = Number.NaN;
    }
    value.push(v);
    quality.push(qual);
  }
  const counts = [0, 0, 0, 0, 0];
  for (const qual of quality) counts[qual]++;
  const energy = value.reduce((a, v) => (Number.isNaN(v) ? a : a + v), 0);
  return { q, degraded, value, quality, energy, counts };
}

const TEMPLATES = QUANTITIES.flatMap((q) => [template(q, false), template(q, true)]);

const isDegraded = (id: number, d: number) => (id + d) % DEGRADED_EVERY === 0;
const isAbsent = (id: number, d: number) => (id * 3 + d) % ABSENT_EVERY === 0;

function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether migration 008 (or later) lets metering_point.kind be 'virtual'. */
async function virtualKindExists(store: Store): Promise<boolean> {
  const r = await store.pool.query<{ def: string }>(
    `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
      WHERE c.conrelid = 'metering_point'::regclass AND c.contype = 'c'`,
  );
  const kindChecks = r.rows.filter((x) => x.def.includes('kind'));
  return kindChecks.length === 0 || kindChecks.some((x) => x.def.includes("'virtual'"));
}

/** Writes the fixture into a migrated, empty store. */
export async function writeSummaryFixture(store: Store, o: SummaryFixtureOptions): Promise<SummaryFixture> {
  const to = addDays(o.from, o.days - 1);
  const t0 = performance.now();
  const segments = `(ARRAY['${SEGMENTS.join("','")}'])[i % 4 + 1]`;
  const points = await store.pool.query<{ id: string; segment: string }>(
    `INSERT INTO metering_point (code, name, kind, segment, tags)
     SELECT $1 || lpad(i::text, 5, '0'), 'Bench summary point ' || i, 'consumidor_livre', ${segments},
            ARRAY['zona' || (i % 10)]
       FROM generate_series(1, $2::int) AS i
     RETURNING id, segment`,
    [pointCode(0).slice(0, 8), o.points],
  );
  const channelMap = QUANTITIES.map((q, i) => ({
    group: 0,
    channel: i + 1,
    quantityCode: q,
    numerator: 1,
    denominator: 1,
  }));
  await store.pool.query(
    `INSERT INTO meter (point_id, serial, role, channel_map)
     SELECT p.id, lpad(p.id::text, 10, '0'), 'principal', $1::jsonb FROM metering_point p ORDER BY p.id`,
    [JSON.stringify(channelMap)],
  );
  const virtualPoints = o.virtuals > 0 && (await virtualKindExists(store)) ? o.virtuals : 0;
  if (virtualPoints > 0) {
    await store.pool.query(
      `INSERT INTO metering_point (code, name, kind, segment, tags)
       SELECT 'BENCHVIR' || lpad(i::text, 5, '0'), 'Bench virtual ' || i, 'virtual', ${segments}, ARRAY['zona' || (i % 10)]
         FROM generate_series(1, $1::int) AS i`,
      [virtualPoints],
    );
  }
  const registryMs = performance.now() - t0;

  const t1 = performance.now();
  await store.pool.query(`CREATE TABLE bench_summary_template (q smallint, degraded boolean, unit text,
    value float8[], quality bytea, zeros bytea, counts int[], energy float8)`);
  for (const t of TEMPLATES) {
    await store.pool.query(
      `INSERT INTO bench_summary_template VALUES ($1, $2, $3, $4::float8[], decode($5, 'hex'), decode($6, 'hex'),
         $7::int[], $8)`,
      [
        t.q,
        t.degraded,
        t.q === 10 ? 'kvarh' : 'kWh',
        `{${t.value.map((v) => (Number.isNaN(v) ? 'NULL' : String(v))).join(',')}}`,
        hex(t.quality),
        hex(new Array(SLOTS).fill(0)),
        t.counts,
        t.energy,
      ],
    );
  }
  let finalRows = 0;
  for (let d = 0; d < o.days; d++) {
    const r = await store.pool.query(
      `INSERT INTO vee_final (point_id, quantity_code, day, version, interval_s, slots, unit, value, quality, method,
                              reason, source, notes, counts, energy)
       SELECT p.id, t.q, $1::date, 1, 300, ${SLOTS}, t.unit, t.value, t.quality, t.zeros, t.zeros, t.zeros,
              '{"principalMeterId": null, "retaguardaMeterId": null}'::jsonb, t.counts, t.energy
         FROM metering_point p
         JOIN bench_summary_template t
           ON (p.kind <> 'virtual' AND t.degraded = ((p.id + $2::int) % ${DEGRADED_EVERY} = 0))
           OR (p.kind = 'virtual' AND t.q = 1 AND NOT t.degraded)
        WHERE p.kind = 'virtual' OR (p.id * 3 + $2::int) % ${ABSENT_EVERY} <> 0`,
      [addDays(o.from, d), d],
    );
    finalRows += r.rowCount ?? 0;
  }
  await store.pool.query('DROP TABLE bench_summary_template');
  const finalMs = performance.now() - t1;
  // A server's autovacuum would have analysed a month of finals by now.
  await store.pool.query('VACUUM ANALYZE');
  const size = await store.pool.query<{ final: string }>(`SELECT pg_total_relation_size('vee_final') AS final`);

  const expected = new Map<string, ExpectedTotals>();
  const byQ = new Map(TEMPLATES.map((t) => [`${t.q}|${t.degraded}`, t]));
  for (const p of points.rows) {
    const id = Number(p.id);
    for (const q of QUANTITIES) {
      const key = `${p.segment}|${q}`;
      let e = expected.get(key);
      if (!e) {
        e = { energy: 0, slots: 0, actual: 0, estimated: 0, missing: 0, points: 0, pointsWithData: 0 };
        expected.set(key, e);
      }
      e.points++;
      let withData = false;
      for (let d = 0; d < o.days; d++) {
        e.slots += SLOTS;
        if (isAbsent(id, d)) {
          e.missing += SLOTS;
          continue;
        }
        withData = true;
        const t = byQ.get(`${q}|${isDegraded(id, d)}`)!;
        e.energy += t.energy;
        e.actual += t.counts[Quality.A];
        e.estimated += t.counts[Quality.E];
        e.missing += t.counts[Quality.N];
      }
      if (withData) e.pointsWithData++;
    }
  }
  return {
    from: o.from,
    to,
    finalRows,
    virtualPoints,
    registryMs,
    finalMs,
    finalBytes: Number(size.rows[0].final),
    expected,
  };
}
